import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { authRequestPasswordReset } from '../api'
import { AuthCard } from '../components/AuthCard'
import { ErrorNotice, Notice } from '../components/ui'
import { unwrap } from '../lib/http'

export default function ForgotPassword() {
  const [email, setEmail] = useState('')
  const [sentTo, setSentTo] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await unwrap(authRequestPasswordReset({ body: { email } }))
      setSentTo(email)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (sentTo) {
    return (
      <AuthCard title="Check your email">
        <Notice kind="ok" title="If an account uses this address, a reset link is on its way.">
          <p>
            We sent it to <strong>{sentTo}</strong>. The link works for an hour, once. Nothing arrived? Check your spam
            folder, or try again in a few minutes.
          </p>
        </Notice>
        <div className="auth-links">
          <Link to="/signin">Back to sign in</Link>
        </div>
      </AuthCard>
    )
  }
  return (
    <AuthCard title="Forgot your password?">
      <p className="muted">Enter your account's email address and we'll send you a link to choose a new password.</p>
      <ErrorNotice error={error} />
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <button className="btn btn--block" type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send reset link'}
        </button>
      </form>
      <div className="auth-links">
        <Link to="/signin">Back to sign in</Link>
      </div>
    </AuthCard>
  )
}
