import { useMutation, useQuery } from '@tanstack/react-query'
import { Link, useSearchParams } from 'react-router'
import { reservationsShowCancelLink, reservationsUseCancelLink, type CancelLinkRead } from '../api'
import { AuthCard } from '../components/AuthCard'
import { ErrorNotice, Loading, Notice } from '../components/ui'
import { ApiError } from '../lib/errors'
import { unwrap } from '../lib/http'
import { describeTimeZone, formatLongDay, formatTime } from '../lib/time'

function Booking({ booking }: { booking: CancelLinkRead }) {
  const tz = booking.timezone
  return (
    <>
      <dl className="kv">
        <dt>Amenity</dt>
        <dd>{booking.amenity_name}</dd>
        <dt>Community</dt>
        <dd>{booking.community_name}</dd>
        <dt>Day</dt>
        <dd>{formatLongDay(booking.starts_at, tz)}</dd>
        <dt>Time</dt>
        <dd>
          {formatTime(booking.starts_at, tz)} – {formatTime(booking.ends_at, tz)}
        </dd>
        {booking.title ? (
          <>
            <dt>Title</dt>
            <dd>{booking.title}</dd>
          </>
        ) : null}
      </dl>
      <p className="tz-note">Times in {describeTimeZone(tz, new Date(booking.starts_at))}.</p>
    </>
  )
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof ApiError && error.code === code
}

/** Cancels on a click, not on load: mail scanners open the links in emails. */
export default function CancelBooking() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const link = useQuery({
    queryKey: ['cancel-link', token],
    queryFn: () => unwrap(reservationsShowCancelLink({ query: { token } })),
    enabled: token !== '',
    retry: false,
    staleTime: Infinity,
  })
  const cancel = useMutation({
    mutationFn: () => unwrap(reservationsUseCancelLink({ body: { token } })),
  })

  const booking = cancel.data ?? link.data
  const invalid = isCode(link.error, 'reservation.invalid_link') || isCode(cancel.error, 'reservation.invalid_link')
  const alreadyOver =
    isCode(cancel.error, 'reservation.not_active') || (!cancel.data && booking !== undefined && booking.status !== 'confirmed' && booking.status !== 'pending')

  let body
  if (!token) {
    body = (
      <Notice kind="warn" title="This link is incomplete.">
        <p>Open the link from your reminder email again, or sign in to manage your booking.</p>
      </Notice>
    )
  } else if (invalid) {
    body = (
      <Notice kind="warn" title="This link is invalid or has expired.">
        <p>
          It may be past the cancellation deadline, or the booking was moved. Sign in to see and manage your bookings.
        </p>
      </Notice>
    )
  } else if (link.isPending) {
    body = <Loading />
  } else if (!booking) {
    body = <ErrorNotice error={link.error} />
  } else if (cancel.isSuccess) {
    body = (
      <>
        <Notice kind="ok" title="Cancelled.">
          <p>This booking is cancelled and the time is free for others. Nothing else to do.</p>
        </Notice>
        <Booking booking={booking} />
      </>
    )
  } else if (alreadyOver) {
    body = (
      <>
        <Notice kind="info" title={booking.status === 'rejected' ? 'This booking was declined.' : 'This booking is already cancelled.'}>
          <p>There is nothing to cancel. Sign in to see your other bookings.</p>
        </Notice>
        <Booking booking={booking} />
      </>
    )
  } else {
    body = (
      <>
        <p className="muted">Do you want to cancel this booking?</p>
        <Booking booking={booking} />
        <ErrorNotice error={cancel.error} />
        <button className="btn btn--danger btn--block" type="button" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
          {cancel.isPending ? 'Cancelling…' : 'Cancel this booking'}
        </button>
      </>
    )
  }

  return (
    <AuthCard title="Cancel a booking">
      <div className="stack">{body}</div>
      <div className="auth-links">
        <Link to="/signin">Sign in to manage your bookings</Link>
      </div>
    </AuthCard>
  )
}
