import { useMutation, useQuery } from '@tanstack/react-query'
import { useMemo, useState, type FormEvent } from 'react'
import {
  reservationsChangeReservation,
  reservationsGetAvailability,
  type AmenityRead,
  type ReservationChange,
  type ReservationRead,
} from '../api'
import { PeopleFields, type People } from '../pages/book/PeopleStep'
import { PartyTimes, type Party } from '../pages/book/TimeStep'
import { unwrap } from '../lib/http'
import { placesLeft } from '../lib/occupancy'
import { useOffline } from '../lib/offline'
import { keys, useInvalidateBookings, type CommunityContext } from '../lib/queries'
import { SLOT_REASONS, conflictWithin, endOptions, isEventAmenity, rangesOn, slotFits, type EndOption } from '../lib/slots'
import { addDays, formatRange, formatTime, minutesToClock, todayIn, wallTime, zonedToInstant } from '../lib/time'
import { ErrorNotice, Loading } from './ui'

/** Start times ('HH:MM', local) of a day: the slot grid from local midnight, inside opening hours. */
function startClocks(amenity: AmenityRead, date: string): string[] {
  const ranges = rangesOn(amenity, date)
  const out: string[] = []
  for (let m = 0; m < 1440; m += amenity.slot_minutes) {
    if (ranges.some(([open, close]) => open <= m && m < close)) out.push(minutesToClock(m))
  }
  return out
}

/** What differs from the booking as it is: only those fields are sent. A new time sends the
 * party times along (the API clears them otherwise). */
function changes(
  r: ReservationRead,
  start: Date,
  end: EndOption,
  party: { starts: Date; ends: Date } | null,
  people: People,
  acceptedRulesVersion: number | null,
): ReservationChange {
  const body: ReservationChange = {}
  const same = (a: Date | undefined, b: string | null | undefined) => (a && b ? a.getTime() === Date.parse(b) : !a && !b)
  const retimed = !same(start, r.starts_at) || !same(end.end, r.ends_at)
  if (retimed) {
    body.starts_at = start.toISOString()
    body.ends_at = end.end.toISOString()
  }
  if (retimed || !same(party?.starts, r.party_starts_at) || !same(party?.ends, r.party_ends_at)) {
    body.party_starts_at = party ? party.starts.toISOString() : null
    body.party_ends_at = party ? party.ends.toISOString() : null
  }
  if (people.headcount !== r.headcount) body.headcount = people.headcount
  const guests = Math.min(people.guests, people.headcount)
  if (guests !== r.guests) body.guests = guests
  if (people.title.trim() !== r.title) body.title = people.title.trim()
  if (people.notes.trim() !== r.notes) body.notes = people.notes.trim()
  if (Object.keys(body).length && acceptedRulesVersion !== null) body.accepted_rules_version = acceptedRulesVersion
  return body
}

