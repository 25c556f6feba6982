import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { amenitiesCreateAmenity, amenitiesListAmenityTemplates, type AmenityTemplate } from '../api'
import { unwrap } from '../lib/http'
import { ErrorNotice, Loading, Notice } from './ui'

/** A new community's first steps, on its admin's home: the first amenities (from templates),
 * inviting members, and a printable join code. */
export function GettingStarted({ cid }: { cid: string }) {
  const qc = useQueryClient()
  const [added, setAdded] = useState<string[]>([])
  const templates = useQuery({
    queryKey: ['amenity-templates', cid],
    queryFn: () => unwrap(amenitiesListAmenityTemplates({ path: { community_id: cid } })),
    staleTime: Infinity,
  })
  const create = useMutation({
    mutationFn: (t: AmenityTemplate) => unwrap(amenitiesCreateAmenity({ path: { community_id: cid }, body: t.amenity })),
    onSuccess: async (amenity) => {
      setAdded((names) => [...names, amenity.name])
      await qc.invalidateQueries({ queryKey: ['amenities', cid] })
    },
  })
  const base = `/c/${cid}`
  return (
    <section className="card stack" aria-labelledby="getting-started">
      <h2 id="getting-started">Get your community started</h2>
      <ol className="steps">
        <li>
          <h3>Create your first amenity</h3>
          <p className="small muted">
            Start from a usual one with sensible rules, then adjust its hours and rules in Admin › Amenities, or{' '}
            <Link to={`${base}/admin/amenities/new`}>start from scratch</Link>.
          </p>
          {templates.isPending ? <Loading /> : null}
          <ErrorNotice error={templates.error ?? create.error} />
          <ul className="template-list" aria-label="Amenity templates">
            {(templates.data ?? []).map((t) => (
              <li key={t.key}>
                <div>
                  <strong>{t.amenity.name}</strong>
                  <div className="small muted">{t.summary}</div>
                </div>
                <button
                  type="button"
                  className="btn btn--secondary btn--small"
                  disabled={create.isPending || added.includes(t.amenity.name)}
                  onClick={() => create.mutate(t)}
                >
                  {added.includes(t.amenity.name) ? 'Added' : 'Add'}
                  <span className="visually-hidden"> {t.amenity.name}</span>
                </button>
              </li>
            ))}
          </ul>
          {added.length ? <Notice kind="ok" title={`Added: ${added.join(', ')}.`} /> : null}
        </li>
        <li>
          <h3>Invite members</h3>
          <p className="small muted">Invite residents and fellow board members by email, each with their home.</p>
          <Link className="btn btn--secondary btn--small" to={`${base}/admin/members`}>
            Invite members
          </Link>
        </li>
        <li>
          <h3>Print the join code</h3>
          <p className="small muted">
            A poster for the mailroom or newsletter: neighbors ask to join with the code and their home's address, and you approve them.
            The homes they name must be listed first: each invitation adds its home.
          </p>
          <Link className="btn btn--secondary btn--small" to={`${base}/join-poster`}>
            Print the join code
          </Link>
        </li>
      </ol>
    </section>
  )
}
