import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import {
  membersApproveJoinRequest,
  membersDeclineJoinRequest,
  membersListHouseholds,
  membersListJoinRequests,
  type JoinRequestRead,
} from '../api'
import { unwrap } from '../lib/http'
import { formatDay } from '../lib/time'
import { ErrorNotice, Loading } from './ui'

/** People who joined with the code and wait for approval. Admins may put them in another home
 * than the one they named; members of a home approve or decline those who named theirs. */
export function JoinRequestList({ cid, tz, admin }: { cid: string; tz: string; admin: boolean }) {
  const requests = useQuery({
    queryKey: ['join-requests', cid],
    queryFn: () => unwrap(membersListJoinRequests({ path: { community_id: cid } })),
  })
  const households = useQuery({
    queryKey: ['households', cid],
    queryFn: () => unwrap(membersListHouseholds({ path: { community_id: cid } })),
    enabled: admin,
  })
  if (requests.isPending) return <Loading />
  if (!requests.data) return <ErrorNotice error={requests.error} />
  if (!requests.data.length) return <p className="muted">No one is waiting to join.</p>
  const homes = [...(households.data ?? [])].sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }))
  return (
    <ul className="facts">
      {requests.data.map((r) => (
        <JoinRequestItem key={r.id} request={r} cid={cid} tz={tz} homes={admin ? homes : null} />
      ))}
    </ul>
  )
}

function JoinRequestItem({
  request: r,
  cid,
  tz,
  homes,
}: {
  request: JoinRequestRead
  cid: string
  tz: string
  homes: { id: string; label: string }[] | null
}) {
  const qc = useQueryClient()
  const [home, setHome] = useState(r.household_id ?? '')
  const done = async () => {
    await qc.invalidateQueries({ queryKey: ['join-requests', cid] })
    await qc.invalidateQueries({ queryKey: ['members', cid] })
  }
  const approve = useMutation({
    mutationFn: () =>
      unwrap(
        membersApproveJoinRequest({
          path: { community_id: cid, request_id: r.id },
          body: homes && home ? { household_id: home } : {},
        }),
      ),
    onSuccess: done,
  })
  const decline = useMutation({
    mutationFn: () => unwrap(membersDeclineJoinRequest({ path: { community_id: cid, request_id: r.id } })),
    onSuccess: done,
  })
  const busy = approve.isPending || decline.isPending
  return (
    <li>
      <strong>{r.name}</strong> · {r.email}
      {r.email_verified ? '' : ' (email not confirmed yet)'}
      <div className="small muted">
        Asked {formatDay(r.created_at, tz)} to join {r.household_label ?? 'a home that no longer exists'}
      </div>
      <ErrorNotice error={approve.error ?? decline.error} />
      <div className="row">
        {homes ? (
          <div className="field" style={{ margin: 0 }}>
            <label htmlFor={`home-${r.id}`} className="visually-hidden">
              Home of {r.name}
            </label>
            <select id={`home-${r.id}`} value={home} onChange={(e) => setHome(e.target.value)}>
              {r.household_id ? null : <option value="">Choose a home</option>}
              {homes.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.label}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <button type="button" className="btn btn--small" disabled={busy} onClick={() => approve.mutate()} aria-label={`Approve ${r.name}`}>
          Approve
        </button>
        <button
          type="button"
          className="btn btn--ghost btn--small"
          disabled={busy}
          onClick={() => {
            if (window.confirm(`Decline ${r.name}'s request to join?`)) decline.mutate()
          }}
          aria-label={`Decline ${r.name}`}
        >
          Decline
        </button>
      </div>
    </li>
  )
}
