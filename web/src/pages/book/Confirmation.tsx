import { Link } from 'react-router'
import type { AmenityRead, ReservationRead } from '../../api'
import { PaymentNote } from '../../components/PaymentNote'
import { StatusBadge } from '../../components/ui'
import type { CommunityContext } from '../../lib/queries'
import { calendarFileUrl } from '../../lib/http'
import { formatDateTime, formatRange } from '../../lib/time'

/** What the booking form turns into once the reservation is made. */
export function Confirmation({ reservation, amenity, community }: { reservation: ReservationRead; amenity: AmenityRead; community: CommunityContext }) {
  const pending = reservation.status === 'pending'
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
      <PaymentNote amenity={amenity} communityId={community.id} />
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
