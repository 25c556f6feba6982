import { describe, expect, it } from 'vitest'
import type { AmenityNext, AmenityRead } from '../api'
import { byKind, kindInSentence, kindKey, mergeOffers, sameKind } from './amenityKinds'

const NY = 'America/New_York'
const slot = (starts_at: string) => ({ starts_at, ends_at: starts_at, available: true, remaining: 1, reason: null })
const answer = (amenity_id: string, starts: string[]): AmenityNext => ({
  amenity_id,
  first_day: null,
  blocked_days: [],
  slots: starts.map(slot),
})

describe('amenity kinds', () => {
  it('compares kinds as the API does', () => {
    expect(kindKey('  Tennis   Court ')).toBe('tennis court')
  })

  it('finds the other bookable amenities of a kind, by name', () => {
    const a = (id: string, name: string, kind: string | null, status: AmenityRead['status'] = 'active') =>
      ({ id, name, kind, status }) as AmenityRead
    const one = a('1', 'Court 1', 'Tennis court')
    const all = [one, a('3', 'Court 3', 'tennis  court'), a('2', 'Court 2', 'Tennis court'), a('4', 'Court 4', 'Tennis court', 'archived'), a('5', 'Pool', null)]
    expect(sameKind(one, all).map((x) => x.id)).toEqual(['2', '3'])
    expect(sameKind(all[4], all)).toEqual([])
  })

  it('groups amenities sharing a kind where the kind first appears, a lone one on its own', () => {
    const a = (id: string, kind: string | null) => ({ id, name: id, kind, status: 'active' }) as AmenityRead
    const groups = byKind([a('bbq', 'BBQ area'), a('c1', 'Tennis court'), a('pool', null), a('c2', 'tennis  Court')])
    expect(groups.map((g) => [g.kind, g.amenities.map((x) => x.id)])).toEqual([
      [null, ['bbq']],
      ['Tennis court', ['c1', 'c2']],
      [null, ['pool']],
    ])
  })

  it('puts a kind inside a sentence', () => {
    expect(kindInSentence('Tennis court')).toBe('tennis court')
    expect(kindInSentence('BBQ area')).toBe('BBQ area')
  })

  it('merges free times: one amenity a time, the preferred first, a few a day', () => {
    const offers = mergeOffers(
      [
        answer('a', ['2026-12-08T14:00:00Z', '2026-12-08T15:00:00Z', '2026-12-09T14:00:00Z']),
        answer('b', ['2026-12-08T13:00:00Z', '2026-12-08T14:00:00Z', '2026-12-09T14:00:00Z']),
      ],
      'b',
      NY,
      2,
      10,
    )
    expect(offers.map((o) => [o.starts_at, o.amenityId])).toEqual([
      ['2026-12-08T13:00:00Z', 'b'],
      ['2026-12-08T14:00:00Z', 'b'],
      ['2026-12-09T14:00:00Z', 'b'],
    ])
    expect(mergeOffers([answer('a', ['2026-12-08T14:00:00Z', '2026-12-09T14:00:00Z'])], 'x', NY, 4, 1)).toHaveLength(1)
  })
})
