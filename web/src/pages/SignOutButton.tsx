import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { authLogout } from '../api'
import { unwrap } from '../lib/http'
import { clearSnapshots } from '../lib/offline'

export function SignOutButton({ everywhere = false }: { everywhere?: boolean }) {
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [busy, setBusy] = useState(false)
  return (
    <button
      type="button"
      className={everywhere ? 'btn btn--secondary' : 'btn'}
      disabled={busy}
      onClick={async () => {
        setBusy(true)
        try {
          await unwrap(authLogout({ query: { everywhere } }))
        } catch {
          // Signed out already, or offline: forget the session locally all the same.
        }
        clearSnapshots()
        qc.clear()
        navigate('/signin', { replace: true })
      }}
    >
      {everywhere ? 'Sign out on all devices' : 'Sign out'}
    </button>
  )
}
