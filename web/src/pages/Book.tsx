import { useMutation, useQuery } from '@tanstack/react-query'
import { useMemo, useRef, useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import {
  membersListMembers,
  reservationsCheckReservation,
  reservationsCreateReservation,
  reservationsGetAvailability,
  type AmenityRead,
  type ReservationCreate,
  type ReservationRead,
  type SlotRead,
} from '../api'
import { Empty, ErrorNotice, Loading, Notice, PageHeader, StatusBadge } from '../components/ui'
import { ApiError, explain } from '../lib/errors'
import { randomKey, useDebounced } from '../lib/hooks'
import { unwrap } from '../lib/http'
import { useOffline } from '../lib/offline'
import { keys, useAmenities, useCurrentCommunity, useInvalidateBookings, type CommunityContext } from '../lib/queries'
import { downloadReservationIcs } from '../lib/reservationIcs'
import { endOptions, feeSummary, isEventAmenity, peopleLimits, ruleFacts } from '../lib/slots'
import { addDays, describeTimeZone, formatDuration, formatLocalDate, formatRange, formatTime, todayIn, wallTime } from '../lib/time'

const SLOT_REASONS: Record<string, string> = {
  'reservation.slot_taken': 'Taken',
  'reservation.capacity_full': 'Full',
  'reservation.blackout': 'Closed',
  'reservation.too_little_notice': 'Too soon',
  'reservation.too_far_ahead': 'Too far ahead',
}

export default function Book() {
  const community = useCurrentCommunity()
  const [params, setParams] = useSearchParams()
  const amenities = useAmenities(community.id)
  const [onBehalf, setOnBehalf] = useState('')
  const amenityId = params.get('amenity') ?? ''
  const amenity = amenities.data?.find((a) => a.id === amenityId)

  function chooseAmenity(id: string) {
    const next = new URLSearchParams(params)
    if (id) next.set('amenity', id)
    else next.delete('amenity')
    setParams(next, { replace: true })
  }

  return (
    <>
      <PageHeader title={amenity ? `Book ${amenity.name}` : 'Book an amenity'} lead={`Times in ${describeTimeZone(community.timezone)}`}>
        {amenity ? (
          <button type="button" className="btn btn--secondary btn--small" onClick={() => chooseAmenity('')}>
            Choose another amenity
          </button>
        ) : null}
      </PageHeader>
      {community.isAdmin ? <OnBehalfPicker community={community} value={onBehalf} onChange={setOnBehalf} /> : null}
      {amenities.isPending ? <Loading /> : null}
      <ErrorNotice error={amenities.error} />
      {amenities.data && !amenity ? (
        <section aria-labelledby="choose-heading">
          <h2 id="choose-heading">Which amenity?</h2>
          {amenities.data.length === 0 ? <Empty>This community has no amenities yet.</Empty> : null}
          <div className="grid">
            {amenities.data.map((a) => (
              <article className="card amenity-card" key={a.id}>
                <h3>{a.name}</h3>
                <p className="small">{a.description}</p>
                <p className="small muted">{feeSummary(a)}</p>
                <div className="actions">
                  <button type="button" className="btn btn--small" onClick={() => chooseAmenity(a.id)} aria-label={`Book ${a.name}`}>
                    Book
                  </button>
                </div>
              </article>
            ))}
          </div>
        </section>
      ) : null}
      {amenity ? (
        <BookingForm
          key={`${amenity.id}:${onBehalf}`}
          community={community}
          amenity={amenity}
          initialDate={params.get('date')}
          onBehalf={onBehalf}
          onDateChange={(date) => {
            const next = new URLSearchParams(params)
            next.set('date', date)
            setParams(next, { replace: true })
          }}
        />
      ) : null}
    </>
  )
}

function OnBehalfPicker({ community, value, onChange }: { community: CommunityContext; value: string; onChange: (id: string) => void }) {
  const members = useQuery({
    queryKey: ['members', community.id, 'active-all'],
    queryFn: () => unwrap(membersListMembers({ path: { community_id: community.id }, query: { status: 'active', limit: 200 } })),
    staleTime: 5 * 60_000,
  })
  const sorted = [...(members.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name))
  return (
    <div className="field" style={{ maxWidth: '28rem' }}>
      <label htmlFor="on-behalf">Book for</label>
      <select id="on-behalf" value={value} onChange={(e) => onChange(e.target.value)} aria-describedby="on-behalf-hint">
        <option value="">Myself ({community.membership.household?.label ?? 'no household'})</option>
        {sorted
          .map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} · {m.household_label ?? 'no household'}
            </option>
          ))}
      </select>
      <span className="hint" id="on-behalf-hint">
        Admins can book on behalf of a resident; the booking counts for their household.
      </span>
    </div>
  )
}

