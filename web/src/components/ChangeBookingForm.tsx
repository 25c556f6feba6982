import { useMutation } from '@tanstack/react-query'
import { useMemo, useState, type FormEvent } from 'react'
import { reservationsChangeReservation, type AmenityRead, type ReservationChange, type ReservationRead } from '../api'
import { unwrap } from '../lib/http'
import { useOffline } from '../lib/offline'
import { useInvalidateBookings, type CommunityContext } from '../lib/queries'
import { endOptions, peopleLimits, rangesOn, type EndOption } from '../lib/slots'
import { addDays, formatRange, formatTime, minutesToClock, todayIn, wallTime, zonedToInstant } from '../lib/time'
import { ErrorNotice } from './ui'

/** Start times ('HH:MM', local) of a day: the slot grid from local midnight, inside opening hours. */
function startClocks(amenity: AmenityRead, date: string): string[] {
  const ranges = rangesOn(amenity, date)
  const out: string[] = []
  for (let m = 0; m < 1440; m += amenity.slot_minutes) {
    if (ranges.some(([open, close]) => open <= m && m < close)) out.push(minutesToClock(m))
  }
  return out
}

/** What differs from the booking as it is: only those fields are sent. */
function changes(
  r: ReservationRead,
  start: Date,
  end: EndOption,
  headcount: number,
  title: string,
  acceptedRulesVersion: number | null,
): ReservationChange {
  const body: ReservationChange = {}
  const oldStart = Date.parse(r.starts_at)
  const oldMinutes = Math.round((Date.parse(r.ends_at) - oldStart) / 60000)
  if ((start.getTime() !== oldStart || end.end.getTime() !== Date.parse(r.ends_at))) {
    body.starts_at = start.toISOString()
    body.ends_at = end.end.toISOString()
    // A new time clears the party times; a booking moved as a whole keeps them, moved along.
    if (r.party_starts_at && r.party_ends_at && end.minutes === oldMinutes) {
      const shift = start.getTime() - oldStart
      body.party_starts_at = new Date(Date.parse(r.party_starts_at) + shift).toISOString()
      body.party_ends_at = new Date(Date.parse(r.party_ends_at) + shift).toISOString()
    }
  }
  if (headcount !== r.headcount) {
    body.headcount = headcount
    if (r.guests > headcount) body.guests = headcount
  }
  if (title.trim() !== r.title) body.title = title.trim()
  if (Object.keys(body).length && acceptedRulesVersion !== null) body.accepted_rules_version = acceptedRulesVersion
  return body
}

/** Inline form to move or edit an active booking (day, times, people, title). Sends only what
 * changed; the API judges it under the booking rules, less the booking itself. */
