import { useInfiniteQuery } from '@tanstack/react-query'
import { auditListAuditEvents, type AuditEventRead } from '../../api'
import { Empty, ErrorNotice, Loading, LoadMore, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { amenityMap, useAmenities, useCurrentCommunity, useMembersByUser } from '../../lib/queries'
import { formatDateTime } from '../../lib/time'

function describeAction(action: string): string {
  const [entity = '', verb = ''] = action.split('.')
  return `${entity.replaceAll('_', ' ')} ${verb.replaceAll('_', ' ')}`.trim()
}

function changes(e: AuditEventRead): string {
  const before = e.before ?? {}
  const after = e.after ?? {}
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .slice(0, 6)
    .map((k) => {
      const from = before[k]
      const to = after[k]
      const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? '…' : String(v))
      return k in before ? `${k.replaceAll('_', ' ')}: ${show(from)} → ${show(to)}` : `${k.replaceAll('_', ' ')}: ${show(to)}`
    })
    .join('; ')
}

export default function Audit() {
  const community = useCurrentCommunity()
  const members = useMembersByUser(community.id).data
  const amenities = amenityMap(useAmenities(community.id, true).data)
  const events = useInfiniteQuery({
    queryKey: ['audit', community.id],
    queryFn: ({ pageParam }) =>
      unwrap(auditListAuditEvents({ path: { community_id: community.id }, query: { cursor: pageParam || undefined, limit: 50 } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  })
  const rows = events.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <>
      <PageHeader title="Audit trail" lead="Who changed what, newest first." />
      {events.isPending ? <Loading /> : null}
      <ErrorNotice error={events.error} />
      {events.data && rows.length === 0 ? <Empty>Nothing recorded yet.</Empty> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td className="small">{formatDateTime(e.created_at, community.timezone)}</td>
                  <td>{e.actor_id ? (members?.get(e.actor_id)?.name ?? 'Someone') : 'System'}</td>
                  <td>
                    {describeAction(e.action)}
                    {e.entity_type === 'amenity' && amenities.get(e.entity_id) ? (
                      <div className="small muted">{amenities.get(e.entity_id)?.name}</div>
                    ) : null}
                  </td>
                  <td className="small">{changes(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore pages={events} />
    </>
  )
}
