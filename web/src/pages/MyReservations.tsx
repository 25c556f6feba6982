import { useMutation } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link, useLocation } from 'react-router'
import { reservationsCancelReservation, type AmenityRead, type ReservationRead } from '../api'
import { ChangeBookingForm } from '../components/ChangeBookingForm'
import { ReservationItem } from '../components/ReservationItem'
import { Empty, ErrorNotice, Loading, Notice, PageHeader } from '../components/ui'
import { useNow } from '../lib/hooks'
import { unwrap } from '../lib/http'
import { useOffline } from '../lib/offline'
import {
  amenityMap,
  useAmenities,
  useCurrentCommunity,
  useInvalidateBookings,
  useMyReservations,
  type CommunityContext,
  type ReservationScope,
} from '../lib/queries'
import { calendarFileUrl } from '../lib/http'
import { formatDateTime } from '../lib/time'

const TAB_NAMES: Record<ReservationScope, string> = { upcoming: 'Upcoming', past: 'Past', cancelled: 'Cancelled & declined' }
const EMPTY: Record<ReservationScope, string> = {
  upcoming: 'No upcoming reservations.',
  past: 'No reservations in the last six months.',
  cancelled: 'No cancelled or declined reservations in the last six months.',
}

export default function MyReservations() {
  const community = useCurrentCommunity()
  const [scope, setScope] = useState<ReservationScope>('upcoming')
  const list = useMyReservations(community.id, scope)
  const amenities = useAmenities(community.id)
  const byId = amenityMap(amenities.data)
  const { hash } = useLocation()
  const loaded = Boolean(list.data)
  // A link to one booking (#reservation-<id>) shows it once the list is there.
  useEffect(() => {
    if (loaded && hash) document.getElementById(hash.slice(1))?.scrollIntoView({ block: 'center' })
  }, [loaded, hash])

  return (
    <>
      <PageHeader title="My reservations" lead={`Your household's bookings at ${community.name}`}>
        <Link className="btn" to={`/c/${community.id}/book`}>
          Book an amenity
        </Link>
      </PageHeader>
      <div className="tabs" role="tablist" aria-label="Which reservations">
        {(['upcoming', 'past', 'cancelled'] as const).map((s) => (
          <button
            key={s}
            type="button"
            role="tab"
            id={`tab-${s}`}
            aria-selected={scope === s}
            aria-controls="reservations-panel"
            onClick={() => setScope(s)}
          >
            {TAB_NAMES[s]}
          </button>
        ))}
      </div>
      <div id="reservations-panel" role="tabpanel" aria-labelledby={`tab-${scope}`}>
        {list.isPending ? <Loading /> : null}
        <ErrorNotice error={list.error} />
        {list.data?.length === 0 ? (
          <Empty>{EMPTY[scope]}</Empty>
        ) : null}
        {list.data?.length ? (
          <ul className="res-list">
            {list.data.map((r) => (
              <ReservationItem
                key={r.id}
                reservation={r}
                amenity={byId.get(r.amenity_id)}
                tz={community.timezone}
                href={`/c/${community.id}/reservations/${r.id}`}
              >
                <ReservationActions reservation={r} amenity={byId.get(r.amenity_id)} community={community} upcoming={scope === 'upcoming'} />
              </ReservationItem>
            ))}
          </ul>
        ) : null}
      </div>
    </>
  )
}

export function ReservationActions({
  reservation: r,
  amenity,
  community,
  upcoming,
}: {
  reservation: ReservationRead
  amenity: AmenityRead | undefined
  community: CommunityContext
  upcoming: boolean
}) {
  const [confirming, setConfirming] = useState(false)
  const [changing, setChanging] = useState(false)
  const [changed, setChanged] = useState<ReservationRead | null>(null)
  const [reason, setReason] = useState('')
  const { offline } = useOffline()
  const invalidate = useInvalidateBookings(community.id)
  const cancel = useMutation({
    mutationFn: () =>
      unwrap(
        reservationsCancelReservation({
          path: { community_id: community.id, reservation_id: r.id },
          body: { reason: reason.trim() },
        }),
      ),
    onSuccess: async () => {
      setConfirming(false)
      await invalidate()
    },
  })
  const now = useNow()
  const active = r.status === 'pending' || r.status === 'confirmed'
  const started = Date.parse(r.starts_at) <= now
  // The server says until when the resident may change or cancel it; admins may until it starts.
  const until = r.cancellable_until ? Date.parse(r.cancellable_until) : null
  const open = until !== null && until >= now
  const canCancel = active && upcoming && !started && (community.isAdmin || open)
  const canChange = canCancel && amenity !== undefined
  const name = amenity?.name ?? 'reservation'
  // The office acting on another household's booking says why: the reason is in their email.
  const office = community.isAdmin && r.household_id !== (community.membership.household?.id ?? null)

  return (
    <>
      {active && upcoming && !started && until !== null && !open ? (
        <p className="small muted" style={{ margin: '0.4rem 0 0' }}>
          Online changes and cancellations closed {formatDateTime(new Date(until), community.timezone)}; ask the office.
        </p>
      ) : null}
      <ErrorNotice error={cancel.error} />
      {confirming ? (
        <div className="card" style={{ marginTop: '0.5rem' }}>
          <div className="field">
            <label htmlFor={`reason-${r.id}`}>{office ? 'Reason (sent to the household)' : 'Reason (optional)'}</label>
            <input id={`reason-${r.id}`} type="text" maxLength={500} required={office} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="row">
            <button type="button" className="btn btn--danger" disabled={cancel.isPending || offline || (office && !reason.trim())} onClick={() => cancel.mutate()}>
              {cancel.isPending ? 'Cancelling…' : `Yes, cancel this ${name} booking`}
            </button>
            <button type="button" className="btn btn--secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      ) : null}
      {changing && amenity ? (
        <ChangeBookingForm
          reservation={r}
          amenity={amenity}
          community={community}
          onChanged={(updated) => {
            setChanged(updated)
            setChanging(false)
          }}
          onClose={() => setChanging(false)}
        />
      ) : null}
      {cancel.isSuccess ? <Notice kind="ok" title="Reservation cancelled." /> : null}
      {changed && !changing ? (
        <Notice kind="ok" title={changed.status === 'pending' ? 'Change sent for approval' : 'Booking changed'}>
          {changed.status === 'pending' ? 'The board will review the new details.' : null}
        </Notice>
      ) : null}
      <div className="actions">
        {canChange && !changing && !confirming ? (
          <button
            type="button"
            className="btn btn--secondary btn--small"
            disabled={offline}
            onClick={() => {
              setChanged(null)
              setChanging(true)
            }}
            aria-label={`Change ${name} on ${formatDateTime(r.starts_at, community.timezone)}`}
          >
            Change
          </button>
        ) : null}
        {canCancel && !confirming && !changing ? (
          <button
            type="button"
            className="btn btn--secondary btn--small"
            disabled={offline}
            onClick={() => {
              cancel.reset()
              setConfirming(true)
            }}
            aria-label={`Cancel ${name} on ${formatDateTime(r.starts_at, community.timezone)}`}
          >
            {open && !community.isAdmin ? `Cancel (until ${formatDateTime(new Date(until), community.timezone)})` : 'Cancel'}
          </button>
        ) : null}
        {active ? (
          <a
            className="btn btn--ghost btn--small"
            href={calendarFileUrl(community.id, r.id)}
            download
            aria-label={`Add to calendar (.ics): ${name} on ${formatDateTime(r.starts_at, community.timezone)}`}
          >
            Add to calendar (.ics)
          </a>
        ) : null}
      </div>
    </>
  )
}
