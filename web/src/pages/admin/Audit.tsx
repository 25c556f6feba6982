import { useInfiniteQuery } from '@tanstack/react-query'
import { Link, useSearchParams } from 'react-router'
import { auditListAuditEvents, type AuditEntryRead } from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { LoadMore, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { useCurrentCommunity, useMembersByUser } from '../../lib/queries'
import { addDays, formatDateTime, zonedToInstant } from '../../lib/time'

const KINDS = [
  ['reservation.', 'Bookings'],
  ['amenity.', 'Amenities'],
  ['blackout.', 'Closures'],
  ['membership.', 'Members'],
  ['household.', 'Households'],
  ['community.', 'Community settings'],
  ['invitation.', 'Invitations'],
  ['calendar_feed.', 'Calendar feeds'],
] as const

/** The audit trail in words, newest first: the filters live in the address, so a filtered
 * trail can be bookmarked, shared and downloaded as CSV. */
export default function Audit() {
  const community = useCurrentCommunity()
  const tz = community.timezone
  const members = useMembersByUser(community.id).data
  const [params, setParams] = useSearchParams()
  const who = params.get('who') ?? ''
  const kind = params.get('kind') ?? ''
  const booking = params.get('booking') ?? ''
  const from = params.get('from') ?? ''
  const to = params.get('to') ?? ''
  const query = {
    actor_id: who || undefined,
    action: kind || undefined,
    entity_id: booking || undefined,
    start: from ? zonedToInstant(from, '00:00', tz).toISOString() : undefined,
    end: to ? zonedToInstant(addDays(to, 1), '00:00', tz).toISOString() : undefined,
  }
  const events = useInfiniteQuery({
    queryKey: ['audit', community.id, query],
    queryFn: ({ pageParam }) =>
      unwrap(auditListAuditEvents({ path: { community_id: community.id }, query: { ...query, cursor: pageParam || undefined, limit: 50 } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  })
  const update = (key: string, value: string) => {
    const next = new URLSearchParams(params)
    if (value) next.set(key, value)
    else next.delete(key)
    setParams(next)
  }
  const csv = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value) csv.set(key, value)
  const rows = events.data?.pages.flatMap((p) => p.items)
  const what = (e: AuditEntryRead) => (
    <>
      {e.summary}
      {e.booking_id ? (
        <div className="small">
          <Link to={`/c/${community.id}/reservations/${e.booking_id}`}>{e.booking_label ?? 'The booking'}</Link>
        </div>
      ) : null}
    </>
  )
  const changes = (e: AuditEntryRead) =>
    e.changes.length ? (
      <ul className="small plain-list">
        {e.changes.map((c) => (
          <li key={c.field}>
            {c.field}: {c.before ?? '—'} → {c.after ?? '—'}
          </li>
        ))}
      </ul>
    ) : null
  const actor = (e: AuditEntryRead) => e.actor_name ?? (e.actor_id ? 'Someone' : 'System')

  return (
    <>
      <PageHeader title="Audit trail" lead={`Who changed what, newest first. Times in ${tz}.`}>
        <a className="btn btn--secondary" href={`/api/v1/communities/${community.id}/audit.csv?${csv}`} download>
          Download CSV
        </a>
      </PageHeader>
      <form className="filters" aria-label="Filter the audit trail" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="audit-who">Who</label>
          <select id="audit-who" value={who} onChange={(e) => update('who', e.target.value)}>
            <option value="">Anyone</option>
            {[...(members?.values() ?? [])].map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-kind">What</label>
          <select id="audit-kind" value={kind} onChange={(e) => update('kind', e.target.value)}>
            <option value="">Everything</option>
            {KINDS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-from">From</label>
          <input id="audit-from" type="date" value={from} onChange={(e) => update('from', e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To</label>
          <input id="audit-to" type="date" value={to} onChange={(e) => update('to', e.target.value)} />
        </div>
        {booking ? (
          <p className="small">
            One booking only.{' '}
            <button type="button" className="btn btn--secondary btn--small" onClick={() => update('booking', '')}>
              Show every booking
            </button>
          </p>
        ) : null}
      </form>
      <div className="wide-only">
        <AdminTable
          pending={events.isPending}
          error={events.error}
          rows={rows}
          empty="Nothing recorded matches."
          caption="Audit trail"
          columns={['When', 'Who', 'What', 'Changes']}
          renderRow={(e) => (
            <tr key={e.id}>
              <td className="small">{formatDateTime(e.created_at, tz)}</td>
              <td>{actor(e)}</td>
              <td>{what(e)}</td>
              <td>{changes(e)}</td>
            </tr>
          )}
        />
      </div>
      {rows?.length ? (
        <ul className="res-list narrow-only" aria-label="Audit trail">
          {rows.map((e) => (
            <li key={e.id} className="card">
              <div>{what(e)}</div>
              <div className="small muted">
                {formatDateTime(e.created_at, tz)} · {actor(e)}
              </div>
              {changes(e)}
            </li>
          ))}
        </ul>
      ) : null}
      <LoadMore pages={events} />
    </>
  )
}
