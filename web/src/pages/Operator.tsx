import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link, Navigate } from 'react-router'
import {
  communitiesCreateCommunity,
  operatorGetPlatformTotals,
  operatorListAllCommunities,
  operatorListPlatformAuditEvents,
  operatorResumeCommunity,
  operatorSuspendCommunity,
  type CommunityCreated,
  type CommunitySummary,
} from '../api'
import { CopyBox, ErrorNotice, Loading, LoadMore, Notice, PageHeader } from '../components/ui'
import { changes, describeAction } from '../lib/audit'
import { useDebounced } from '../lib/hooks'
import { unwrap } from '../lib/http'
import { useMe } from '../lib/queries'
import { formatDateTime } from '../lib/time'
import { SignOutButton } from './SignOutButton'

/** `/operator`: the platform operator's console, every community and a new one. */
export default function Operator() {
  const me = useMe()
  const [search, setSearch] = useState('')
  const q = useDebounced(search.trim(), 300)
  const communities = useQuery({
    queryKey: ['operator', 'communities', q],
    queryFn: () => unwrap(operatorListAllCommunities({ query: { q: q || undefined } })),
    enabled: Boolean(me.data?.is_operator),
  })
  if (me.isPending) return <Loading />
  if (!me.data) return <Navigate to="/signin?next=/operator" replace />
  if (!me.data.is_operator) return <Navigate to="/" replace />
  return (
    <main id="main" className="operator">
      <PageHeader title="Communities" lead="Every community on this platform.">
        <SignOutButton />
      </PageHeader>
      <div className="stack">
        <Totals />
        <CreateCommunity />
        <section className="card" aria-labelledby="all-communities">
          <div className="row row--between">
            <h2 id="all-communities">All communities</h2>
            <div className="field" style={{ margin: 0, minWidth: '14rem' }}>
              <label htmlFor="community-search" className="visually-hidden">
                Search communities
              </label>
              <input id="community-search" type="search" placeholder="Search by name" value={search} onChange={(e) => setSearch(e.target.value)} />
            </div>
          </div>
          {communities.isPending ? <Loading /> : null}
          <ErrorNotice error={communities.error} />
          {communities.data?.length === 0 ? <p className="muted">No communities match.</p> : null}
          <ul className="facts">
            {(communities.data ?? []).map((c) => (
              <li key={c.id} aria-label={c.name}>
                <strong>{c.name}</strong> <span className="small muted">{c.slug}</span>
                <div className="small">
                  {c.members} members · {c.amenities} amenities · {c.bookings_this_month} bookings this month · last activity{' '}
                  {c.last_activity_at ? formatDateTime(c.last_activity_at, c.timezone) : 'none yet'}
                </div>
                {c.suspended_at ? (
                  <div className="small">
                    <strong>Suspended</strong> since {formatDateTime(c.suspended_at, c.timezone)}: {c.suspended_reason}
                  </div>
                ) : null}
                <div className="row">
                  <Link className="small" to={`/c/${c.id}/admin`}>
                    Open admin console<span className="visually-hidden"> of {c.name}</span>
                  </Link>
                  <Suspension community={c} />
                </div>
              </li>
            ))}
          </ul>
        </section>
        <PlatformAudit />
      </div>
    </main>
  )
}

