import { describe, expect, it } from 'vitest'
import type { AmenityRead, SlotRead } from '../api'
import { conflictWithin, endOptions, feeSummary, fitsHours, hoursSummary, isEventAmenity, peopleLimits, slotFits, type Rules } from './slots'
import { setDisplayLocale, zonedToInstant } from './time'

const NY = 'America/New_York'
const daily = (...ranges: [string, string][]) =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, ranges])) as AmenityRead['hours']

const pool: Rules = {
  hours: daily(['07:00', '21:00']),
  slot_minutes: 60,
  min_duration_minutes: 60,
  max_duration_minutes: 180,
  overnight_allowed: false,
  check_in_time: null,
  check_out_time: null,
  mode: 'capacity',
  capacity: 20,
  max_headcount_per_household: 6,
  max_guests: 4,
}

const suite: Rules = {
  hours: daily(['07:00', '11:00'], ['15:00', '22:00']),
  slot_minutes: 60,
  min_duration_minutes: 16 * 60,
  max_duration_minutes: 3 * 24 * 60,
  overnight_allowed: true,
  check_in_time: null,
  check_out_time: null,
  mode: 'exclusive',
  capacity: 1,
  max_headcount_per_household: 4,
  max_guests: 4,
}

describe('endOptions', () => {
  it('offers each slot-sized length between the shortest and the longest', () => {
    const start = zonedToInstant('2026-12-02', '10:00', NY)
    expect(endOptions(pool, start, NY).map((o) => o.minutes)).toEqual([60, 120, 180])
  })

  it('stops at closing time', () => {
    const start = zonedToInstant('2026-12-02', '19:00', NY)
    expect(endOptions(pool, start, NY).map((o) => o.minutes)).toEqual([60, 120])
  })

  it('offers overnight ends only inside the opening hours of the last day', () => {
    const start = zonedToInstant('2026-12-02', '15:00', NY)
    const ends = endOptions(suite, start, NY)
    // Ends inside an opening range of a later day, (07:00, 11:00] or (15:00, 22:00], as the API
    // judges them: 08:00-11:00 next morning is 17-20 h, 16:00-22:00 next day 25-31 h.
    const hours = ends.map((o) => o.minutes / 60)
    expect(hours.slice(0, 8)).toEqual([17, 18, 19, 20, 25, 26, 27, 28])
    expect(hours).not.toContain(16)
    expect(hours).not.toContain(21)
    expect(hours).not.toContain(32)
    expect(hours.at(-1)).toBe(68) // 11:00 on the third morning; 72 h would end at 15:00, outside
    expect(ends[0]?.label).toContain('1 night')
  })

  it('offers stays as nights from check-in to check-out', () => {
    const stays = { ...suite, check_in_time: '15:00', check_out_time: '11:00' }
    // 3 days at most: three nights end 68 h after check-in; the 1-night stay crosses the fall-back night
    const ends = endOptions(stays, zonedToInstant('2026-10-31', '15:00', NY), NY)
    expect(ends.map((o) => o.minutes / 60)).toEqual([21, 45, 69])
    expect(ends[0]?.label).toMatch(/^1 night \(check-out Sun, Nov 1, 11:00\sAM\)$/)
    expect(ends[2]?.end.toISOString()).toBe('2026-11-03T16:00:00.000Z')
  })

  it('keeps wall-clock ends across a DST change', () => {
    // The night into 2026-11-01 is an hour longer in New York: check-out at 08:00 is 18 h
    // after a 15:00 check-in, and at 11:00 21 h.
    const start = zonedToInstant('2026-10-31', '15:00', NY)
    const first = endOptions(suite, start, NY)
    expect(first[0]?.minutes).toBe(18 * 60)
    expect(first.at(3)?.minutes).toBe(21 * 60)
  })
})

