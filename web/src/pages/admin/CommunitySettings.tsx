import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { communitiesGetCommunity, communitiesUpdateCommunity, type CommunityRead, type CommunityUpdate } from '../../api'
import { ErrorNotice, Loading, Notice, PageHeader } from '../../components/ui'
import { ApiError, type ErrorFields } from '../../lib/errors'
import { unwrap } from '../../lib/http'
import { keys, useCurrentCommunity } from '../../lib/queries'
import { describeTimeZone } from '../../lib/time'

// Locales whose formats residents see; the clock (12- or 24-hour) follows the locale.
const LOCALES: [string, string][] = [
  ['en-US', 'English (United States)'],
  ['en-CA', 'English (Canada)'],
  ['en-GB', 'English (United Kingdom)'],
  ['en-AU', 'English (Australia)'],
  ['en-IE', 'English (Ireland)'],
  ['fr-CA', 'French (Canada)'],
  ['es-US', 'Spanish (United States)'],
  ['de-DE', 'German (Germany)'],
]

function sampleTime(locale: string, tz: string): string {
  const at = new Date(Date.UTC(2026, 11, 20, 20, 0))
  const options = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' } as const
  try {
    return new Intl.DateTimeFormat(locale, { timeZone: tz, ...options }).format(at)
  } catch {
    return new Intl.DateTimeFormat(locale, options).format(at) // a time zone still being typed
  }
}

const MAX_REMINDER_HOURS = 168

type Field = 'name' | 'timezone' | 'reminder_hours'
type FieldErrors = Partial<Record<Field, string>>

// The server's words are precise but technical; these say what to do.
const FIELD_MESSAGES: Record<Field, string> = {
  name: 'Enter a name (up to 200 characters).',
  timezone: 'Not a time zone we know. Use a name from the list, such as America/New_York.',
  reminder_hours: `Enter a whole number of hours from 0 to ${MAX_REMINDER_HOURS} (0 turns reminders off).`,
}

/** Which of our fields the API rejected (a 422's field list). */
function fieldErrors(error: unknown): FieldErrors {
  if (!(error instanceof ApiError) || error.code !== 'validation_error') return {}
  const found: FieldErrors = {}
  for (const f of (error.details.fields as ErrorFields[] | undefined) ?? []) {
    const name = f.location.at(-1)
    if (name === 'name' || name === 'timezone' || name === 'reminder_hours') found[name] = FIELD_MESSAGES[name]
  }
  return found
}

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone')
  } catch {
    return []
  }
}

export default function CommunitySettings() {
  const community = useCurrentCommunity()
  const current = useQuery({
    queryKey: ['community', community.id],
    queryFn: () => unwrap(communitiesGetCommunity({ path: { community_id: community.id } })),
  })
  if (current.isPending) return <Loading />
  if (!current.data) {
    return (
      <>
        <PageHeader title="Community settings" />
        <ErrorNotice error={current.error} />
      </>
    )
  }
  return <SettingsForm key={current.data.id} saved={current.data} />
}

