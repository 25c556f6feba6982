import { describe, expect, it } from 'vitest'
import { buildIcs, escapeText, foldLine } from './ics'

describe('buildIcs', () => {
  const ics = buildIcs({
    uid: '3b1f7c2e-1111-4a4a-9f9f-222233334444',
    start: new Date('2026-12-05T21:00:00Z'),
    end: new Date('2026-12-06T03:00:00Z'),
    summary: "Clubhouse: Maya's 10th birthday, party",
    description: 'Waiting for approval.\n35 people; 30 guests',
    location: 'Clubhouse, Maple Grove HOA',
    status: 'TENTATIVE',
    stamp: new Date('2026-11-26T10:00:00.123Z'),
  })
  const lines = ics.split('\r\n')

  it('is a VCALENDAR with one VEVENT, CRLF line endings', () => {
    expect(lines[0]).toBe('BEGIN:VCALENDAR')
    expect(lines).toContain('VERSION:2.0')
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1)
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true)
    expect(ics.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/)
  })

  it('uses the reservation id as a stable UID and UTC times', () => {
    expect(lines).toContain('UID:3b1f7c2e-1111-4a4a-9f9f-222233334444')
    expect(lines).toContain('DTSTART:20261205T210000Z')
    expect(lines).toContain('DTEND:20261206T030000Z')
    expect(lines).toContain('DTSTAMP:20261126T100000Z')
    expect(lines).toContain('STATUS:TENTATIVE')
  })

  it('escapes text values', () => {
    expect(lines).toContain("SUMMARY:Clubhouse: Maya's 10th birthday\\, party")
    expect(lines).toContain('DESCRIPTION:Waiting for approval.\\n35 people\\; 30 guests')
    expect(escapeText('a\\b')).toBe('a\\\\b')
  })
})

describe('foldLine', () => {
  it('folds at 75 octets without splitting characters', () => {
    const long = `DESCRIPTION:${'é'.repeat(100)}`
    const folded = foldLine(long).split('\r\n')
    const encoder = new TextEncoder()
    for (const part of folded) expect(encoder.encode(part).length).toBeLessThanOrEqual(75)
    expect(folded.slice(1).every((p) => p.startsWith(' '))).toBe(true)
    expect(folded.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(long)
  })

  it('leaves short lines alone', () => {
    expect(foldLine('SUMMARY:Pool')).toBe('SUMMARY:Pool')
  })
})
