import type { UseQueryResult } from '@tanstack/react-query'
import type { AmenityRead, NextAvailable as Next, RuleCode, SlotRead } from '../../api'
import { Empty, ErrorNotice, Loading } from '../../components/ui'
import { formatDuration, formatLocalDate, formatTime, wallTime } from '../../lib/time'

/** Why a day before the first bookable one is blocked. */
function blockedBy(reason: RuleCode | null, amenity: AmenityRead): string {
  switch (reason) {
    case 'reservation.too_little_notice':
    case 'reservation.in_past':
      return `Too soon: book ${formatDuration(amenity.min_notice_minutes)} ahead`
    case 'reservation.quota_exceeded':
      return "Your household's booking limit is reached"
    case 'reservation.slot_taken':
    case 'reservation.capacity_full':
      return 'Fully booked'
    case 'reservation.blackout':
      return 'Closed'
    default:
      return 'Not open'
  }
}

/** The next times the household can book across the booking window, one click to pick: a grid
 * of days on wide screens, a list on a phone. */
export function NextAvailable({
  amenity,
  tz,
  next,
  start,
  onPick,
}: {
  amenity: AmenityRead
  tz: string
  next: UseQueryResult<Next>
  start: string | null
  onPick: (slot: SlotRead) => void
}) {
  const found = next.data?.amenities[0]
  const days = new Map<string, SlotRead[]>()
  for (const s of found?.slots ?? []) {
    const day = wallTime(s.starts_at, tz).date
    days.set(day, [...(days.get(day) ?? []), s])
  }
  // Runs of blocked days with the same reason, in order.
  const runs: { from: string; to: string; reason: RuleCode | null }[] = []
  for (const b of found?.blocked_days ?? []) {
    const last = runs.at(-1)
    if (last && last.reason === b.reason) last.to = b.date
    else runs.push({ from: b.date, to: b.date, reason: b.reason })
  }
  return (
    <section className="card next-available" aria-labelledby="next-heading">
      <h2 id="next-heading">Next available</h2>
      {next.isPending ? <Loading label="Looking ahead…" /> : null}
      <ErrorNotice error={next.error} />
      {found?.first_day && runs.length ? (
        <div className="small" id="next-why">
          <ul className="facts">
            {runs.map((r) => (
              <li key={r.from}>
                {r.from === r.to ? formatLocalDate(r.from) : `${formatLocalDate(r.from)} – ${formatLocalDate(r.to)}`}:{' '}
                {blockedBy(r.reason, amenity)}
              </li>
            ))}
          </ul>
          <p>
            First bookable day: <strong>{formatLocalDate(found.first_day)}</strong>
          </p>
        </div>
      ) : null}
      {found && !found.slots.length ? <Empty>Nothing is free for you in the booking window.</Empty> : null}
      {days.size ? (
        <ul className="next-days" aria-label="Next available times">
          {[...days].map(([day, slots]) => (
            <li key={day}>
              <h3>{formatLocalDate(day)}</h3>
              <ul className="next-times">
                {slots.map((s) => (
                  <li key={s.starts_at}>
                    <button
                      type="button"
                      className="slot"
                      data-next={s.starts_at}
                      aria-pressed={start === s.starts_at}
                      aria-label={`${formatLocalDate(day)} ${formatTime(s.starts_at, tz)}`}
                      onClick={() => onPick(s)}
                    >
                      {formatTime(s.starts_at, tz)}
                    </button>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}
