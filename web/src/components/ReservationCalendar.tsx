/** Month / week / day calendar of a community (or one amenity), in the community's time zone.
 *
 * FullCalendar is given wall-clock times of the community and told they are UTC, so it draws
 * them exactly as the community's clock reads whatever the viewer's own time zone is. */
import FullCalendar, { type EventSourceFuncInfo } from '@fullcalendar/react'
import dayGridPlugin from '@fullcalendar/react/daygrid'
import interactionPlugin from '@fullcalendar/react/interaction'
import listPlugin from '@fullcalendar/react/list'
import classicThemePlugin from '@fullcalendar/react/themes/classic'
import timeGridPlugin from '@fullcalendar/react/timegrid'
import '@fullcalendar/react/skeleton.css'
import '@fullcalendar/react/themes/classic/theme.css'
import '@fullcalendar/react/themes/classic/palette.css'
import './calendar.css'
import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { reservationsGetCalendar, type AmenityRead, type CalendarEntry } from '../api'
import { useNow } from '../lib/hooks'
import { unwrap } from '../lib/http'
import { occupancy, placesLeft } from '../lib/occupancy'
import { keys } from '../lib/queries'
import { formatClock, minutesToClock, uses12Hour, wallIso, zonedToInstant } from '../lib/time'
import { ErrorNotice } from './ui'

interface Props {
  communityId: string
  tz: string
  amenityId?: string
  amenities: Map<string, AmenityRead>
  onPickDate?: (date: string) => void
  onPickEvent?: (entry: CalendarEntry) => void
}

function fakeUtcDate(date: Date): string {
  return date.toISOString().slice(0, 10)
}

export function eventTitle(e: CalendarEntry, amenity: string | null): string {
  const what = e.mine ? e.title || 'Your booking' : e.booked_for_name || e.title || 'Busy'
  const status = e.status === 'pending' ? ' (waiting for approval)' : ''
  return `${amenity ? `${amenity}: ` : ''}${what}${status}`
}

