import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { authVerifyEmail } from '../api'
import { AuthCard } from '../components/AuthCard'
import { ErrorNotice, Notice } from '../components/ui'
import { unwrap } from '../lib/http'
import { keys } from '../lib/queries'

/** Verifies on a click, not on load: mail scanners open links, and a GET must change nothing. */
export default function VerifyEmail() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const qc = useQueryClient()
  const [done, setDone] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function verify() {
    setBusy(true)
    setError(null)
    try {
      await unwrap(authVerifyEmail({ body: { token } }))
      await qc.invalidateQueries({ queryKey: keys.me })
      setDone(true)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <AuthCard title="Verify your email">
      {done ? (
        <Notice kind="ok" title="Your email address is verified.">
          <p>Thank you. You can close this page or go on booking.</p>
        </Notice>
      ) : !token ? (
        <Notice kind="warn" title="This link is incomplete.">
          <p>Open the link from your email again, or ask for a new one from the banner in the app.</p>
        </Notice>
      ) : (
        <>
          <p className="muted">Confirm that this email address is yours.</p>
          <ErrorNotice error={error} />
          <button className="btn btn--block" type="button" onClick={verify} disabled={busy}>
            {busy ? 'Verifying…' : 'Verify my email'}
          </button>
        </>
      )}
      <div className="auth-links">
        <Link to="/">Go to the app</Link>
      </div>
    </AuthCard>
  )
}
