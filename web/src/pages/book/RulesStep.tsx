import type { AmenityRead } from '../../api'
import { ruleFacts } from '../../lib/slots'

/** The amenity's booking rules as facts, and its house rules to accept when it has any. */
export function RulesStep({
  amenity,
  needsRules,
  accepted,
  onAccepted,
}: {
  amenity: AmenityRead
  needsRules: boolean
  accepted: boolean
  onAccepted: (accepted: boolean) => void
}) {
  return (
    <section className="card step" aria-labelledby="step-rules">
      <h2 id="step-rules">Rules</h2>
      <ul className="facts">
        {ruleFacts(amenity).map((f) => (
          <li key={f}>{f}</li>
        ))}
      </ul>
      {needsRules ? (
        <>
          <div className="rules-box" role="region" tabIndex={0} aria-label={`Rules of ${amenity.name}`} style={{ marginTop: '0.75rem' }}>
            {amenity.rules_text}
          </div>
          <div className="checkbox field" style={{ marginTop: '0.75rem' }}>
            <input id="accept-rules" type="checkbox" checked={accepted} onChange={(e) => onAccepted(e.target.checked)} required />
            <label htmlFor="accept-rules">I have read and accept the rules of the {amenity.name}</label>
          </div>
        </>
      ) : null}
    </section>
  )
}
