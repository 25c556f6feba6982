/** Shared-capacity amenities on the calendar: their bookings as spans of equal use, so the
 * calendar says how many places are left rather than drawing each household's booking. */
import type { AmenityRead, CalendarEntry } from '../api'

export interface Occupancy {
  amenityId: string
  start: string
  end: string
  taken: number
  capacity: number
}

/** For each shared amenity among `amenities`, the spans of `entries` with the people booked in
 * them (every booking counts, one's own too): a new span wherever the count changes, nothing
 * where nobody is booked. */
export function occupancy(entries: CalendarEntry[], amenities: Map<string, AmenityRead>): Occupancy[] {
  const byAmenity = new Map<string, CalendarEntry[]>()
  for (const e of entries) {
    if (amenities.get(e.amenity_id)?.mode !== 'capacity') continue
    byAmenity.set(e.amenity_id, [...(byAmenity.get(e.amenity_id) ?? []), e])
  }
  const out: Occupancy[] = []
  for (const [amenityId, list] of byAmenity) {
    const capacity = amenities.get(amenityId)?.capacity ?? 0
    const bounds = [...new Set(list.flatMap((e) => [Date.parse(e.starts_at), Date.parse(e.ends_at)]))].sort((a, b) => a - b)
    for (let i = 0; i + 1 < bounds.length; i++) {
      const from = bounds[i] as number
      const to = bounds[i + 1] as number
      const taken = list
        .filter((e) => Date.parse(e.starts_at) < to && Date.parse(e.ends_at) > from)
        .reduce((sum, e) => sum + e.headcount, 0)
      const last = out.at(-1)
      if (taken === 0) continue
      if (last && last.amenityId === amenityId && last.taken === taken && Date.parse(last.end) === from) {
        last.end = new Date(to).toISOString()
      } else {
        out.push({ amenityId, start: new Date(from).toISOString(), end: new Date(to).toISOString(), taken, capacity })
      }
    }
  }
  return out
}

/** "12 of 20 left", or "Full". */
export function placesLeft(left: number, capacity: number): string {
  return left > 0 ? `${left} of ${capacity} left` : 'Full'
}
