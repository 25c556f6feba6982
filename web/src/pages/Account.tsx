import { useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import { authChangePassword } from '../api'
import { ErrorNotice, Notice, PageHeader } from '../components/ui'
import { unwrap } from '../lib/http'
import { keys, useMe } from '../lib/queries'
import { SignOutButton } from './SignOutButton'

export default function Account() {
  const me = useMe().data
  const qc = useQueryClient()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [repeat, setRepeat] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)
  const mismatch = repeat.length > 0 && repeat !== next

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (mismatch) return
    setBusy(true)
    setError(null)
    setSaved(false)
    try {
      await unwrap(authChangePassword({ body: { current_password: current, new_password: next } }))
      setSaved(true)
      setCurrent('')
      setNext('')
      setRepeat('')
      await qc.invalidateQueries({ queryKey: keys.me })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (!me) return null
  return (
    <>
      <PageHeader title="Your account" lead={`${me.name} · ${me.email}`} />
      <div className="grid">
        <section className="card" aria-labelledby="communities-heading">
          <h2 id="communities-heading">Your communities</h2>
          <ul className="facts">
            {me.memberships.map((m) => (
              <li key={m.community_id}>
                {m.status === 'active' ? <Link to={`/c/${m.community_id}`}>{m.community_name}</Link> : m.community_name}
                {' · '}
                {m.role === 'admin' ? 'admin' : 'resident'}
                {m.household ? ` · ${m.household.label}` : ''}
                {m.status !== 'active' ? ' · suspended' : ''}
              </li>
            ))}
          </ul>
          <p style={{ marginTop: '0.75rem' }}>
            <Link to="/join">Join another community with a code</Link>
          </p>
        </section>
        <section className="card" aria-labelledby="password-heading">
          <h2 id="password-heading">Change password</h2>
          {saved ? <Notice kind="ok" title="Password changed.">Other devices have been signed out.</Notice> : null}
          <ErrorNotice error={error} />
          <form onSubmit={submit}>
            <input type="text" name="username" autoComplete="username" value={me.email} readOnly hidden />
            <div className="field">
              <label htmlFor="current-password">Current password</label>
              <input id="current-password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="new-password">New password</label>
              <input id="new-password" type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} aria-describedby="new-password-hint" />
              <span className="hint" id="new-password-hint">
                At least 12 characters.
              </span>
            </div>
            <div className="field">
              <label htmlFor="repeat-password">Repeat the new password</label>
              <input
                id="repeat-password"
                type="password"
                autoComplete="new-password"
                required
                value={repeat}
                aria-invalid={mismatch}
                aria-describedby={mismatch ? 'repeat-error' : undefined}
                onChange={(e) => setRepeat(e.target.value)}
              />
              {mismatch ? (
                <span className="field-error" id="repeat-error">
                  The passwords don't match.
                </span>
              ) : null}
            </div>
            <button type="submit" className="btn" disabled={busy}>
              {busy ? 'Saving…' : 'Change password'}
            </button>
          </form>
        </section>
        <section className="card" aria-labelledby="signout-heading">
          <h2 id="signout-heading">Sign out</h2>
          <p className="muted">Signing out also removes the copy of your reservations kept for offline use.</p>
          <div className="row">
            <SignOutButton />
            <SignOutButton everywhere />
          </div>
        </section>
      </div>
    </>
  )
}
