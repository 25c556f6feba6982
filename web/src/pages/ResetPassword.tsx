import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { authConfirmPasswordReset } from '../api'
import { AuthCard } from '../components/AuthCard'
import { NewPasswordFields, passwordsDiffer } from '../components/NewPasswordFields'
import { ErrorNotice, Notice } from '../components/ui'
import { ApiError } from '../lib/errors'
import { unwrap } from '../lib/http'
import { keys } from '../lib/queries'

export default function ResetPassword() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const qc = useQueryClient()
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [done, setDone] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const mismatch = passwordsDiffer(password, confirm)
  const linkDead = error instanceof ApiError && error.code === 'auth.invalid_reset_token'

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (mismatch) return
    setBusy(true)
    setError(null)
    try {
      await unwrap(authConfirmPasswordReset({ body: { token, password } }))
      // every session ended, this browser's too
      qc.setQueryData(keys.me, null)
      setDone(true)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (done) {
    return (
      <AuthCard title="Password changed">
        <Notice kind="ok" title="Your new password is set.">
          <p>For your safety you were signed out everywhere. Sign in with the new password.</p>
        </Notice>
        <Link className="btn btn--block" to="/signin">
          Sign in
        </Link>
      </AuthCard>
    )
  }
  if (!token || linkDead) {
    return (
      <AuthCard title="Choose a new password">
        <Notice kind="warn" title={token ? 'This reset link is used or expired.' : 'This link is incomplete.'}>
          <p>Reset links work once, for an hour. Ask for a new one.</p>
        </Notice>
        <div className="auth-links">
          <Link to="/forgot-password">Send a new reset link</Link>
          <Link to="/signin">Back to sign in</Link>
        </div>
      </AuthCard>
    )
  }
  return (
    <AuthCard title="Choose a new password">
      <ErrorNotice error={error} />
      <form onSubmit={submit}>
        <NewPasswordFields
          id="password"
          label="New password"
          repeatLabel="Repeat the new password"
          hint="At least 12 characters. A short sentence is easy to remember."
          password={password}
          repeat={confirm}
          onPassword={setPassword}
          onRepeat={setConfirm}
        />
        <button className="btn btn--block" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Set new password'}
        </button>
      </form>
    </AuthCard>
  )
}
