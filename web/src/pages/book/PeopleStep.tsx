import type { AmenityRead } from '../../api'
import { peopleLimits } from '../../lib/slots'

export interface People {
  headcount: number
  guests: number
  title: string
  notes: string
}

/** Who's coming: how many people and guests, the occasion, notes for the office. */
export function PeopleStep({ amenity, people, onChange }: { amenity: AmenityRead; people: People; onChange: (people: People) => void }) {
  const { maxPeople } = peopleLimits(amenity)
  const maxGuests = Math.min(amenity.max_guests ?? people.headcount, people.headcount)
  return (
    <section className="card step" aria-labelledby="step-who">
      <h2 id="step-who">Who's coming</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="headcount">People, guests included</label>
          <input
            id="headcount"
            type="number"
            inputMode="numeric"
            min={1}
            max={maxPeople}
            value={people.headcount}
            onChange={(e) => onChange({ ...people, headcount: Math.max(1, Math.min(maxPeople, Number(e.target.value) || 1)) })}
            aria-describedby="headcount-hint"
          />
          <span className="hint" id="headcount-hint">
            At most {maxPeople}.
          </span>
        </div>
        <div className="field">
          <label htmlFor="guests">Of them, guests</label>
          <input
            id="guests"
            type="number"
            inputMode="numeric"
            min={0}
            max={maxGuests}
            value={Math.min(people.guests, maxGuests)}
            onChange={(e) => onChange({ ...people, guests: Math.max(0, Math.min(maxGuests, Number(e.target.value) || 0)) })}
            aria-describedby="guests-hint"
          />
          <span className="hint" id="guests-hint">
            People who don't live in the community{amenity.max_guests !== null ? `; at most ${amenity.max_guests}` : ''}.
          </span>
        </div>
      </div>
      <div className="field">
        <label htmlFor="title">Occasion (optional)</label>
        <input id="title" type="text" maxLength={200} value={people.title} onChange={(e) => onChange({ ...people, title: e.target.value })} placeholder="e.g. Birthday party" />
      </div>
      <div className="field">
        <label htmlFor="notes">Notes for the office (optional)</label>
        <textarea id="notes" maxLength={2000} value={people.notes} onChange={(e) => onChange({ ...people, notes: e.target.value })} />
      </div>
    </section>
  )
}
