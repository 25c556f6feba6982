/** Booking-time math mirroring the API's rules: which end times a start allows, party times,
 * people limits and human summaries of an amenity's rules. The API stays the judge (the
 * "can I book this?" check); this only offers choices that can pass it. */
import type { AmenityRead, RuleCode, SlotRead } from '../api'
import {
  addDays,
  clockToMinutes,
  daysBetween,
  formatClock,
  formatDay,
  formatDuration,
  formatTime,
  wallTime,
  weekdayOf,
  zonedToInstant,
} from './time'

export type Rules = Pick<
  AmenityRead,
  | 'hours'
  | 'slot_minutes'
  | 'min_duration_minutes'
  | 'max_duration_minutes'
  | 'overnight_allowed'
  | 'check_in_time'
  | 'check_out_time'
  | 'mode'
  | 'capacity'
  | 'max_headcount_per_household'
  | 'max_guests'
>

const WEEKDAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
}

/** Opening ranges of a local date, in minutes since midnight. */
export function rangesOn(rules: Pick<Rules, 'hours'>, date: string): [number, number][] {
  const key = WEEKDAY_KEYS[weekdayOf(date)] as Weekday
  return (rules.hours[key] ?? []).map(([o, c]) => [clockToMinutes(o), clockToMinutes(c)])
}

/** Whether [start, end) fits the opening hours, as the API judges it: within one range of its
 * date, or for overnight amenities starting inside a range of the first date and ending inside
 * (or at the close of) a range of the last date. */
export function fitsHours(rules: Pick<Rules, 'hours' | 'overnight_allowed'>, start: Date, end: Date, tz: string): boolean {
  const s = wallTime(start, tz)
  const lastDay = wallTime(new Date(end.getTime() - 60000), tz).date
  const e = wallTime(end, tz)
  // An end at midnight is 24:00 of the day before, as the API reads it.
  const endMinutes = e.date === lastDay ? e.hour * 60 + e.minute : 1440
  const startMinutes = s.hour * 60 + s.minute
  if (lastDay === s.date || !rules.overnight_allowed) {
    if (lastDay !== s.date) return false
    return rangesOn(rules, s.date).some(([o, c]) => o <= startMinutes && endMinutes <= c)
  }
  const startsInside = rangesOn(rules, s.date).some(([o, c]) => o <= startMinutes && startMinutes < c)
  const endsInside = rangesOn(rules, lastDay).some(([o, c]) => o < endMinutes && endMinutes <= c)
  return startsInside && endsInside
}

export interface EndOption {
  end: Date
  minutes: number
  label: string
}

/** Whether bookings are stays: from check-in to check-out whole nights later. */
export function isStay(rules: Pick<Rules, 'check_in_time' | 'check_out_time'>): boolean {
  return Boolean(rules.check_in_time && rules.check_out_time)
}

/** The end times a booking starting at `start` may have: multiples of the slot size between the
 * minimum and maximum duration that fit the opening hours, or for stays the check-out after each
 * number of nights the durations allow. At most `limit` options. */
export function endOptions(rules: Rules, start: Date, tz: string, limit = 200): EndOption[] {
  if (rules.check_out_time && isStay(rules)) return stayEnds(rules, rules.check_out_time, start, tz, limit)
  const step = rules.slot_minutes
  const first = Math.max(step, Math.ceil(rules.min_duration_minutes / step) * step)
  const out: EndOption[] = []
  const startDay = wallTime(start, tz).date
  for (let minutes = first; minutes <= rules.max_duration_minutes && out.length < limit; minutes += step) {
    const end = new Date(start.getTime() + minutes * 60000)
    if (!fitsHours(rules, start, end, tz)) continue
    const w = wallTime(end, tz)
    const nights = daysBetween(startDay, w.date)
    const clock = formatTime(end, tz)
    const label =
      nights === 0
        ? `${clock} (${formatDuration(minutes)})`
        : `${formatDay(end, tz)}, ${clock} (${nights === 1 ? '1 night' : `${nights} nights`})`
    out.push({ end, minutes, label })
  }
  return out
}

/** Why a slot cannot be booked, in a word. */
export const SLOT_REASONS: Partial<Record<RuleCode, string>> = {
  'reservation.slot_taken': 'Taken',
  'reservation.capacity_full': 'Full',
  'reservation.blackout': 'Closed',
  'reservation.too_little_notice': 'Too soon',
  'reservation.too_far_ahead': 'Too far ahead',
}

/** The reasons a slot inside a longer booking stands in its way (the others judge its start). */
const CONFLICTS: (RuleCode | null)[] = ['reservation.slot_taken', 'reservation.capacity_full', 'reservation.blackout']

/** Whether a slot has room for `headcount` people (shared amenities count places left). */
export function slotFits(slot: SlotRead, headcount: number, mode: Rules['mode']): boolean {
  return slot.available && (mode !== 'capacity' || slot.remaining >= headcount)
}

/** The first of the day's slots inside [start, end) (epoch ms) that a booking of `headcount`
 * people cannot take: taken, full or closed. Slots overlap the next ones, so a booking is free
 * when every slot inside it is. */
