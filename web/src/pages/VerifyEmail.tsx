import { useMutation, useQueryClient } from '@tanstack/react-query'
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
  const verify = useMutation({
    mutationFn: () => unwrap(authVerifyEmail({ body: { token } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.me }),
  })

  return (
    <AuthCard title="Verify your email">
      {verify.isSuccess ? (
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
          <ErrorNotice error={verify.error} />
          <button className="btn btn--block" type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? 'Verifying…' : 'Verify my email'}
          </button>
        </>
      )}
      <div className="auth-links">
        <Link to="/">Go to the app</Link>
      </div>
    </AuthCard>
  )
}
