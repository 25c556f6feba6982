/** Audit events in words. */
import type { PlatformAuditEventRead } from '../api'

export function describeAction(action: string): string {
  const [entity = '', verb = ''] = action.split('.')
  return `${entity.replaceAll('_', ' ')} ${verb.replaceAll('_', ' ')}`.trim()
}

export function changes(e: Pick<PlatformAuditEventRead, 'before' | 'after'>): string {
  const before = e.before ?? {}
  const after = e.after ?? {}
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .slice(0, 6)
    .map((k) => {
      const from = before[k]
      const to = after[k]
      const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? '…' : String(v))
      return k in before ? `${k.replaceAll('_', ' ')}: ${show(from)} → ${show(to)}` : `${k.replaceAll('_', ' ')}: ${show(to)}`
    })
    .join('; ')
}
