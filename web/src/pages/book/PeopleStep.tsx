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
  return (
    <section className="card step" aria-labelledby="step-who">
      <h2 id="step-who">Who's coming</h2>
      <PeopleFields amenity={amenity} people={people} onChange={onChange} />
    </section>
  )
}

/** The fields of who's coming; `idPrefix` keeps their ids apart where several forms share a page. */
export function PeopleFields({
  amenity,
  people,
  onChange,
  idPrefix = '',
}: {
  amenity: AmenityRead
  people: People
  onChange: (people: People) => void
  idPrefix?: string
}) {
  const { maxPeople } = peopleLimits(amenity)
  const maxGuests = Math.min(amenity.max_guests ?? people.headcount, people.headcount)
  const id = (name: string) => `${idPrefix}${name}`
  return (
    <>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={id('headcount')}>People, guests included</label>
          <input
            id={id('headcount')}
            type="number"
            inputMode="numeric"
            min={1}
            max={maxPeople}
            value={people.headcount}
            onChange={(e) => onChange({ ...people, headcount: Math.max(1, Math.min(maxPeople, Number(e.target.value) || 1)) })}
            aria-describedby={id('headcount-hint')}
          />
          <span className="hint" id={id('headcount-hint')}>
            At most {maxPeople}.
          </span>
        </div>
        <div className="field">
          <label htmlFor={id('guests')}>Of them, guests</label>
          <input
            id={id('guests')}
            type="number"
            inputMode="numeric"
            min={0}
            max={maxGuests}
            value={Math.min(people.guests, maxGuests)}
            onChange={(e) => onChange({ ...people, guests: Math.max(0, Math.min(maxGuests, Number(e.target.value) || 0)) })}
            aria-describedby={id('guests-hint')}
          />
          <span className="hint" id={id('guests-hint')}>
            People who don't live in the community{amenity.max_guests !== null ? `; at most ${amenity.max_guests}` : ''}.
          </span>
        </div>
      </div>
      <div className="field">
        <label htmlFor={id('title')}>Occasion (optional)</label>
        <input id={id('title')} type="text" maxLength={200} value={people.title} onChange={(e) => onChange({ ...people, title: e.target.value })} placeholder="e.g. Birthday party" />
      </div>
      <div className="field">
        <label htmlFor={id('notes')}>Notes for the office (optional)</label>
        <textarea id={id('notes')} maxLength={2000} value={people.notes} onChange={(e) => onChange({ ...people, notes: e.target.value })} />
      </div>
    </>
  )
}
