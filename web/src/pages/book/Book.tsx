import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import { membersListMembers, type AmenityRead } from '../../api'
import { Empty, ErrorNotice, Loading, PageHeader } from '../../components/ui'
import { byKind, sameKind } from '../../lib/amenityKinds'
import { unwrap } from '../../lib/http'
import { useAmenities, useCurrentCommunity, type CommunityContext } from '../../lib/queries'
import { feeSummary } from '../../lib/slots'
import { describeTimeZone, wallTime } from '../../lib/time'
import { BookingForm } from './BookingForm'

export default function Book() {
  const community = useCurrentCommunity()
  const [params, setParams] = useSearchParams()
  const amenities = useAmenities(community.id)
  const [onBehalf, setOnBehalf] = useState('')
  const amenityId = params.get('amenity') ?? ''
  const amenity = amenities.data?.find((a) => a.id === amenityId)

  function chooseAmenity(id: string) {
    const next = new URLSearchParams(params)
    if (id) next.set('amenity', id)
    else next.delete('amenity')
    setParams(next, { replace: true })
  }

  return (
    <>
      <PageHeader title={amenity ? `Book ${amenity.name}` : 'Book an amenity'} lead={`Times in ${describeTimeZone(community.timezone)}`}>
        {amenity ? (
          <button type="button" className="btn btn--secondary btn--small" onClick={() => chooseAmenity('')}>
            Choose another amenity
          </button>
        ) : null}
      </PageHeader>
      {community.isAdmin ? <OnBehalfPicker community={community} value={onBehalf} onChange={setOnBehalf} /> : null}
      {amenities.isPending ? <Loading /> : null}
      <ErrorNotice error={amenities.error} />
      {amenities.data && !amenity ? (
        <section aria-labelledby="choose-heading">
          <h2 id="choose-heading">Which amenity?</h2>
          {amenities.data.length === 0 ? <Empty>This community has no amenities yet.</Empty> : null}
          <div className="grid">
            {byKind(amenities.data).map((g) =>
              g.kind ? (
                <section key={g.amenities[0].id} className="kind-group" aria-labelledby={`book-kind-${g.amenities[0].id}`}>
                  <h3 id={`book-kind-${g.amenities[0].id}`}>
                    {g.kind} <span className="muted small">· {g.amenities.length}</span>
                  </h3>
                  <div className="grid">
                    {g.amenities.map((a) => (
                      <Choice key={a.id} amenity={a} heading="h4" onChoose={chooseAmenity} />
                    ))}
                  </div>
                </section>
              ) : (
                <Choice key={g.amenities[0].id} amenity={g.amenities[0]} heading="h3" onChoose={chooseAmenity} />
              ),
            )}
          </div>
        </section>
      ) : null}
      {amenity ? (
        <BookingForm
          key={`${amenity.id}:${onBehalf}`}
          community={community}
          amenity={amenity}
          siblings={sameKind(amenity, amenities.data ?? [])}
          initialDate={params.get('date')}
          initialStart={params.get('start')}
          initialAny={params.get('any') === '1'}
          onBehalf={onBehalf}
          onDateChange={(date) => {
            const next = new URLSearchParams(params)
            next.set('date', date)
            setParams(next, { replace: true })
          }}
          onOtherAmenity={(offer) => {
            // A page of its own: Back returns to this amenity.
            const date = wallTime(offer.starts_at, community.timezone).date
            setParams({ amenity: offer.amenityId, date, start: offer.starts_at, any: '1' })
          }}
        />
      ) : null}
    </>
  )
}

/** One amenity to choose, its heading one level below the group it stands in. */
function Choice({ amenity: a, heading: Heading, onChoose }: { amenity: AmenityRead; heading: 'h3' | 'h4'; onChoose: (id: string) => void }) {
  return (
    <article className="card amenity-card">
      <Heading>{a.name}</Heading>
      <p className="small">{a.description}</p>
      <p className="small muted">{feeSummary(a)}</p>
      <div className="actions">
        <button type="button" className="btn btn--small" onClick={() => onChoose(a.id)} aria-label={`Book ${a.name}`}>
          Book
        </button>
      </div>
    </article>
  )
}

function OnBehalfPicker({ community, value, onChange }: { community: CommunityContext; value: string; onChange: (id: string) => void }) {
  const members = useQuery({
    queryKey: ['members', community.id, 'active-all'],
    queryFn: () => unwrap(membersListMembers({ path: { community_id: community.id }, query: { status: 'active', limit: 200 } })),
    staleTime: 5 * 60_000,
  })
  const sorted = [...(members.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name))
  return (
    <div className="field" style={{ maxWidth: '28rem' }}>
      <label htmlFor="on-behalf">Book for</label>
      <select id="on-behalf" value={value} onChange={(e) => onChange(e.target.value)} aria-describedby="on-behalf-hint">
        <option value="">Myself ({community.membership.household?.label ?? 'no household'})</option>
        {sorted
          .map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} · {m.household_label ?? 'no household'}
            </option>
          ))}
      </select>
      <span className="hint" id="on-behalf-hint">
        Admins can book on behalf of a resident; the booking counts for their household.
      </span>
    </div>
  )
}
