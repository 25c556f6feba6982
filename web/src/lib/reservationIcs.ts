import type { AmenityRead, ReservationRead } from '../api'
import { buildIcs, downloadFile } from './ics'

export function reservationIcs(r: ReservationRead, amenity: AmenityRead | undefined, communityName: string): string {
  const name = amenity?.name ?? 'Amenity'
  const status =
    r.status === 'confirmed' || r.status === 'completed' ? 'CONFIRMED' : r.status === 'pending' ? 'TENTATIVE' : 'CANCELLED'
  const lines = [
    r.status === 'pending' ? 'Waiting for approval by the community.' : '',
    r.title,
    `${r.headcount} ${r.headcount === 1 ? 'person' : 'people'}${r.guests ? `, ${r.guests} guests` : ''}`,
    r.notes,
  ].filter(Boolean)
  const sequence = Math.max(0, Math.floor((Date.parse(r.updated_at) - Date.parse(r.created_at)) / 1000))
  return buildIcs({
    uid: r.id,
    start: new Date(r.starts_at),
    end: new Date(r.ends_at),
    summary: `${name}${r.title ? `: ${r.title}` : ''}`,
    description: lines.join('\n'),
    location: `${name}, ${communityName}`,
    status,
    sequence,
  })
}

export function downloadReservationIcs(r: ReservationRead, amenity: AmenityRead | undefined, communityName: string): void {
  const slug = (amenity?.name ?? 'reservation').toLowerCase().replace(/[^a-z0-9]+/g, '-')
  downloadFile(`${slug}-${r.starts_at.slice(0, 10)}.ics`, reservationIcs(r, amenity, communityName), 'text/calendar')
}
