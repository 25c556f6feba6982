/** Dates and times in the community's time zone (IANA name), with nothing but Intl.
 *
 * Local dates are 'YYYY-MM-DD' strings, local clock times 'HH:MM'; instants are Date objects
 * or ISO strings with an offset, as the API sends them. */

export interface WallTime {
  date: string // YYYY-MM-DD
  hour: number
  minute: number
  weekday: number // 0 = Sunday
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>()

function partsFormatter(tz: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    partsFormatters.set(tz, f)
  }
  return f
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function fields(instant: Date, tz: string) {
  const out: Record<string, number> = {}
  for (const p of partsFormatter(tz).formatToParts(instant)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value)
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: (out.hour ?? 0) % 24,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  }
}

/** The wall clock in `tz` at `instant`. */
export function wallTime(instant: Date | string, tz: string): WallTime {
  const d = typeof instant === 'string' ? new Date(instant) : instant
  const f = fields(d, tz)
  const date = `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`
  return { date, hour: f.hour, minute: f.minute, weekday: weekdayOf(date) }
}

/** Minutes to add to UTC to get the wall time in `tz` at `instant`. */
export function offsetMinutes(instant: Date, tz: string): number {
  const f = fields(instant, tz)
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second)
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000)
}

/** The instant a local date and clock time in `tz` happen. A time skipped by a spring-forward
 * change resolves to the instant after the gap; one repeated by a fall-back change to the
 * first (earlier) instant. */
export function zonedToInstant(date: string, clock: string, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number)
  const [hh, mm] = clock.split(':').map(Number)
  const asUtc = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1, hh ?? 0, mm ?? 0)
  const first = offsetMinutes(new Date(asUtc), tz)
  const candidates = new Set([first])
  candidates.add(offsetMinutes(new Date(asUtc - first * 60000), tz))
  candidates.add(offsetMinutes(new Date(asUtc - first * 60000 - 3 * 3600000), tz))
  candidates.add(offsetMinutes(new Date(asUtc - first * 60000 + 3 * 3600000), tz))
  const exact = [...candidates]
    .map((off) => asUtc - off * 60000)
    .filter((t) => {
      const w = wallTime(new Date(t), tz)
      return w.date === date && w.hour * 60 + w.minute === (hh ?? 0) * 60 + (mm ?? 0)
    })
    .sort((a, b) => a - b)
  if (exact.length) return new Date(exact[0] as number)
  // In a spring-forward gap: the wall time does not exist; take the larger offset's reading.
  const offsets = [...candidates].sort((a, b) => a - b)
  return new Date(asUtc - (offsets[0] as number) * 60000)
}

export function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)).getUTCDay()
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number)
  const t = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days))
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
}

export function daysBetween(from: string, to: string): number {
  const a = Date.parse(`${from}T00:00:00Z`)
  const b = Date.parse(`${to}T00:00:00Z`)
  return Math.round((b - a) / 86400000)
}

export function todayIn(tz: string, now: Date = new Date()): string {
  return wallTime(now, tz).date
}

export function clockToMinutes(clock: string): number {
  const [h, m] = clock.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

export function minutesToClock(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`
}

/** "YYYY-MM-DDTHH:MM" of the wall time (for <input type="datetime-local"> and FullCalendar). */
export function wallIso(instant: Date | string, tz: string): string {
  const w = wallTime(instant, tz)
  return `${w.date}T${minutesToClock(w.hour * 60 + w.minute)}`
}

// ---- Formatting for people -------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>()
// The community's locale (a BCP 47 tag): its formats decide the 12- or 24-hour clock, as in the
// server's messages and emails. Undefined: the browser's.
let displayLocale: string | undefined

/** Format dates and times as the community's locale does from now on. */
export function setDisplayLocale(locale: string | undefined): void {
  displayLocale = locale
}

export function formatter(tz: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${displayLocale ?? ''}|${tz}${JSON.stringify(options)}`
  let f = formatters.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(displayLocale, { timeZone: tz, ...options })
    formatters.set(key, f)
  }
  return f
}

// "3:00 PM" or "15:00": a 24-hour clock keeps its leading zero, which ICU builds disagree on.
function clockOptions(): Intl.DateTimeFormatOptions {
  return { hour: uses12Hour() ? 'numeric' : '2-digit', minute: '2-digit' }
}

export function formatTime(instant: Date | string, tz: string): string {
  return formatter(tz, clockOptions()).format(new Date(instant))
}

/** Whether the community's locale reads clocks on 12 hours (with am/pm). */
export function uses12Hour(): boolean {
  return formatter('UTC', { hour: 'numeric' }).resolvedOptions().hour12 ?? false
}

/** A local clock time ('HH:MM', '24:00' for midnight at the end of a day) as the community's
 * locale writes it: "3:00 PM" or "15:00". */
export function formatClock(clock: string): string {
  const minutes = clockToMinutes(clock) % 1440
  return formatter('UTC', clockOptions()).format(
    new Date(Date.UTC(2000, 0, 1, Math.floor(minutes / 60), minutes % 60)),
  )
}

export function formatDay(instant: Date | string, tz: string): string {
  return formatter(tz, { weekday: 'short', month: 'short', day: 'numeric' }).format(new Date(instant))
}

export function formatLongDay(instant: Date | string, tz: string): string {
  return formatter(tz, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(
    new Date(instant),
  )
}

export function formatDateTime(instant: Date | string, tz: string): string {
  return `${formatDay(instant, tz)}, ${formatTime(instant, tz)}`
}

/** A local date string ('YYYY-MM-DD') as "Sat, Nov 29". */
export function formatLocalDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number)
  return formatter('UTC', { weekday: 'short', month: 'short', day: 'numeric' }).format(
    new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1, 12)),
  )
}

/** "Sat, Nov 29, 4:00 – 6:00 PM" or, across days, "Sat, Nov 29, 3:00 PM – Mon, Dec 1, 11:00 AM". */
export function formatRange(start: Date | string, end: Date | string, tz: string): string {
  const endMinusTick = new Date(new Date(end).getTime() - 1)
  if (wallTime(start, tz).date === wallTime(endMinusTick, tz).date) {
    return `${formatDay(start, tz)}, ${formatTime(start, tz)} – ${formatTime(end, tz)}`
  }
  return `${formatDateTime(start, tz)} – ${formatDateTime(end, tz)}`
}

/** "America/New_York" as "Eastern Time (America/New_York)" where the browser knows a name. */
export function describeTimeZone(tz: string, at: Date = new Date()): string {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'long' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value
    return name ? `${name} (${tz})` : tz
  } catch {
    return tz
  }
}

export function formatDuration(minutes: number): string {
  if (minutes % 1440 === 0 && minutes >= 1440) {
    const days = minutes / 1440
    return days === 1 ? '1 day' : `${days} days`
  }
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  if (!h) return `${m} min`
  return m ? `${h} h ${m} min` : `${h} h`
}
