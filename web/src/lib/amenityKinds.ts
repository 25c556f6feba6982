import type { AmenityNext, AmenityRead, SlotRead } from '../api'
import { wallTime } from './time'

/** How the API compares kinds: case and spacing do not matter. */
export function kindKey(kind: string): string {
  return kind.split(/\s+/).filter(Boolean).join(' ').toLocaleLowerCase()
}

/** The other bookable amenities of the same kind as `amenity`, by name. */
export function sameKind(amenity: AmenityRead, all: AmenityRead[]): AmenityRead[] {
  if (!amenity.kind) return []
  const key = kindKey(amenity.kind)
  return all
    .filter((a) => a.id !== amenity.id && a.status === 'active' && a.kind && kindKey(a.kind) === key)
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** Amenities in the order given, those sharing a kind together under it (where the kind
 * first appears); an amenity alone of its kind stands on its own. */
export function byKind(amenities: AmenityRead[]): { kind: string | null; amenities: AmenityRead[] }[] {
  const count = new Map<string, number>()
  for (const a of amenities) if (a.kind) count.set(kindKey(a.kind), (count.get(kindKey(a.kind)) ?? 0) + 1)
  const groups: { kind: string | null; amenities: AmenityRead[] }[] = []
  const open = new Map<string, AmenityRead[]>()
  for (const a of amenities) {
    const key = a.kind ? kindKey(a.kind) : null
    if (!key || (count.get(key) ?? 0) < 2) groups.push({ kind: null, amenities: [a] })
    else if (open.has(key)) open.get(key)?.push(a)
    else {
      const members = [a]
      open.set(key, members)
      groups.push({ kind: a.kind, amenities: members })
    }
  }
  return groups
}

/** A kind inside a sentence ("Any tennis court"): lower case, unless it opens with an
 * abbreviation ("BBQ area"). */
export function kindInSentence(kind: string): string {
  return /^\p{Lu}\p{Lu}/u.test(kind) ? kind : kind.charAt(0).toLocaleLowerCase() + kind.slice(1)
}

export interface Offer extends SlotRead {
  amenityId: string
}

/** The free times of several amenities as one list, earliest first: one amenity per time (the
 * preferred one when it is free then, else the first answered), at most `perDay` a day and
 * `limit` in all. */
export function mergeOffers(found: AmenityNext[], preferred: string, tz: string, perDay: number, limit: number): Offer[] {
  const rank = (id: string) => (id === preferred ? -1 : found.findIndex((f) => f.amenity_id === id))
  const all = found
    .flatMap((f) => f.slots.map((s) => ({ ...s, amenityId: f.amenity_id })))
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at) || rank(a.amenityId) - rank(b.amenityId))
  const offers: Offer[] = []
  const perDate = new Map<string, number>()
  let last: number | null = null
  for (const o of all) {
    const at = Date.parse(o.starts_at)
    if (at === last) continue
    last = at
    const day = wallTime(o.starts_at, tz).date
    const count = perDate.get(day) ?? 0
    if (count >= perDay) continue
    perDate.set(day, count + 1)
    offers.push(o)
    if (offers.length >= limit) break
  }
  return offers
}
