import { Link, Navigate } from 'react-router'
import { ErrorNotice, Loading, useTitle } from '../components/ui'
import { lastCommunity } from '../app/layouts'
import { useMe } from '../lib/queries'
import { SignOutButton } from './SignOutButton'

/** `/`: sends a signed-in person to their community (the last one used), others to sign in. */
export default function Start() {
  useTitle('')
  const me = useMe()
  if (me.isPending) return <Loading />
  if (me.error && !me.data) return <ErrorNotice error={me.error} />
  if (!me.data) return <Navigate to="/signin" replace />
  const active = me.data.memberships.filter((m) => m.status === 'active')
  const last = lastCommunity()
  const target = active.find((m) => m.community_id === last) ?? active[0]
  if (target) return <Navigate to={`/c/${target.community_id}`} replace />
  return (
    <div className="auth-page">
      <main className="auth-card" id="main">
        <h1>Welcome, {me.data.name}</h1>
        <p>You're not a member of a community yet.</p>
        <p>
          If your community gave you a join code, <Link to="/join">join with the code</Link>. Otherwise ask your
          community office for an invitation.
        </p>
        {me.data.memberships.length ? (
          <p className="muted">Your membership is suspended. Contact your community office.</p>
        ) : null}
        <SignOutButton />
      </main>
    </div>
  )
}
