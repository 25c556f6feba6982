/** Real-user monitoring: a sample of page views reports Core Web Vitals (LCP, INP, CLS) and
 * the API calls' durations to POST /api/v1/rum when the page is hidden. Only route patterns
 * and numbers are sent: no ids, no query strings, nothing about the person. */
import { client } from '../api/client.gen'

/** Share of page views that report. */
export const SAMPLE_RATE = 0.1
const ENDPOINT = '/api/v1/rum'
const MAX_API_TIMINGS = 50

export interface ApiTiming {
  route: string
  ms: number
}

export interface RumReport {
  route: string
  lcp_ms?: number
  inp_ms?: number
  cls?: number
  api: ApiTiming[]
}

interface RouteMatch {
  route: { path?: string }
}

/** The matched route patterns joined: `/c/:communityId/amenities/:amenityId`, never ids. */
export function routePattern(matches: readonly RouteMatch[]): string {
  const parts = matches.map((m) => m.route.path ?? '').filter((p) => p !== '' && p !== '/')
  return `/${parts.join('/')}`
}

/** Start measuring this page view when it is sampled (`draw` < SAMPLE_RATE); the web-vitals
 * code is loaded only then, so unsampled page views do not download it. */
export async function startRum(route: () => string, draw: number = Math.random()): Promise<void> {
  if (draw >= SAMPLE_RATE || typeof navigator.sendBeacon !== 'function') return
  const report: RumReport = { route: route(), api: [] }
  // API timings are taken from the start; the vitals code arrives when it arrives.
  const started = new WeakMap<Request, number>()
  client.interceptors.request.use((request) => {
    started.set(request, performance.now())
    return request
  })
  client.interceptors.response.use((response, request, options) => {
    const start = started.get(request)
    if (start !== undefined && report.api.length < MAX_API_TIMINGS && options.url) {
      report.api.push({ route: options.url, ms: performance.now() - start })
    }
    return response
  })
  // web-vitals listens in the capture phase, so its final values are in `report` by the time
  // this (bubbling) listener runs.
  addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'hidden') return
    if (report.lcp_ms === undefined && report.api.length === 0) return
    const body = new Blob([JSON.stringify(report)], { type: 'application/json' })
    navigator.sendBeacon(ENDPOINT, body)
    report.api = []
    report.lcp_ms = report.inp_ms = report.cls = undefined
  })
  const { onCLS, onINP, onLCP } = await import('web-vitals')
  // Every candidate, not only the final one: web-vitals finalizes LCP on a trusted input, and a
  // page hidden before the vitals code loaded would otherwise report no LCP at all.
  onLCP(
    (m) => {
      report.lcp_ms = m.value
    },
    { reportAllChanges: true },
  )
  onINP((m) => {
    report.inp_ms = m.value
  })
  onCLS((m) => {
    report.cls = m.value
  })
}
