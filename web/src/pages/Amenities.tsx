import type { AmenityRead } from '../api'
import { AmenityCard } from '../components/AmenityCard'
import { Empty, ErrorNotice, Loading, PageHeader } from '../components/ui'
import { kindKey } from '../lib/amenityKinds'
import { useAmenities, useCurrentCommunity } from '../lib/queries'
import { describeTimeZone } from '../lib/time'

/** Amenities in the order given, those sharing a kind together under it (where the kind
 * first appears); an amenity alone of its kind stands on its own. */
function byKind(amenities: AmenityRead[]): { kind: string | null; amenities: AmenityRead[] }[] {
  const count = new Map<string, number>()
  for (const a of amenities) if (a.kind) count.set(kindKey(a.kind), (count.get(kindKey(a.kind)) ?? 0) + 1)
  const groups: { kind: string | null; amenities: AmenityRead[] }[] = []
  const open = new Map<string, AmenityRead[]>()
  for (const a of amenities) {
    const key = a.kind ? kindKey(a.kind) : null
    if (!key || (count.get(key) ?? 0) < 2) groups.push({ kind: null, amenities: [a] })
    else if (open.has(key)) open.get(key)?.push(a)
    else {
      const members = [a]
      open.set(key, members)
      groups.push({ kind: a.kind, amenities: members })
    }
  }
  return groups
}

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
