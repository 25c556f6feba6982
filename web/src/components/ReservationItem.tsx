import type { ReactNode } from 'react'
import { Link } from 'react-router'
import type { AmenityRead, ReservationRead } from '../api'
import { formatRange, wallTime } from '../lib/time'
import { StatusBadge } from './ui'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** One reservation as a card: date tile, what and when, status and reasons; in a list, its name
 * links to the booking's own page (`href`). */
export function ReservationItem({
  reservation: r,
  amenity,
  tz,
  href,
  children,
}: {
  reservation: ReservationRead
  amenity: AmenityRead | undefined
  tz: string
  href?: string
  children?: ReactNode
}) {
  const w = wallTime(r.starts_at, tz)
  const [, month, day] = w.date.split('-').map(Number)
  const name = amenity?.name ?? 'Amenity'
  return (
    <li className="card res" id={`reservation-${r.id}`} data-reservation-id={r.id}>
      <div className="res-date" aria-hidden="true">
        <div className="m">{MONTHS[(month ?? 1) - 1]}</div>
        <div className="d">{day}</div>
      </div>
      <div>
        <div className="row row--between">
          <h3>
            {href ? (
              <Link to={href} aria-label={`${name}, ${formatRange(r.starts_at, r.ends_at, tz)}: open this booking`}>
                {name}
              </Link>
            ) : (
              name
            )}
          </h3>
          <StatusBadge status={r.status} />
        </div>
        <div>{formatRange(r.starts_at, r.ends_at, tz)}</div>
        <div className="small muted">
          {r.title ? `${r.title} · ` : ''}
          {r.headcount} {r.headcount === 1 ? 'person' : 'people'}
          {r.guests ? ` (${r.guests} ${r.guests === 1 ? 'guest' : 'guests'})` : ''}
        </div>
        {r.party_starts_at && r.party_ends_at ? (
          <div className="small muted">Party: {formatRange(r.party_starts_at, r.party_ends_at, tz)}</div>
        ) : null}
        {r.notes ? <div className="small muted">Notes for the office: {r.notes}</div> : null}
        {r.status === 'rejected' && r.decision_reason ? (
          <div className="reason">
            <strong>Reason:</strong> {r.decision_reason}
          </div>
        ) : null}
        {r.status === 'confirmed' && r.decision_reason ? (
          <div className="reason">
            <strong>Note from the office:</strong> {r.decision_reason}
          </div>
        ) : null}
        {r.status === 'cancelled' && r.cancel_reason ? (
          <div className="reason">
            <strong>Cancelled:</strong> {r.cancel_reason}
          </div>
        ) : null}
        {children}
      </div>
    </li>
  )
}
