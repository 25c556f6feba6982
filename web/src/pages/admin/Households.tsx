import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import {
  membersCreateHousehold,
  membersDeleteHousehold,
  membersListHouseholds,
  membersMergeHousehold,
  membersRenameHousehold,
  membersUpdateMember,
  type HouseholdMember,
  type HouseholdSummary,
} from '../../api'
import { FutureBookingsChoice, futureBookingsAsked } from '../../components/FutureBookingsChoice'
import { Empty, ErrorNotice, Loading, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { useCurrentCommunity } from '../../lib/queries'

const byLabel = (a: HouseholdSummary, b: HouseholdSummary) => a.label.localeCompare(b.label, undefined, { numeric: true })

export default function Households() {
  const community = useCurrentCommunity()
  const cid = community.id
  const households = useQuery({
    queryKey: ['households', cid],
    queryFn: () => unwrap(membersListHouseholds({ path: { community_id: cid } })),
  })
  const [search, setSearch] = useState('')
  const term = search.trim().toLowerCase()
  const sorted = [...(households.data ?? [])].sort(byLabel)
  const shown = term ? sorted.filter((h) => [h.label, ...h.members.map((m) => m.name)].some((t) => t.toLowerCase().includes(term))) : sorted
  return (
    <>
      <PageHeader title="Households" lead="Each home with its people and upcoming bookings: rename, move people, merge or delete homes." />
      <div className="stack">
        <AddHousehold cid={cid} />
        {households.isPending ? <Loading /> : null}
        <ErrorNotice error={households.error} />
        {households.data?.length === 0 ? <Empty>No households yet.</Empty> : null}
        {sorted.length ? (
          <div className="field" style={{ margin: 0, maxWidth: '20rem' }}>
            <label htmlFor="household-search">Find a home or a person</label>
            <input id="household-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          </div>
        ) : null}
        {term && !shown.length ? <Empty>No home or person matches.</Empty> : null}
        <div className="grid">
          {shown.map((h) => (
            <HouseholdCard key={h.id} cid={cid} household={h} all={sorted} />
          ))}
        </div>
      </div>
    </>
  )
}

function useRefresh(cid: string) {
  const qc = useQueryClient()
  return () => Promise.all([qc.invalidateQueries({ queryKey: ['households', cid] }), qc.invalidateQueries({ queryKey: ['members', cid] })])
}

function AddHousehold({ cid }: { cid: string }) {
  const refresh = useRefresh(cid)
  const [label, setLabel] = useState('')
  const add = useMutation({
    mutationFn: () => unwrap(membersCreateHousehold({ path: { community_id: cid }, body: { label: label.trim() } })),
    onSuccess: async () => {
      setLabel('')
      await refresh()
    },
  })
  function submit(e: FormEvent) {
    e.preventDefault()
    add.mutate()
  }
  return (
    <form className="card row" onSubmit={submit} aria-label="Add a household">
      <div className="field" style={{ margin: 0, flex: '1 1 14rem' }}>
        <label htmlFor="new-household">New home's address or unit</label>
        <input id="new-household" required maxLength={100} value={label} onChange={(e) => setLabel(e.target.value)} />
      </div>
      <button type="submit" className="btn" disabled={add.isPending}>
        Add household
      </button>
      <ErrorNotice error={add.error} />
    </form>
  )
}

function HouseholdCard({ cid, household: h, all }: { cid: string; household: HouseholdSummary; all: HouseholdSummary[] }) {
  const refresh = useRefresh(cid)
  const [label, setLabel] = useState<string | null>(null)
  const [into, setInto] = useState('')
  const rename = useMutation({
    mutationFn: (value: string) => unwrap(membersRenameHousehold({ path: { community_id: cid, household_id: h.id }, body: { label: value } })),
    onSuccess: async () => {
      setLabel(null)
      await refresh()
    },
  })
  const merge = useMutation({
    mutationFn: (target: string) =>
      unwrap(membersMergeHousehold({ path: { community_id: cid, household_id: h.id }, body: { into_household_id: target } })),
    onSuccess: refresh,
  })
  const remove = useMutation({
    mutationFn: () => unwrap(membersDeleteHousehold({ path: { community_id: cid, household_id: h.id } })),
    onSuccess: refresh,
  })
  const others = all.filter((o) => o.id !== h.id)
  const headingId = `household-${h.id}`
  const empty = h.members.length === 0 && h.upcoming_bookings === 0
  return (
    <article className="card" aria-labelledby={headingId}>
      {label === null ? (
        <div className="row row--between">
          <h2 id={headingId}>{h.label}</h2>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => setLabel(h.label)} aria-label={`Rename ${h.label}`}>
            Rename
          </button>
        </div>
      ) : (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault()
            rename.mutate(label.trim())
          }}
        >
          <h2 id={headingId} className="visually-hidden">
            {h.label}
          </h2>
          <div className="field" style={{ margin: 0, flex: '1 1 10rem' }}>
            <label htmlFor={`rename-${h.id}`}>New name of {h.label}</label>
            <input id={`rename-${h.id}`} required maxLength={100} value={label} onChange={(e) => setLabel(e.target.value)} />
          </div>
          <button type="submit" className="btn btn--small" disabled={rename.isPending}>
            Save
          </button>
          <button type="button" className="btn btn--ghost btn--small" onClick={() => setLabel(null)}>
            Cancel
          </button>
        </form>
      )}
      <ErrorNotice error={rename.error ?? merge.error ?? remove.error} />
      <p className="small muted">
        {h.upcoming_bookings === 1 ? '1 upcoming booking' : `${h.upcoming_bookings || 'No'} upcoming bookings`}
      </p>
      {h.members.length ? (
        <ul className="plain-list" aria-label={`People of ${h.label}`}>
          {h.members.map((m) => (
            <MemberLine key={m.id} cid={cid} member={m} others={others} />
          ))}
        </ul>
      ) : (
        <p className="small muted">Nobody lives here yet.</p>
      )}
      {others.length ? (
        <div className="row">
          <label className="visually-hidden" htmlFor={`merge-${h.id}`}>
            Merge {h.label} into
          </label>
          <select id={`merge-${h.id}`} value={into} onChange={(e) => setInto(e.target.value)}>
            <option value="">Merge into…</option>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="btn btn--secondary btn--small"
            disabled={!into || merge.isPending}
            onClick={() => {
              const target = others.find((o) => o.id === into)
              if (target && window.confirm(`Merge ${h.label} into ${target.label}? Its people and bookings move there and ${h.label} is deleted.`)) merge.mutate(target.id)
            }}
          >
            Merge
          </button>
        </div>
      ) : null}
      {empty ? (
        <button type="button" className="btn btn--ghost btn--small" disabled={remove.isPending} onClick={() => remove.mutate()} aria-label={`Delete household ${h.label}`}>
          Delete household
        </button>
      ) : null}
    </article>
  )
}

