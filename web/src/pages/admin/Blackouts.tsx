import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import {
  blackoutsCreateBlackout,
  blackoutsDeleteBlackout,
  blackoutsListBlackouts,
  blackoutsUpdateBlackout,
  type BlackoutCreated,
  type BlackoutRead,
  type ReservationRead,
} from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { ErrorNotice, Notice, PageHeader, StatusBadge } from '../../components/ui'
import { ApiError } from '../../lib/errors'
import { unwrap } from '../../lib/http'
import { amenityMap, useAmenities, useCurrentCommunity, useInvalidateBookings, useMembersByUser } from '../../lib/queries'
import { addDays, describeTimeZone, formatRange, todayIn, wallIso, zonedToInstant } from '../../lib/time'

export default function Blackouts() {
  const community = useCurrentCommunity()
  const tz = community.timezone
  const qc = useQueryClient()
  const invalidateBookings = useInvalidateBookings(community.id)
  const amenities = useAmenities(community.id, true)
  const byId = amenityMap(amenities.data)
  const members = useMembersByUser(community.id).data
  const today = todayIn(tz)
  const [amenityId, setAmenityId] = useState('')
  const [startDate, setStartDate] = useState(today)
  const [startTime, setStartTime] = useState('08:00')
  const [endDate, setEndDate] = useState(today)
  const [endTime, setEndTime] = useState('18:00')
  const [reason, setReason] = useState('')
  const [conflicts, setConflicts] = useState<ReservationRead[] | null>(null)
  const [created, setCreated] = useState<BlackoutCreated | null>(null)
  // The closure being edited: the form then saves its new times and reason.
  const [editing, setEditing] = useState<BlackoutRead | null>(null)

  function edit(b: BlackoutRead) {
    const [from, to] = [wallIso(b.starts_at, tz), wallIso(b.ends_at, tz)]
    setEditing(b)
    setAmenityId(b.amenity_id ?? '')
    setStartDate(from.slice(0, 10))
    setStartTime(from.slice(11))
    setEndDate(to.slice(0, 10))
    setEndTime(to.slice(11))
    setReason(b.reason)
    setCreated(null)
    setConflicts(null)
    create.reset()
  }

  const list = useQuery({
    queryKey: ['blackouts', community.id],
    queryFn: () =>
      unwrap(blackoutsListBlackouts({ path: { community_id: community.id }, query: { end: undefined, start: new Date().toISOString() } })),
  })

  const create = useMutation({
    mutationFn: (cancelConflicts: boolean) => {
      const period = {
        starts_at: zonedToInstant(startDate, startTime, tz).toISOString(),
        ends_at: zonedToInstant(endDate, endTime, tz).toISOString(),
        reason: reason.trim(),
        cancel_conflicts: cancelConflicts,
      }
      return unwrap(
        editing
          ? blackoutsUpdateBlackout({ path: { community_id: community.id, blackout_id: editing.id }, body: period })
          : blackoutsCreateBlackout({ path: { community_id: community.id }, body: { amenity_id: amenityId || null, ...period } }),
      )
    },
    onSuccess: async (result) => {
      setCreated(result)
      setConflicts(null)
      setEditing(null)
      setReason('')
      await qc.invalidateQueries({ queryKey: ['blackouts', community.id] })
      await invalidateBookings()
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'blackout.conflicts') {
        setConflicts((error.details.reservations as ReservationRead[] | undefined) ?? [])
      }
    },
  })

  const remove = useMutation({
    mutationFn: (id: string) => unwrap(blackoutsDeleteBlackout({ path: { community_id: community.id, blackout_id: id } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['blackouts', community.id] }),
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    setCreated(null)
    setConflicts(null)
    create.mutate(false)
  }

  const conflictError = create.error instanceof ApiError && create.error.code === 'blackout.conflicts'

  return (
    <>
      <PageHeader title="Closures" lead={`Close an amenity (or all of them) for maintenance or events. Times in ${describeTimeZone(tz)}.`} />
      <form className="card" onSubmit={submit} aria-labelledby="new-closure">
        <h2 id="new-closure">{editing ? 'Change closure' : 'New closure'}</h2>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="closure-amenity">Amenity</label>
            <select id="closure-amenity" value={amenityId} disabled={Boolean(editing)} onChange={(e) => setAmenityId(e.target.value)}>
              <option value="">All amenities</option>
              {(amenities.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="closure-reason">Reason (residents see it)</label>
            <input id="closure-reason" type="text" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. Pool resurfacing" />
          </div>
        </div>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="closure-start-date">From (day)</label>
            <input
              id="closure-start-date"
              type="date"
              required
              value={startDate}
              onChange={(e) => {
                setStartDate(e.target.value)
                if (endDate < e.target.value) setEndDate(e.target.value)
              }}
            />
          </div>
          <div className="field">
            <label htmlFor="closure-start-time">From (time)</label>
            <input id="closure-start-time" type="time" required value={startTime} onChange={(e) => setStartTime(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="closure-end-date">Until (day)</label>
            <input id="closure-end-date" type="date" required min={startDate} value={endDate} onChange={(e) => setEndDate(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="closure-end-time">Until (time)</label>
            <input id="closure-end-time" type="time" required value={endTime} onChange={(e) => setEndTime(e.target.value)} />
          </div>
        </div>
        <div className="row">
          <button type="submit" className="btn" disabled={create.isPending}>
            {editing ? 'Save closure' : `Close ${amenityId ? byId.get(amenityId)?.name : 'all amenities'}`}
          </button>
          {editing ? (
            <button
              type="button"
              className="btn btn--secondary"
              onClick={() => {
                setEditing(null)
                setReason('')
                setConflicts(null)
                create.reset()
              }}
            >
              Stop editing
            </button>
          ) : null}
          <button
            type="button"
            className="btn btn--ghost"
            onClick={() => {
              setStartDate(addDays(today, 1))
              setEndDate(addDays(today, 1))
              setStartTime('00:00')
              setEndTime('23:59')
            }}
          >
            All day tomorrow
          </button>
        </div>
        {create.error && !conflictError ? <ErrorNotice error={create.error} /> : null}
        {conflicts ? (
          <div className="notice notice--warn" role="alert" style={{ marginTop: '1rem' }}>
            <strong>
              {conflicts.length === 1 ? '1 reservation falls' : `${conflicts.length} reservations fall`} in this closure.
            </strong>
            <p>Nothing was saved. Pick other times, or close anyway and cancel these reservations:</p>
            <ul className="facts">
              {conflicts.map((r) => (
                <li key={r.id}>
                  {byId.get(r.amenity_id)?.name ?? 'Amenity'}, {formatRange(r.starts_at, r.ends_at, tz)}
                  {members?.get(r.booked_for_id) ? ` · ${members.get(r.booked_for_id)?.name}` : ''} <StatusBadge status={r.status} />
                </li>
              ))}
            </ul>
            <div className="row" style={{ marginTop: '0.5rem' }}>
              <button type="button" className="btn btn--danger" disabled={create.isPending} onClick={() => create.mutate(true)}>
                {editing ? 'Save and cancel' : 'Close and cancel'}{' '}
                {conflicts.length === 1 ? 'the reservation' : `${conflicts.length} reservations`}
              </button>
              <button type="button" className="btn btn--secondary" onClick={() => setConflicts(null)}>
                Change the times
              </button>
            </div>
          </div>
        ) : null}
        {created ? (
          <Notice kind="ok" title="Closure saved.">
            {created.cancelled_reservations.length ? (
              <p>
                {created.cancelled_reservations.length === 1
                  ? '1 reservation was cancelled.'
                  : `${created.cancelled_reservations.length} reservations were cancelled.`}
              </p>
            ) : null}
          </Notice>
        ) : null}
      </form>

      <section aria-labelledby="closures-heading" style={{ marginTop: '1.5rem' }}>
        <h2 id="closures-heading">Current and upcoming closures</h2>
        <AdminTable
          pending={list.isPending}
          error={list.error ?? remove.error}
          rows={list.data}
          empty="No closures planned."
          columns={['Amenity', 'When', 'Reason']}
          actions
          renderRow={(b) => (
            <tr key={b.id}>
              <td>{b.amenity_id ? (byId.get(b.amenity_id)?.name ?? 'Amenity') : 'All amenities'}</td>
              <td>{formatRange(b.starts_at, b.ends_at, tz)}</td>
              <td>{b.reason}</td>
              <td>
                <button
                  type="button"
                  className="btn btn--secondary btn--small"
                  onClick={() => edit(b)}
                  aria-label={`Edit closure: ${b.reason}, ${formatRange(b.starts_at, b.ends_at, tz)}`}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="btn btn--ghost btn--small"
                  disabled={remove.isPending}
                  onClick={() => remove.mutate(b.id)}
                  aria-label={`Delete closure: ${b.reason}, ${formatRange(b.starts_at, b.ends_at, tz)}`}
                >
                  Delete
                </button>
              </td>
            </tr>
          )}
        />
      </section>
    </>
  )
}
