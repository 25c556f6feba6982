import { useMutation, useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import {
  reservationsApproveReservation,
  reservationsGetApprovalQueue,
  reservationsRejectReservation,
  reservationsUndoReservationDecision,
  type AmenityRead,
  type DecisionRead,
  type QueueBooking,
  type QueuedRequest,
} from '../../api'
import { ReservationItem } from '../../components/ReservationItem'
import { Empty, ErrorNotice, Loading, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import {
  amenityMap,
  keys,
  useAmenities,
  useCurrentCommunity,
  useInvalidateBookings,
  useMembersByUser,
  type CommunityContext,
} from '../../lib/queries'
import { formatRange, formatTime, formatter } from '../../lib/time'

type Decided = { item: QueuedRequest; decision: DecisionRead }

export default function Approvals() {
  const community = useCurrentCommunity()
  const queue = useQuery({
    queryKey: [...keys.reservations(community.id), 'approval-queue'],
    queryFn: () => unwrap(reservationsGetApprovalQueue({ path: { community_id: community.id } })),
    refetchInterval: 60_000,
  })
  const amenities = useAmenities(community.id, true)
  const byId = amenityMap(amenities.data)
  const members = useMembersByUser(community.id).data
  // Decided cards stay, with their undo, until the page is left.
  const [decided, setDecided] = useState<ReadonlyMap<string, Decided>>(new Map())
  const waiting = queue.data ?? []
  const gone = [...decided.values()].filter((d) => !waiting.some((q) => q.reservation.id === d.item.reservation.id))
  const items = [...waiting, ...gone.map((d) => d.item)].sort((a, b) =>
    a.reservation.starts_at.localeCompare(b.reservation.starts_at),
  )
  const remember = (id: string, value: Decided | null) =>
    setDecided((old) => {
      const next = new Map(old)
      if (value) next.set(id, value)
      else next.delete(id)
      return next
    })
  return (
    <>
      <PageHeader title="Approval queue" lead="Requests waiting for a decision, soonest first." />
      {queue.isPending ? <Loading /> : null}
      <ErrorNotice error={queue.error} />
      {queue.data && items.length === 0 ? <Empty>No requests waiting. All caught up!</Empty> : null}
      {items.length ? (
        <ul className="res-list">
          {items.map((item) => {
            const r = item.reservation
            const member = members?.get(r.booked_for_id)
            const done = decided.get(r.id)
            return (
              <ReservationItem
                key={r.id}
                reservation={done?.decision ?? r}
                amenity={byId.get(r.amenity_id)}
                tz={community.timezone}
              >
                <p className="small" style={{ margin: '0.3rem 0 0' }}>
                  Requested by {member?.name ?? 'a resident'}
                  {member?.household_label ? `, ${member.household_label}` : ''}
                </p>
                {done ? (
                  <Undo
                    decided={done}
                    community={community}
                    onUndone={() => remember(r.id, null)}
                  />
                ) : (
                  <>
                    <Conflicts item={item} amenities={byId} tz={community.timezone} />
                    <Decide
                      item={item}
                      amenity={byId.get(r.amenity_id)}
                      community={community}
                      onDecided={(decision) => remember(r.id, { item, decision })}
                    />
                  </>
                )}
              </ReservationItem>
            )
          })}
        </ul>
      ) : null}
    </>
  )
}

function Conflicts({ item, amenities, tz }: { item: QueuedRequest; amenities: ReadonlyMap<string, AmenityRead>; tz: string }) {
  const describe = (b: QueueBooking) =>
    `${amenities.get(b.amenity_id)?.name ?? 'Amenity'}, ${formatRange(b.starts_at, b.ends_at, tz)}${b.status === 'pending' ? ' (request)' : ''}`
  const month = formatter(tz, { month: 'long' }).format(new Date(item.reservation.starts_at))
  const n = item.household_month.length
  return (
    <div className="small">
      {item.overlapping_requests.length ? (
        <div className="reason" role="note">
          <strong>Overlaps other requests:</strong>
          <ul>
            {item.overlapping_requests.map((o) => (
              <li key={o.id}>{describe(o)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {item.closures.map((c) => (
        <div className="reason" role="note" key={c.id}>
          <strong>Closed:</strong> {c.reason} ({formatRange(c.starts_at, c.ends_at, tz)})
        </div>
      ))}
      <details>
        <summary>
          {n === 0
            ? `No other bookings of this household in ${month}`
            : `${n} other ${n === 1 ? 'booking' : 'bookings'} of this household in ${month}`}
        </summary>
        <ul>
          {item.household_month.map((b) => (
            <li key={b.id}>{describe(b)}</li>
          ))}
        </ul>
      </details>
    </div>
  )
}

function Decide({
  item,
  amenity,
  community,
  onDecided,
}: {
  item: QueuedRequest
  amenity: AmenityRead | undefined
  community: CommunityContext
  onDecided: (decision: DecisionRead) => void
}) {
  const r = item.reservation
  const [mode, setMode] = useState<'idle' | 'reject'>('idle')
  const [note, setNote] = useState('')
  const [reason, setReason] = useState('')
  const invalidate = useInvalidateBookings(community.id)
  const path = { community_id: community.id, reservation_id: r.id }
  const decided = (decision: DecisionRead) => {
    onDecided(decision)
    return invalidate()
  }
  const approve = useMutation({
    mutationFn: () => unwrap(reservationsApproveReservation({ path, body: { reason: note.trim() } })),
    onSuccess: decided,
  })
  const reject = useMutation({
    mutationFn: () => unwrap(reservationsRejectReservation({ path, body: { reason: reason.trim() } })),
    onSuccess: decided,
  })
  const label = `${amenity?.name ?? 'reservation'} request${r.title ? ` "${r.title}"` : ''}`
  return (
    <>
      <ErrorNotice error={approve.error ?? reject.error} />
      {mode === 'reject' ? (
        <form
          className="card"
          style={{ marginTop: '0.5rem' }}
          onSubmit={(e) => {
            e.preventDefault()
            reject.mutate()
          }}
        >
          <div className="field">
            <label htmlFor={`reject-${r.id}`}>Reason for declining (the resident sees it)</label>
            <textarea id={`reject-${r.id}`} required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="row">
            <button type="submit" className="btn btn--danger" disabled={reject.isPending || !reason.trim()}>
              Decline request
            </button>
            <button type="button" className="btn btn--secondary" onClick={() => setMode('idle')}>
              Back
            </button>
          </div>
        </form>
      ) : (
        <>
          <div className="field" style={{ marginTop: '0.5rem' }}>
            <label htmlFor={`note-${r.id}`}>Note to the resident (optional)</label>
            <input id={`note-${r.id}`} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <div className="actions">
            <button type="button" className="btn btn--small" disabled={approve.isPending} onClick={() => approve.mutate()} aria-label={`Approve ${label}`}>
              Approve
            </button>
            <button type="button" className="btn btn--secondary btn--small" onClick={() => setMode('reject')} aria-label={`Decline ${label}`}>
              Decline
            </button>
          </div>
        </>
      )}
    </>
  )
}

function Undo({ decided, community, onUndone }: { decided: Decided; community: CommunityContext; onUndone: () => void }) {
  const { decision } = decided
  const until = decision.undo_until
  const [open, setOpen] = useState(() => until !== null && Date.parse(until) > Date.now())
  useEffect(() => {
    if (until === null) return
    const timer = window.setTimeout(() => setOpen(false), Math.max(Date.parse(until) - Date.now(), 0))
    return () => window.clearTimeout(timer)
  }, [until])
  const invalidate = useInvalidateBookings(community.id)
  const undo = useMutation({
    mutationFn: () =>
      unwrap(
        reservationsUndoReservationDecision({
          path: { community_id: community.id, reservation_id: decision.id },
        }),
      ),
    onSuccess: () => {
      onUndone()
      return invalidate()
    },
  })
  const verb = decision.status === 'confirmed' ? 'Approved' : 'Declined'
  return (
    <div className="row" role="status" style={{ marginTop: '0.5rem' }}>
      <strong>{verb}</strong>
      {open && until ? (
        <>
          <span aria-hidden="true">—</span>
          <button type="button" className="btn btn--secondary btn--small" disabled={undo.isPending} onClick={() => undo.mutate()}>
            Undo (until {formatTime(until, community.timezone)})
          </button>
        </>
      ) : (
        <span className="small muted">The resident is emailed now.</span>
      )}
      <ErrorNotice error={undo.error} />
    </div>
  )
}
