import { useQuery, type UseQueryResult } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { blackoutsListBlackouts, type AmenityRead, type Availability, type SlotRead } from '../../api'
import { Empty, ErrorNotice, Loading } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { placesLeft } from '../../lib/occupancy'
import { useCurrentCommunity } from '../../lib/queries'
import { isStay, SLOT_REASONS, type EndOption } from '../../lib/slots'
import { addDays, formatDay, formatLocalDate, formatRange, formatTime } from '../../lib/time'

/** Party times inside an event booking, in slots from its start: `to` 0 means its end. */
export interface Party {
  on: boolean
  from: number
  to: number
}

/** Pick a day and time: the day, a free start and how long; `children` (the party times of an
 * event) come last. */
export function TimeStep({
  amenity,
  tz,
  today,
  lastDay,
  date,
  onDate,
  availability,
  start,
  onPick,
  ends,
  chosenEnd,
  onMinutes,
  children,
}: {
  amenity: AmenityRead
  tz: string
  /** the first and the last bookable day */
  today: string
  lastDay: string
  date: string
  onDate: (date: string) => void
  availability: UseQueryResult<Availability>
  start: string | null
  onPick: (slot: SlotRead) => void
  ends: EndOption[]
  chosenEnd: EndOption | null
  onMinutes: (minutes: number) => void
  children: ReactNode
}) {
  const slots = (availability.data?.slots ?? []).filter((s) => s.reason !== 'reservation.in_past')
  const startDate = start ? new Date(start) : null
  const closures = useClosures(amenity.id, slots)
  const stay = isStay(amenity)
  return (
    <section className="card step" aria-labelledby="step-time">
      <h2 id="step-time">Pick a day and time</h2>
      <div className="day-picker">
        <button type="button" className="btn btn--secondary" onClick={() => onDate(addDays(date, -1))} disabled={date <= today} >
          <span aria-hidden="true">‹</span>
          <span className="visually-hidden">Previous day</span>
        </button>
        <div className="field">
          <label htmlFor="date">Day</label>
          <input id="date" type="date" min={today} max={lastDay} value={date} required onChange={(e) => e.target.value && onDate(e.target.value)} />
        </div>
        <button type="button" className="btn btn--secondary" onClick={() => onDate(addDays(date, 1))} disabled={date >= lastDay} >
          <span aria-hidden="true">›</span>
          <span className="visually-hidden">Next day</span>
        </button>
      </div>
      <p className="small muted" aria-live="polite">
        {formatLocalDate(date)} · bookable up to {formatLocalDate(lastDay)}
      </p>
      {availability.isPending ? <Loading label="Looking for free times…" /> : null}
      <ErrorNotice error={availability.error} />
      {availability.data && slots.length === 0 ? <Empty>No times left on this day. Try another day.</Empty> : null}
      {slots.length ? (
        <ul className="slots" aria-label={`Start times on ${formatLocalDate(date)}`}>
          {slots.map((s) => (
            <li key={s.starts_at}>
              <button
                type="button"
                className="slot"
                data-start={s.starts_at}
                aria-pressed={start === s.starts_at}
                aria-describedby={s.reason === 'reservation.blackout' && closures.length ? 'closure-reasons' : undefined}
                disabled={!s.available}
                onClick={() => onPick(s)}
              >
                {stay ? `Check-in ${formatTime(s.starts_at, tz)}` : formatTime(s.starts_at, tz)}
                <small>
                  {s.available ? (amenity.mode === 'capacity' ? placesLeft(s.remaining, amenity.capacity) : 'Free') : ((s.reason && SLOT_REASONS[s.reason]) || 'Unavailable')}
                </small>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {closures.length ? (
        <ul className="facts small" id="closure-reasons" aria-label="Closures">
          {closures.map((c) => (
            <li key={c.id}>
              Closed {formatRange(c.starts_at, c.ends_at, tz)}: {c.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {startDate && stay ? (
        <p className="stay-check-in">
          Check-in {formatDay(startDate, tz)} {formatTime(startDate, tz)}
        </p>
      ) : null}
      {startDate ? (
        <div className="field" style={{ marginTop: '1rem', maxWidth: '24rem' }}>
          <label htmlFor="end">{stay ? 'Nights' : 'Until'}</label>
          <select id="end" value={chosenEnd?.minutes ?? ''} onChange={(e) => onMinutes(Number(e.target.value))}>
            {ends.map((o) => (
              <option key={o.minutes} value={o.minutes}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {children}
    </section>
  )
}

/** The party inside an event booking that starts at `start` and lasts `steps` slots;
 * `idPrefix` keeps the fields' ids apart where several forms share a page. */
export function PartyTimes({
  amenity,
  tz,
  start,
  steps,
  party,
  onParty,
  idPrefix = '',
}: {
  amenity: AmenityRead
  tz: string
  start: Date
  steps: number
  party: Party
  onParty: (party: Party) => void
  idPrefix?: string
}) {
  return (
    <fieldset>
      <legend>Party times</legend>
      <div className="checkbox field">
        <input id={`${idPrefix}party`} type="checkbox" checked={party.on} onChange={(e) => onParty({ ...party, on: e.target.checked })} />
        <label htmlFor={`${idPrefix}party`}>My booking includes setup and cleanup time around the party</label>
      </div>
      {party.on ? (
        <div className="form-grid">
          <div className="field">
            <label htmlFor={`${idPrefix}party-from`}>Party starts</label>
            <select id={`${idPrefix}party-from`} value={party.from} onChange={(e) => onParty({ ...party, from: Number(e.target.value) })}>
              {Array.from({ length: steps }, (_, i) => (
                <option key={i} value={i}>
                  {formatTime(new Date(start.getTime() + i * amenity.slot_minutes * 60000), tz)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${idPrefix}party-to`}>Party ends</label>
            <select id={`${idPrefix}party-to`} value={party.to || steps} onChange={(e) => onParty({ ...party, to: Number(e.target.value) })}>
              {Array.from({ length: steps }, (_, i) => i + 1)
                .filter((i) => i > party.from)
                .map((i) => (
                  <option key={i} value={i}>
                    {formatTime(new Date(start.getTime() + i * amenity.slot_minutes * 60000), tz)}
                  </option>
                ))}
            </select>
          </div>
        </div>
      ) : null}
    </fieldset>
  )
}

/** The closures of the amenity behind the day's closed slots, with their public reason. */
function useClosures(amenityId: string, slots: SlotRead[]) {
  const community = useCurrentCommunity()
  const closed = slots.filter((s) => s.reason === 'reservation.blackout')
  const start = closed[0]?.starts_at
  const end = closed.at(-1)?.ends_at
  const closures = useQuery({
    queryKey: ['blackouts', community.id, start, end],
    queryFn: () => unwrap(blackoutsListBlackouts({ path: { community_id: community.id }, query: { start, end } })),
    enabled: Boolean(start && end),
  })
  return (closures.data ?? []).filter((c) => c.amenity_id === null || c.amenity_id === amenityId)
}
