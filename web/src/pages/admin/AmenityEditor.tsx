import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent, type ReactNode } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { amenitiesCreateAmenity, amenitiesUpdateAmenity, type AmenityCreate, type AmenityRead, type BookingMode } from '../../api'
import { ErrorNotice, Loading, Notice, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { useAmenities, useCurrentCommunity } from '../../lib/queries'
import { WEEKDAY_NAMES, WEEKDAYS, type Weekday } from '../../lib/slots'

type Hours = Record<Weekday, [string, string][]>

interface Draft {
  name: string
  kind: string
  description: string
  hours: Hours
  slot_minutes: string
  min_duration_minutes: string
  max_duration_minutes: string
  max_days_ahead: string
  min_notice_minutes: string
  buffer_before_minutes: string
  buffer_after_minutes: string
  mode: BookingMode
  capacity: string
  max_headcount_per_household: string
  max_guests: string
  requires_approval: boolean
  cancellation_cutoff_hours: string
  cancellation_grace_minutes: string
  max_per_day: string
  max_per_week: string
  max_per_month: string
  max_upcoming: string
  overnight_allowed: boolean
  check_in_time: string
  check_out_time: string
  rules_text: string
  fee: string
  deposit: string
}

const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n))
const dollars = (cents: number) => (cents ? (cents / 100).toFixed(2) : '')

function draftOf(a: AmenityRead | undefined): Draft {
  const hours = Object.fromEntries(WEEKDAYS.map((d) => [d, (a?.hours[d] ?? (a ? [] : [['08:00', '20:00']])).map(([o, c]) => [o, c])])) as Hours
  return {
    name: a?.name ?? '',
    kind: a?.kind ?? '',
    description: a?.description ?? '',
    hours,
    slot_minutes: text(a?.slot_minutes ?? 60),
    min_duration_minutes: text(a?.min_duration_minutes ?? 60),
    max_duration_minutes: text(a?.max_duration_minutes ?? 120),
    max_days_ahead: text(a?.max_days_ahead ?? 14),
    min_notice_minutes: text(a?.min_notice_minutes ?? 0),
    buffer_before_minutes: text(a?.buffer_before_minutes ?? 0),
    buffer_after_minutes: text(a?.buffer_after_minutes ?? 0),
    mode: a?.mode ?? 'exclusive',
    capacity: text(a?.capacity ?? 1),
    max_headcount_per_household: text(a?.max_headcount_per_household),
    max_guests: text(a?.max_guests),
    requires_approval: a?.requires_approval ?? false,
    cancellation_cutoff_hours: text(a?.cancellation_cutoff_hours ?? 0),
    cancellation_grace_minutes: text(a?.cancellation_grace_minutes ?? 15),
    max_per_day: text(a?.max_per_day),
    max_per_week: text(a?.max_per_week),
    max_per_month: text(a?.max_per_month),
    max_upcoming: text(a?.max_upcoming),
    overnight_allowed: a?.overnight_allowed ?? false,
    check_in_time: a?.check_in_time ?? '',
    check_out_time: a?.check_out_time ?? '',
    rules_text: a?.rules_text ?? '',
    fee: dollars(a?.fee_cents ?? 0),
    deposit: dollars(a?.deposit_cents ?? 0),
  }
}

const int = (s: string, fallback = 0) => (s.trim() === '' ? fallback : Math.round(Number(s)))
const optionalInt = (s: string) => (s.trim() === '' ? null : Math.round(Number(s)))
const cents = (s: string) => (s.trim() === '' ? 0 : Math.round(Number(s) * 100))