function MemberLine({ cid, member: m, others }: { cid: string; member: HouseholdMember; others: HouseholdSummary[] }) {
  const refresh = useRefresh(cid)
  const [target, setTarget] = useState<string | null>(null)
  const move = useMutation({
    mutationFn: ({ to, future }: { to: string | null; future?: 'keep' | 'cancel' }) =>
      unwrap(membersUpdateMember({ path: { community_id: cid, member_id: m.id }, body: { household_id: to, future_bookings: future } })),
    onSuccess: async () => {
      setTarget(null)
      await refresh()
    },
  })
  const asked = futureBookingsAsked(move.error)
  const id = `move-${m.id}`
  return (
    <li>
      <div className="row row--between">
        <span>
          {m.name}
          {m.role === 'admin' ? <span className="small muted"> · admin</span> : null}
          {m.status === 'suspended' ? <span className="small muted"> · suspended</span> : null}
        </span>
        <span className="row">
          <label className="visually-hidden" htmlFor={id}>
            Move {m.name} to
          </label>
          <select
            id={id}
            value=""
            disabled={move.isPending}
            onChange={(e) => {
              const to = e.target.value === '__none' ? null : e.target.value
              setTarget(to)
              move.mutate({ to })
            }}
          >
            <option value="">Move to…</option>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
            <option value="__none">No household</option>
          </select>
        </span>
      </div>
      {asked !== null ? (
        <FutureBookingsChoice
          name={m.name}
          count={asked}
          pending={move.isPending}
          onChoose={(future) => move.mutate({ to: target, future })}
          onCancel={() => move.reset()}
        />
      ) : (
        <ErrorNotice error={move.error} />
      )}
    </li>
  )
}