interface FormProps {
  community: CommunityContext
  amenity: AmenityRead
  initialDate: string | null
  onBehalf: string
  onDateChange: (date: string) => void
}

function BookingForm({ community, amenity, initialDate, onBehalf, onDateChange }: FormProps) {
  const tz = community.timezone
  const today = todayIn(tz)
  const lastDay = addDays(today, amenity.max_days_ahead)
  const clamp = (d: string | null) => (!d || d < today ? today : d > lastDay ? lastDay : d)
  const [date, setDateState] = useState(() => clamp(initialDate))
  const [start, setStart] = useState<string | null>(null)
  const [minutes, setMinutes] = useState<number | null>(null)
  const { maxPeople } = peopleLimits(amenity)
  const [headcount, setHeadcount] = useState(1)
  const [guests, setGuests] = useState(0)
  const [title, setTitle] = useState('')
  const [notes, setNotes] = useState('')
  const [party, setParty] = useState(false)
  const [partyFrom, setPartyFrom] = useState(0)
  const [partyTo, setPartyTo] = useState(0)
  const [accepted, setAccepted] = useState(false)
  const [done, setDone] = useState<ReservationRead | null>(null)
  const { offline } = useOffline()
  const invalidate = useInvalidateBookings(community.id)
  const needsRules = amenity.rules_version > 0 && amenity.rules_text.trim() !== ''
  const event = isEventAmenity(amenity)
  const maxGuests = Math.min(amenity.max_guests ?? headcount, headcount)

  function setDate(d: string) {
    const next = clamp(d)
    setDateState(next)
    setStart(null)
    setMinutes(null)
    onDateChange(next)
  }

  const availability = useQuery({
    queryKey: [...keys.availability(community.id), amenity.id, date],
    queryFn: () =>
      unwrap(reservationsGetAvailability({ path: { community_id: community.id, amenity_id: amenity.id }, query: { date } })),
  })
  const slots = (availability.data?.slots ?? []).filter((s) => s.reason !== 'reservation.in_past')

  const startDate = start ? new Date(start) : null
  const ends = useMemo(() => (start ? endOptions(amenity, new Date(start), tz) : []), [amenity, start, tz])
  const chosenEnd = ends.find((o) => o.minutes === minutes) ?? ends[0] ?? null
  const partySteps = chosenEnd ? Math.round(chosenEnd.minutes / amenity.slot_minutes) : 0

  function pickSlot(slot: SlotRead) {
    setStart(slot.starts_at)
    const opts = endOptions(amenity, new Date(slot.starts_at), tz)
    const same = opts.find((o) => o.minutes === minutes)
    setMinutes(same?.minutes ?? opts[0]?.minutes ?? null)
    setPartyFrom(0)
    setPartyTo(0)
  }

  const body: ReservationCreate | null = (() => {
    if (!startDate || !chosenEnd) return null
    const step = amenity.slot_minutes * 60000
    const partyOn = event && party && partySteps >= 1
    const from = Math.min(partyFrom, partySteps - 1)
    const to = Math.max(partyTo || partySteps, from + 1)
    return {
      amenity_id: amenity.id,
      starts_at: startDate.toISOString(),
      ends_at: chosenEnd.end.toISOString(),
      party_starts_at: partyOn ? new Date(startDate.getTime() + from * step).toISOString() : null,
      party_ends_at: partyOn ? new Date(startDate.getTime() + Math.min(to, partySteps) * step).toISOString() : null,
      headcount,
      guests: Math.min(guests, headcount),
      title: title.trim(),
      notes: notes.trim(),
      accepted_rules_version: needsRules ? (accepted ? amenity.rules_version : null) : amenity.rules_version,
      on_behalf_of_member_id: onBehalf || null,
    }
  })()

  // The dry run ignores text fields and rules acceptance: re-check only when the slot or party changes.
  const checkKey = body
    ? JSON.stringify({ ...body, title: '', notes: '', accepted_rules_version: null })
    : null
  const debouncedKey = useDebounced(checkKey, 250)
  const check = useQuery({
    queryKey: ['check', community.id, debouncedKey],
    queryFn: () =>
      unwrap(
        reservationsCheckReservation({
          path: { community_id: community.id },
          body: JSON.parse(debouncedKey as string) as ReservationCreate,
        }),
      ),
    enabled: Boolean(debouncedKey) && !offline,
    staleTime: 0,
    gcTime: 30_000,
    retry: false,
  })

  // One Idempotency-Key per booking attempt: a retry of the same request (double click, flaky
  // network) cannot book twice, while a changed request is a new booking.
  const attempt = useRef<{ request: string; key: string } | null>(null)
  const create = useMutation({
    mutationFn: ({ data, key }: { data: ReservationCreate; key: string }) =>
      unwrap(
        reservationsCreateReservation({
          path: { community_id: community.id },
          body: data,
          headers: { 'Idempotency-Key': key },
        }),
      ),
    onSuccess: async (reservation) => {
      setDone(reservation)
      await invalidate()
    },
    onError: () => {
      void availability.refetch()
      void check.refetch()
    },
  })

  function applySuggestion(s: SlotRead) {
    const w = wallTime(s.starts_at, tz)
    if (w.date !== date) {
      setDateState(w.date)
      onDateChange(w.date)
    }
    setStart(s.starts_at)
    setMinutes(Math.round((Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000))
    create.reset()
  }

  function submit(e: FormEvent) {
    e.preventDefault()
    if (!body) return
    const request = JSON.stringify(body)
    if (attempt.current?.request !== request) attempt.current = { request, key: randomKey() }
    create.mutate({ data: body, key: attempt.current.key })
  }

  if (done) {
    return <Confirmation reservation={done} amenity={amenity} community={community} />
  }

  const refused = check.data && !check.data.allowed ? check.data : null
  const readyToSubmit = Boolean(body) && (!needsRules || accepted) && !offline && !create.isPending

  return (
    <form className="booking-layout" onSubmit={submit} aria-label={`Book ${amenity.name}`}>
      <div className="steps">
        <section className="card step" aria-labelledby="step-time">
          <h2 id="step-time">Pick a day and time</h2>
          <div className="day-picker">
            <button type="button" className="btn btn--secondary" onClick={() => setDate(addDays(date, -1))} disabled={date <= today} >
              <span aria-hidden="true">‹</span>
              <span className="visually-hidden">Previous day</span>
            </button>
            <div className="field">
              <label htmlFor="date">Day</label>
              <input id="date" type="date" min={today} max={lastDay} value={date} required onChange={(e) => e.target.value && setDate(e.target.value)} />
            </div>
            <button type="button" className="btn btn--secondary" onClick={() => setDate(addDays(date, 1))} disabled={date >= lastDay} >
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
                    disabled={!s.available}
                    onClick={() => pickSlot(s)}
                  >
                    {formatTime(s.starts_at, tz)}
                    <small>
                      {s.available ? (amenity.mode === 'capacity' ? `${s.remaining} places left` : 'Free') : (SLOT_REASONS[s.reason ?? ''] ?? 'Unavailable')}
                    </small>
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
          {startDate ? (
            <div className="field" style={{ marginTop: '1rem', maxWidth: '24rem' }}>
              <label htmlFor="end">Until</label>
              <select id="end" value={chosenEnd?.minutes ?? ''} onChange={(e) => setMinutes(Number(e.target.value))}>
                {ends.map((o) => (
                  <option key={o.minutes} value={o.minutes}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          {startDate && event ? (
            <fieldset>
              <legend>Party times</legend>
              <div className="checkbox field">
                <input id="party" type="checkbox" checked={party} onChange={(e) => setParty(e.target.checked)} />
                <label htmlFor="party">My booking includes setup and cleanup time around the party</label>
              </div>
              {party ? (
                <div className="form-grid">
                  <div className="field">
                    <label htmlFor="party-from">Party starts</label>
                    <select id="party-from" value={partyFrom} onChange={(e) => setPartyFrom(Number(e.target.value))}>
                      {Array.from({ length: partySteps }, (_, i) => (
                        <option key={i} value={i}>
                          {formatTime(new Date(startDate.getTime() + i * amenity.slot_minutes * 60000), tz)}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div className="field">
                    <label htmlFor="party-to">Party ends</label>
                    <select id="party-to" value={partyTo || partySteps} onChange={(e) => setPartyTo(Number(e.target.value))}>
                      {Array.from({ length: partySteps }, (_, i) => i + 1)
                        .filter((i) => i > partyFrom)
                        .map((i) => (
                          <option key={i} value={i}>
                            {formatTime(new Date(startDate.getTime() + i * amenity.slot_minutes * 60000), tz)}
                          </option>
                        ))}
                    </select>
                  </div>
                </div>
              ) : null}
            </fieldset>
          ) : null}
        </section>

        <section className="card step" aria-labelledby="step-who">
          <h2 id="step-who">Who's coming</h2>
          <div className="form-grid">
            <div className="field">
              <label htmlFor="headcount">People, guests included</label>
              <input
                id="headcount"
                type="number"
                inputMode="numeric"
                min={1}
                max={maxPeople}
                value={headcount}
                onChange={(e) => setHeadcount(Math.max(1, Math.min(maxPeople, Number(e.target.value) || 1)))}
                aria-describedby="headcount-hint"
              />
              <span className="hint" id="headcount-hint">
                At most {maxPeople}.
              </span>
            </div>
            <div className="field">
              <label htmlFor="guests">Of them, guests</label>
              <input
                id="guests"
                type="number"
                inputMode="numeric"
                min={0}
                max={maxGuests}
                value={Math.min(guests, maxGuests)}
                onChange={(e) => setGuests(Math.max(0, Math.min(maxGuests, Number(e.target.value) || 0)))}
                aria-describedby="guests-hint"
              />
              <span className="hint" id="guests-hint">
                People who don't live in the community{amenity.max_guests !== null ? `; at most ${amenity.max_guests}` : ''}.
              </span>
            </div>
          </div>
          <div className="field">
            <label htmlFor="title">Occasion (optional)</label>
            <input id="title" type="text" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="e.g. Birthday party" />
          </div>
          <div className="field">
            <label htmlFor="notes">Notes for the office (optional)</label>
            <textarea id="notes" maxLength={2000} value={notes} onChange={(e) => setNotes(e.target.value)} />
          </div>
        </section>

        <section className="card step" aria-labelledby="step-rules">
          <h2 id="step-rules">Rules</h2>
          <ul className="facts">
            {ruleFacts(amenity).map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
          {needsRules ? (
            <>
              <div className="rules-box" role="region" tabIndex={0} aria-label={`Rules of ${amenity.name}`} style={{ marginTop: '0.75rem' }}>
                {amenity.rules_text}
              </div>
              <div className="checkbox field" style={{ marginTop: '0.75rem' }}>
                <input id="accept-rules" type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} required />
                <label htmlFor="accept-rules">I have read and accept the rules of the {amenity.name}</label>
              </div>
            </>
          ) : null}
        </section>
      </div>

      <aside className="card summary" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Your booking</h2>
        <dl className="kv">
          <dt>Amenity</dt>
          <dd>{amenity.name}</dd>
          <dt>When</dt>
          <dd>{startDate && chosenEnd ? formatRange(startDate, chosenEnd.end, tz) : 'Pick a time'}</dd>
          {chosenEnd ? (
            <>
              <dt>Length</dt>
              <dd>{formatDuration(chosenEnd.minutes)}</dd>
            </>
          ) : null}
          <dt>People</dt>
          <dd>
            {headcount}
            {guests ? ` (${Math.min(guests, headcount)} ${Math.min(guests, headcount) === 1 ? 'guest' : 'guests'})` : ''}
          </dd>
          <dt>Cost</dt>
          <dd>{feeSummary(amenity)}</dd>
        </dl>
        <div aria-live="polite" style={{ marginTop: '1rem' }}>
          {!body ? <p className="muted small">Pick a start time to check that you can book it.</p> : null}
          {body && (check.isFetching || checkKey !== debouncedKey) ? <Loading label="Checking…" /> : null}
          {body && !check.isFetching && checkKey === debouncedKey && check.data?.allowed ? (
            <Notice kind="ok" title="This time is free for you.">
              {amenity.requires_approval ? <p>The board reviews requests for the {amenity.name}.</p> : null}
            </Notice>
          ) : null}
          {body && !check.isFetching && checkKey === debouncedKey && refused?.violation ? (
            <Refusal code={refused.violation.code} message={refused.violation.message} suggestion={refused.suggestion} tz={tz} onUse={applySuggestion} />
          ) : null}
          <ErrorNotice error={check.error} />
        </div>
        {create.error && !(create.error instanceof ApiError && refused?.violation?.code === create.error.code) ? (
          <ErrorNotice error={create.error}>
            {create.error instanceof ApiError && refused?.suggestion ? (
              <SuggestionButton suggestion={refused.suggestion} tz={tz} onUse={applySuggestion} />
            ) : null}
          </ErrorNotice>
        ) : null}
        {offline ? <Notice kind="warn" title="You're offline." >Booking needs a connection.</Notice> : null}
        {needsRules && !accepted && body ? <p className="small muted">Accept the rules to continue.</p> : null}
        <button className="btn btn--block" type="submit" disabled={!readyToSubmit}>
          {create.isPending ? 'Booking…' : amenity.requires_approval ? 'Send booking request' : 'Confirm booking'}
        </button>
      </aside>
    </form>
  )
}

function SuggestionButton({ suggestion, tz, onUse }: { suggestion: SlotRead; tz: string; onUse: (s: SlotRead) => void }) {
  return (
    <p style={{ marginTop: '0.5rem' }}>
      <button type="button" className="btn btn--secondary btn--small" onClick={() => onUse(suggestion)}>
        Try {formatRange(suggestion.starts_at, suggestion.ends_at, tz)} instead
      </button>
    </p>
  )
}

function Refusal({
  code,
  message,
  suggestion,
  tz,
  onUse,
}: {
  code: string
  message: string
  suggestion: SlotRead | null | undefined
  tz: string
  onUse: (s: SlotRead) => void
}) {
  const { title, detail } = explain(new ApiError(409, code, message))
  return (
    <div className="notice notice--error" role="alert">
      <strong>{title}</strong>
      {detail ? <p>{detail}</p> : null}
      {suggestion ? (
        <>
          <p>The nearest free time is {formatRange(suggestion.starts_at, suggestion.ends_at, tz)}.</p>
          <SuggestionButton suggestion={suggestion} tz={tz} onUse={onUse} />
        </>
      ) : null}
    </div>
  )
}

function Confirmation({ reservation, amenity, community }: { reservation: ReservationRead; amenity: AmenityRead; community: CommunityContext }) {
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
          : `Cancel from My reservations if your plans change${amenity.cancellation_cutoff_hours ? ` (up to ${amenity.cancellation_cutoff_hours} hours before)` : ''}.`}
      </p>
      <div className="row">
        <Link className="btn" to={`/c/${community.id}/reservations`}>
          My reservations
        </Link>
        <button type="button" className="btn btn--secondary" onClick={() => downloadReservationIcs(reservation, amenity, community.name)}>
          Add to my calendar (.ics)
        </button>
        <Link className="btn btn--ghost" to={`/c/${community.id}/book`} reloadDocument={false} onClick={() => window.scrollTo(0, 0)}>
          Book something else
        </Link>
      </div>
    </section>
  )
}