export function conflictWithin(
  slots: SlotRead[],
  start: number,
  end: number,
  headcount: number,
  mode: Rules['mode'],
): SlotRead | undefined {
  return slots.find((s) => {
    if (Date.parse(s.starts_at) < start || Date.parse(s.ends_at) > end) return false
    return s.available ? !slotFits(s, headcount, mode) : CONFLICTS.includes(s.reason)
  })
}

function stayEnds(rules: Rules, checkOut: string, start: Date, tz: string, limit: number): EndOption[] {
  const startDay = wallTime(start, tz).date
  const out: EndOption[] = []
  for (let nights = 1; out.length < limit; nights++) {
    const end = zonedToInstant(addDays(startDay, nights), checkOut, tz)
    const minutes = Math.round((end.getTime() - start.getTime()) / 60000)
    if (minutes > rules.max_duration_minutes) break
    if (minutes < rules.min_duration_minutes) continue
    const label = `${nights === 1 ? '1 night' : `${nights} nights`} (check-out ${formatDay(end, tz)}, ${formatTime(end, tz)})`
    out.push({ end, minutes, label })
  }
  return out
}

/** The most people one household may bring, and the most guests among them. */
export function peopleLimits(rules: Rules): { maxPeople: number; maxGuests: number } {
  const caps = [rules.max_headcount_per_household ?? Infinity]
  if (rules.mode === 'capacity') caps.push(rules.capacity)
  const maxPeople = Math.max(1, Math.min(100, ...caps))
  const maxGuests = Math.max(0, Math.min(maxPeople - 1, rules.max_guests ?? maxPeople - 1))
  return { maxPeople, maxGuests }
}

/** Event-style amenities (halls, party rooms) let residents mark the party inside setup and
 * cleanup time. */
export function isEventAmenity(rules: Pick<Rules, 'mode' | 'overnight_allowed' | 'min_duration_minutes'>): boolean {
  return rules.mode === 'exclusive' && !rules.overnight_allowed && rules.min_duration_minutes >= 120
}

/** "Mon–Fri 8:00–22:00; Sat–Sun 9:00–17:00" from the weekly hours. */
export function hoursSummary(hours: AmenityRead['hours']): string {
  const text = (d: Weekday) =>
    (hours[d] ?? []).map(([o, c]) => `${formatClock(o)}–${formatClock(c)}`).join(', ') || 'closed'
  const groups: { from: Weekday; to: Weekday; text: string }[] = []
  for (const day of WEEKDAYS) {
    const last = groups.at(-1)
    if (last && last.text === text(day)) last.to = day
    else groups.push({ from: day, to: day, text: text(day) })
  }
  if (groups.length === 1 && groups[0]) return `Every day ${groups[0].text}`
  const short = (d: Weekday) => WEEKDAY_NAMES[d].slice(0, 3)
  return groups
    .map((g) => `${g.from === g.to ? short(g.from) : `${short(g.from)}–${short(g.to)}`} ${g.text}`)
    .join('; ')
}

export function formatMoney(cents: number): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(cents / 100)
}

/** Short facts about an amenity's rules for residents. */
export function ruleFacts(a: AmenityRead): string[] {
  const facts: string[] = []
  facts.push(
    a.mode === 'capacity'
      ? `Shared: up to ${a.capacity} people at a time`
      : 'Private: one household at a time',
  )
  if (a.max_headcount_per_household) facts.push(`Up to ${a.max_headcount_per_household} people per household`)
  if (a.max_guests !== null && a.max_guests !== undefined) facts.push(a.max_guests ? `Up to ${a.max_guests} guests` : 'No guests')
  facts.push(
    a.min_duration_minutes === a.max_duration_minutes
      ? `Bookings last ${formatDuration(a.min_duration_minutes)}`
      : `Book ${formatDuration(a.min_duration_minutes)} to ${formatDuration(a.max_duration_minutes)}`,
  )
  const notice = a.min_notice_minutes
  facts.push(
    notice
      ? `Book ${formatDuration(notice)} to ${a.max_days_ahead} days ahead`
      : `Book up to ${a.max_days_ahead} days ahead`,
  )
  if (a.requires_approval) facts.push('Requests are approved by the board')
  if (a.cancellation_cutoff_hours) facts.push(`Free cancellation until ${a.cancellation_cutoff_hours} h before`)
  const quotas = [
    a.max_per_day && `${a.max_per_day} a day`,
    a.max_per_week && `${a.max_per_week} a week`,
    a.max_per_month && `${a.max_per_month} a month`,
    a.max_upcoming && `${a.max_upcoming} upcoming`,
  ].filter(Boolean)
  if (quotas.length) facts.push(`Limit per household: ${quotas.join(', ')}`)
  return facts
}

export function feeSummary(a: Pick<AmenityRead, 'fee_cents' | 'deposit_cents'>): string {
  if (!a.fee_cents && !a.deposit_cents) return 'Free'
  const parts = []
  if (a.fee_cents) parts.push(`${formatMoney(a.fee_cents)} fee`)
  if (a.deposit_cents) parts.push(`${formatMoney(a.deposit_cents)} refundable deposit`)
  return parts.join(' + ')
}

