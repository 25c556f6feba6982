/** The generated API client, wired for the browser: cookie session, CSRF header, silent
 * session refresh, and errors turned into ApiError / NetworkError. */
import { authRefresh } from '../api'
import { client } from '../api/client.gen'
import { ApiError, NetworkError, toApiError } from './errors'

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const CSRF_COOKIE = 'hoa_csrf'
const CSRF_HEADER = 'X-CSRF-Token'

export function readCookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

function withCsrf(request: Request): Request {
  const token = readCookie(CSRF_COOKIE)
  if (token && UNSAFE.has(request.method)) request.headers.set(CSRF_HEADER, token)
  return request
}

/** Whether this browser holds a session (or a refresh token that may renew one). */
export function hasSession(): boolean {
  return readCookie(CSRF_COOKIE) !== null
}

/** Forget a session the server no longer accepts, so later pages do not ask again. */
function forgetSession(): void {
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`
}

let refreshing: Promise<boolean> | null = null

/** One refresh at a time: refresh tokens are single use, so two racing refreshes would end
 * the session. */
function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      // The refresh cookie (sent to this route only) plus the CSRF header, added by the interceptor.
      const { response } = await authRefresh()
      if (response?.status === 401) forgetSession()
      return response?.ok ?? false
    } catch {
      return false
    } finally {
      setTimeout(() => {
        refreshing = null
      }, 0)
    }
  })()
  return refreshing
}

/** fetch that, when the short-lived session has expired, refreshes it once and retries. */
async function sessionFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = input instanceof Request ? input : new Request(input, init)
  const retry = request.clone()
  const response = await fetch(request)
  if (response.status !== 401 || new URL(request.url).pathname.startsWith('/api/v1/auth/')) {
    return response
  }
  if (!(await refreshSession())) return response
  return fetch(withCsrf(retry))
}

client.setConfig({ baseUrl: '', credentials: 'same-origin', fetch: sessionFetch })
client.interceptors.request.use((request) => withCsrf(request))

interface Result<T> {
  data?: T
  error?: unknown
  response?: Response
}

/** The data of a generated SDK call, or a thrown ApiError / NetworkError. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>
  try {
    result = await call
  } catch (error) {
    throw new NetworkError(error)
  }
  const { response } = result
  if (!response) throw new NetworkError(result.error)
  if (!response.ok) throw toApiError(response.status, result.error)
  return result.data as T
}

export { ApiError, NetworkError }

/** A booking's calendar file: the server's, so it carries the same event (UID and all) as the
 * emails and feeds. A plain link: the session cookie goes with it. */
export function calendarFileUrl(communityId: string, reservationId: string): string {
  return `/api/v1/communities/${communityId}/reservations/${reservationId}/calendar.ics`
}
