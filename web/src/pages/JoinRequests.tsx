import { JoinRequestList } from '../components/JoinRequestList'
import { PageHeader } from '../components/ui'
import { useCurrentCommunity } from '../lib/queries'

/** For members of a home, where the community lets homes approve who joins them. */
export default function JoinRequests() {
  const community = useCurrentCommunity()
  return (
    <>
      <PageHeader title="Requests to join your home" lead="Approve only people you know live with you." />
      <section className="card">
        <JoinRequestList cid={community.id} tz={community.timezone} admin={community.isAdmin} />
      </section>
    </>
  )
}
