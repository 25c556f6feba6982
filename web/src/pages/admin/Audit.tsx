import { useInfiniteQuery } from '@tanstack/react-query'
import { auditListAuditEvents } from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { LoadMore, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { amenityMap, useAmenities, useCurrentCommunity, useMembersByUser } from '../../lib/queries'
import { changes, describeAction } from '../../lib/audit'
import { formatDateTime } from '../../lib/time'

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
  return (
    <>
      <PageHeader title="Audit trail" lead="Who changed what, newest first." />
      <AdminTable
        pending={events.isPending}
        error={events.error}
        rows={events.data?.pages.flatMap((p) => p.items)}
        empty="Nothing recorded yet."
        columns={['When', 'Who', 'What', 'Changes']}
        renderRow={(e) => (
          <tr key={e.id}>
            <td className="small">{formatDateTime(e.created_at, community.timezone)}</td>
            <td>{e.by_operator ? 'Platform operator' : e.actor_id ? (members?.get(e.actor_id)?.name ?? 'Someone') : 'System'}</td>
            <td>
              {describeAction(e.action)}
              {e.entity_type === 'amenity' && amenities.get(e.entity_id) ? (
                <div className="small muted">{amenities.get(e.entity_id)?.name}</div>
              ) : null}
            </td>
            <td className="small">{changes(e)}</td>
          </tr>
        )}
      />
      <LoadMore pages={events} />
    </>
  )
}
