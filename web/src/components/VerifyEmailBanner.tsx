import { useState } from 'react'
import { authSendVerificationEmail } from '../api'
import { explain } from '../lib/errors'
import { unwrap } from '../lib/http'
import { useMe } from '../lib/queries'

/** Asks an account made with a join code to confirm its address; booking works meanwhile. */
export function VerifyEmailBanner() {
  const me = useMe().data
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<string | null>(null)
  if (!me || me.email_verified) return null

  async function resend() {
    setBusy(true)
    try {
      await unwrap(authSendVerificationEmail())
      setResult('A new link is on its way.')
    } catch (err) {
      setResult(explain(err).title)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="verify-banner" role="status">
      Please confirm your email address: open the link we sent to <strong>{me.email}</strong>.{' '}
      {result ?? (
        <button className="btn btn--ghost" type="button" onClick={resend} disabled={busy}>
          {busy ? 'Sending…' : 'Send the link again'}
        </button>
      )}
    </div>
  )
}
