import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { authLogin } from '../api'
import { AuthCard, AuthForm } from '../components/AuthCard'
import { unwrap } from '../lib/http'
import { keys } from '../lib/queries'

/** Only paths inside this app: `next` comes from the URL. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/'
}

export default function SignIn() {
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const signIn = useMutation({
    mutationFn: () => unwrap(authLogin({ body: { email, password } })),
    onSuccess: async () => {
      await qc.resetQueries({ queryKey: keys.me })
      navigate(safeNext(params.get('next')), { replace: true })
    },
  })

  return (
    <AuthCard title="Sign in">
      <p className="muted">Book your community's clubhouse, pool, courts and more.</p>
      <AuthForm request={signIn} label="Sign in" busyLabel="Signing in…">
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
      </AuthForm>
      <div className="auth-links">
        <Link to="/forgot-password">Forgot password?</Link>
        <Link to="/join">Join with a community code</Link>
      </div>
      <p className="small muted" style={{ marginTop: '1rem' }}>
        Got an invitation email? Open its link to set up your account.
      </p>
    </AuthCard>
  )
}
