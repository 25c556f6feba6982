import { NavLink, Outlet } from 'react-router'
import { Notice } from '../../components/ui'
import { useCurrentCommunity, usePendingRequests } from '../../lib/queries'

export default function AdminLayout() {
  const community = useCurrentCommunity()
  const pending = usePendingRequests(community.id, community.isAdmin)
  if (!community.isAdmin) {
    return <Notice kind="warn" title="Only community admins can see this page." />
  }
  const count = pending.data?.length ?? 0
  return (
    <>
      <nav className="sub-nav" aria-label="Admin">
        <NavLink to="." end>
          Approvals
          {count ? (
            <span className="badge">
              {count}
              <span className="visually-hidden"> waiting</span>
            </span>
          ) : null}
        </NavLink>
        <NavLink to="amenities">Amenities</NavLink>
        <NavLink to="blackouts">Closures</NavLink>
        <NavLink to="members">Members</NavLink>
        <NavLink to="households">Households</NavLink>
        <NavLink to="audit">Audit trail</NavLink>
        <NavLink to="notifications">Notifications</NavLink>
        <NavLink to="settings">Settings</NavLink>
      </nav>
      <Outlet />
    </>
  )
}
