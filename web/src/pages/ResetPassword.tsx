import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { authConfirmPasswordReset } from '../api'
import { AuthCard, AuthForm } from '../components/AuthCard'
import { NewPasswordFields, passwordsDiffer } from '../components/NewPasswordFields'
import { Notice } from '../components/ui'
import { ApiError } from '../lib/errors'
import { unwrap } from '../lib/http'
import { keys } from '../lib/queries'

export default function ResetPassword() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const qc = useQueryClient()
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const mismatch = passwordsDiffer(password, confirm)
  const reset = useMutation({
    mutationFn: () => unwrap(authConfirmPasswordReset({ body: { token, password } })),
    onSuccess: () => {
      // every session ended, this browser's too
      qc.setQueryData(keys.me, null)
    },
  })
  const linkDead = reset.error instanceof ApiError && reset.error.code === 'auth.invalid_reset_token'

  if (reset.isSuccess) {
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
      <AuthForm request={reset} label="Set new password" busyLabel="Saving…" invalid={mismatch}>
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
      </AuthForm>
    </AuthCard>
  )
}
