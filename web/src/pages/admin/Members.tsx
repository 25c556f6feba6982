import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import {
  membersCreateHousehold,
  membersCreateInvitation,
  membersDisableJoinCode,
  membersGetJoinCode,
  membersListHouseholds,
  membersListInvitations,
  membersListMembers,
  membersRemoveMember,
  membersRevokeInvitation,
  membersRotateJoinCode,
  membersUpdateMember,
  type InvitationCreated,
  type MemberRead,
  type Role,
} from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { FutureBookingsChoice, futureBookingsAsked } from '../../components/FutureBookingsChoice'
import { JoinRequestList } from '../../components/JoinRequestList'
import { CopyBox, ErrorNotice, Loading, LoadMore, Notice, PageHeader } from '../../components/ui'
import { useDebounced } from '../../lib/hooks'
import { unwrap } from '../../lib/http'
import { useCurrentCommunity, useMe } from '../../lib/queries'
import { formatDay } from '../../lib/time'

export default function Members() {
  const community = useCurrentCommunity()
  return (
    <>
      <PageHeader title="Members" lead="Invite residents, change roles, suspend or remove access. Homes are managed under Households." />
      <div className="stack">
        <div className="grid">
          <InviteForm cid={community.id} />
          <JoinCode cid={community.id} />
        </div>
        <section className="card" aria-labelledby="join-requests-heading">
          <h2 id="join-requests-heading">Waiting for approval</h2>
          <p className="small muted">People who joined with the code. They see and book nothing until approved.</p>
          <JoinRequestList cid={community.id} tz={community.timezone} admin />
        </section>
        <Invitations cid={community.id} tz={community.timezone} />
        <MemberList cid={community.id} tz={community.timezone} />
      </div>
    </>
  )
}

function MemberList({ cid, tz }: { cid: string; tz: string }) {
  const [search, setSearch] = useState('')
  const q = useDebounced(search.trim(), 300)
  const members = useInfiniteQuery({
    queryKey: ['members', cid, 'search', q],
    queryFn: ({ pageParam }) =>
      unwrap(membersListMembers({ path: { community_id: cid }, query: { q: q || undefined, limit: 25, cursor: pageParam || undefined } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  })
  return (
    <section className="card" aria-labelledby="members-heading">
      <div className="row row--between">
        <h2 id="members-heading">Members</h2>
        <div className="field" style={{ margin: 0, minWidth: '16rem' }}>
          <label htmlFor="member-search" className="visually-hidden">
            Search members
          </label>
          <input id="member-search" type="search" placeholder="Search by name, email or home" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
      </div>
      <AdminTable
        pending={members.isPending}
        error={members.error}
        rows={members.data?.pages.flatMap((p) => p.items)}
        empty="No members match."
        columns={['Name', 'Home', 'Role', 'Status']}
        actions
        renderRow={(m) => <MemberRow key={m.id} member={m} cid={cid} tz={tz} />}
      />
      <LoadMore pages={members} label="Show more members" />
    </section>
  )
}

function MemberRow({ member: m, cid, tz }: { member: MemberRead; cid: string; tz: string }) {
  const qc = useQueryClient()
  const me = useMe().data
  const refresh = () => qc.invalidateQueries({ queryKey: ['members', cid] })
  const update = useMutation({
    mutationFn: (body: { role?: Role; status?: 'active' | 'suspended' }) =>
      unwrap(membersUpdateMember({ path: { community_id: cid, member_id: m.id }, body })),
    onSuccess: refresh,
  })
  const remove = useMutation({
    mutationFn: (future?: 'keep' | 'cancel') =>
      unwrap(membersRemoveMember({ path: { community_id: cid, member_id: m.id }, query: { future_bookings: future } })),
    onSuccess: () => Promise.all([refresh(), qc.invalidateQueries({ queryKey: ['households', cid] })]),
  })
  const asked = futureBookingsAsked(remove.error)
  const self = me?.id === m.user_id
  return (
    <tr>
      <td>
        <strong>{m.name}</strong>
        {self ? ' (you)' : ''}
        <div className="small muted">{m.email}</div>
        <div className="small muted">Member since {formatDay(m.created_at, tz)}</div>
        {asked !== null ? (
          <FutureBookingsChoice name={m.name} count={asked} pending={remove.isPending} onChoose={(future) => remove.mutate(future)} onCancel={() => remove.reset()} />
        ) : (
          <ErrorNotice error={update.error ?? remove.error} />
        )}
      </td>
      <td>{m.household_label ?? <span className="muted">none</span>}</td>
      <td>
        <label className="visually-hidden" htmlFor={`role-${m.id}`}>
          Role of {m.name}
        </label>
        <select id={`role-${m.id}`} value={m.role} disabled={update.isPending} onChange={(e) => update.mutate({ role: e.target.value as Role })}>
          <option value="resident">Resident</option>
          <option value="admin">Admin</option>
        </select>
      </td>
      <td>
        <span className={`status status--${m.status === 'active' ? 'confirmed' : 'cancelled'}`}>{m.status === 'active' ? 'Active' : 'Suspended'}</span>
      </td>
      <td>
        <div className="row">
          <button
            type="button"
            className="btn btn--secondary btn--small"
            disabled={update.isPending || self}
            onClick={() => update.mutate({ status: m.status === 'active' ? 'suspended' : 'active' })}
            aria-label={`${m.status === 'active' ? 'Suspend' : 'Reactivate'} ${m.name}`}
          >
            {m.status === 'active' ? 'Suspend' : 'Reactivate'}
          </button>
          <button
            type="button"
            className="btn btn--ghost btn--small"
            disabled={remove.isPending || self}
            onClick={() => {
              if (window.confirm(`Remove ${m.name} from the community?`)) remove.mutate(undefined)
            }}
            aria-label={`Remove ${m.name}`}
          >
            Remove
          </button>
        </div>
      </td>
    </tr>
  )
}

function InviteForm({ cid }: { cid: string }) {
  const qc = useQueryClient()
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<Role>('resident')
  const [householdId, setHouseholdId] = useState('')
  const [newHousehold, setNewHousehold] = useState('')
  const [created, setCreated] = useState<InvitationCreated | null>(null)
  const households = useQuery({
    queryKey: ['households', cid],
    queryFn: () => unwrap(membersListHouseholds({ path: { community_id: cid } })),
  })
  const invite = useMutation({
    mutationFn: async () => {
      let household = householdId || null
      if (householdId === '__new') {
        const h = await unwrap(membersCreateHousehold({ path: { community_id: cid }, body: { label: newHousehold.trim() } }))
        household = h.id
        await qc.invalidateQueries({ queryKey: ['households', cid] })
      }
      return unwrap(membersCreateInvitation({ path: { community_id: cid }, body: { email, role, household_id: household } }))
    },
    onSuccess: async (result) => {
      setCreated(result)
      setEmail('')
      setHouseholdId('')
      setNewHousehold('')
      await qc.invalidateQueries({ queryKey: ['invitations', cid] })
    },
  })
  function submit(e: FormEvent) {
    e.preventDefault()
    invite.mutate()
  }
  const sorted = [...(households.data ?? [])].sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }))
  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="invite-email">Email</label>
          <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="form-grid">
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="resident">Resident</option>
              <option value="admin">Admin</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="invite-household">Home</label>
            <select id="invite-household" value={householdId} onChange={(e) => setHouseholdId(e.target.value)}>
              <option value="">No home yet</option>
              {sorted.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.label}
                </option>
              ))}
              <option value="__new">New home…</option>
            </select>
          </div>
        </div>
        {householdId === '__new' ? (
          <div className="field">
            <label htmlFor="invite-new-household">New home's address or unit</label>
            <input id="invite-new-household" type="text" required maxLength={100} value={newHousehold} onChange={(e) => setNewHousehold(e.target.value)} />
          </div>
        ) : null}
        <button type="submit" className="btn" disabled={invite.isPending}>
          Create invitation
        </button>
      </form>
      <ErrorNotice error={invite.error} />
      {created ? (
        <Notice kind="ok" title={`Invitation for ${created.email} created.`}>
          <p>Send this link to them (it is shown only once):</p>
          <CopyBox key={created.accept_url} id="invite-link" label="Invitation link" value={created.accept_url} />
        </Notice>
      ) : null}
    </section>
  )
}

