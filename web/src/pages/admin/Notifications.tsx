import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { Fragment, useState } from 'react'
import {
  notificationsCountNotifications,
  notificationsListNotifications,
  notificationsRetryNotification,
  type NotificationRead,
  type NotificationStatus,
} from '../../api'
import { AdminTable } from '../../components/AdminTable'
import { ErrorNotice, Loading, LoadMore, PageHeader } from '../../components/ui'
import { unwrap } from '../../lib/http'
import { KIND_LABELS } from '../../lib/kinds'
import { useCurrentCommunity } from '../../lib/queries'
import { formatDateTime } from '../../lib/time'

const STATUSES: NotificationStatus[] = ['pending', 'sending', 'sent', 'failed']

const STATUS_LABELS: Record<NotificationStatus, string> = {
  pending: 'Waiting to send',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
}

// The reservation badge colours, reused: yellow in flight, green delivered, red given up.
const STATUS_CLASSES: Record<NotificationStatus, string> = {
  pending: 'status--pending',
  sending: 'status--pending',
  sent: 'status--confirmed',
  failed: 'status--rejected',
}

function inFlight(rows: NotificationRead[]): boolean {
  return rows.some((n) => n.status === 'pending' || n.status === 'sending')
}

export default function Notifications() {
  const community = useCurrentCommunity()
  const cid = community.id
  const qc = useQueryClient()
  const [status, setStatus] = useState<NotificationStatus | ''>('')

  const counts = useQuery({
    queryKey: ['notifications', cid, 'counts'],
    queryFn: () => unwrap(notificationsCountNotifications({ path: { community_id: cid } })),
  })
  const list = useInfiniteQuery({
    queryKey: ['notifications', cid, 'list', status],
    queryFn: ({ pageParam }) =>
      unwrap(
        notificationsListNotifications({
          path: { community_id: cid },
          query: { status: status || undefined, cursor: pageParam || undefined, limit: 50 },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // While emails are on their way, follow them until they are sent or fail.
    refetchInterval: (query) => (inFlight(query.state.data?.pages.flatMap((p) => p.items) ?? []) ? 3000 : false),
  })
  const retry = useMutation({
    mutationFn: (id: string) => unwrap(notificationsRetryNotification({ path: { community_id: cid, notification_id: id } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['notifications', cid] }),
  })

  return (
    <>
      <PageHeader title="Notifications" lead="Emails sent for this community, newest first. Retry the ones that failed." />
      <section className="card" aria-labelledby="counts-heading">
        <h2 id="counts-heading">By status</h2>
        <ErrorNotice error={counts.error} />
        {counts.data ? (
          <dl className="kv">
            {STATUSES.map((s) => (
              <Fragment key={s}>
                <dt>{STATUS_LABELS[s]}</dt>
                <dd>
                  <strong>{counts.data[s]}</strong>
                </dd>
              </Fragment>
            ))}
          </dl>
        ) : counts.isPending ? (
          <Loading />
        ) : null}
      </section>

      <div className="field" style={{ marginTop: '1rem', maxWidth: '16rem' }}>
        <label htmlFor="notification-status">Show</label>
        <select id="notification-status" value={status} onChange={(e) => setStatus(e.target.value as NotificationStatus | '')}>
          <option value="">All emails</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </div>

      <ErrorNotice error={retry.error} />
      <AdminTable
        pending={list.isPending}
        error={list.error}
        rows={list.data?.pages.flatMap((p) => p.items)}
        empty={status ? 'No emails with this status.' : 'No emails sent yet.'}
        columns={['When', 'To', 'Email', 'Status', 'Attempts', 'Problem']}
        renderRow={(n) => (
          <tr key={n.id} data-notification-id={n.id}>
            <td className="small">{formatDateTime(n.created_at, community.timezone)}</td>
            <td>{n.recipient_email}</td>
            <td>{KIND_LABELS[n.kind]}</td>
            <td>
              <span className={`status ${STATUS_CLASSES[n.status]}`}>{STATUS_LABELS[n.status]}</span>
            </td>
            <td>{n.attempts}</td>
            <td className="small">
              {n.status === 'failed' ? (
                <div className="stack">
                  <div className="pre-wrap">{n.last_error ?? 'No reason recorded.'}</div>
                  <button
                    type="button"
                    className="btn btn--secondary btn--small"
                    disabled={retry.isPending && retry.variables === n.id}
                    onClick={() => retry.mutate(n.id)}
                  >
                    Retry<span className="visually-hidden"> the email to {n.recipient_email}</span>
                  </button>
                </div>
              ) : n.last_error && n.status === 'pending' ? (
                <span className="muted">Trying again soon: {n.last_error}</span>
              ) : null}
            </td>
          </tr>
        )}
      />
      <LoadMore pages={list} />
    </>
  )
}
