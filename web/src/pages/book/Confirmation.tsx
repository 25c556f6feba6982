import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { communitiesGetCommunity, type AmenityRead, type ReservationRead } from '../../api'
import { StatusBadge } from '../../components/ui'
import type { CommunityContext } from '../../lib/queries'
import { calendarFileUrl, unwrap } from '../../lib/http'
import { feeSummary } from '../../lib/slots'
import { formatDateTime, formatRange } from '../../lib/time'

/** What the booking form turns into once the reservation is made. */
export function Confirmation({ reservation, amenity, community }: { reservation: ReservationRead; amenity: AmenityRead; community: CommunityContext }) {
  const pending = reservation.status === 'pending'
  const payment = useQuery({
    queryKey: ['community', community.id],
    queryFn: () => unwrap(communitiesGetCommunity({ path: { community_id: community.id } })),
    enabled: Boolean(amenity.fee_cents || amenity.deposit_cents),
  })
  return (
    <section className="card" aria-labelledby="done-heading" style={{ maxWidth: '40rem' }}>
      <h2 id="done-heading">{pending ? 'Request sent' : "You're booked!"}</h2>
      <p>
        {amenity.name}, {formatRange(reservation.starts_at, reservation.ends_at, community.timezone)} <StatusBadge status={reservation.status} />
      </p>
      <p className="muted">
        {pending
          ? "The board will review it. You'll see the decision under My reservations."
          : reservation.cancellable_until
            ? `If your plans change, cancel it from My reservations until ${formatDateTime(reservation.cancellable_until, community.timezone)}.`
            : null}
      </p>
      {(amenity.fee_cents || amenity.deposit_cents) && payment.data?.payment_instructions ? (
        <p>
          <strong>To pay ({feeSummary(amenity)}):</strong> {payment.data.payment_instructions}
        </p>
      ) : null}
      <div className="row">
        <Link className="btn" to={`/c/${community.id}/reservations`}>
          My reservations
        </Link>
        <a className="btn btn--secondary" href={calendarFileUrl(community.id, reservation.id)} download>
          Add to my calendar (.ics)
        </a>
        <Link className="btn btn--ghost" to={`/c/${community.id}/book`} reloadDocument={false} onClick={() => window.scrollTo(0, 0)}>
          Book something else
        </Link>
      </div>
    </section>
  )
}