function JoinCode({ cid }: { cid: string }) {
  const qc = useQueryClient()
  const code = useQuery({
    queryKey: ['join-code', cid],
    queryFn: () => unwrap(membersGetJoinCode({ path: { community_id: cid } })),
  })
  const rotate = useMutation({
    mutationFn: () => unwrap(membersRotateJoinCode({ path: { community_id: cid } })),
    onSuccess: (data) => qc.setQueryData(['join-code', cid], data),
  })
  const disable = useMutation({
    mutationFn: () => unwrap(membersDisableJoinCode({ path: { community_id: cid } })),
    onSuccess: () => qc.setQueryData(['join-code', cid], { code: null }),
  })
  const current = code.data?.code
  return (
    <section className="card" aria-labelledby="join-code-heading">
      <h2 id="join-code-heading">Join code</h2>
      <p className="small muted">
        Anyone with the code can ask to join from the sign-in page by giving their home's address, which must already be listed.
        You approve each request before they see or book anything.
      </p>
      {code.isPending ? <Loading /> : null}
      <ErrorNotice error={code.error ?? rotate.error ?? disable.error} />
      {code.data ? (
        current ? (
          <p>
            Current code: <code style={{ fontSize: '1.2rem', fontWeight: 700 }}>{current}</code>
          </p>
        ) : (
          <p>Joining by code is turned off.</p>
        )
      ) : null}
      <div className="row">
        <button type="button" className="btn btn--secondary btn--small" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
          {current ? 'Make a new code' : 'Turn on joining by code'}
        </button>
        {current ? (
          <button type="button" className="btn btn--ghost btn--small" disabled={disable.isPending} onClick={() => disable.mutate()}>
            Turn off
          </button>
        ) : null}
      </div>
    </section>
  )
}

function Invitations({ cid, tz }: { cid: string; tz: string }) {
  const qc = useQueryClient()
  const invitations = useQuery({
    queryKey: ['invitations', cid],
    queryFn: () => unwrap(membersListInvitations({ path: { community_id: cid } })),
  })
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(membersRevokeInvitation({ path: { community_id: cid, invitation_id: id } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['invitations', cid] }),
  })
  if (!invitations.data?.length) return null
  return (
    <section className="card" aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Open invitations</h2>
      <ErrorNotice error={revoke.error} />
      <ul className="facts">
        {invitations.data.map((i) => (
          <li key={i.id}>
            {i.email} · {i.role} · expires {formatDay(i.expires_at, tz)}{' '}
            <button type="button" className="btn btn--ghost btn--small" onClick={() => revoke.mutate(i.id)} aria-label={`Revoke the invitation of ${i.email}`}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}
