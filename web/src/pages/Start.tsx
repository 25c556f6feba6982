import { Link, Navigate } from 'react-router'
import { ErrorNotice, Loading, Notice, useTitle } from '../components/ui'
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
  if (me.data.is_operator) return <Navigate to="/operator" replace />
  const waiting = me.data.memberships.filter((m) => m.status === 'pending')
  const suspended = me.data.memberships.some((m) => m.status === 'suspended')
  return (
    <div className="auth-page">
      <main className="auth-card" id="main">
        <h1>Welcome, {me.data.name}</h1>
        {waiting.map((m) => (
          <Notice key={m.community_id} kind="info" title={`Your request to join ${m.community_name} is waiting for approval.`}>
            <p>
              The community office checks that you live at {m.household?.label ?? 'the home you gave'} first. You'll get an email once
              you're in.
            </p>
          </Notice>
        ))}
        {waiting.length ? null : (
          <>
            <p>You're not a member of a community yet.</p>
            <p>
              If your community gave you a join code, <Link to="/join">join with the code</Link>. Otherwise ask your
              community office for an invitation.
            </p>
          </>
        )}
        {suspended ? <p className="muted">Your membership is suspended. Contact your community office.</p> : null}
        <SignOutButton />
      </main>
    </div>
  )
}