function CreateCommunity() {
  const qc = useQueryClient()
  const [name, setName] = useState('')
  const [slug, setSlug] = useState('')
  const [timezone, setTimezone] = useState('America/New_York')
  const [adminEmail, setAdminEmail] = useState('')
  const [created, setCreated] = useState<CommunityCreated | null>(null)
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        communitiesCreateCommunity({
          body: { name: name.trim(), slug: slug.trim(), timezone: timezone.trim(), first_admin_email: adminEmail.trim() || null },
        }),
      ),
    onSuccess: async (result) => {
      setCreated(result)
      setName('')
      setSlug('')
      setAdminEmail('')
      await qc.invalidateQueries({ queryKey: PLATFORM })
    },
  })
  function submit(e: FormEvent) {
    e.preventDefault()
    setCreated(null)
    create.mutate()
  }
  return (
    <section className="card" aria-labelledby="new-community">
      <h2 id="new-community">New community</h2>
      <form onSubmit={submit}>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="community-name">Name</label>
            <input id="community-name" type="text" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="community-slug">Short name</label>
            <input
              id="community-slug"
              type="text"
              required
              aria-describedby="community-slug-hint"
              value={slug}
              onChange={(e) => setSlug(e.target.value)}
            />
            <span className="hint" id="community-slug-hint">
              Lowercase letters, digits and dashes, e.g. cedar-hills.
            </span>
          </div>
          <div className="field">
            <label htmlFor="community-timezone">Time zone</label>
            <input id="community-timezone" type="text" required value={timezone} onChange={(e) => setTimezone(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="community-admin">First admin's email</label>
            <input id="community-admin" type="email" value={adminEmail} onChange={(e) => setAdminEmail(e.target.value)} />
          </div>
        </div>
        <button type="submit" className="btn" disabled={create.isPending}>
          Create community
        </button>
      </form>
      <ErrorNotice error={create.error} />
      {created ? (
        <Notice kind="ok" title={`${created.name} created.`}>
          {created.admin_invitation_url ? (
            <>
              <p>Its first admin was invited by email; the link, shown once:</p>
              <CopyBox id="admin-invite-link" label="Admin invitation link" value={created.admin_invitation_url} />
            </>
          ) : null}
        </Notice>
      ) : null}
    </section>
  )
}

const PLATFORM = ['operator'] as const

function Totals() {
  const totals = useQuery({ queryKey: [...PLATFORM, 'totals'], queryFn: () => unwrap(operatorGetPlatformTotals()) })
  return (
    <section className="card" aria-labelledby="platform-totals">
      <h2 id="platform-totals">Platform totals</h2>
      <ErrorNotice error={totals.error} />
      {totals.data ? (
        <dl className="kv">
          <dt>Communities</dt>
          <dd>
            {totals.data.communities}
            {totals.data.suspended_communities ? ` (${totals.data.suspended_communities} suspended)` : ''}
          </dd>
          <dt>Active members</dt>
          <dd>{totals.data.active_members}</dd>
          <dt>Bookings this month</dt>
          <dd>{totals.data.bookings_this_month}</dd>
        </dl>
      ) : (
        <Loading />
      )}
    </section>
  )
}

/** Suspend (with a reason its members are shown) or resume one community. */
function Suspension({ community }: { community: CommunitySummary }) {
  const qc = useQueryClient()
  const [open, setOpen] = useState(false)
  const [reason, setReason] = useState('')
  const change = useMutation({
    mutationFn: () =>
      unwrap(
        community.suspended_at
          ? operatorResumeCommunity({ path: { id: community.id } })
          : operatorSuspendCommunity({ path: { id: community.id }, body: { reason: reason.trim() } }),
      ),
    onSuccess: async () => {
      setOpen(false)
      setReason('')
      await qc.invalidateQueries({ queryKey: PLATFORM })
    },
  })
  const error = <ErrorNotice error={change.error} />
  if (community.suspended_at) {
    return (
      <>
        <button type="button" className="btn btn--secondary" disabled={change.isPending} onClick={() => change.mutate()}>
          Resume<span className="visually-hidden"> {community.name}</span>
        </button>
        {error}
      </>
    )
  }
  if (!open) {
    return (
      <button type="button" className="btn btn--secondary" onClick={() => setOpen(true)}>
        Suspend<span className="visually-hidden"> {community.name}</span>
      </button>
    )
  }
  const id = `suspend-reason-${community.id}`
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        change.mutate()
      }}
    >
      <div className="field">
        <label htmlFor={id}>Why is {community.name} suspended? Its members see this.</label>
        <input id={id} type="text" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="row">
        <button type="submit" className="btn" disabled={change.isPending}>
          Suspend {community.name}
        </button>
        <button type="button" className="btn btn--secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      {error}
    </form>
  )
}

function PlatformAudit() {
  const events = useInfiniteQuery({
    queryKey: [...PLATFORM, 'audit'],
    queryFn: ({ pageParam }) => unwrap(operatorListPlatformAuditEvents({ query: { cursor: pageParam || undefined, limit: 50 } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  })
  const rows = events.data?.pages.flatMap((p) => p.items)
  return (
    <section className="card" aria-labelledby="platform-audit">
      <h2 id="platform-audit">Platform audit log</h2>
      <p className="muted small">What operators did: communities created, suspended and resumed, and their changes inside communities.</p>
      {events.isPending ? <Loading /> : null}
      <ErrorNotice error={events.error} />
      {rows?.length === 0 ? <p className="muted">Nothing recorded yet.</p> : null}
      <ul className="facts" aria-label="Operator actions, newest first">
        {(rows ?? []).map((e) => (
          <li key={e.id}>
            <strong>{describeAction(e.action)}</strong> in {e.community_name ?? 'a deleted community'} by {e.actor_email ?? 'someone'}
            <div className="small muted">
              {formatDateTime(e.created_at, 'UTC')} UTC{changes(e) ? ` · ${changes(e)}` : ''}
            </div>
          </li>
        ))}
      </ul>
      <LoadMore pages={events} />
    </section>
  )
}
