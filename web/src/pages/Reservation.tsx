import { useQuery } from '@tanstack/react-query'
import { Link, useParams } from 'react-router'
import { reservationsGetReservation, reservationsGetReservationHistory, type ReservationRead } from '../api'
import { PaymentNote } from '../components/PaymentNote'
import { ReservationItem } from '../components/ReservationItem'
import { ErrorNotice, Loading, PageHeader } from '../components/ui'
import { useNow } from '../lib/hooks'
import { unwrap } from '../lib/http'
import { KIND_LABELS } from '../lib/kinds'
import { amenityMap, keys, useAmenities, useCurrentCommunity, useMembersByUser, type CommunityContext } from '../lib/queries'
import { formatDateTime } from '../lib/time'
import { ReservationActions } from './MyReservations'

/** Who the booking is for, as the office needs to know it. */
function Household({ reservation: r, community }: { reservation: ReservationRead; community: CommunityContext }) {
  const member = useMembersByUser(community.id).data?.get(r.booked_for_id)
  if (!member) return null
  return (
    <p>
      For <strong>{member.name}</strong> ({member.email}), household {member.household_label ?? 'none'}
    </p>
  )
}

/** What happened to the booking and the emails about it, oldest first. */
function History({ reservation: r, community }: { reservation: ReservationRead; community: CommunityContext }) {
  const history = useQuery({
    queryKey: [...keys.reservations(community.id), 'history', r.id, r.updated_at],
    queryFn: () => unwrap(reservationsGetReservationHistory({ path: { community_id: community.id, reservation_id: r.id } })),
  })
  const tz = community.timezone
  return (
    <section aria-labelledby="history-title" style={{ marginTop: '1.5rem' }}>
      <h2 id="history-title">History</h2>
      <ErrorNotice error={history.error} />
      {history.data && history.data.events.length === 0 ? (
        // Bookings imported or seeded without a trail have nothing to show but this.
        <p className="muted">Nothing recorded about this booking yet.</p>
      ) : null}
      {history.data?.events.length ? (
        <ol className="res-list" aria-label="What happened">
          {history.data.events.map((e) => (
            <li key={`${e.at}${e.action}`} className="card">
              <strong>{e.summary}</strong> {e.actor ? `by ${e.actor}` : null}
              <span className="small muted"> · {formatDateTime(e.at, tz)}</span>
              {e.changes.length ? (
                <ul className="small">
                  {e.changes.map((c) => (
                    <li key={c.field}>
                      {c.field}: {c.before ? `${c.before} → ` : null}
                      {c.after ?? '—'}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
      {history.data?.emails.length ? (
        <>
          <h3>Emails</h3>
          <ul className="small" aria-label="Emails">
            {history.data.emails.map((m) => (
              <li key={`${m.created_at}${m.kind}${m.recipient ?? ''}`}>
                {KIND_LABELS[m.kind]}
                {m.recipient ? ` to ${m.recipient}` : null}: {m.status}, {formatDateTime(m.sent_at ?? m.created_at, tz)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}

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
        {community.isAdmin ? (
          <Link className="btn btn--secondary" to={`/c/${community.id}/admin/bookings`}>
            All bookings
          </Link>
        ) : null}
        <Link className="btn btn--secondary" to={`/c/${community.id}/reservations`}>
          My reservations
        </Link>
      </PageHeader>
      {reservation.isPending ? <Loading /> : null}
      <ErrorNotice error={reservation.error} />
      {r ? (
        <>
          {community.isAdmin ? <Household reservation={r} community={community} /> : null}
          <ul className="res-list">
            <ReservationItem reservation={r} amenity={amenity} tz={community.timezone}>
              <ReservationActions reservation={r} amenity={amenity} community={community} upcoming={Date.parse(r.ends_at) > now} />
            </ReservationItem>
          </ul>
          {amenity && (r.status === 'pending' || r.status === 'confirmed') ? <PaymentNote amenity={amenity} communityId={community.id} /> : null}
          <History reservation={r} community={community} />
        </>
      ) : null}
    </>
  )
}
