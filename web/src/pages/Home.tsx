import { Link } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { membersListMembers } from '../api'
import { AmenityCard } from '../components/AmenityCard'
import { GettingStarted } from '../components/GettingStarted'
import { ReservationItem } from '../components/ReservationItem'
import { Empty, ErrorNotice, Loading, PageHeader } from '../components/ui'
import { amenityMap, useAmenities, useCurrentCommunity, useMe, useMyReservations } from '../lib/queries'
import { unwrap } from '../lib/http'
import { describeTimeZone } from '../lib/time'

export default function Home() {
  const community = useCurrentCommunity()
  const me = useMe().data
  const amenities = useAmenities(community.id)
  const upcoming = useMyReservations(community.id, 'upcoming')
  const byId = amenityMap(amenities.data)
  const firstName = me?.name.split(' ')[0] ?? ''
  const base = `/c/${community.id}`
  // A new community's first steps, shown to admins until it has an amenity and a second member
  // (and kept for the rest of the visit, so adding the first amenity does not hide them).
  const firstMembers = useQuery({
    queryKey: ['members', community.id, 'first'],
    queryFn: () => unwrap(membersListMembers({ path: { community_id: community.id }, query: { limit: 2 } })),
    enabled: community.isAdmin,
  })
  const [starting, setStarting] = useState(false)
  const isNew = amenities.data?.length === 0 || (firstMembers.data && firstMembers.data.items.length < 2)
  if (community.isAdmin && isNew && !starting) setStarting(true)
  const next = (upcoming.data ?? []).filter((r) => r.status === 'pending' || r.status === 'confirmed').slice(0, 3)

  return (
    <>
      <PageHeader title={`Hello, ${firstName}`} lead={community.name}>
        <Link className="btn" to={`${base}/book`}>
          Book an amenity
        </Link>
      </PageHeader>
      {starting ? <GettingStarted cid={community.id} /> : null}
      <section className="stack" aria-labelledby="upcoming-heading" style={starting ? { marginTop: '2rem' } : undefined}>
        <div className="row row--between">
          <h2 id="upcoming-heading">Your next reservations</h2>
          <Link to={`${base}/reservations`}>See all</Link>
        </div>
        {upcoming.isPending ? <Loading /> : null}
        <ErrorNotice error={upcoming.error} />
        {upcoming.data && next.length === 0 ? <Empty>Nothing booked yet. Pick an amenity below to get started.</Empty> : null}
        {next.length ? (
          <ul className="res-list">
            {next.map((r) => (
              <ReservationItem
                key={r.id}
                reservation={r}
                amenity={byId.get(r.amenity_id)}
                tz={community.timezone}
                href={`/c/${community.id}/reservations/${r.id}`}
              />
            ))}
          </ul>
        ) : null}
      </section>
      <section className="stack" aria-labelledby="amenities-heading" style={{ marginTop: '2rem' }}>
        <h2 id="amenities-heading">Amenities</h2>
        <p className="tz-note">Times are in the community's time zone: {describeTimeZone(community.timezone)}.</p>
        {amenities.isPending ? <Loading /> : null}
        <ErrorNotice error={amenities.error} />
        <div className="grid">
          {(amenities.data ?? []).map((a) => (
            <AmenityCard key={a.id} amenity={a} base={base} headingLevel={3} />
          ))}
        </div>
      </section>
    </>
  )
}
