import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { membersAcceptInvitation } from '../api'
import { AuthCard, AuthForm } from '../components/AuthCard'
import { NewPasswordFields, passwordsDiffer } from '../components/NewPasswordFields'
import { Loading, Notice } from '../components/ui'
import { ApiError } from '../lib/errors'
import { unwrap } from '../lib/http'
import { keys, useMe } from '../lib/queries'

// Answers meaning the invited address has an account already: its owner signs in first.
const EXISTING_ACCOUNT = new Set(['auth.account_exists', 'auth.invalid_credentials'])

export default function AcceptInvitation() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const me = useMe()
  const navigate = useNavigate()
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const mismatch = passwordsDiffer(password, confirm)
  const signedIn = Boolean(me.data)
  const accept = useMutation({
    // Signed in, the session proves the account; otherwise the new account's name and password.
    mutationFn: () => unwrap(membersAcceptInvitation({ body: signedIn ? { token } : { token, name, password } })),
    onSuccess: async () => {
      await qc.resetQueries({ queryKey: keys.me })
      navigate('/', { replace: true })
    },
  })
  const signInFirst = `/signin?next=${encodeURIComponent(`/invitations/accept?token=${encodeURIComponent(token)}`)}`

  if (!token) {
    return (
      <AuthCard title="Accept your invitation">
        <Notice kind="warn" title="This link is incomplete.">
          <p>Open the link from your invitation email again, or ask your community office for a new one.</p>
        </Notice>
        <Link to="/signin">Go to sign in</Link>
      </AuthCard>
    )
  }
  if (me.isPending) return <Loading />
  if (signedIn) {
    return (
      <AuthCard title="Accept your invitation">
        <p className="muted">Join the community with the account you're signed in to.</p>
        <AuthForm request={accept} label="Accept invitation" busyLabel="Joining…">
          <p className="small muted">You'll join as {me.data?.email}.</p>
        </AuthForm>
        <div className="auth-links">
          <Link to="/">Not now</Link>
        </div>
      </AuthCard>
    )
  }
  const existing = accept.error instanceof ApiError && EXISTING_ACCOUNT.has(accept.error.code)
  return (
    <AuthCard title="Accept your invitation">
      <p className="muted">Set up your account to start booking your community's amenities.</p>
      {existing ? (
        <Notice kind="info" title="You already have an account with this email.">
          <p>
            <Link to={signInFirst}>Sign in</Link> with it, then accept the invitation.
          </p>
        </Notice>
      ) : null}
      <AuthForm request={accept} label="Create account and sign in" busyLabel="Setting up…" invalid={mismatch}>
        <div className="field">
          <label htmlFor="name">Your name</label>
          <input id="name" type="text" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <NewPasswordFields
          id="password"
          label="Choose a password"
          repeatLabel="Repeat the password"
          hint="At least 12 characters. A short sentence is easy to remember."
          password={password}
          repeat={confirm}
          onPassword={setPassword}
          onRepeat={setConfirm}
          minLength={8}
        />
      </AuthForm>
      <div className="auth-links">
        <Link to={signInFirst}>I already have an account</Link>
      </div>
    </AuthCard>
  )
}