/** Inline form to move or edit an active booking: day and times (the day's taken times marked,
 * the booking's own counted free), party times of events, people, guests, occasion and notes.
 * Sends only what changed; the API judges it under the booking rules, less the booking itself. */
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
  const originalStart = Date.parse(r.starts_at)
  const originalMinutes = Math.round((Date.parse(r.ends_at) - originalStart) / 60000)
  const step = amenity.slot_minutes * 60000
  const today = todayIn(tz)
  const lastDay = addDays(today, amenity.max_days_ahead)

  const [date, setDate] = useState(original.date)
  const [clock, setClock] = useState(originalClock)
  const [minutes, setMinutes] = useState(originalMinutes)
  const [people, setPeople] = useState<People>({ headcount: r.headcount, guests: r.guests, title: r.title, notes: r.notes })
  const [party, setParty] = useState<Party>(() => ({
    on: Boolean(r.party_starts_at && r.party_ends_at),
    from: r.party_starts_at ? Math.round((Date.parse(r.party_starts_at) - originalStart) / step) : 0,
    to: r.party_ends_at ? Math.round((Date.parse(r.party_ends_at) - originalStart) / step) : 0,
  }))
  const [accepted, setAccepted] = useState(false)
  const needsRules = amenity.rules_version > 0 && amenity.rules_text.trim() !== ''
  const staleRules = needsRules && !community.isAdmin && r.accepted_rules_version !== amenity.rules_version
  const event = isEventAmenity(amenity) || r.party_starts_at !== null

  const availability = useQuery({
    queryKey: [...keys.availability(community.id), amenity.id, date, r.id],
    queryFn: () =>
      unwrap(
        reservationsGetAvailability({
          path: { community_id: community.id, amenity_id: amenity.id },
          query: { date, exclude: r.id },
        }),
      ),
  })
  const slots = useMemo(() => availability.data?.slots ?? [], [availability.data])

  // Start times of the day, each with what keeps it from being booked (its own start never does).
  const starts = useMemo(() => {
    const list = startClocks(amenity, date).filter((c) => endOptions(amenity, zonedToInstant(date, c, tz), tz, 1).length > 0)
    if (date === original.date && !list.includes(originalClock)) list.push(originalClock)
    const byStart = new Map(slots.map((s) => [Date.parse(s.starts_at), s]))
    return list.sort().flatMap((c) => {
      const at = zonedToInstant(date, c, tz)
      const slot = byStart.get(at.getTime())
      const own = at.getTime() === originalStart
      if (slot?.reason === 'reservation.in_past' && !own) return []
      const fits = own || !slot || slotFits(slot, people.headcount, amenity.mode)
      const note = !slot
        ? ''
        : !fits
          ? ` — ${(slot.reason && SLOT_REASONS[slot.reason]) || (slot.available ? 'Full' : 'Unavailable')}`
          : amenity.mode === 'capacity'
            ? ` — ${placesLeft(slot.remaining, amenity.capacity)}`
            : ''
      return [{ clock: c, at, free: fits, label: `${formatTime(at, tz)}${note}` }]
    })
  }, [amenity, date, tz, original.date, originalClock, originalStart, slots, people.headcount])
  // A chosen time that turns out taken stays chosen, marked, until another is picked.
  const chosen = starts.find((s) => s.clock === clock) ?? starts.find((s) => s.free) ?? null
  const startMs = chosen ? chosen.at.getTime() : null
  const start = startMs === null ? null : new Date(startMs)

  const ends = useMemo(() => {
    if (startMs === null) return []
    const options = endOptions(amenity, new Date(startMs), tz)
    // Keep the booking's own end on offer even where the rules changed since it was made.
    if (startMs === originalStart && !options.some((o) => o.minutes === originalMinutes)) {
      const end = new Date(r.ends_at)
      options.unshift({ end, minutes: originalMinutes, label: `${formatTime(end, tz)} (as booked)` })
    }
    return options.map((o) => {
      const conflict = conflictWithin(slots, startMs, o.end.getTime(), people.headcount, amenity.mode)
      const why = conflict && ((conflict.reason && SLOT_REASONS[conflict.reason]) || 'Full')
      return { ...o, free: !conflict, label: why ? `${o.label} — ${why}` : o.label }
    })
  }, [amenity, startMs, tz, originalStart, r.ends_at, originalMinutes, slots, people.headcount])
  const chosenEnd = ends.find((o) => o.minutes === minutes) ?? ends.find((o) => o.free) ?? null
  const taken = Boolean((chosen && !chosen.free) || (chosenEnd && !chosenEnd.free))
  const partySteps = chosenEnd ? Math.round(chosenEnd.minutes / amenity.slot_minutes) : 0
  const partyFrom = Math.min(party.from, partySteps - 1)
  const partyTo = Math.min(Math.max(party.to || partySteps, partyFrom + 1), partySteps)
  const partyTimes =
    start && event && party.on && partySteps >= 1
      ? { starts: new Date(start.getTime() + partyFrom * step), ends: new Date(start.getTime() + partyTo * step) }
      : null

  // No time on a closed day: nothing to send until one is picked.
  const body =
    start && chosenEnd
      ? changes(r, start, chosenEnd, partyTimes, people, staleRules ? (accepted ? amenity.rules_version : null) : null)
      : {}
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
    // Someone may have taken the time meanwhile: show the day as it is now.
    onError: () => void availability.refetch(),
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    if (empty) return
    change.mutate(body)
  }

  const id = (name: string) => `${name}-${r.id}`
  const prefix = `change-${r.id}-`
  const name = amenity.name
  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    set(value)
    change.reset()
  }
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
            onChange={(e) => e.target.value && edit(setDate)(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={id('change-start')}>Start</label>
          <select id={id('change-start')} value={chosen?.clock ?? ''} onChange={(e) => edit(setClock)(e.target.value)}>
            {starts.length === 0 ? <option value="">Closed this day</option> : null}
            {starts.map((s) => (
              <option key={s.clock} value={s.clock} disabled={!s.free}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={id('change-end')}>Until</label>
          <select id={id('change-end')} value={chosenEnd?.minutes ?? ''} onChange={(e) => edit(setMinutes)(Number(e.target.value))}>
            {ends.map((o) => (
              <option key={o.minutes} value={o.minutes} disabled={!o.free}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {availability.isPending ? <Loading label="Looking for taken times…" /> : null}
      <ErrorNotice error={availability.error} />
      {start && event ? (
        <PartyTimes
          amenity={amenity}
          tz={tz}
          start={start}
          steps={partySteps}
          party={{ on: party.on, from: partyFrom, to: partyTo }}
          onParty={edit(setParty)}
          idPrefix={prefix}
        />
      ) : null}
      <PeopleFields amenity={amenity} people={people} onChange={edit(setPeople)} idPrefix={prefix} />
      {staleRules ? (
        <div className="checkbox field">
          <input id={id('change-rules')} type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} required />
          <label htmlFor={id('change-rules')}>I have read and accept the current rules of the {name}</label>
        </div>
      ) : null}
      <p className="small muted" aria-live="polite" style={{ marginTop: 0 }}>
        {taken
          ? 'That time is not free: pick another.'
          : start && chosenEnd
            ? `New time: ${formatRange(start, chosenEnd.end, tz)}.`
            : 'Pick a day the amenity is open.'}
        {amenity.requires_approval && !community.isAdmin && r.status === 'confirmed' && (retimed || body.headcount !== undefined)
          ? ' The board reviews the change again.'
          : ''}
      </p>
      <ErrorNotice error={change.error} />
      <div className="row">
        <button type="submit" className="btn" disabled={empty || taken || change.isPending || offline || (staleRules && !accepted)}>
          {change.isPending ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="btn btn--secondary" onClick={onClose}>
          Keep as it is
        </button>
      </div>
    </form>
  )
}
