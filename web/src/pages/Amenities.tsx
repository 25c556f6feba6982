import { AmenityCard } from '../components/AmenityCard'
import { Empty, ErrorNotice, Loading, PageHeader } from '../components/ui'
import { useAmenities, useCurrentCommunity } from '../lib/queries'
import { describeTimeZone } from '../lib/time'

export default function Amenities() {
  const community = useCurrentCommunity()
  const amenities = useAmenities(community.id)
  return (
    <>
      <PageHeader title="Amenities" lead={`Opening hours in ${describeTimeZone(community.timezone)}`} />
      {amenities.isPending ? <Loading /> : null}
      <ErrorNotice error={amenities.error} />
      {amenities.data?.length === 0 ? <Empty>This community has no amenities yet.</Empty> : null}
      <div className="grid">
        {(amenities.data ?? []).map((a) => (
          <AmenityCard key={a.id} amenity={a} base={`/c/${community.id}`} />
        ))}
      </div>
    </>
  )
}
