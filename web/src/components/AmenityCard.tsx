import { Link } from 'react-router'
import type { AmenityRead } from '../api'
import { feeSummary, hoursSummary } from '../lib/slots'
import { formatDuration } from '../lib/time'

export function AmenityCard({ amenity, base, headingLevel = 2 }: { amenity: AmenityRead; base: string; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3'
  return (
    <article className="card amenity-card" aria-labelledby={`amenity-${amenity.id}`}>
      <Heading id={`amenity-${amenity.id}`}>{amenity.name}</Heading>
      <div className="amenity-meta">
        <span>{amenity.mode === 'capacity' ? `Shared · up to ${amenity.capacity} people` : 'Private booking'}</span>
        <span>{feeSummary(amenity)}</span>
        <span>
          {amenity.min_duration_minutes === amenity.max_duration_minutes
            ? formatDuration(amenity.min_duration_minutes)
            : `${formatDuration(amenity.min_duration_minutes)}–${formatDuration(amenity.max_duration_minutes)}`}
        </span>
        {amenity.requires_approval ? <span>Needs approval</span> : null}
      </div>
      <p className="small">{amenity.description}</p>
      <p className="small muted">
        <span className="visually-hidden">Hours: </span>
        {hoursSummary(amenity.hours)}
      </p>
      <div className="actions">
        <Link className="btn btn--small" to={`${base}/book?amenity=${amenity.id}`} aria-label={`Book ${amenity.name}`}>
          Book
        </Link>
        <Link className="btn btn--secondary btn--small" to={`${base}/amenities/${amenity.id}`} aria-label={`Details and calendar of ${amenity.name}`}>
          Details and calendar
        </Link>
      </div>
    </article>
  )
}
