import { Suspense, useEffect } from 'react'
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate, useParams } from 'react-router'
import { ErrorNotice, HouseIcon, Icon, Loading } from '../components/ui'
import { VerifyEmailBanner } from '../components/VerifyEmailBanner'
import { useOffline } from '../lib/offline'
import { useCommunity, useMe, usePendingRequests } from '../lib/queries'
import { setDisplayLocale } from '../lib/time'

const LAST_COMMUNITY = 'hoa:last-community'

export function rememberCommunity(id: string): void {
  try {
    localStorage.setItem(LAST_COMMUNITY, id)
  } catch {
    // private mode: nothing to remember
  }
}

export function lastCommunity(): string | null {
  try {
    return localStorage.getItem(LAST_COMMUNITY)
  } catch {
    return null
  }
}

function OfflineBanner() {
  const { offline, staleSince } = useOffline()
  if (!offline) return null
  const when = staleSince
    ? ` as of ${new Date(staleSince).toLocaleString([], { weekday: 'short', hour: 'numeric', minute: '2-digit' })}`
    : ''
  return (
    <div className="offline-banner" role="status">
      You're offline. Showing what was last loaded{when}. Booking and changes need a connection.
    </div>
  )
}

export function RootLayout() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <OfflineBanner />
      <Suspense fallback={<Loading />}>
        <Outlet />
      </Suspense>
    </>
  )
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/)
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase() || '?'
}

function CommunitySwitcher() {
  const me = useMe().data
  const { communityId } = useParams()
  const navigate = useNavigate()
  const active = (me?.memberships ?? []).filter((m) => m.status === 'active')
  const current = active.find((m) => m.community_id === communityId)
  if (active.length <= 1) {
    return <span className="community-name">{current?.community_name}</span>
  }
  return (
    <div className="community-switch">
      <label htmlFor="community-switch">Community</label>
      <select
        id="community-switch"
        value={communityId}
        onChange={(e) => {
          rememberCommunity(e.target.value)
          navigate(`/c/${e.target.value}`)
        }}
      >
        {active.map((m) => (
          <option key={m.community_id} value={m.community_id}>
            {m.community_name}
          </option>
        ))}
      </select>
    </div>
  )
}

function MainNav({ isAdmin, pending }: { isAdmin: boolean; pending: number }) {
  return (
    <nav className="main-nav" aria-label="Main">
      <ul>
        <li>
          <NavLink to="." end>
            <Icon name="home" />
            Home
          </NavLink>
        </li>
        <li>
          <NavLink to="book">
            <Icon name="book" />
            Book
          </NavLink>
        </li>
        <li>
          <NavLink to="calendar">
            <Icon name="calendar" />
            Calendar
          </NavLink>
        </li>
        <li>
          <NavLink to="reservations">
            <Icon name="list" />
            <span className="nav-desktop">My reservations</span>
            <span className="nav-mobile">Bookings</span>
          </NavLink>
        </li>
        {isAdmin ? (
          <li>
            <NavLink to="admin">
              <Icon name="admin" />
              Admin
              {pending ? (
                <span className="badge">
                  {pending > 99 ? '99+' : pending}
                  <span className="visually-hidden"> requests waiting</span>
                </span>
              ) : null}
            </NavLink>
          </li>
        ) : null}
      </ul>
    </nav>
  )
}

/** Everything under /c/:communityId: signed in, a member, header and navigation. */
export function CommunityLayout() {
  const me = useMe()
  const community = useCommunity()
  const location = useLocation()
  const { communityId } = useParams()
  const pending = usePendingRequests(community?.id ?? '', Boolean(community?.isAdmin))

  useEffect(() => {
    if (community) rememberCommunity(community.id)
  }, [community])

  if (me.isPending) return <Loading />
  if (me.error && !me.data) {
    return (
      <main id="main">
        <ErrorNotice error={me.error} />
      </main>
    )
  }
  if (!me.data) {
    return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />
  }
  const waiting = me.data.memberships.find((m) => m.community_id === communityId && m.status === 'pending')
  if (waiting) {
    return (
      <main id="main">
        <h1>Waiting for approval</h1>
        <p>Your request to join {waiting.community_name} is waiting for approval by the community office. You'll get an email once you're in.</p>
        <Link to="/">Go to your communities</Link>
      </main>
    )
  }
  if (community === undefined) return <Loading />
  if (!community) {
    return (
      <main id="main">
        <h1>Community not found</h1>
        <p>You're not a member of this community, or your membership is suspended.</p>
        <Link to="/">Go to your communities</Link>
      </main>
    )
  }
  if (community.suspendedReason !== null && !community.isAdmin) {
    return (
      <main id="main">
        <h1>{community.name} is suspended</h1>
        <p>The platform operator suspended this community: {community.suspendedReason}</p>
        <p>Nothing can be booked or changed until it is resumed; your bookings are kept. Contact your community office.</p>
        <Link to="/">Go to your communities</Link>
      </main>
    )
  }
  // Before the pages render: they format times in the community's locale.
  setDisplayLocale(community.locale)
  return (
    <>
      <header className="app-header">
        <div className="app-header__inner">
          <Link className="brand" to=".">
            <HouseIcon />
            <span className="visually-hidden">HOA Amenities home</span>
          </Link>
          <CommunitySwitcher />
          <span className="header-spacer" />
          <Link className="account-link" to="account">
            <span aria-hidden="true">{initials(me.data.name)}</span>
            <span className="visually-hidden">Your account ({me.data.name})</span>
          </Link>
        </div>
      </header>
      <VerifyEmailBanner />
      {community.suspendedReason !== null ? (
        <div className="operator-banner" role="status">
          {community.name} is suspended: {community.suspendedReason}. You can look, but nothing can be booked or changed.
        </div>
      ) : null}
      {community.asOperator ? (
        <div className="operator-banner" role="status">
          You're in {community.name} as the platform operator; what you change here is audited as yours.{' '}
          <Link to="/operator">Back to the operator console</Link>
        </div>
      ) : null}
      <MainNav isAdmin={community.isAdmin} pending={pending.data?.length ?? 0} />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </>
  )
}
