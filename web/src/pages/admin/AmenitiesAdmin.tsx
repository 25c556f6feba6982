import { useMutation, useQueryClient } from '@tanstack/react-query'
import { Link } from 'react-router'
import { amenitiesArchiveAmenity, amenitiesUpdateAmenity, type AmenityRead } from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { ErrorNotice, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { useAmenities, useCurrentCommunity } from '../../lib/queries'
import { feeSummary, hoursSummary } from '../../lib/slots'

export default function AmenitiesAdmin() {
  const community = useCurrentCommunity()
  const amenities = useAmenities(community.id, true)
  return (
    <>
      <PageHeader title="Amenities" lead="Booking rules, hours and fees.">
        <Link className="btn" to="new">
          New amenity
        </Link>
      </PageHeader>
      <AdminTable
        pending={amenities.isPending}
        error={amenities.error}
        rows={amenities.data}
        empty="No amenities yet."
        caption="Amenities"
        columns={['Name', 'Hours', 'Booking', 'Cost', 'Status']}
        actions
        renderRow={(a) => <Row key={a.id} amenity={a} communityId={community.id} />}
      />
    </>
  )
}

function Row({ amenity: a, communityId }: { amenity: AmenityRead; communityId: string }) {
  const qc = useQueryClient()
  const archive = useMutation({
    mutationFn: () => unwrap(amenitiesArchiveAmenity({ path: { community_id: communityId, amenity_id: a.id } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['amenities', communityId] }),
  })
  const restore = useMutation({
    mutationFn: () =>
      unwrap(amenitiesUpdateAmenity({ path: { community_id: communityId, amenity_id: a.id }, body: { status: 'active' } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['amenities', communityId] }),
  })
  return (
    <tr>
      <td>
        <Link to={a.id}>{a.name}</Link>
        {a.kind ? <span className="small muted"> · {a.kind}</span> : null}
      </td>
      <td className="small">{hoursSummary(a.hours)}</td>
      <td className="small">
        {a.mode === 'capacity' ? `Shared, ${a.capacity} people` : 'Private'}
        {a.requires_approval ? ', needs approval' : ''}
      </td>
      <td className="small">{feeSummary(a)}</td>
      <td>
        <span className={`status status--${a.status === 'active' ? 'confirmed' : 'archived'}`}>{a.status === 'active' ? 'Bookable' : 'Archived'}</span>
      </td>
      <td>
        <div className="row">
          <Link className="btn btn--secondary btn--small" to={a.id} aria-label={`Edit ${a.name}`}>
            Edit
          </Link>
          {a.status === 'active' ? (
            <button
              type="button"
              className="btn btn--ghost btn--small"
              disabled={archive.isPending}
              onClick={() => {
                if (window.confirm(`Archive ${a.name}? Residents can no longer book it; existing reservations stay.`)) archive.mutate()
              }}
              aria-label={`Archive ${a.name}`}
            >
              Archive
            </button>
          ) : (
            <button
              type="button"
              className="btn btn--ghost btn--small"
              disabled={restore.isPending}
              onClick={() => restore.mutate()}
              aria-label={`Restore ${a.name}`}
            >
              Restore
            </button>
          )}
        </div>
        <ErrorNotice error={archive.error ?? restore.error} />
      </td>
    </tr>
  )
}

