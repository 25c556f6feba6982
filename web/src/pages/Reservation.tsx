import { useQuery } from '@tanstack/react-query'
import { Link, useParams } from 'react-router'
import { reservationsGetReservation } from '../api'
import { ReservationItem } from '../components/ReservationItem'
import { ErrorNotice, Loading, PageHeader } from '../components/ui'
import { useNow } from '../lib/hooks'
import { unwrap } from '../lib/http'
import { amenityMap, keys, useAmenities, useCurrentCommunity } from '../lib/queries'
import { ReservationActions } from './MyReservations'

/** One booking at its own address (emails and refusals link here), with what can be done to it. */
export default function Reservation() {
  const community = useCurrentCommunity()
  const { reservationId = '' } = useParams()
  const amenities = useAmenities(community.id)
  const reservation = useQuery({
    queryKey: [...keys.reservations(community.id), 'one', reservationId],
    queryFn: () => unwrap(reservationsGetReservation({ path: { community_id: community.id, reservation_id: reservationId } })),
  })
  const now = useNow()
  const r = reservation.data
  const amenity = r ? amenityMap(amenities.data).get(r.amenity_id) : undefined
  return (
    <>
      <PageHeader title={amenity ? `${amenity.name} booking` : 'Booking'}>
        <Link className="btn btn--secondary" to={`/c/${community.id}/reservations`}>
          My reservations
        </Link>
      </PageHeader>
      {reservation.isPending ? <Loading /> : null}
      <ErrorNotice error={reservation.error} />
      {r ? (
        <ul className="res-list">
          <ReservationItem reservation={r} amenity={amenity} tz={community.timezone}>
            <ReservationActions reservation={r} amenity={amenity} community={community} upcoming={Date.parse(r.ends_at) > now} />
          </ReservationItem>
        </ul>
      ) : null}
    </>
  )
}
