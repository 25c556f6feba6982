import { describe, expect, it } from 'vitest'
import type { AmenityRead, CalendarEntry } from '../api'
import { occupancy, placesLeft } from './occupancy'

const pool = { id: 'pool', mode: 'capacity', capacity: 20 } as AmenityRead
const court = { id: 'court', mode: 'exclusive', capacity: 1 } as AmenityRead
const amenities = new Map([
  ['pool', pool],
  ['court', court],
])

function entry(amenity: string, from: string, to: string, headcount: number, mine = false): CalendarEntry {
  return {
    id: `${amenity}-${from}-${headcount}`,
    amenity_id: amenity,
    starts_at: `2026-12-02T${from}:00.000Z`,
    ends_at: `2026-12-02T${to}:00.000Z`,
    status: 'confirmed',
    headcount,
    mine,
    title: null,
    booked_for_name: null,
  }
}

describe('occupancy', () => {
  it('adds up the people booked in each span of a shared amenity, one’s own too', () => {
    const spans = occupancy(
      [entry('pool', '10:00', '12:00', 6), entry('pool', '11:00', '13:00', 2, true), entry('court', '10:00', '11:00', 4)],
      amenities,
    )
    expect(spans.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.taken, s.capacity])).toEqual([
      ['10:00', '11:00', 6, 20],
      ['11:00', '12:00', 8, 20],
      ['12:00', '13:00', 2, 20],
    ])
  })

  it('joins spans of equal use and leaves out the empty time between bookings', () => {
    const spans = occupancy(
      [entry('pool', '10:00', '11:00', 3), entry('pool', '11:00', '12:00', 3), entry('pool', '14:00', '15:00', 20)],
      amenities,
    )
    expect(spans.map((s) => [s.start.slice(11, 16), s.end.slice(11, 16), s.taken])).toEqual([
      ['10:00', '12:00', 3],
      ['14:00', '15:00', 20],
    ])
  })

  it('words the places left', () => {
    expect(placesLeft(12, 20)).toBe('12 of 20 left')
    expect(placesLeft(0, 20)).toBe('Full')
  })
})
