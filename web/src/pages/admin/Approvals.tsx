import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { reservationsApproveReservation, reservationsRejectReservation, type AmenityRead, type ReservationRead } from '../../api'
import { ReservationItem } from '../../components/ReservationItem'
import { Empty, ErrorNotice, Loading, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import {
  amenityMap,
  useAmenities,
  useCurrentCommunity,
  useInvalidateBookings,
  useMembersByUser,
  usePendingRequests,
  type CommunityContext,
} from '../../lib/queries'

export default function Approvals() {
  const community = useCurrentCommunity()
  const pending = usePendingRequests(community.id, true)
  const amenities = useAmenities(community.id, true)
  const byId = amenityMap(amenities.data)
  const members = useMembersByUser(community.id).data
  return (
    <>
      <PageHeader title="Approval queue" lead="Requests waiting for a decision, soonest first." />
      {pending.isPending ? <Loading /> : null}
      <ErrorNotice error={pending.error} />
      {pending.data?.length === 0 ? <Empty>No requests waiting. All caught up!</Empty> : null}
      {pending.data?.length ? (
        <ul className="res-list">
          {pending.data.map((r) => (
            <ReservationItem key={r.id} reservation={r} amenity={byId.get(r.amenity_id)} tz={community.timezone}>
              <p className="small" style={{ margin: '0.3rem 0 0' }}>
                Requested by {members?.get(r.booked_for_id)?.name ?? 'a resident'}
                {members?.get(r.booked_for_id)?.household_label ? `, ${members.get(r.booked_for_id)?.household_label}` : ''}
              </p>
              <Decide reservation={r} amenity={byId.get(r.amenity_id)} community={community} />
            </ReservationItem>
          ))}
        </ul>
      ) : null}
    </>
  )
}

function Decide({ reservation: r, amenity, community }: { reservation: ReservationRead; amenity: AmenityRead | undefined; community: CommunityContext }) {
  const [mode, setMode] = useState<'idle' | 'reject'>('idle')
  const [reason, setReason] = useState('')
  const invalidate = useInvalidateBookings(community.id)
  const path = { community_id: community.id, reservation_id: r.id }
  const approve = useMutation({
    mutationFn: () => unwrap(reservationsApproveReservation({ path, body: { reason: '' } })),
    onSuccess: invalidate,
  })
  const reject = useMutation({
    mutationFn: () => unwrap(reservationsRejectReservation({ path, body: { reason: reason.trim() } })),
    onSuccess: invalidate,
  })
  const label = `${amenity?.name ?? 'reservation'} request${r.title ? ` "${r.title}"` : ''}`
  return (
    <>
      {r.notes ? (
        <div className="reason">
          <strong>Notes:</strong> {r.notes}
        </div>
      ) : null}
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
        <div className="actions">
          <button type="button" className="btn btn--small" disabled={approve.isPending} onClick={() => approve.mutate()} aria-label={`Approve ${label}`}>
            Approve
          </button>
          <button type="button" className="btn btn--secondary btn--small" onClick={() => setMode('reject')} aria-label={`Decline ${label}`}>
            Decline
          </button>
        </div>
      )}
    </>
  )
}
