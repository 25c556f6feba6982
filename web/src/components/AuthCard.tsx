import type { ReactNode } from 'react'
import { ErrorNotice, HouseIcon, useTitle } from './ui'

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  useTitle(title)
  return (
    <div className="auth-page">
      <main className="auth-card" id="main">
        <div className="brand">
          <HouseIcon />
          <span>HOA Amenities</span>
        </div>
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  )
}

/** The mutation an auth form sends (`useMutation` without variables). */
export interface AuthRequest {
  mutate: () => void
  isPending: boolean
  isSuccess: boolean
  error: unknown
}

/** The form of a signed-out page: the request's error, the fields and one submit button. The
 * button stays busy after a success too: the page then moves on (it navigates or shows its
 * result). `invalid` holds back a submit the browser cannot refuse itself (passwords that differ). */
export function AuthForm({
  request,
  label,
  busyLabel,
  invalid = false,
  children,
}: {
  request: AuthRequest
  label: string
  busyLabel: string
  invalid?: boolean
  children: ReactNode
}) {
  const busy = request.isPending || request.isSuccess
  return (
    <>
      <ErrorNotice error={request.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault()
          if (!invalid) request.mutate()
        }}
      >
        {children}
        <button className="btn btn--block" type="submit" disabled={busy}>
          {busy ? busyLabel : label}
        </button>
      </form>
    </>
  )
}
