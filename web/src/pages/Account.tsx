import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link } from 'react-router'
import {
  accountCreateCalendarFeed,
  accountDeleteCalendarFeed,
  accountGetNotificationPreferences,
  accountListCalendarFeeds,
  accountUpdateNotificationPreferences,
  authChangePassword,
  authUpdateMe,
  membersGetMyHousehold,
  type AdminAlerts,
  type CalendarFeedCreated,
  type CalendarFeedRead,
  type MeRead,
  type MyMembership,
  type NotificationPreferences,
  type NotificationPreferencesUpdate,
} from '../api'
import { NewPasswordFields, passwordsDiffer } from '../components/NewPasswordFields'
import { CopyBox, ErrorNotice, Loading, Notice, PageHeader } from '../components/ui'
import { unwrap } from '../lib/http'
import { KIND_LABELS } from '../lib/kinds'
import { keys, useAmenities, useMe } from '../lib/queries'
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
  const mismatch = passwordsDiffer(next, repeat)

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
  const adminOf = me.memberships.filter((m) => m.role === 'admin' && m.status === 'active')
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
                {m.status === 'active' && m.household ? <HouseholdMembers membership={m} /> : null}
              </li>
            ))}
          </ul>
          <p style={{ marginTop: '0.75rem' }}>
            <Link to="/join">Join another community with a code</Link>
          </p>
        </section>
        <Details me={me} />
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
            <NewPasswordFields
              id="new-password"
              label="New password"
              repeatLabel="Repeat the new password"
              hint="At least 12 characters."
              password={next}
              repeat={repeat}
              onPassword={setNext}
              onRepeat={setRepeat}
              minLength={8}
            />
            <button type="submit" className="btn" disabled={busy}>
              {busy ? 'Saving…' : 'Change password'}
            </button>
          </form>
        </section>
        <EmailPreferences adminOf={adminOf} />
        <CalendarFeeds adminOf={adminOf} />
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

