import { lazy, Suspense } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ErrorNotice, Loading, PageHeader } from '../components/ui'
import { amenityMap, useAmenities, useCurrentCommunity } from '../lib/queries'
import { feeSummary, hoursSummary, ruleFacts } from '../lib/slots'
import { describeTimeZone, todayIn } from '../lib/time'

const ReservationCalendar = lazy(() => import('../components/ReservationCalendar'))

export default function Amenity() {
  const community = useCurrentCommunity()
  const { amenityId } = useParams()
  const amenities = useAmenities(community.id)
  const navigate = useNavigate()
  const amenity = amenities.data?.find((a) => a.id === amenityId)
  const today = todayIn(community.timezone)

  if (amenities.isPending) return <Loading />
  if (!amenity) {
    return (
      <>
        <PageHeader title="Amenity not found" />
        <ErrorNotice error={amenities.error} />
        <Link to={`/c/${community.id}/amenities`}>See all amenities</Link>
      </>
    )
  }
  const base = `/c/${community.id}`
  return (
    <>
      <PageHeader title={amenity.name} lead={feeSummary(amenity)}>
        <Link className="btn" to={`${base}/book?amenity=${amenity.id}`}>
          Book {amenity.name}
        </Link>
      </PageHeader>
      <div className="booking-layout">
        <div className="stack">
          <section className="card" aria-labelledby="about">
            <h2 id="about">About</h2>
            <p>{amenity.description}</p>
            <dl className="kv">
              <dt>Hours</dt>
              <dd>
                {hoursSummary(amenity.hours)}
                <div className="small muted">{describeTimeZone(community.timezone)}</div>
              </dd>
              <dt>Capacity</dt>
              <dd>{amenity.mode === 'capacity' ? `${amenity.capacity} people at a time, shared` : 'One household at a time'}</dd>
              <dt>Cost</dt>
              <dd>{feeSummary(amenity)}</dd>
            </dl>
          </section>
          <section aria-labelledby="calendar-heading">
            <h2 id="calendar-heading">Calendar</h2>
            <Suspense fallback={<Loading label="Loading the calendar…" />}>
              <ReservationCalendar
                communityId={community.id}
                tz={community.timezone}
                amenityId={amenity.id}
                amenities={amenityMap(amenities.data)}
                onPickDate={(date) => {
                  if (date >= today) navigate(`${base}/book?amenity=${amenity.id}&date=${date}`)
                }}
              />
            </Suspense>
          </section>
        </div>
        <aside className="card" aria-labelledby="rules-heading">
          <h2 id="rules-heading">Rules</h2>
          <ul className="facts">
            {ruleFacts(amenity).map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
          {amenity.rules_text ? (
            <>
              <h3 style={{ marginTop: '1rem' }}>House rules</h3>
              <div className="rules-box" role="region" tabIndex={0} aria-label={`House rules of ${amenity.name}`}>
                {amenity.rules_text}
              </div>
            </>
          ) : null}
        </aside>
      </div>
    </>
  )
}
