import { describe, expect, it } from 'vitest'
import { addDays, daysBetween, formatClock, formatDuration, formatTime, offsetMinutes, setDisplayLocale, todayIn, uses12Hour, wallIso, wallTime, weekdayOf, zonedToInstant } from './time'

const NY = 'America/New_York'

describe('zonedToInstant', () => {
  it('converts a wall time in winter and summer', () => {
    expect(zonedToInstant('2026-01-15', '09:30', NY).toISOString()).toBe('2026-01-15T14:30:00.000Z')
    expect(zonedToInstant('2026-07-15', '09:30', NY).toISOString()).toBe('2026-07-15T13:30:00.000Z')
  })

  it('takes the first of the two instants of a repeated fall-back hour', () => {
    // 2026-11-01 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(zonedToInstant('2026-11-01', '01:30', NY).toISOString()).toBe('2026-11-01T05:30:00.000Z')
  })

  it('moves a time skipped by spring-forward past the gap', () => {
    // 2026-03-08 02:30 does not exist in New York; the API reads it as 03:30 EDT.
    expect(zonedToInstant('2026-03-08', '02:30', NY).toISOString()).toBe('2026-03-08T07:30:00.000Z')
  })

  it('round-trips through wallTime in other zones', () => {
    for (const tz of ['Europe/London', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC', 'Pacific/Chatham']) {
      const instant = zonedToInstant('2026-06-30', '23:45', tz)
      expect(wallIso(instant, tz)).toBe('2026-06-30T23:45')
    }
  })

  it('handles midnight', () => {
    expect(zonedToInstant('2026-12-31', '00:00', NY).toISOString()).toBe('2026-12-31T05:00:00.000Z')
  })
})

describe('wall clock helpers', () => {
  it('reads the local date and weekday of an instant', () => {
    const w = wallTime('2026-11-29T03:30:00Z', NY)
    expect(w).toEqual({ date: '2026-11-28', hour: 22, minute: 30, weekday: 6 })
  })

  it('knows offsets', () => {
    expect(offsetMinutes(new Date('2026-01-01T12:00:00Z'), NY)).toBe(-300)
    expect(offsetMinutes(new Date('2026-07-01T12:00:00Z'), NY)).toBe(-240)
    expect(offsetMinutes(new Date('2026-07-01T12:00:00Z'), 'Asia/Kolkata')).toBe(330)
  })

  it('does date arithmetic on local dates', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
    expect(daysBetween('2026-12-30', '2027-01-02')).toBe(3)
    expect(weekdayOf('2026-11-26')).toBe(4)
  })

  it('knows today in the community, not in the browser', () => {
    const lateEvening = new Date('2026-11-27T03:00:00Z') // 22:00 on the 26th in New York
    expect(todayIn(NY, lateEvening)).toBe('2026-11-26')
    expect(todayIn('Asia/Tokyo', lateEvening)).toBe('2026-11-27')
  })

  it('formats durations for people', () => {
    expect(formatDuration(30)).toBe('30 min')
    expect(formatDuration(60)).toBe('1 h')
    expect(formatDuration(90)).toBe('1 h 30 min')
    expect(formatDuration(1440)).toBe('1 day')
    expect(formatDuration(2 * 1440)).toBe('2 days')
  })
})

describe('the community locale decides the clock', () => {
  it('uses am/pm in en-US and 24 hours in en-GB, for clock times and instants alike', () => {
    const at = '2026-12-20T20:30:00Z' // 3:30 PM in New York
    setDisplayLocale('en-US')
    expect(uses12Hour()).toBe(true)
    expect(formatClock('15:00')).toBe('3:00 PM')
    expect(formatTime(at, NY)).toBe('3:30 PM')
    setDisplayLocale('en-GB')
    expect(uses12Hour()).toBe(false)
    expect(formatClock('15:00')).toBe('15:00')
    expect(formatClock('24:00')).toBe('00:00')
    expect(formatTime(at, NY)).toBe('15:30')
    setDisplayLocale(undefined)
  })
})
