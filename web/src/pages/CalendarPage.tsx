import { lazy, Suspense, useState } from 'react'
import { useNavigate } from 'react-router'
import { ErrorNotice, Loading, PageHeader } from '../components/ui'
import { amenityMap, useAmenities, useCurrentCommunity } from '../lib/queries'
import { describeTimeZone, todayIn } from '../lib/time'

const ReservationCalendar = lazy(() => import('../components/ReservationCalendar'))

export default function CalendarPage() {
  const community = useCurrentCommunity()
  const amenities = useAmenities(community.id)
  const [amenityId, setAmenityId] = useState('')
  const navigate = useNavigate()
  const today = todayIn(community.timezone)

  return (
    <>
      <PageHeader title="Calendar" lead={`All times in ${describeTimeZone(community.timezone)}`} />
      <div className="field" style={{ maxWidth: '22rem' }}>
        <label htmlFor="calendar-amenity">Show</label>
        <select id="calendar-amenity" value={amenityId} onChange={(e) => setAmenityId(e.target.value)}>
          <option value="">All amenities</option>
          {(amenities.data ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </div>
      <ErrorNotice error={amenities.error} />
      {amenities.data ? (
        <Suspense fallback={<Loading label="Loading the calendar…" />}>
          <ReservationCalendar
            key={amenityId || 'all'}
            communityId={community.id}
            tz={community.timezone}
            amenityId={amenityId || undefined}
            amenities={amenityMap(amenities.data)}
            onPickDate={(date) => {
              if (date >= today) navigate(`/c/${community.id}/book?date=${date}${amenityId ? `&amenity=${amenityId}` : ''}`)
            }}
            onPickEvent={(entry) => {
              if (entry.mine || community.isAdmin) navigate(`/c/${community.id}/reservations/${entry.id}`)
            }}
          />
        </Suspense>
      ) : (
        <Loading />
      )}
    </>
  )
}