function toBody(d: Draft): AmenityCreate {
  return {
    name: d.name.trim(),
    // Blank clears it (the API trims it too).
    kind: d.kind.trim() || null,
    description: d.description,
    hours: Object.fromEntries(WEEKDAYS.filter((w) => d.hours[w].length).map((w) => [w, d.hours[w]])),
    slot_minutes: int(d.slot_minutes, 60),
    min_duration_minutes: int(d.min_duration_minutes, 60),
    max_duration_minutes: int(d.max_duration_minutes, 60),
    max_days_ahead: int(d.max_days_ahead, 14),
    min_notice_minutes: int(d.min_notice_minutes),
    buffer_before_minutes: int(d.buffer_before_minutes),
    buffer_after_minutes: int(d.buffer_after_minutes),
    mode: d.mode,
    capacity: int(d.capacity, 1),
    max_headcount_per_household: optionalInt(d.max_headcount_per_household),
    max_guests: optionalInt(d.max_guests),
    requires_approval: d.requires_approval,
    cancellation_cutoff_hours: int(d.cancellation_cutoff_hours),
    cancellation_grace_minutes: int(d.cancellation_grace_minutes),
    max_per_day: optionalInt(d.max_per_day),
    max_per_week: optionalInt(d.max_per_week),
    max_per_month: optionalInt(d.max_per_month),
    max_upcoming: optionalInt(d.max_upcoming),
    overnight_allowed: d.overnight_allowed,
    // Stay times only for overnight amenities, both or neither (the API refuses the rest).
    check_in_time: d.overnight_allowed ? d.check_in_time || null : null,
    check_out_time: d.overnight_allowed ? d.check_out_time || null : null,
    rules_text: d.rules_text,
    fee_cents: cents(d.fee),
    deposit_cents: cents(d.deposit),
  }
}

export default function AmenityEditor() {
  const community = useCurrentCommunity()
  const { amenityId } = useParams()
  const amenities = useAmenities(community.id, true)
  const amenity = amenities.data?.find((a) => a.id === amenityId)
  if (amenityId && amenities.isPending) return <Loading />
  if (amenityId && !amenity) {
    return (
      <>
        <PageHeader title="Amenity not found" />
        <ErrorNotice error={amenities.error} />
        <Link to="..">Back to amenities</Link>
      </>
    )
  }
  const kinds = [...new Set((amenities.data ?? []).flatMap((a) => (a.kind ? [a.kind] : [])))].sort()
  return <Editor key={amenity?.id ?? 'new'} amenity={amenity} communityId={community.id} kinds={kinds} />
}

function NumberField({ id, label, hint, value, onChange, min = 0, step, unit }: { id: string; label: string; hint?: ReactNode; value: string; onChange: (v: string) => void; min?: number; step?: number; unit?: string }) {
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {unit ? <span className="muted"> ({unit})</span> : null}
      </label>
      <input id={id} type="number" inputMode="decimal" min={min} step={step} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={hint ? `${id}-hint` : undefined} />
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  )
}