function SettingsForm({ saved }: { saved: CommunityRead }) {
  const qc = useQueryClient()
  const [name, setName] = useState(saved.name)
  const [timezone, setTimezone] = useState(saved.timezone)
  const [locale, setLocale] = useState(saved.locale)
  const [payment, setPayment] = useState(saved.payment_instructions)
  const [showNames, setShowNames] = useState(saved.show_booker_names)
  const [householdsApprove, setHouseholdsApprove] = useState(saved.households_approve_joins)
  const [reminderHours, setReminderHours] = useState(String(saved.reminder_hours))
  const [localErrors, setLocalErrors] = useState<FieldErrors>({})
  const [done, setDone] = useState(false)
  const [zones] = useState(timeZones)

  const save = useMutation({
    mutationFn: (body: CommunityUpdate) => unwrap(communitiesUpdateCommunity({ path: { community_id: saved.id }, body })),
    onSuccess: async (result) => {
      qc.setQueryData(['community', saved.id], result)
      // The header's community name and every page's time zone come from /me.
      await qc.invalidateQueries({ queryKey: keys.me })
      setDone(true)
    },
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    setDone(false)
    save.reset()
    const hours = Number(reminderHours)
    const errors: FieldErrors = {}
    if (!name.trim()) errors.name = FIELD_MESSAGES.name
    if (reminderHours.trim() === '' || !Number.isInteger(hours) || hours < 0 || hours > MAX_REMINDER_HOURS) {
      errors.reminder_hours = FIELD_MESSAGES.reminder_hours
    }
    setLocalErrors(errors)
    if (Object.keys(errors).length) return
    save.mutate({
      name: name.trim(),
      timezone: timezone.trim(),
      locale,
      payment_instructions: payment.trim(),
      show_booker_names: showNames,
      reminder_hours: hours,
      households_approve_joins: householdsApprove,
    })
  }

  const errors: FieldErrors = { ...fieldErrors(save.error), ...localErrors }
  const hasFieldErrors = Object.keys(errors).length > 0
  const invalid = (field: Field) => ({
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': errors[field] ? `${field}-error` : `${field}-hint`,
  })
  const fieldError = (field: Field) =>
    errors[field] ? (
      <span className="field-error" id={`${field}-error`}>
        {errors[field]}
      </span>
    ) : null

  return (
    <form onSubmit={submit} noValidate>
      <PageHeader title="Community settings" lead="How the community appears and behaves for everyone.">
        <button type="submit" className="btn" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
      </PageHeader>
      {/* The fields say what is wrong; the notice only draws the eye to them. */}
      {hasFieldErrors ? (
        <Notice kind="error" title="Some fields are missing or not valid." />
      ) : (
        <ErrorNotice error={save.error} />
      )}
      {done ? <Notice kind="ok" title="Saved." /> : null}

      <fieldset>
        <legend>Community</legend>
        <div className="field">
          <label htmlFor="name">Name</label>
          <input id="name" type="text" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} {...invalid('name')} />
          <span className="hint" id="name-hint">
            Shown in the app's header and in every email.
          </span>
          {fieldError('name')}
        </div>
        <div className="field">
          <label htmlFor="timezone">Time zone</label>
          <input
            id="timezone"
            type="text"
            list="timezone-options"
            required
            maxLength={64}
            autoComplete="off"
            spellCheck={false}
            value={timezone}
            onChange={(e) => setTimezone(e.target.value)}
            {...invalid('timezone')}
          />
          <datalist id="timezone-options">
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </datalist>
          <span className="hint" id="timezone-hint">
            Opening hours and booking times are in this zone. Now: {describeTimeZone(saved.timezone)}.
          </span>
          {fieldError('timezone')}
        </div>
        <div className="field">
          <label htmlFor="locale">Date and time format</label>
          <select id="locale" value={locale} onChange={(e) => setLocale(e.target.value)} aria-describedby="locale-hint">
            {(LOCALES.some(([tag]) => tag === locale) ? LOCALES : [[locale, locale] as [string, string], ...LOCALES]).map(([tag, label]) => (
              <option key={tag} value={tag}>
                {label}
              </option>
            ))}
          </select>
          <span className="hint" id="locale-hint">
            In the app and in emails times look like: {sampleTime(locale, timezone || saved.timezone)}.
          </span>
        </div>
      </fieldset>

      <fieldset>
        <legend>Bookings</legend>
        <div className="checkbox field">
          <input id="show-booker-names" type="checkbox" checked={showNames} onChange={(e) => setShowNames(e.target.checked)} aria-describedby="show-booker-names-hint" />
          <div>
            <label htmlFor="show-booker-names">Residents see who booked</label>
            <div className="hint" id="show-booker-names-hint">
              Off: residents see other households' bookings as busy times, without names or titles. Admins always see them.
            </div>
          </div>
        </div>
        <div className="field">
          <label htmlFor="reminder_hours">Reminder emails, hours before a booking</label>
          <input
            id="reminder_hours"
            type="number"
            inputMode="numeric"
            min={0}
            max={MAX_REMINDER_HOURS}
            step={1}
            value={reminderHours}
            onChange={(e) => setReminderHours(e.target.value)}
            {...invalid('reminder_hours')}
          />
          <span className="hint" id="reminder_hours-hint">
            0 turns reminders off; at most {MAX_REMINDER_HOURS} (one week). Residents can also turn them off for themselves.
          </span>
          {fieldError('reminder_hours')}
        </div>
        <div className="field">
          <label htmlFor="payment">How to pay fees and deposits</label>
          <textarea id="payment" rows={3} maxLength={2000} value={payment} onChange={(e) => setPayment(e.target.value)} aria-describedby="payment-hint" />
          <span className="hint" id="payment-hint">
            Shown with every booking of an amenity that has a fee or a deposit, in the app and in its emails.
          </span>
        </div>
      </fieldset>

      <fieldset>
        <legend>Joining</legend>
        <div className="checkbox field">
          <input
            id="households-approve-joins"
            type="checkbox"
            checked={householdsApprove}
            onChange={(e) => setHouseholdsApprove(e.target.checked)}
            aria-describedby="households-approve-joins-hint"
          />
          <div>
            <label htmlFor="households-approve-joins">Members of a home may approve who joins it</label>
            <div className="hint" id="households-approve-joins-hint">
              Someone who joins with the code waits for approval. Admins can always approve; on: the members of the home they named
              can too, and are emailed.
            </div>
          </div>
        </div>
      </fieldset>
    </form>
  )
}
