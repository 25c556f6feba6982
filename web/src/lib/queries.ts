/** Shared reads, as TanStack Query hooks over the generated SDK. */
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useParams } from 'react-router'
import {
  amenitiesListAmenities,
  authGetMe,
  communitiesGetCommunity,
  membersListMembers,
  reservationsListReservations,
  type AmenityRead,
  type MeRead,
  type MemberRead,
  type MyMembership,
  type ReservationRead,
  type ReservationStatus,
} from '../api'
import { ApiError } from './errors'
import { hasSession, unwrap } from './http'
import { withSnapshot } from './offline'

export const keys = {
  me: ['me'] as const,
  amenities: (cid: string, archived = false) => ['amenities', cid, archived] as const,
  reservations: (cid: string) => ['reservations', cid] as const,
  calendar: (cid: string) => ['calendar', cid] as const,
  availability: (cid: string) => ['availability', cid] as const,
}

export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: withSnapshot('me', async (): Promise<MeRead | null> => {
      // Sign-in sets the CSRF cookie for the refresh token's lifetime: without it there is no
      // session to ask about, and a signed-out visitor's page makes no failing request.
      if (!hasSession()) return null
      try {
        return await unwrap(authGetMe())
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null
        throw error
      }
    }),
    staleTime: 60_000,
  })
}

export interface CommunityContext {
  id: string
  name: string
  timezone: string
  locale: string
  isAdmin: boolean
  /** A platform operator with no membership here, acting with an admin's rights. */
  asOperator: boolean
  /** Why a platform operator suspended the community; null unless suspended. */
  suspendedReason: string | null
  membership: MyMembership
}

/** The community of the current route (`/c/:communityId/...`), from the caller's memberships;
 * for a platform operator who is no member, from the community itself (undefined while it
 * loads). */
export function useCommunity(): CommunityContext | null | undefined {
  const { communityId } = useParams()
  const me = useMe().data
  const m = me?.memberships.find((x) => x.community_id === communityId && x.status === 'active')
  const asOperator = Boolean(me?.is_operator && communityId && !m)
  const opened = useQuery({
    queryKey: ['community', communityId],
    queryFn: () => unwrap(communitiesGetCommunity({ path: { community_id: communityId ?? '' } })),
    enabled: asOperator,
  })
  if (asOperator) {
    if (opened.isPending) return undefined
    const c = opened.data
    if (!c) return null
    return {
      id: c.id,
      name: c.name,
      timezone: c.timezone,
      locale: c.locale,
      isAdmin: true,
      asOperator: true,
      suspendedReason: c.suspended_reason,
      membership: {
        community_id: c.id,
        community_name: c.name,
        community_slug: c.slug,
        timezone: c.timezone,
        locale: c.locale,
        role: 'admin',
        status: 'active',
        household: null,
        community_suspended_reason: c.suspended_reason,
      },
    }
  }
  if (!m) return null
  return {
    id: m.community_id,
    name: m.community_name,
    timezone: m.timezone,
    locale: m.locale,
    isAdmin: m.role === 'admin',
    asOperator: false,
    suspendedReason: m.community_suspended_reason,
    membership: m,
  }
}

/** The community of the current route; only for pages rendered inside the community layout,
 * which renders nothing until it is known. */
export function useCurrentCommunity(): CommunityContext {
  const community = useCommunity()
  if (!community) throw new Error('useCurrentCommunity outside a community route')
  return community
}

export function useAmenities(cid: string, includeArchived = false) {
  return useQuery({
    queryKey: keys.amenities(cid, includeArchived),
    queryFn: withSnapshot(`amenities:${cid}:${includeArchived}`, () =>
      unwrap(amenitiesListAmenities({ path: { community_id: cid }, query: { include_archived: includeArchived } })),
    ),
    staleTime: 5 * 60_000,
  })
}

export function amenityMap(amenities: AmenityRead[] | undefined): Map<string, AmenityRead> {
  return new Map((amenities ?? []).map((a) => [a.id, a]))
}

interface ListFilter {
  mine?: boolean
  status?: ReservationStatus
  start?: string
  end?: string
  amenity_id?: string
}

/** Every page of a reservation list (capped: lists here are a household's or a queue). */
export async function listAllReservations(cid: string, filter: ListFilter, maxPages = 5): Promise<ReservationRead[]> {
  const items: ReservationRead[] = []
  let cursor: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const res = await unwrap(
      reservationsListReservations({ path: { community_id: cid }, query: { ...filter, cursor, limit: 200 } }),
    )
    items.push(...res.items)
    if (!res.next_cursor) break
    cursor = res.next_cursor
  }
  return items
}

export type ReservationScope = 'upcoming' | 'past' | 'cancelled'

export function useMyReservations(cid: string, scope: ReservationScope) {
  return useQuery({
    queryKey: [...keys.reservations(cid), 'mine', scope],
    queryFn: withSnapshot(`reservations:${cid}:${scope}`, async () => {
      const now = new Date()
      const active = (r: ReservationRead) => r.status !== 'cancelled' && r.status !== 'rejected'
      if (scope === 'upcoming') {
        return (await listAllReservations(cid, { mine: true, start: now.toISOString() })).filter(active)
      }
      const since = new Date(now.getTime() - 180 * 86400000)
      if (scope === 'cancelled') {
        // Cancelled and declined bookings of the last six months and ahead, latest first.
        const rows = await listAllReservations(cid, { mine: true, start: since.toISOString() })
        return rows.filter((r) => !active(r)).reverse()
      }
      const rows = await listAllReservations(cid, { mine: true, start: since.toISOString(), end: now.toISOString() })
      return rows.filter((r) => active(r) && new Date(r.ends_at) <= now).reverse()
    }),
  })
}

export function usePendingRequests(cid: string, enabled: boolean) {
  return useQuery({
    queryKey: [...keys.reservations(cid), 'pending'],
    queryFn: () => listAllReservations(cid, { status: 'pending', start: new Date().toISOString() }, 2),
    enabled,
    refetchInterval: 60_000,
  })
}

export function useInvalidateBookings(cid: string) {
  const qc = useQueryClient()
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: keys.reservations(cid) }),
      qc.invalidateQueries({ queryKey: keys.calendar(cid) }),
      qc.invalidateQueries({ queryKey: keys.availability(cid) }),
    ])
}

/** Members of the community (admins only), by user id: names for queues and the audit trail. */
export function useMembersByUser(cid: string, enabled = true) {
  return useQuery({
    queryKey: ['members', cid, 'all'],
    queryFn: async () => {
      const items: MemberRead[] = []
      let cursor: string | undefined
      for (let page = 0; page < 5; page++) {
        const res = await unwrap(membersListMembers({ path: { community_id: cid }, query: { cursor, limit: 200 } }))
        items.push(...res.items)
        if (!res.next_cursor) break
        cursor = res.next_cursor
      }
      return new Map(items.map((m) => [m.user_id, m]))
    },
    enabled,
    staleTime: 5 * 60_000,
  })
}
