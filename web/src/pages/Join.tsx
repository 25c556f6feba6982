import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { membersJoinWithCode, membersSignUpWithCode } from '../api'
import { AuthCard, AuthForm } from '../components/AuthCard'
import { Loading, Notice } from '../components/ui'
import { unwrap } from '../lib/http'
import { keys, useMe } from '../lib/queries'

export default function Join() {
  const me = useMe()
  const qc = useQueryClient()
  const [code, setCode] = useState('')
  const [home, setHome] = useState('')
  const [name, setName] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const signedIn = Boolean(me.data)
  const join = useMutation({
    // Signed in, the account asks to join at once; otherwise the answer comes before the address is
    // looked up, and the next step arrives by email. Resolves with the address when there is one.
    mutationFn: async () => {
      const place = { code: code.trim(), household_label: home.trim() }
      if (signedIn) {
        await unwrap(membersJoinWithCode({ body: place }))
        return null
      }
      await unwrap(membersSignUpWithCode({ body: { ...place, name, email, password } }))
      return email
    },
    onSuccess: async (sentTo) => {
      if (!sentTo) await qc.resetQueries({ queryKey: keys.me })
    },
  })

  if (me.isPending) return <Loading />
  if (join.isSuccess && join.data) {
    return (
      <AuthCard title="Check your email">
        <Notice kind="ok" title="Open the link we sent to finish.">
          <p>
            We sent it to <strong>{join.data}</strong>: a link to confirm the address of your new account, then sign in with
            the password you chose. Your request to join then waits for approval by your community office; you'll get an
            email once you're in. If the address already has an account, the email has a link to reset its password
            instead: sign in, then join with the code.
          </p>
        </Notice>
        <div className="auth-links">
          <Link to="/signin">Go to sign in</Link>
        </div>
      </AuthCard>
    )
  }
  if (join.isSuccess) {
    return (
      <AuthCard title="Waiting for approval">
        <p>Your request to join is waiting for approval by your community office. You'll get an email once you're in.</p>
        <div className="auth-links">
          <Link to="/">Continue</Link>
        </div>
      </AuthCard>
    )
  }
  return (
    <AuthCard title="Join your community">
      <p className="muted">
        Your community office gives out the join code, for example on a flyer or in the newsletter. The office approves your request
        before you can book.
      </p>
      <AuthForm request={join} label="Join" busyLabel="Joining…">
        <div className="field">
          <label htmlFor="code">Join code</label>
          <input
            id="code"
            type="text"
            autoCapitalize="characters"
            autoComplete="off"
            required
            minLength={4}
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="home">Your home</label>
          <input
            id="home"
            type="text"
            autoComplete="street-address"
            required
            aria-describedby="home-hint"
            value={home}
            onChange={(e) => setHome(e.target.value)}
          />
          <span className="hint" id="home-hint">
            Exactly as your community lists it, for example "12 Maple Ct" or "Unit 2B".
          </span>
        </div>
        {signedIn ? (
          <p className="small muted">You'll join as {me.data?.email}.</p>
        ) : (
          <fieldset>
            <legend>Your account</legend>
            <div className="field">
              <label htmlFor="name">Your name</label>
              <input id="name" type="text" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="email">Email</label>
              <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="password">Choose a password</label>
              <input
                id="password"
                type="password"
                autoComplete="new-password"
                required
                minLength={8}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </div>
          </fieldset>
        )}
      </AuthForm>
      <div className="auth-links">{signedIn ? <Link to="/">Back</Link> : <Link to="/signin">I already have an account</Link>}</div>
    </AuthCard>
  )
}