describe('fitsHours', () => {
  it('accepts an end at the close and refuses one past it', () => {
    const start = zonedToInstant('2026-12-02', '20:00', NY)
    expect(fitsHours(pool, start, zonedToInstant('2026-12-02', '21:00', NY), NY)).toBe(true)
    expect(fitsHours(pool, start, zonedToInstant('2026-12-02', '22:00', NY), NY)).toBe(false)
  })

  it('treats an end at midnight as 24:00 of the day before', () => {
    const late = { hours: daily(['18:00', '24:00']), overnight_allowed: false }
    const start = zonedToInstant('2026-12-02', '22:00', NY)
    expect(fitsHours(late, start, zonedToInstant('2026-12-03', '00:00', NY), NY)).toBe(true)
  })

  it('refuses overnight bookings where they are not allowed', () => {
    const start = zonedToInstant('2026-12-02', '20:00', NY)
    expect(fitsHours(pool, start, zonedToInstant('2026-12-03', '08:00', NY), NY)).toBe(false)
  })
})

describe('amenity summaries', () => {
  it('limits people by capacity and household', () => {
    expect(peopleLimits(pool)).toEqual({ maxPeople: 6, maxGuests: 4 })
    expect(peopleLimits({ ...pool, max_headcount_per_household: null, capacity: 8 })).toEqual({ maxPeople: 8, maxGuests: 4 })
  })

  it('groups equal weekdays, with clock times as the community writes them', () => {
    setDisplayLocale('en-US')
    expect(hoursSummary(daily(['07:00', '21:00']))).toBe('Every day 7:00 AM–9:00 PM')
    const hours = { ...daily(['08:00', '20:00']), sat: [['10:00', '16:00']], sun: [] } as AmenityRead['hours']
    expect(hoursSummary(hours)).toBe('Mon–Fri 8:00 AM–8:00 PM; Sat 10:00 AM–4:00 PM; Sun closed')
    setDisplayLocale('en-GB')
    expect(hoursSummary(hours)).toBe('Mon–Fri 08:00–20:00; Sat 10:00–16:00; Sun closed')
    expect(hoursSummary(daily(['00:00', '24:00']))).toBe('Every day 00:00–00:00')
    setDisplayLocale(undefined)
  })

  it('states fees', () => {
    expect(feeSummary({ fee_cents: 0, deposit_cents: 0 })).toBe('Free')
    expect(feeSummary({ fee_cents: 15000, deposit_cents: 25000 })).toBe('$150.00 fee + $250.00 refundable deposit')
  })

  it('recognises event amenities', () => {
    expect(isEventAmenity({ mode: 'exclusive', overnight_allowed: false, min_duration_minutes: 120 })).toBe(true)
    expect(isEventAmenity(pool)).toBe(false)
    expect(isEventAmenity(suite)).toBe(false)
  })
})

describe('conflictWithin', () => {
  const at = (clock: string) => zonedToInstant('2026-12-02', clock, NY)
  const slot = (clock: string, available: boolean, remaining: number, reason: SlotRead['reason'] = null): SlotRead => ({
    starts_at: at(clock).toISOString(),
    ends_at: new Date(at(clock).getTime() + 3600000).toISOString(),
    available,
    remaining,
    reason,
  })
  const day = [
    slot('10:00', true, 1),
    slot('11:00', false, 0, 'reservation.slot_taken'),
    slot('12:00', true, 1),
  ]

  it('finds a taken slot inside the booking, not one beside it', () => {
    expect(conflictWithin(day, at('10:00').getTime(), at('11:00').getTime(), 1, 'exclusive')).toBeUndefined()
    expect(conflictWithin(day, at('10:00').getTime(), at('12:00').getTime(), 1, 'exclusive')?.reason).toBe('reservation.slot_taken')
    expect(conflictWithin(day, at('12:00').getTime(), at('13:00').getTime(), 1, 'exclusive')).toBeUndefined()
  })

  it('counts places left for a shared amenity, and only conflicts for later slots', () => {
    const shared = [slot('10:00', true, 8), slot('11:00', true, 3), slot('12:00', false, 0, 'reservation.too_far_ahead')]
    expect(conflictWithin(shared, at('10:00').getTime(), at('12:00').getTime(), 3, 'capacity')).toBeUndefined()
    expect(conflictWithin(shared, at('10:00').getTime(), at('12:00').getTime(), 4, 'capacity')?.starts_at).toBe(shared[1]?.starts_at)
    expect(conflictWithin(shared, at('11:00').getTime(), at('13:00').getTime(), 1, 'capacity')).toBeUndefined()
    expect(slotFits(shared[1] as SlotRead, 4, 'capacity')).toBe(false)
    expect(slotFits(shared[1] as SlotRead, 4, 'exclusive')).toBe(true)
  })
})
