import { useMutation, useQuery } from '@tanstack/react-query'
import { useMemo, useRef, useState, type FormEvent } from 'react'
import {
  reservationsCheckReservation,
  reservationsCreateReservation,
  reservationsGetAvailability,
  reservationsGetNextAvailable,
  type AmenityRead,
  type ReservationCreate,
  type ReservationRead,
  type SlotRead,
} from '../../api'
import type { Offer } from '../../lib/amenityKinds'
import { randomKey, useDebounced } from '../../lib/hooks'
import { unwrap } from '../../lib/http'
import { useOffline } from '../../lib/offline'
import { keys, useInvalidateBookings, type CommunityContext } from '../../lib/queries'
import { endOptions, isEventAmenity } from '../../lib/slots'
import { addDays, todayIn, wallTime } from '../../lib/time'
import { Confirmation } from './Confirmation'
import { NEXT_LIMIT, NEXT_PER_DAY, NextAvailable } from './NextAvailable'
import { PeopleStep, type People } from './PeopleStep'
import { RulesStep } from './RulesStep'
import { Summary, type BookingCheck } from './Summary'
import { PartyTimes, TimeStep, type Party } from './TimeStep'

interface FormProps {
  community: CommunityContext
  amenity: AmenityRead
  /** The other bookable amenities of its kind. */
  siblings: AmenityRead[]
  initialDate: string | null
  /** A time of `initialDate` picked already (an offer of another amenity of the kind). */
  initialStart: string | null
  /** Whether "Next available" shows the times of any amenity of the kind. */
  initialAny: boolean
  onBehalf: string
  onDateChange: (date: string) => void
  /** Opens the booking of another amenity of the kind at the time offered. */
  onOtherAmenity: (offer: Offer) => void
}

/** The booking steps beside their summary: holds what was chosen, checks it as it changes, and
 * books it. */
