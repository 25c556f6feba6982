import { describe, expect, it } from 'vitest'
import { client } from '../api/client.gen'
import { routePattern, SAMPLE_RATE, startRum } from './rum'

describe('routePattern', () => {
  it('joins the matched patterns without ids', () => {
    const matches = [{ route: { path: '/' } }, { route: { path: 'c/:communityId' } }, { route: {} }]
    expect(routePattern(matches)).toBe('/c/:communityId')
    expect(
      routePattern([
        { route: { path: '/' } },
        { route: { path: 'c/:communityId' } },
        { route: { path: 'admin' } },
        { route: { path: 'amenities/:amenityId' } },
      ]),
    ).toBe('/c/:communityId/admin/amenities/:amenityId')
  })

  it('is the root for the start page', () => {
    expect(routePattern([{ route: { path: '/' } }, { route: {} }])).toBe('/')
  })

  it('measures nothing on a page view outside the sample', async () => {
    const before = client.interceptors.request.fns.length
    await startRum(() => '/', SAMPLE_RATE)
    expect(client.interceptors.request.fns.length).toBe(before)
  })
})
