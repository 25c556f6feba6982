import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { authRequestPasswordReset } from '../api'
import { AuthCard, AuthForm } from '../components/AuthCard'
import { Notice } from '../components/ui'
import { unwrap } from '../lib/http'

export default function ForgotPassword() {
  const [email, setEmail] = useState('')
  const send = useMutation({
    // resolves with the address as sent: the field stays editable while the request runs
    mutationFn: async () => {
      await unwrap(authRequestPasswordReset({ body: { email } }))
      return email
    },
  })

  if (send.isSuccess) {
    return (
      <AuthCard title="Check your email">
        <Notice kind="ok" title="If an account uses this address, a reset link is on its way.">
          <p>
            We sent it to <strong>{send.data}</strong>. The link works for an hour, once. Nothing arrived? Check your spam
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
      <AuthForm request={send} label="Send reset link" busyLabel="Sending…">
        <div className="field">
          <label htmlFor="email">Email</label>
          <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
      </AuthForm>
      <div className="auth-links">
        <Link to="/signin">Back to sign in</Link>
      </div>
    </AuthCard>
  )
}