export function BookingForm({ community, amenity, siblings, initialDate, initialStart, initialAny, onBehalf, onDateChange, onOtherAmenity }: FormProps) {
  const tz = community.timezone
  const today = todayIn(tz)
  const lastDay = addDays(today, amenity.max_days_ahead)
  const clamp = (d: string | null) => (!d || d < today ? today : d > lastDay ? lastDay : d)
  // The page opens on the day asked for or else on the first bookable one.
  const [chosenDate, setDateState] = useState<string | null>(() => (initialDate ? clamp(initialDate) : null))
  const [start, setStart] = useState<string | null>(initialDate ? initialStart : null)
  const [minutes, setMinutes] = useState<number | null>(null)
  const [people, setPeople] = useState<People>({ headcount: 1, guests: 0, title: '', notes: '' })
  const [party, setParty] = useState<Party>({ on: false, from: 0, to: 0 })
  const [accepted, setAccepted] = useState(false)
  const [done, setDone] = useState<ReservationRead | null>(null)
  const { offline } = useOffline()
  const invalidate = useInvalidateBookings(community.id)
  const needsRules = amenity.rules_version > 0 && amenity.rules_text.trim() !== ''
  const event = isEventAmenity(amenity)

  const finder = { limit: NEXT_LIMIT, per_day: NEXT_PER_DAY }
  const nextFree = useQuery({
    queryKey: [...keys.availability(community.id), amenity.id, 'next'],
    queryFn: () =>
      unwrap(reservationsGetNextAvailable({ path: { community_id: community.id }, query: { amenity_id: [amenity.id], ...finder } })),
  })
  const kind = siblings.length ? amenity.kind : null
  const [any, setAny] = useState(initialAny && kind !== null)
  const nextOfKind = useQuery({
    queryKey: [...keys.availability(community.id), 'kind', kind, 'next'],
    queryFn: () => unwrap(reservationsGetNextAvailable({ path: { community_id: community.id }, query: { kind: kind as string, ...finder } })),
    enabled: any && kind !== null,
  })
  const date = chosenDate ?? clamp(nextFree.data?.amenities[0]?.first_day ?? null)

  function setDate(d: string) {
    const next = clamp(d)
    setDateState(next)
    setStart(null)
    setMinutes(null)
    onDateChange(next)
  }

  const availability = useQuery({
    queryKey: [...keys.availability(community.id), amenity.id, date],
    queryFn: () =>
      unwrap(reservationsGetAvailability({ path: { community_id: community.id, amenity_id: amenity.id }, query: { date } })),
    enabled: chosenDate !== null || !nextFree.isPending,
  })

  const startDate = start ? new Date(start) : null
  const ends = useMemo(() => (start ? endOptions(amenity, new Date(start), tz) : []), [amenity, start, tz])
  const chosenEnd = ends.find((o) => o.minutes === minutes) ?? ends[0] ?? null
  const partySteps = chosenEnd ? Math.round(chosenEnd.minutes / amenity.slot_minutes) : 0

  function pickSlot(slot: SlotRead) {
    setStart(slot.starts_at)
    const opts = endOptions(amenity, new Date(slot.starts_at), tz)
    const same = opts.find((o) => o.minutes === minutes)
    setMinutes(same?.minutes ?? opts[0]?.minutes ?? null)
    setParty((p) => ({ ...p, from: 0, to: 0 }))
  }

  const body: ReservationCreate | null = (() => {
    if (!startDate || !chosenEnd) return null
    const step = amenity.slot_minutes * 60000
    const partyOn = event && party.on && partySteps >= 1
    const from = Math.min(party.from, partySteps - 1)
    const to = Math.max(party.to || partySteps, from + 1)
    return {
      amenity_id: amenity.id,
      starts_at: startDate.toISOString(),
      ends_at: chosenEnd.end.toISOString(),
      party_starts_at: partyOn ? new Date(startDate.getTime() + from * step).toISOString() : null,
      party_ends_at: partyOn ? new Date(startDate.getTime() + Math.min(to, partySteps) * step).toISOString() : null,
      headcount: people.headcount,
      guests: Math.min(people.guests, people.headcount),
      title: people.title.trim(),
      notes: people.notes.trim(),
      accepted_rules_version: needsRules ? (accepted ? amenity.rules_version : null) : amenity.rules_version,
      on_behalf_of_member_id: onBehalf || null,
    }
  })()

  // The dry run ignores text fields and rules acceptance: re-check only when the slot or party changes.
  const checkKey = body
    ? JSON.stringify({ ...body, title: '', notes: '', accepted_rules_version: null })
    : null
  const debouncedKey = useDebounced(checkKey, 250)
  const checkQuery = useQuery({
    queryKey: ['check', community.id, debouncedKey],
    queryFn: () =>
      unwrap(
        reservationsCheckReservation({
          path: { community_id: community.id },
          body: JSON.parse(debouncedKey as string) as ReservationCreate,
        }),
      ),
    enabled: Boolean(debouncedKey) && !offline,
    staleTime: 0,
    gcTime: 30_000,
    retry: false,
  })
  const check: BookingCheck = { query: checkQuery, settled: !checkQuery.isFetching && checkKey === debouncedKey }

  // One Idempotency-Key per booking attempt: a retry of the same request (double click, flaky
  // network) cannot book twice, while a changed request is a new booking.
  const attempt = useRef<{ request: string; key: string } | null>(null)
  const create = useMutation({
    mutationFn: ({ data, key }: { data: ReservationCreate; key: string }) =>
      unwrap(
        reservationsCreateReservation({
          path: { community_id: community.id },
          body: data,
          headers: { 'Idempotency-Key': key },
        }),
      ),
    onSuccess: async (reservation) => {
      setDone(reservation)
      await invalidate()
    },
    onError: () => {
      void availability.refetch()
      void checkQuery.refetch()
    },
  })

  function pickOffer(offer: Offer) {
    if (offer.amenityId === amenity.id) applySuggestion(offer)
    else onOtherAmenity(offer)
  }

  function applySuggestion(s: SlotRead) {
    const w = wallTime(s.starts_at, tz)
    if (w.date !== date) {
      setDateState(w.date)
      onDateChange(w.date)
    }
    setStart(s.starts_at)
    setMinutes(Math.round((Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000))
    create.reset()
  }

  function submit(e: FormEvent) {
    e.preventDefault()
    if (!body) return
    const request = JSON.stringify(body)
    if (attempt.current?.request !== request) attempt.current = { request, key: randomKey() }
    create.mutate({ data: body, key: attempt.current.key })
  }

  if (done) {
    return <Confirmation reservation={done} amenity={amenity} community={community} />
  }

  return (
    <form className="booking-layout" onSubmit={submit} aria-label={`Book ${amenity.name}`}>
      <div className="steps">
        <NextAvailable
          amenity={amenity}
          tz={tz}
          next={any ? nextOfKind : nextFree}
          start={start}
          onPick={pickOffer}
          siblings={siblings}
          any={any}
          onAny={setAny}
        />
        <TimeStep
          amenity={amenity}
          tz={tz}
          today={today}
          lastDay={lastDay}
          date={date}
          onDate={setDate}
          availability={availability}
          start={start}
          onPick={pickSlot}
          ends={ends}
          chosenEnd={chosenEnd}
          onMinutes={setMinutes}
        >
          {startDate && event ? <PartyTimes amenity={amenity} tz={tz} start={startDate} steps={partySteps} party={party} onParty={setParty} /> : null}
        </TimeStep>
        <PeopleStep amenity={amenity} people={people} onChange={setPeople} />
        <RulesStep amenity={amenity} needsRules={needsRules} accepted={accepted} onAccepted={setAccepted} />
      </div>

      <Summary
        communityId={community.id}
        amenity={amenity}
        tz={tz}
        startDate={startDate}
        chosenEnd={chosenEnd}
        headcount={people.headcount}
        guests={people.guests}
        body={body}
        check={check}
        create={create}
        offline={offline}
        rulesMissing={needsRules && !accepted}
        onUse={applySuggestion}
        onDay={setDate}
      />
    </form>
  )
}