function Editor({ amenity, communityId, kinds }: { amenity: AmenityRead | undefined; communityId: string; kinds: string[] }) {
  const [d, setD] = useState<Draft>(() => draftOf(amenity))
  const [saved, setSaved] = useState(false)
  const qc = useQueryClient()
  const navigate = useNavigate()
  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]) => {
    setSaved(false)
    setD((prev) => ({ ...prev, [key]: value }))
  }
  const save = useMutation({
    mutationFn: (body: AmenityCreate) =>
      amenity
        ? unwrap(amenitiesUpdateAmenity({ path: { community_id: communityId, amenity_id: amenity.id }, body }))
        : unwrap(amenitiesCreateAmenity({ path: { community_id: communityId }, body })),
    onSuccess: async (result) => {
      await qc.invalidateQueries({ queryKey: ['amenities', communityId] })
      setSaved(true)
      if (!amenity) navigate(`../${result.id}`, { replace: true, relative: 'path' })
    },
  })

  function setRange(day: Weekday, index: number, part: 0 | 1, value: string) {
    const ranges = d.hours[day].map((r, i) => (i === index ? ((part === 0 ? [value, r[1]] : [r[0], value]) as [string, string]) : r))
    set('hours')({ ...d.hours, [day]: ranges })
  }

  function submit(e: FormEvent) {
    e.preventDefault()
    save.mutate(toBody(d))
  }

  const num = (key: keyof Draft) => ({ value: d[key] as string, onChange: set(key) as (v: string) => void })

  return (
    <form onSubmit={submit}>
      <PageHeader title={amenity ? `Edit ${amenity.name}` : 'New amenity'} lead={amenity ? `Rules version ${amenity.rules_version}` : undefined}>
        <Link className="btn btn--secondary" to=".." relative="path">
          Back
        </Link>
        <button type="submit" className="btn" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
      </PageHeader>
      <ErrorNotice error={save.error} />
      {saved ? <Notice kind="ok" title="Saved." /> : null}

      <fieldset>
        <legend>About</legend>
        <div className="field">
          <label htmlFor="name">Name</label>
          <input id="name" type="text" required maxLength={200} value={d.name} onChange={(e) => set('name')(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="kind">Kind</label>
          <input id="kind" type="text" maxLength={60} list="kinds" value={d.kind} onChange={(e) => set('kind')(e.target.value)} aria-describedby="kind-hint" />
          <datalist id="kinds">
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </datalist>
          <span className="hint" id="kind-hint">
            What it is, e.g. “Tennis court”. Give interchangeable amenities the same kind: residents can then ask for the next free time of any of them.
          </span>
        </div>
        <div className="field">
          <label htmlFor="description">Description</label>
          <textarea id="description" maxLength={5000} value={d.description} onChange={(e) => set('description')(e.target.value)} />
        </div>
      </fieldset>

      <fieldset>
        <legend>Opening hours</legend>
        <p className="hint">Local time of the community. A day without hours is closed.</p>
        {WEEKDAYS.map((day) => (
          <div key={day} className="hours-row" role="group" aria-label={WEEKDAY_NAMES[day]}>
            <strong style={{ width: '6.5rem' }}>{WEEKDAY_NAMES[day]}</strong>
            {d.hours[day].length === 0 ? <span className="muted">Closed</span> : null}
            {d.hours[day].map(([open, close], i) => (
              <span key={i} className="row">
                <label className="visually-hidden" htmlFor={`${day}-${i}-open`}>
                  {WEEKDAY_NAMES[day]} opens
                </label>
                <input id={`${day}-${i}-open`} type="time" value={open} step={300} onChange={(e) => setRange(day, i, 0, e.target.value)} />
                <span aria-hidden="true">–</span>
                <label className="visually-hidden" htmlFor={`${day}-${i}-close`}>
                  {WEEKDAY_NAMES[day]} closes
                </label>
                <input
                  id={`${day}-${i}-close`}
                  type="time"
                  value={close === '24:00' ? '23:59' : close}
                  step={300}
                  onChange={(e) => setRange(day, i, 1, e.target.value === '23:59' ? '24:00' : e.target.value)}
                />
                <button
                  type="button"
                  className="btn btn--ghost btn--small"
                  onClick={() => set('hours')({ ...d.hours, [day]: d.hours[day].filter((_, j) => j !== i) })}
                  aria-label={`Remove ${WEEKDAY_NAMES[day]} ${open}–${close}`}
                >
                  Remove
                </button>
              </span>
            ))}
            <button
              type="button"
              className="btn btn--ghost btn--small"
              onClick={() => set('hours')({ ...d.hours, [day]: [...d.hours[day], ['09:00', '17:00']] })}
              aria-label={`Add hours on ${WEEKDAY_NAMES[day]}`}
            >
              Add hours
            </button>
          </div>
        ))}
        <button
          type="button"
          className="btn btn--secondary btn--small"
          style={{ margin: '0.5rem 0 0.75rem' }}
          onClick={() => set('hours')(Object.fromEntries(WEEKDAYS.map((w) => [w, d.hours.mon.map((r) => [...r])])) as Hours)}
        >
          Copy Monday's hours to every day
        </button>
      </fieldset>

      <fieldset>
        <legend>Booking times</legend>
        <div className="form-grid">
          <NumberField id="slot" label="Start times every" unit="minutes" min={5} {...num('slot_minutes')} hint="Bookings start and end on this grid." />
          <NumberField id="min-duration" label="Shortest booking" unit="minutes" min={5} {...num('min_duration_minutes')} />
          <NumberField id="max-duration" label="Longest booking" unit="minutes" min={5} {...num('max_duration_minutes')} />
          <NumberField id="days-ahead" label="Bookable up to" unit="days ahead" {...num('max_days_ahead')} />
          <NumberField id="notice" label="Minimum notice" unit="minutes" {...num('min_notice_minutes')} />
          <NumberField id="buffer-before" label="Buffer before" unit="minutes" {...num('buffer_before_minutes')} hint="Kept free before each booking." />
          <NumberField id="buffer-after" label="Buffer after" unit="minutes" {...num('buffer_after_minutes')} hint="Kept free after each booking (cleaning)." />
          <NumberField id="cutoff" label="Cancellation cutoff" unit="hours before" {...num('cancellation_cutoff_hours')} />
          <NumberField id="grace" label="Cancellation grace period" unit="minutes after booking" {...num('cancellation_grace_minutes')} hint="Residents can still cancel a booking this long after making it, even inside the cutoff." />
        </div>
        <div className="checkbox field">
          <input id="overnight" type="checkbox" checked={d.overnight_allowed} onChange={(e) => set('overnight_allowed')(e.target.checked)} />
          <label htmlFor="overnight">Bookings may run overnight (guest suites)</label>
        </div>
        {d.overnight_allowed ? (
          <div className="form-grid">
            <div className="field">
              <label htmlFor="check-in">Check-in time</label>
              <input id="check-in" type="time" value={d.check_in_time} onChange={(e) => set('check_in_time')(e.target.value)} aria-describedby="stay-hint" />
            </div>
            <div className="field">
              <label htmlFor="check-out">Check-out time</label>
              <input id="check-out" type="time" value={d.check_out_time} onChange={(e) => set('check_out_time')(e.target.value)} aria-describedby="stay-hint" />
            </div>
            <p className="hint small muted" id="stay-hint">
              With both, residents book stays: from check-in to check-out, a number of nights later.
            </p>
          </div>
        ) : null}
        <div className="checkbox field">
          <input id="approval" type="checkbox" checked={d.requires_approval} onChange={(e) => set('requires_approval')(e.target.checked)} />
          <label htmlFor="approval">An admin approves each request</label>
        </div>
      </fieldset>

      <fieldset>
        <legend>People</legend>
        <div className="field">
          <label htmlFor="mode">Booking mode</label>
          <select id="mode" value={d.mode} onChange={(e) => set('mode')(e.target.value as BookingMode)}>
            <option value="exclusive">Private: one household at a time</option>
            <option value="capacity">Shared: several households up to a capacity</option>
          </select>
        </div>
        <div className="form-grid">
          {d.mode === 'capacity' ? <NumberField id="capacity" label="Capacity" unit="people at a time" min={1} {...num('capacity')} /> : null}
          <NumberField id="household-people" label="People per household" hint="Empty: no limit." min={1} {...num('max_headcount_per_household')} />
          <NumberField id="max-guests" label="Guests per booking" hint="Empty: no limit." {...num('max_guests')} />
        </div>
      </fieldset>

      <fieldset>
        <legend>Household limits</legend>
        <p className="hint">Empty: no limit.</p>
        <div className="form-grid">
          <NumberField id="per-day" label="Bookings per day" min={1} {...num('max_per_day')} />
          <NumberField id="per-week" label="Bookings per week" min={1} {...num('max_per_week')} />
          <NumberField id="per-month" label="Bookings per month" min={1} {...num('max_per_month')} />
          <NumberField id="upcoming" label="Upcoming bookings at once" min={1} {...num('max_upcoming')} />
        </div>
      </fieldset>

      <fieldset>
        <legend>Rules and fees</legend>
        <div className="field">
          <label htmlFor="rules">Rules residents must accept</label>
          <textarea id="rules" rows={8} maxLength={20000} value={d.rules_text} onChange={(e) => set('rules_text')(e.target.value)} aria-describedby="rules-hint" />
          <span className="hint" id="rules-hint">
            Changing the text makes a new version; residents accept it on their next booking.
          </span>
        </div>
        <div className="form-grid">
          <NumberField id="fee" label="Fee" unit="$" step={0.01} {...num('fee')} />
          <NumberField id="deposit" label="Refundable deposit" unit="$" step={0.01} {...num('deposit')} />
        </div>
      </fieldset>
      <button type="submit" className="btn" disabled={save.isPending}>
        {save.isPending ? 'Saving…' : 'Save'}
      </button>
    </form>
  )
}
