import { ApiError } from '../lib/errors'

/** The count of upcoming bookings when `error` is the API asking what happens to them. */
export function futureBookingsAsked(error: unknown): number | null {
  if (error instanceof ApiError && error.code === 'member.future_bookings') {
    return Number(error.details.count) || 0
  }
  return null
}

/** The office chooses what happens to a member's upcoming bookings when they leave their
 * household: nothing is done to them silently. */
export function FutureBookingsChoice({
  name,
  count,
  pending,
  onChoose,
  onCancel,
}: {
  name: string
  count: number
  pending: boolean
  onChoose: (choice: 'keep' | 'cancel') => void
  onCancel: () => void
}) {
  return (
    <div className="notice notice--warn" role="alertdialog" aria-label={`Upcoming bookings of ${name}`}>
      <strong>
        {name} has {count === 1 ? '1 upcoming booking' : `${count} upcoming bookings`} with this household.
      </strong>
      <div className="row">
        <button type="button" className="btn btn--small" disabled={pending} onClick={() => onChoose('keep')}>
          Keep with the household
        </button>
        <button type="button" className="btn btn--danger btn--small" disabled={pending} onClick={() => onChoose('cancel')}>
          Cancel them and email {name}
        </button>
        <button type="button" className="btn btn--ghost btn--small" disabled={pending} onClick={onCancel}>
          Go back
        </button>
      </div>
    </div>
  )
}
