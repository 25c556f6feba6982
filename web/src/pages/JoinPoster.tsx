import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Link } from 'react-router'
import { membersGetJoinCode, membersRotateJoinCode } from '../api'
import { ErrorNotice, Loading, Notice, useTitle } from '../components/ui'
import { unwrap } from '../lib/http'
import { useCurrentCommunity } from '../lib/queries'

/** `/c/:id/join-poster`: the community's join code as a page to print (admins). */
export default function JoinPoster() {
  const community = useCurrentCommunity()
  useTitle(`Join ${community.name}`)
  const qc = useQueryClient()
  const cid = community.id
  const code = useQuery({
    queryKey: ['join-code', cid],
    queryFn: () => unwrap(membersGetJoinCode({ path: { community_id: cid } })),
    enabled: community.isAdmin,
  })
  const turnOn = useMutation({
    mutationFn: () => unwrap(membersRotateJoinCode({ path: { community_id: cid } })),
    onSuccess: (data) => qc.setQueryData(['join-code', cid], data),
  })
  if (!community.isAdmin) return <Notice kind="warn" title="Only community admins can see this page." />
  if (code.isPending) return <Loading />
  const current = code.data?.code
  return (
    <>
      <ErrorNotice error={code.error ?? turnOn.error} />
      {current ? (
        <article className="poster" aria-labelledby="poster-title">
          <h1 id="poster-title">Join {community.name}</h1>
          <p>Book the community's amenities online.</p>
          <ol>
            <li>
              Go to <strong>{window.location.origin}/join</strong>
            </li>
            <li>Type this join code and your home's address:</li>
          </ol>
          <p className="poster__code" aria-label="Join code">
            {current}
          </p>
          <p>The community office approves your request, then you can book.</p>
        </article>
      ) : (
        <Notice kind="info" title="Joining by code is turned off.">
          <button type="button" className="btn" disabled={turnOn.isPending} onClick={() => turnOn.mutate()}>
            Turn on joining by code
          </button>
        </Notice>
      )}
      <div className="row no-print" style={{ marginTop: '1rem' }}>
        {current ? (
          <button type="button" className="btn" onClick={() => window.print()}>
            Print
          </button>
        ) : null}
        <Link to={`/c/${cid}`}>Back to home</Link>
      </div>
    </>
  )
}