export function ChangeBookingForm({
  reservation: r,
  amenity,
  community,
  onChanged,
  onClose,
}: {
  reservation: ReservationRead
  amenity: AmenityRead
  community: CommunityContext
  onChanged: (reservation: ReservationRead) => void
  onClose: () => void
}) {
  const tz = community.timezone
  const { offline } = useOffline()
  const invalidate = useInvalidateBookings(community.id)
  const original = wallTime(r.starts_at, tz)
  const originalClock = minutesToClock(original.hour * 60 + original.minute)
  const originalMinutes = Math.round((Date.parse(r.ends_at) - Date.parse(r.starts_at)) / 60000)
  const today = todayIn(tz)
  const lastDay = addDays(today, amenity.max_days_ahead)

  const [date, setDate] = useState(original.date)
  const [clock, setClock] = useState(originalClock)
  const [minutes, setMinutes] = useState(originalMinutes)
  const [headcount, setHeadcount] = useState(r.headcount)
  const [title, setTitle] = useState(r.title)
  const clockOf = (instant: string | null) => {
    if (!instant) return ''
    const w = wallTime(instant, tz)
    return minutesToClock(w.hour * 60 + w.minute)
  }
  const [partyFrom, setPartyFrom] = useState(clockOf(r.party_starts_at))
  const [partyUntil, setPartyUntil] = useState(clockOf(r.party_ends_at))
  const [accepted, setAccepted] = useState(false)
  const { maxPeople } = peopleLimits(amenity)
  const needsRules = amenity.rules_version > 0 && amenity.rules_text.trim() !== ''
  const staleRules = needsRules && !community.isAdmin && r.accepted_rules_version !== amenity.rules_version

  const clocks = useMemo(() => {
    const list = startClocks(amenity, date).filter((c) => endOptions(amenity, zonedToInstant(date, c, tz), tz, 1).length > 0)
    if (date === original.date && !list.includes(originalClock)) list.push(originalClock)
    return list.sort()
  }, [amenity, date, tz, original.date, originalClock])
  const chosenClock = clocks.includes(clock) ? clock : (clocks[0] ?? null)
  const startMs = chosenClock ? zonedToInstant(date, chosenClock, tz).getTime() : null
  const start = startMs === null ? null : new Date(startMs)

  const ends = useMemo(() => {
    if (startMs === null) return []
    const options = endOptions(amenity, new Date(startMs), tz)
    // Keep the booking's own end on offer even where the rules changed since it was made.
    if (startMs === Date.parse(r.starts_at) && !options.some((o) => o.minutes === originalMinutes)) {
      const end = new Date(r.ends_at)
      options.unshift({ end, minutes: originalMinutes, label: `${formatTime(end, tz)} (as booked)` })
    }
    return options
  }, [amenity, startMs, tz, r.starts_at, r.ends_at, originalMinutes])
  const chosenEnd = ends.find((o) => o.minutes === minutes) ?? ends[0] ?? null

  // No time on a closed day: nothing to send until one is picked.
  const body =
    start && chosenEnd
      ? changes(r, start, chosenEnd, headcount, title, staleRules ? (accepted ? amenity.rules_version : null) : null)
      : {}
  // New party times, on the booking's day (or the next, when earlier than its start).
  const partyEdited = r.party_starts_at !== null && (partyFrom !== clockOf(r.party_starts_at) || partyUntil !== clockOf(r.party_ends_at))
  if (start && chosenEnd && partyEdited && partyFrom && partyUntil) {
    const at = (wall: string) => {
      const t = zonedToInstant(date, wall, tz)
      return t < start ? new Date(t.getTime() + 86_400_000) : t
    }
    body.party_starts_at = at(partyFrom).toISOString()
    body.party_ends_at = at(partyUntil).toISOString()
  }
  const retimed = body.starts_at !== undefined
  const empty = Object.keys(body).length === 0

  const change = useMutation({
    mutationFn: (data: ReservationChange) =>
      unwrap(
        reservationsChangeReservation({
          path: { community_id: community.id, reservation_id: r.id },
          body: data,
        }),
      ),
    onSuccess: async (updated) => {
      onChanged(updated)
      await invalidate()
    },
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    if (empty) return
    change.mutate(body)
  }

  const id = (name: string) => `${name}-${r.id}`
  const name = amenity.name
  return (
    <form className="card change-form" onSubmit={submit} aria-label={`Change ${name} booking`}>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={id('change-date')}>Day</label>
          <input
            id={id('change-date')}
            type="date"
            min={today}
            max={lastDay}
            value={date}
            required
            onChange={(e) => {
              if (!e.target.value) return
              setDate(e.target.value)
              change.reset()
            }}
          />
        </div>
        <div className="field">
          <label htmlFor={id('change-start')}>Start</label>
          <select
            id={id('change-start')}
            value={chosenClock ?? ''}
            onChange={(e) => {
              setClock(e.target.value)
              change.reset()
            }}
          >
            {clocks.length === 0 ? <option value="">Closed this day</option> : null}
            {clocks.map((c) => (
              <option key={c} value={c}>
                {formatTime(zonedToInstant(date, c, tz), tz)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={id('change-end')}>Until</label>
          <select
            id={id('change-end')}
            value={chosenEnd?.minutes ?? ''}
            onChange={(e) => {
              setMinutes(Number(e.target.value))
              change.reset()
            }}
          >
            {ends.map((o) => (
              <option key={o.minutes} value={o.minutes}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={id('change-headcount')}>People, guests included</label>
          <input
            id={id('change-headcount')}
            type="number"
            inputMode="numeric"
            min={1}
            max={maxPeople}
            value={headcount}
            onChange={(e) => {
              setHeadcount(Math.max(1, Math.min(maxPeople, Number(e.target.value) || 1)))
              change.reset()
            }}
            aria-describedby={id('change-headcount-hint')}
          />
          <span className="hint" id={id('change-headcount-hint')}>
            At most {maxPeople}
            {amenity.mode === 'capacity' ? ' (the places left are checked when you save)' : ''}.
          </span>
        </div>
      </div>
      {r.party_starts_at ? (
        <div className="form-grid">
          <div className="field">
            <label htmlFor={id('change-party-from')}>Party starts</label>
            <input
              id={id('change-party-from')}
              type="time"
              step={60}
              required
              value={partyFrom}
              onChange={(e) => {
                setPartyFrom(e.target.value)
                change.reset()
              }}
            />
          </div>
          <div className="field">
            <label htmlFor={id('change-party-until')}>Party ends</label>
            <input
              id={id('change-party-until')}
              type="time"
              step={60}
              required
              value={partyUntil}
              onChange={(e) => {
                setPartyUntil(e.target.value)
                change.reset()
              }}
            />
          </div>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={id('change-title')}>Occasion (optional)</label>
        <input id={id('change-title')} type="text" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
      </div>
      {staleRules ? (
        <div className="checkbox field">
          <input id={id('change-rules')} type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} required />
          <label htmlFor={id('change-rules')}>I have read and accept the current rules of the {name}</label>
        </div>
      ) : null}
      <p className="small muted" aria-live="polite" style={{ marginTop: 0 }}>
        {start && chosenEnd ? `New time: ${formatRange(start, chosenEnd.end, tz)}.` : 'Pick a day the amenity is open.'}
        {retimed && r.party_starts_at && body.party_starts_at === undefined ? ' The party times are cleared.' : ''}
        {amenity.requires_approval && !community.isAdmin && r.status === 'confirmed' && (retimed || body.headcount !== undefined)
          ? ' The board reviews the change again.'
          : ''}
      </p>
      <ErrorNotice error={change.error} />
      <div className="row">
        <button type="submit" className="btn" disabled={empty || change.isPending || offline || (staleRules && !accepted)}>
          {change.isPending ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="btn btn--secondary" onClick={onClose}>
          Keep as it is
        </button>
      </div>
    </form>
  )
}