/** The account's name and phone number. */
function Details({ me }: { me: MeRead }) {
  const qc = useQueryClient()
  const [name, setName] = useState(me.name)
  const [phone, setPhone] = useState(me.phone ?? '')
  const save = useMutation({
    mutationFn: () => unwrap(authUpdateMe({ body: { name, phone } })),
    onSuccess: (data) => {
      qc.setQueryData(keys.me, data)
      setName(data.name)
      setPhone(data.phone ?? '')
    },
  })
  return (
    <section className="card" aria-labelledby="details-heading">
      <h2 id="details-heading">Your details</h2>
      {save.isSuccess ? <Notice kind="ok" title="Details saved." /> : null}
      <ErrorNotice error={save.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate()
        }}
      >
        <div className="field">
          <label htmlFor="account-name">Name</label>
          <input
            id="account-name"
            type="text"
            autoComplete="name"
            required
            maxLength={120}
            value={name}
            onChange={(e) => {
              setName(e.target.value)
              save.reset()
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="account-phone">Phone (optional)</label>
          <input
            id="account-phone"
            type="tel"
            autoComplete="tel"
            maxLength={40}
            value={phone}
            aria-describedby="account-phone-hint"
            onChange={(e) => {
              setPhone(e.target.value)
              save.reset()
            }}
          />
          <span className="hint" id="account-phone-hint">
            With the country code, like +1 555 123 4567, so the office can reach you.
          </span>
        </div>
        <button type="submit" className="btn" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save details'}
        </button>
      </form>
    </section>
  )
}

/** Who else lives in one's household in a community: names and roles, no addresses. */
function HouseholdMembers({ membership }: { membership: MyMembership }) {
  const household = useQuery({
    queryKey: ['household', membership.community_id],
    queryFn: () => unwrap(membersGetMyHousehold({ path: { community_id: membership.community_id } })),
  })
  const members = household.data?.members ?? []
  return (
    <>
      <ErrorNotice error={household.error} />
      {members.length ? (
        <ul className="small muted" aria-label={`Household ${membership.household?.label ?? ''} at ${membership.community_name}`}>
          {members.map((m, i) => (
            <li key={i}>
              {m.name}
              {m.you ? ' (you)' : ''}
              {m.role === 'admin' ? ' · admin' : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  )
}

const PREFERENCES_KEY = ['notification-preferences'] as const
const FEEDS_KEY = ['calendar-feeds'] as const

const ALERT_CHOICES: { value: AdminAlerts; label: string }[] = [
  { value: 'immediate', label: 'An email for each request' },
  { value: 'digest', label: 'A summary every hour' },
  { value: 'off', label: 'No emails' },
]

const CHOICES: { field: 'confirmations' | 'reminders' | 'office_changes'; label: string }[] = [
  { field: 'confirmations', label: 'Confirm my bookings, changes and cancellations by email' },
  { field: 'reminders', label: 'Remind me by email before my bookings' },
  { field: 'office_changes', label: 'Tell me by email when the office books, changes, approves, declines or cancels my bookings' },
]

/** Each kind of booking email for everyone; how admins hear about requests awaiting approval;
 * the account's emails, which are always sent. Each change is saved at once. */
function EmailPreferences({ adminOf }: { adminOf: MyMembership[] }) {
  const prefs = useQuery({
    queryKey: PREFERENCES_KEY,
    queryFn: () => unwrap(accountGetNotificationPreferences()),
  })
  return (
    <section className="card" aria-labelledby="email-heading">
      <h2 id="email-heading">Email notifications</h2>
      {prefs.isPending ? <Loading /> : null}
      <ErrorNotice error={prefs.error} />
      {prefs.data ? <PreferenceControls initial={prefs.data} adminOf={adminOf} /> : null}
      {prefs.data ? (
        <>
          <h3 id="always-sent-heading" className="small">
            Always sent
          </h3>
          <p className="small muted" style={{ marginTop: 0 }}>
            Emails about your account go out whatever you choose above:
          </p>
          <ul className="facts small" aria-labelledby="always-sent-heading">
            {prefs.data.always_sent.map((kind) => (
              <li key={kind}>{KIND_LABELS[kind]}</li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}

/** The controls keep their own state, set in the change event itself: a controlled checkbox
 * whose value only changed after the save started would snap back for a moment. A failed save
 * puts the previous value back. */
function PreferenceControls({ initial, adminOf }: { initial: NotificationPreferences; adminOf: MyMembership[] }) {
  const qc = useQueryClient()
  const [shown, setShown] = useState(initial)
  const save = useMutation({
    mutationFn: (body: NotificationPreferencesUpdate) => unwrap(accountUpdateNotificationPreferences({ body })),
    onSuccess: (data) => qc.setQueryData(PREFERENCES_KEY, data),
  })
  function change(body: Partial<NotificationPreferences>) {
    const before = shown
    setShown({ ...shown, ...body })
    save.mutate(body, { onError: () => setShown(before) })
  }
  return (
    <>
      <ErrorNotice error={save.error} />
      {CHOICES.map(({ field, label }) => (
        <div className="checkbox field" key={field}>
          <input
            id={`pref-${field}`}
            type="checkbox"
            checked={shown[field]}
            disabled={save.isPending}
            onChange={(e) => change({ [field]: e.target.checked })}
          />
          <label htmlFor={`pref-${field}`}>{label}</label>
        </div>
      ))}
      {adminOf.length > 0 ? (
        <div className="field">
          <label htmlFor="pref-admin-alerts">Booking requests waiting for my approval</label>
          <select
            id="pref-admin-alerts"
            value={shown.admin_alerts}
            disabled={save.isPending}
            aria-describedby="pref-admin-alerts-hint"
            onChange={(e) => change({ admin_alerts: e.target.value as AdminAlerts })}
          >
            {ALERT_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <span className="hint" id="pref-admin-alerts-hint">
            For {adminOf.map((m) => m.community_name).join(', ')}.
          </span>
        </div>
      ) : null}
      <p className="small muted" role="status" aria-live="polite">
        {save.isSuccess ? 'Saved.' : ''}
      </p>
    </>
  )
}

/** Secret calendar addresses: the caller's bookings, and for admins one amenity's. An address
 * is shown once, when made or replaced. */
function CalendarFeeds({ adminOf }: { adminOf: MyMembership[] }) {
  const qc = useQueryClient()
  const [shown, setShown] = useState<CalendarFeedCreated | null>(null)
  const feeds = useQuery({ queryKey: FEEDS_KEY, queryFn: () => unwrap(accountListCalendarFeeds()) })
  const create = useMutation({
    mutationFn: (amenityId: string | null) => unwrap(accountCreateCalendarFeed({ body: { amenity_id: amenityId } })),
    onSuccess: async (data) => {
      setShown(data)
      await qc.invalidateQueries({ queryKey: FEEDS_KEY })
    },
  })
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(accountDeleteCalendarFeed({ path: { feed_id: id } })),
    onSuccess: async (_, id) => {
      if (shown?.id === id) setShown(null)
      await qc.invalidateQueries({ queryKey: FEEDS_KEY })
    },
  })
  const busy = create.isPending || revoke.isPending
  const personal = feeds.data?.find((f) => f.kind === 'personal')
  const amenityFeeds = feeds.data?.filter((f) => f.kind === 'amenity') ?? []
  return (
    <section className="card" aria-labelledby="calendar-heading">
      <h2 id="calendar-heading">Calendar subscription</h2>
      <p className="small muted">
        Subscribe to your household's bookings from Google Calendar, Apple Calendar or Outlook. The address is private: anyone
        who has it can see these bookings, so replace it if it was shared by mistake.
      </p>
      {feeds.isPending ? <Loading /> : null}
      <ErrorNotice error={feeds.error ?? create.error ?? revoke.error} />
      {shown ? <FeedAddress feed={shown} /> : null}
      {feeds.data ? (
        <div className="stack">
          {personal ? (
            <FeedRow label="Your bookings" feed={personal} busy={busy} onRotate={() => create.mutate(null)} onRevoke={() => revoke.mutate(personal.id)} />
          ) : (
            <button type="button" className="btn" disabled={busy} onClick={() => create.mutate(null)}>
              Create calendar address
            </button>
          )}
          {amenityFeeds.map((f) => (
            <FeedRow
              key={f.id}
              label={f.amenity_name ?? 'Amenity'}
              feed={f}
              busy={busy}
              onRotate={() => create.mutate(f.amenity_id ?? null)}
              onRevoke={() => revoke.mutate(f.id)}
            />
          ))}
          {adminOf.map((m) => (
            <AmenityFeedPicker
              key={m.community_id}
              membership={m}
              taken={new Set(amenityFeeds.map((f) => f.amenity_id))}
              busy={busy}
              onCreate={(id) => create.mutate(id)}
            />
          ))}
        </div>
      ) : null}
    </section>
  )
}

function FeedAddress({ feed }: { feed: CalendarFeedCreated }) {
  const what = feed.amenity_name ? `${feed.amenity_name}'s bookings` : 'your bookings'
  return (
    <Notice kind="ok" title={`New calendar address for ${what}`}>
      <p>Copy it into your calendar app now: it is shown only once.</p>
      <CopyBox key={feed.url} id="feed-url" label="Calendar address" value={feed.url} />
      <p>
        <a href={feed.webcal_url}>Open in your calendar app</a>
      </p>
    </Notice>
  )
}

function FeedRow(props: { label: string; feed: CalendarFeedRead; busy: boolean; onRotate: () => void; onRevoke: () => void }) {
  const { label, feed, busy, onRotate, onRevoke } = props
  return (
    <div className="row row--between">
      <span>
        <strong>{label}</strong>
        <span className="small muted"> · address made {new Date(feed.created_at).toLocaleDateString()}</span>
      </span>
      <span className="row">
        <button type="button" className="btn btn--secondary btn--small" disabled={busy} onClick={onRotate} aria-label={`Replace address for ${label}`}>
          Replace address
        </button>
        <button type="button" className="btn btn--ghost btn--small" disabled={busy} onClick={onRevoke} aria-label={`Turn off address for ${label}`}>
          Turn off
        </button>
      </span>
    </div>
  )
}

/** Admins: follow every booking of one of their community's amenities. */
function AmenityFeedPicker(props: { membership: MyMembership; taken: Set<string | null | undefined>; busy: boolean; onCreate: (id: string) => void }) {
  const { membership, taken, busy, onCreate } = props
  const amenities = useAmenities(membership.community_id).data ?? []
  const free = amenities.filter((a) => !taken.has(a.id))
  const [picked, setPicked] = useState('')
  if (free.length === 0) return null
  const id = `feed-amenity-${membership.community_id}`
  const chosen = free.some((a) => a.id === picked) ? picked : (free[0]?.id ?? '')
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault()
        if (chosen) onCreate(chosen)
      }}
    >
      <label htmlFor={id}>All bookings of</label>
      <select id={id} value={chosen} onChange={(e) => setPicked(e.target.value)}>
        {free.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name} ({membership.community_name})
          </option>
        ))}
      </select>
      <button type="submit" className="btn btn--secondary btn--small" disabled={busy || !chosen}>
        Create amenity address
      </button>
    </form>
  )
}
