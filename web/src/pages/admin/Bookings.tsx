import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router'
import { reservationsListOfficeReservations, type OfficeBooking, type ReservationStatus } from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { Empty, PageHeader, StatusBadge } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { useAmenities, useCurrentCommunity } from '../../lib/queries'
import { addDays, formatRange, zonedToInstant } from '../../lib/time'

const STATUSES: readonly ReservationStatus[] = ['pending', 'confirmed', 'cancelled', 'rejected', 'completed']
const PAGE = 25

/** Every booking of the community, as the office looks for one: the filters live in the address,
 * so a filtered list can be bookmarked, shared and reloaded. */
export default function Bookings() {
  const community = useCurrentCommunity()
  const tz = community.timezone
  const amenities = useAmenities(community.id, true).data
  const [params, setParams] = useSearchParams()
  const amenity = params.get('amenity') ?? ''
  const q = params.get('q') ?? ''
  const from = params.get('from') ?? ''
  const to = params.get('to') ?? ''
  const statuses = params.getAll('status') as ReservationStatus[]
  const sort = params.get('sort') === 'desc' ? '-starts_at' : 'starts_at'
  const page = Math.max(0, Number(params.get('page') ?? '0') || 0)
  const query = {
    amenity_id: amenity || undefined,
    q: q || undefined,
    start: from ? zonedToInstant(from, '00:00', tz).toISOString() : undefined,
    end: to ? zonedToInstant(addDays(to, 1), '00:00', tz).toISOString() : undefined,
    status: statuses.length ? statuses : undefined,
    sort: sort as 'starts_at' | '-starts_at',
  } as const
  const list = useQuery({
    queryKey: ['office-bookings', community.id, query, page],
    queryFn: () =>
      unwrap(
        reservationsListOfficeReservations({
          path: { community_id: community.id },
          query: { ...query, offset: page * PAGE, limit: PAGE },
        }),
      ),
    placeholderData: keepPreviousData,
  })
  const [search, setSearch] = useState(q)

  const update = (changes: Record<string, string | string[]>) => {
    const next = new URLSearchParams(params)
    for (const [key, value] of Object.entries(changes)) {
      next.delete(key)
      for (const v of Array.isArray(value) ? value : [value]) if (v) next.append(key, v)
    }
    if (!('page' in changes)) next.delete('page')
    setParams(next)
  }
  const onSearch = (e: FormEvent) => {
    e.preventDefault()
    update({ q: search.trim() })
  }
  const csv = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : value ? [value] : []) csv.append(key, v)
  }
  const total = list.data?.total ?? 0
  const pages = Math.max(1, Math.ceil(total / PAGE))
  const link = (b: OfficeBooking) => `/c/${community.id}/reservations/${b.id}`

  return (
    <>
      <PageHeader title="Bookings" lead="Every booking of the community. Open one to change or cancel it for the household.">
        <a className="btn btn--secondary" href={`/api/v1/communities/${community.id}/admin/reservations.csv?${csv}`} download>
          Download CSV
        </a>
      </PageHeader>
      <form className="filters" role="search" aria-label="Filter bookings" onSubmit={onSearch}>
        <div className="field">
          <label htmlFor="booking-q">Resident or household</label>
          <div className="row">
            <input id="booking-q" type="search" maxLength={100} value={search} placeholder="Name, email or address" onChange={(e) => setSearch(e.target.value)} />
            <button type="submit" className="btn btn--secondary btn--small">
              Search
            </button>
          </div>
        </div>
        <div className="field">
          <label htmlFor="booking-amenity">Amenity</label>
          <select id="booking-amenity" value={amenity} onChange={(e) => update({ amenity: e.target.value })}>
            <option value="">All amenities</option>
            {amenities?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="booking-from">From</label>
          <input id="booking-from" type="date" value={from} onChange={(e) => update({ from: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="booking-to">To</label>
          <input id="booking-to" type="date" value={to} onChange={(e) => update({ to: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="booking-sort">Order</label>
          <select id="booking-sort" value={sort === '-starts_at' ? 'desc' : ''} onChange={(e) => update({ sort: e.target.value })}>
            <option value="">Earliest first</option>
            <option value="desc">Latest first</option>
          </select>
        </div>
        <fieldset>
          <legend className="label">Status</legend>
          {STATUSES.map((s) => (
            <label key={s} className="small">
              <input
                type="checkbox"
                checked={statuses.includes(s)}
                onChange={(e) => update({ status: e.target.checked ? [...statuses, s] : statuses.filter((x) => x !== s) })}
              />{' '}
              {s}
            </label>
          ))}
        </fieldset>
      </form>
      <p className="small muted" aria-live="polite">
        {list.data ? `${total} booking${total === 1 ? '' : 's'}` : null}
      </p>
      <div className="wide-only">
        <AdminTable
          pending={list.isPending}
          error={list.error}
          rows={list.data?.items}
          empty="No booking matches."
          caption="Bookings"
          columns={['When', 'Amenity', 'Household', 'Booked for', 'People', 'Status']}
          renderRow={(b) => (
            <tr key={b.id}>
              <td>
                <Link to={link(b)}>{formatRange(b.starts_at, b.ends_at, tz)}</Link>
              </td>
              <td>{b.amenity_name}</td>
              <td>{b.household_label ?? '—'}</td>
              <td>
                {b.booked_for_name}
                <div className="small muted">{b.booked_for_email}</div>
              </td>
              <td>{b.headcount}</td>
              <td>
                <StatusBadge status={b.status} />
              </td>
            </tr>
          )}
        />
      </div>
      {list.data?.items.length ? (
        <ul className="res-list narrow-only" aria-label="Bookings">
          {list.data.items.map((b) => (
            <li key={b.id} className="card">
              <Link to={link(b)}>
                <strong>{b.amenity_name}</strong>, {formatRange(b.starts_at, b.ends_at, tz)}
              </Link>
              <div className="small">
                {b.booked_for_name} · {b.household_label ?? 'no household'} · {b.headcount} people
              </div>
              <StatusBadge status={b.status} />
            </li>
          ))}
        </ul>
      ) : list.data ? (
        <div className="narrow-only">
          <Empty>No booking matches.</Empty>
        </div>
      ) : null}
      {total > PAGE ? (
        <nav className="row" aria-label="Pages" style={{ marginTop: '1rem' }}>
          <button type="button" className="btn btn--secondary btn--small" disabled={page === 0} onClick={() => update({ page: String(page - 1) })}>
            Previous
          </button>
          <span className="small">
            Page {page + 1} of {pages}
          </span>
          <button type="button" className="btn btn--secondary btn--small" disabled={page + 1 >= pages} onClick={() => update({ page: String(page + 1) })}>
            Next
          </button>
        </nav>
      ) : null}
    </>
  )
}
