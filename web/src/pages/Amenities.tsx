import { AmenityCard } from '../components/AmenityCard'
import { Empty, ErrorNotice, Loading, PageHeader } from '../components/ui'
import { byKind } from '../lib/amenityKinds'
import { useAmenities, useCurrentCommunity } from '../lib/queries'
import { describeTimeZone } from '../lib/time'

export default function Amenities() {
  const community = useCurrentCommunity()
  const amenities = useAmenities(community.id)
  const base = `/c/${community.id}`
  return (
    <>
      <PageHeader title="Amenities" lead={`Opening hours in ${describeTimeZone(community.timezone)}`} />
      {amenities.isPending ? <Loading /> : null}
      <ErrorNotice error={amenities.error} />
      {amenities.data?.length === 0 ? <Empty>This community has no amenities yet.</Empty> : null}
      <div className="grid">
        {byKind(amenities.data ?? []).map((g) =>
          g.kind ? (
            <section key={g.amenities[0].id} className="kind-group" aria-labelledby={`kind-${g.amenities[0].id}`}>
              <h2 id={`kind-${g.amenities[0].id}`}>
                {g.kind} <span className="muted small">· {g.amenities.length}</span>
              </h2>
              <div className="grid">
                {g.amenities.map((a) => (
                  <AmenityCard key={a.id} amenity={a} base={base} headingLevel={3} />
                ))}
              </div>
            </section>
          ) : (
            <AmenityCard key={g.amenities[0].id} amenity={g.amenities[0]} base={base} />
          ),
        )}
      </div>
    </>
  )
}
