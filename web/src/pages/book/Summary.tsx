import { useQueries, type UseMutationResult, type UseQueryResult } from '@tanstack/react-query'
import { Link } from 'react-router'
import {
  reservationsGetReservation,
  type AmenityRead,
  type CheckResult,
  type ReservationCreate,
  type ReservationRead,
  type SlotRead,
  type ViolationRead,
} from '../../api'
import { ErrorNotice, Loading, Notice } from '../../components/ui'
import { ApiError, explain } from '../../lib/errors'
import { unwrap } from '../../lib/http'
import { feeSummary, type EndOption } from '../../lib/slots'
import { formatDuration, formatLocalDate, formatRange } from '../../lib/time'

/** The dry run of the request as it stands; `settled` once its answer is for the current request. */
export interface BookingCheck {
  query: UseQueryResult<CheckResult>
  settled: boolean
}

/** The booking as chosen so far, whether it can be made, and the button that makes it. */
export function Summary({
  communityId,
  amenity,
  tz,
  startDate,
  chosenEnd,
  headcount,
  guests,
  body,
  check,
  create,
  offline,
  rulesMissing,
  onUse,
  onDay,
}: {
  communityId: string
  amenity: AmenityRead
  tz: string
  startDate: Date | null
  chosenEnd: EndOption | null
  headcount: number
  guests: number
  body: ReservationCreate | null
  check: BookingCheck
  create: UseMutationResult<ReservationRead, Error, { data: ReservationCreate; key: string }>
  offline: boolean
  /** rules to accept that are not accepted yet */
  rulesMissing: boolean
  onUse: (suggestion: SlotRead) => void
  /** show another local day (YYYY-MM-DD) */
  onDay: (date: string) => void
}) {
  const { query, settled } = check
  const refused = query.data && !query.data.allowed ? query.data : null
  // Refused as chosen: the button waits for a choice the rules allow.
  const readyToSubmit = Boolean(body) && !rulesMissing && !offline && !create.isPending && !(settled && refused)
  return (
    <aside className="card summary" aria-labelledby="summary-heading">
      <h2 id="summary-heading">Your booking</h2>
      <dl className="kv">
        <dt>Amenity</dt>
        <dd>{amenity.name}</dd>
        <dt>When</dt>
        <dd>{startDate && chosenEnd ? formatRange(startDate, chosenEnd.end, tz) : 'Pick a time'}</dd>
        {chosenEnd ? (
          <>
            <dt>Length</dt>
            <dd>{formatDuration(chosenEnd.minutes)}</dd>
          </>
        ) : null}
        <dt>People</dt>
        <dd>
          {headcount}
          {guests ? ` (${Math.min(guests, headcount)} ${Math.min(guests, headcount) === 1 ? 'guest' : 'guests'})` : ''}
        </dd>
        <dt>Cost</dt>
        <dd>{feeSummary(amenity)}</dd>
      </dl>
      <div aria-live="polite" style={{ marginTop: '1rem' }}>
        {!body ? <p className="muted small">Pick a start time to check that you can book it.</p> : null}
        {body && !settled ? <Loading label="Checking…" /> : null}
        {body && settled && query.data?.allowed ? (
          <Notice kind="ok" title="This time is free for you.">
            {amenity.requires_approval ? <p>The board reviews requests for the {amenity.name}.</p> : null}
          </Notice>
        ) : null}
        {body && settled && refused?.violation ? (
          <Refusal
            communityId={communityId}
            violation={refused.violation}
            suggestion={refused.suggestion}
            tz={tz}
            onUse={onUse}
            onDay={onDay}
          />
        ) : null}
        <ErrorNotice error={query.error} />
      </div>
      {create.error && !(create.error instanceof ApiError && refused?.violation?.code === create.error.code) ? (
        <ErrorNotice error={create.error}>
          {create.error instanceof ApiError && refused?.suggestion ? (
            <SuggestionButton suggestion={refused.suggestion} tz={tz} onUse={onUse} />
          ) : null}
        </ErrorNotice>
      ) : null}
      {offline ? <Notice kind="warn" title="You're offline." >Booking needs a connection.</Notice> : null}
      {rulesMissing && body ? <p className="small muted">Accept the rules to continue.</p> : null}
      <button className="btn btn--block" type="submit" disabled={!readyToSubmit}>
        {create.isPending ? 'Booking…' : amenity.requires_approval ? 'Send booking request' : 'Confirm booking'}
      </button>
    </aside>
  )
}

function SuggestionButton({ suggestion, tz, onUse }: { suggestion: SlotRead; tz: string; onUse: (s: SlotRead) => void }) {
  return (
    <p style={{ marginTop: '0.5rem' }}>
      <button type="button" className="btn btn--secondary btn--small" onClick={() => onUse(suggestion)}>
        Try {formatRange(suggestion.starts_at, suggestion.ends_at, tz)} instead
      </button>
    </p>
  )
}

function Refusal({
  communityId,
  violation,
  suggestion,
  tz,
  onUse,
  onDay,
}: {
  communityId: string
  violation: ViolationRead
  suggestion: SlotRead | null | undefined
  tz: string
  onUse: (s: SlotRead) => void
  onDay: (date: string) => void
}) {
  const { title, detail } = explain(new ApiError(409, violation.code, violation.message))
  const counted = violation.code === 'reservation.quota_exceeded' ? (violation.details.counted as string[] | undefined) : undefined
  const again = violation.code === 'reservation.quota_exceeded' ? (violation.details.book_again_on as string | null | undefined) : null
  return (
    <div className="notice notice--error" role="alert">
      <strong>{title}</strong>
      {detail ? <p>{detail}</p> : null}
      {counted?.length ? <CountedBookings communityId={communityId} ids={counted} tz={tz} /> : null}
      {again ? (
        <p>
          <button type="button" className="btn btn--secondary btn--small" onClick={() => onDay(again)}>
            Show {formatLocalDate(again)}
          </button>
        </p>
      ) : null}
      {suggestion ? (
        <>
          <p>The nearest free time is {formatRange(suggestion.starts_at, suggestion.ends_at, tz)}.</p>
          <SuggestionButton suggestion={suggestion} tz={tz} onUse={onUse} />
        </>
      ) : null}
    </div>
  )
}

/** The household's bookings that count toward the limit, each linked to where it can be seen. */
function CountedBookings({ communityId, ids, tz }: { communityId: string; ids: string[]; tz: string }) {
  const shown = ids.slice(0, 10)
  const bookings = useQueries({
    queries: shown.map((id) => ({
      queryKey: ['reservation', communityId, id],
      queryFn: () => unwrap(reservationsGetReservation({ path: { community_id: communityId, reservation_id: id } })),
      staleTime: 60_000,
    })),
  })
  return (
    <>
      <p>{ids.length === 1 ? 'The booking that counts:' : 'The bookings that count:'}</p>
      <ul className="counted">
        {shown.map((id, i) => {
          const r = bookings[i]?.data
          return (
            <li key={id}>
              <Link to={`/c/${communityId}/reservations/${id}`}>
                {r ? `${formatRange(r.starts_at, r.ends_at, tz)}${r.title ? ` · ${r.title}` : ''}` : 'A booking'}
              </Link>
            </li>
          )
        })}
      </ul>
    </>
  )
}
