import { useEffect, useState, type ReactNode } from 'react'
import type { ReservationStatus } from '../api'
import { explain } from '../lib/errors'

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · HOA Amenities` : 'HOA Amenities'
  }, [title])
}

export function PageHeader({ title, children, lead }: { title: string; lead?: ReactNode; children?: ReactNode }) {
  useTitle(title)
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {lead ? <p>{lead}</p> : null}
      </div>
      {children ? <div className="row">{children}</div> : null}
    </div>
  )
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  )
}

/** An API (or network) error told in plain words. */
export function ErrorNotice({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null
  const { title, detail } = explain(error)
  return (
    <div className="notice notice--error" role="alert">
      <strong>{title}</strong>
      {detail ? <p>{detail}</p> : null}
      {children}
    </div>
  )
}

export function Notice({ kind, title, children }: { kind: 'ok' | 'warn' | 'info' | 'error'; title: string; children?: ReactNode }) {
  return (
    <div className={`notice notice--${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  )
}

const STATUS_LABELS: Record<ReservationStatus, string> = {
  pending: 'Waiting for approval',
  confirmed: 'Confirmed',
  rejected: 'Declined',
  cancelled: 'Cancelled',
  completed: 'Completed',
}

export function StatusBadge({ status }: { status: ReservationStatus }) {
  return <span className={`status status--${status}`}>{STATUS_LABELS[status]}</span>
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty card">{children}</div>
}

export function HouseIcon() {
  return (
    <svg viewBox="0 0 64 64" aria-hidden="true">
      <rect width="64" height="64" rx="14" fill="currentColor" opacity="0.18" />
      <path d="M32 13 11 31h6v19h11V38h8v12h11V31h6z" fill="currentColor" />
    </svg>
  )
}

const ICONS: Record<string, string> = {
  home: 'M3 11.5 12 4l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z',
  book: 'M12 5v14M5 12h14',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3v4M16 3v4',
  list: 'M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01',
  admin: 'M12 3l8 3v6c0 4.5-3.4 8.3-8 9-4.6-.7-8-4.5-8-9V6z',
  clock: 'M12 7v5l3 2M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z',
}

export function Icon({ name }: { name: keyof typeof ICONS }) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={ICONS[name]} />
    </svg>
  )
}

/** A value shown once (an invitation link, a calendar address) with a Copy button. Give it
 * `key={value}` so a new value starts as not yet copied. */
export function CopyBox({ id, label, value }: { id: string; label: string; value: string }) {
  const [copied, setCopied] = useState(false)
  return (
    <div className="copy-box">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <input id={id} type="text" readOnly value={value} onFocus={(e) => e.target.select()} />
      <button
        type="button"
        className="btn btn--secondary btn--small"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(value)
            setCopied(true)
          } catch {
            setCopied(false)
          }
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  )
}

/** "Show older" under a list paged with useInfiniteQuery; nothing once the last page is in. */
export function LoadMore({
  pages,
  label = 'Show older',
}: {
  pages: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown }
  label?: string
}) {
  if (!pages.hasNextPage) return null
  return (
    <p style={{ marginTop: '1rem' }}>
      <button type="button" className="btn btn--secondary" disabled={pages.isFetchingNextPage} onClick={() => pages.fetchNextPage()}>
        {pages.isFetchingNextPage ? 'Loading…' : label}
      </button>
    </p>
  )
}
