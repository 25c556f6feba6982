import type { ReactNode } from 'react'
import { Empty, ErrorNotice, Loading } from './ui'

/** A list on an admin page: loading, error and empty states, then one table row per item.
 * `rows` is undefined until the list has loaded; `renderRow` returns a keyed `<tr>`. With `actions`
 * a last column without a visible heading holds each row's buttons. */
export function AdminTable<T>({
  pending,
  error,
  rows,
  empty,
  caption,
  columns,
  actions = false,
  renderRow,
}: {
  pending: boolean
  error: unknown
  rows: readonly T[] | undefined
  empty: ReactNode
  caption?: string
  columns: readonly string[]
  actions?: boolean
  renderRow: (item: T) => ReactNode
}) {
  return (
    <>
      {pending ? <Loading /> : null}
      <ErrorNotice error={error} />
      {rows?.length === 0 ? <Empty>{empty}</Empty> : null}
      {rows?.length ? (
        <div className="table-wrap">
          <table>
            {caption ? <caption className="visually-hidden">{caption}</caption> : null}
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
                {actions ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>{rows.map(renderRow)}</tbody>
          </table>
        </div>
      ) : null}
    </>
  )
}
