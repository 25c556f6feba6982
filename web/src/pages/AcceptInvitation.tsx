import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { membersAcceptInvitation } from '../api'
import { AuthCard, AuthForm } from '../components/AuthCard'
import { NewPasswordFields, passwordsDiffer } from '../components/NewPasswordFields'
import { Notice } from '../components/ui'
import { unwrap } from '../lib/http'
import { keys } from '../lib/queries'

export default function AcceptInvitation() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const navigate = useNavigate()
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const mismatch = passwordsDiffer(password, confirm)
  const accept = useMutation({
    mutationFn: () => unwrap(membersAcceptInvitation({ body: { token, name, password } })),
    onSuccess: async () => {
      await qc.resetQueries({ queryKey: keys.me })
      navigate('/', { replace: true })
    },
  })

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
  return (
    <AuthCard title="Accept your invitation">
      <p className="muted">Set up your account to start booking your community's amenities.</p>
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
        <Link to="/signin">I already have an account</Link>
      </div>
    </AuthCard>
  )
}
