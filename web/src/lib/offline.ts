/** Read-only offline mode: the last loaded account, amenities and reservations are kept in
 * localStorage and shown when the network is gone; the service worker serves the app itself. */
import { useSyncExternalStore } from 'react'
import { NetworkError } from './errors'

const PREFIX = 'hoa:snapshot:'

interface Snapshot<T> {
  savedAt: number
  data: T
}

type Listener = () => void
const listeners = new Set<Listener>()
let staleSince: number | null = null

function emit() {
  for (const l of listeners) l()
}

function subscribe(listener: Listener) {
  listeners.add(listener)
  window.addEventListener('online', listener)
  window.addEventListener('offline', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('online', listener)
    window.removeEventListener('offline', listener)
  }
}

export interface OfflineState {
  offline: boolean
  /** When the data on screen was loaded, if it comes from a snapshot. */
  staleSince: number | null
}

let cached: OfflineState = { offline: false, staleSince: null }

function getState(): OfflineState {
  const offline = !navigator.onLine || staleSince !== null
  if (cached.offline !== offline || cached.staleSince !== staleSince) cached = { offline, staleSince }
  return cached
}

export function useOffline(): OfflineState {
  return useSyncExternalStore(subscribe, getState, getState)
}

export function save<T>(key: string, data: T): void {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify({ savedAt: Date.now(), data } satisfies Snapshot<T>))
  } catch {
    // Storage full or disabled: offline mode just has less to show.
  }
}

export function load<T>(key: string): Snapshot<T> | null {
  try {
    const raw = localStorage.getItem(PREFIX + key)
    return raw ? (JSON.parse(raw) as Snapshot<T>) : null
  } catch {
    return null
  }
}

export function clearSnapshots(): void {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(PREFIX)) localStorage.removeItem(key)
  }
}

/** Wraps a query function: fresh data is saved; without a network the saved copy is used. */
export function withSnapshot<T>(key: string, fetcher: () => Promise<T>): () => Promise<T> {
  return async () => {
    try {
      const data = await fetcher()
      save(key, data)
      if (staleSince !== null) {
        staleSince = null
        emit()
      }
      return data
    } catch (error) {
      const snapshot = error instanceof NetworkError ? load<T>(key) : null
      if (!snapshot) throw error
      if (staleSince === null || snapshot.savedAt < staleSince) {
        staleSince = snapshot.savedAt
        emit()
      }
      return snapshot.data
    }
  }
}

export function markOnline(): void {
  if (staleSince !== null) {
    staleSince = null
    emit()
  }
}
