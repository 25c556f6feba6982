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
