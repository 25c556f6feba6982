import type { UseQueryResult } from '@tanstack/react-query'
import type { AmenityRead, NextAvailable as Next, RuleCode } from '../../api'
import { Empty, ErrorNotice, Loading } from '../../components/ui'
import { kindInSentence, mergeOffers, type Offer } from '../../lib/amenityKinds'
import { formatDuration, formatLocalDate, formatTime, wallTime } from '../../lib/time'

// As many times as the page asks the finder for, per amenity.
export const NEXT_LIMIT = 20
export const NEXT_PER_DAY = 4

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
 * of days on wide screens, a list on a phone. With other amenities of its kind, the times of
 * any of them on request, each saying which amenity it is. */
export function NextAvailable({
  amenity,
  tz,
  next,
  start,
  onPick,
  siblings,
  any,
  onAny,
}: {
  amenity: AmenityRead
  tz: string
  next: UseQueryResult<Next>
  start: string | null
  onPick: (offer: Offer) => void
  siblings: AmenityRead[]
  any: boolean
  onAny: (any: boolean) => void
}) {
  const answered = next.data?.amenities ?? []
  const names = new Map([amenity, ...siblings].map((a) => [a.id, a.name]))
  const offers = mergeOffers(answered, amenity.id, tz, NEXT_PER_DAY, NEXT_LIMIT)
  const days = new Map<string, Offer[]>()
  for (const o of offers) {
    const day = wallTime(o.starts_at, tz).date
    days.set(day, [...(days.get(day) ?? []), o])
  }
  const firstDay = offers.length ? wallTime(offers[0].starts_at, tz).date : null
  // Runs of blocked days with the same reason, in order: this amenity's reasons, for the days
  // none of those asked about is free.
  const own = answered.find((f) => f.amenity_id === amenity.id)
  const runs: { from: string; to: string; reason: RuleCode | null }[] = []
  for (const b of own?.blocked_days ?? []) {
    if (firstDay === null || b.date >= firstDay) break
    const last = runs.at(-1)
    if (last && last.reason === b.reason) last.to = b.date
    else runs.push({ from: b.date, to: b.date, reason: b.reason })
  }
  const kind = amenity.kind ? kindInSentence(amenity.kind) : ''
  return (
    <section className="card next-available" aria-labelledby="next-heading">
      <h2 id="next-heading">Next available</h2>
      {siblings.length ? (
        <fieldset className="next-scope">
          <legend className="visually-hidden">Times of</legend>
          <label>
            <input type="radio" name="next-scope" checked={!any} onChange={() => onAny(false)} /> {amenity.name}
          </label>
          <label>
            <input type="radio" name="next-scope" checked={any} onChange={() => onAny(true)} /> Any {kind}
          </label>
        </fieldset>
      ) : null}
      {next.isPending ? <Loading label="Looking ahead…" /> : null}
      <ErrorNotice error={next.error} />
      {firstDay && runs.length ? (
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
            First bookable day{any ? ` of any ${kind}` : ''}: <strong>{formatLocalDate(firstDay)}</strong>
          </p>
        </div>
      ) : null}
      {next.data && !offers.length ? <Empty>Nothing is free for you in the booking window.</Empty> : null}
      {days.size ? (
        <ul className="next-days" aria-label="Next available times">
          {[...days].map(([day, times]) => (
            <li key={day}>
              <h3>{formatLocalDate(day)}</h3>
              <ul className="next-times">
                {times.map((o) => {
                  const other = o.amenityId === amenity.id ? null : names.get(o.amenityId)
                  return (
                    <li key={o.starts_at}>
                      <button
                        type="button"
                        className="slot"
                        data-next={o.starts_at}
                        data-amenity={o.amenityId}
                        aria-pressed={!other && start === o.starts_at}
                        // The name ends with the visible text ("10:00 AM Court 2"): voice control users say what they see.
                        aria-label={`${formatLocalDate(day)} ${formatTime(o.starts_at, tz)}${any ? ` ${names.get(o.amenityId)}` : ''}`}
                        onClick={() => onPick(o)}
                      >
                        {formatTime(o.starts_at, tz)}
                        {any ? (
                          <>
                            {' '}
                            <small>{names.get(o.amenityId)}</small>
                          </>
                        ) : null}
                      </button>
                    </li>
                  )
                })}
              </ul>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  )
}