export default function ReservationCalendar({ communityId, tz, amenityId, amenities, onPickDate, onPickEvent }: Props) {
  const qc = useQueryClient()
  const [error, setError] = useState<unknown>(null)
  const narrow = typeof window !== 'undefined' && window.matchMedia('(max-width: 719px)').matches
  const now = wallIso(new Date(useNow()), tz)
  // FullCalendar's own formats drop am/pm in the week view ("1:00 – 6:00"); the community's
  // locale decides, as everywhere else in the app.
  const hour12 = uses12Hour()

  return (
    <div className="calendar-wrap">
      <ErrorNotice error={error} />
      <FullCalendar
        plugins={[classicThemePlugin, dayGridPlugin, timeGridPlugin, listPlugin, interactionPlugin]}
        timeZone="UTC"
        now={now}
        // A phone's week is a readable agenda: seven time-grid columns truncate every title.
        initialView={narrow ? 'listWeek' : 'dayGridMonth'}
        headerToolbar={
          narrow
            ? { start: 'prev,next', center: 'title', end: 'today' }
            : { start: 'prev,next today', center: 'title', end: 'dayGridMonth,timeGridWeek,timeGridDay,listWeek' }
        }
        footerToolbar={narrow ? { center: 'listWeek,timeGridDay,dayGridMonth' } : false}
        listText="Agenda"
        // The agenda's titles wrap instead of being clipped: a phone shows them whole.
        listItemEventTitleClass="agenda-title"
        noEventsText="Nothing booked this week."
        eventTimeFormat={eventTime}
        slotHeaderFormat={{ hour: 'numeric', minute: '2-digit', omitZeroMinute: hour12, hour12, meridiem: 'short' }}
        todayText="Today"
        todayHint={(unit: string) => `Today (this ${unit})`}
        showNonCurrentDates={false}
        fixedWeekCount={false}
        monthText="Month"
        dayText="Day"
        prevText="Previous"
        nextText="Next"
        height="auto"
        nowIndicator
        dayMaxEvents={3}
        slotMinTime="06:00:00"
        slotMaxTime="24:00:00"
        scrollTime="08:00:00"
        allDaySlot={false}
        eventDisplay="block"
        dateClick={(info) => onPickDate?.(fakeUtcDate(info.date))}
        eventClick={(info) => {
          const entry = info.event.extendedProps.entry as CalendarEntry | undefined
          if (entry) onPickEvent?.(entry)
        }}
        events={async (info: EventSourceFuncInfo) => {
          const start = zonedToInstant(fakeUtcDate(info.start), '00:00', tz)
          const end = zonedToInstant(fakeUtcDate(info.end), '00:00', tz)
          try {
            const cal = await qc.fetchQuery({
              queryKey: [...keys.calendar(communityId), amenityId ?? 'all', start.toISOString(), end.toISOString()],
              queryFn: () =>
                unwrap(
                  reservationsGetCalendar({
                    path: { community_id: communityId },
                    query: { start: start.toISOString(), end: end.toISOString(), amenity_id: amenityId },
                  }),
                ),
              staleTime: 30_000,
            })
            setError(null)
            const closures = cal.closures.map((c) => ({
              id: `closure-${c.id}`,
              title: closureTitle(c.reason, amenityId || !c.amenity_id ? null : (amenities.get(c.amenity_id)?.name ?? 'Amenity')),
              start: wallIso(c.starts_at, tz),
              end: wallIso(c.ends_at, tz),
              className: 'ev-closed',
              color: '#8b1e1e',
              contrastColor: '#ffffff',
            }))
            // Shared amenities: how many places are left, instead of each other household's booking.
            const shared = occupancy(cal.entries, amenities).map((o) => ({
              id: `places-${o.amenityId}-${o.start}`,
              title: `${amenityId ? '' : `${amenities.get(o.amenityId)?.name ?? 'Amenity'}: `}${placesLeft(o.capacity - o.taken, o.capacity)}`,
              start: wallIso(o.start, tz),
              end: wallIso(o.end, tz),
              className: 'ev-shared',
              color: '#2d5f86',
              contrastColor: '#ffffff',
            }))
            const entries = cal.entries.filter((e) => e.mine || amenities.get(e.amenity_id)?.mode !== 'capacity')
            return [...closures, ...shared].concat(entries.map((e) => ({
              id: e.id,
              title: eventTitle(e, amenityId ? null : (amenities.get(e.amenity_id)?.name ?? 'Amenity')),
              start: wallIso(e.starts_at, tz),
              end: wallIso(e.ends_at, tz),
              className: e.status === 'pending' ? 'ev-pending' : e.mine ? 'ev-mine' : 'ev-busy',
              color: e.status === 'pending' ? '#8a5300' : e.mine ? '#1d5c4a' : '#5f6b66',
              contrastColor: '#ffffff',
              extendedProps: { entry: e },
            })))
          } catch (err) {
            setError(err)
            return []
          }
        }}
      />
      <div className="legend" aria-hidden="true">
        <span className="mine">Your bookings</span>
        <span className="pending">Waiting for approval</span>
        <span className="busy">Booked by others</span>
        <span className="shared">Places left (shared amenities)</span>
        <span className="closed">Closed</span>
      </div>
    </div>
  )
}

interface WallClock {
  hour: number
  minute: number
}

/** An event's times as the community writes them ("3:00 PM – 5:00 PM" or "15:00 – 17:00"). */
function eventTime({ start, end }: { start: WallClock; end?: WallClock | null }): string {
  const at = (t: WallClock) => formatClock(minutesToClock(t.hour * 60 + t.minute))
  return end ? `${at(start)} – ${at(end)}` : at(start)
}

/** A closure as the calendar shows it: its public reason, and the amenity in the all-amenity view. */
function closureTitle(reason: string, amenity: string | null): string {
  return amenity ? `${amenity} closed: ${reason}` : `Closed: ${reason}`
}
