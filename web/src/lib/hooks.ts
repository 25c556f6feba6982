import { useEffect, useState } from 'react'

export function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value)
  useEffect(() => {
    const id = setTimeout(() => setCurrent(value), ms)
    return () => clearTimeout(id)
  }, [value, ms])
  return current
}

/** A random key for Idempotency-Key headers (works outside secure contexts too). */
export function randomKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto && window.isSecureContext) return crypto.randomUUID()
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** The current time, refreshed every `everyMs` (render stays pure: time is state). */
export function useNow(everyMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(id)
  }, [everyMs])
  return now
}
