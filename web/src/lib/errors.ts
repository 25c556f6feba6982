/** Errors from the API, told to people in plain words by their stable code. */

import type { RuleCode } from '../api'

export interface ErrorFields {
  location: string[]
  message: string
}

/** The API answered with its error envelope (or something unexpected). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, unknown>
  readonly requestId: string | null

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    requestId: string | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.requestId = requestId
  }
}

/** The request never got an answer: offline, server down, DNS... */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super('network error', { cause })
    this.name = 'NetworkError'
  }
}

/** Builds an ApiError from whatever came back: the envelope, FastAPI's default, or junk. */
export function toApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error
    if (e && typeof e === 'object') {
      const { code, message, details, request_id } = e as Record<string, unknown>
      return new ApiError(
        status,
        typeof code === 'string' ? code : fallbackCode(status),
        typeof message === 'string' ? message : '',
        details && typeof details === 'object' ? (details as Record<string, unknown>) : {},
        typeof request_id === 'string' ? request_id : null,
      )
    }
  }
  return new ApiError(status, fallbackCode(status), '')
}

function fallbackCode(status: number): string {
  if (status === 401) return 'auth.not_authenticated'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 429) return 'rate_limited'
  if (status >= 500) return 'internal_error'
  return 'bad_request'
}

/** What to show: a short headline, and a sentence with the specifics when there are any. */
export interface Explanation {
  title: string
  detail?: string
}

// Headlines for the booking rules, keyed by the API's RuleCode: a rule without one fails the
// type check.
const RULE_TITLES: Record<RuleCode, string> = {
  'reservation.slot_taken': 'That time is already taken.',
  'reservation.capacity_full': 'That time is full.',
  'reservation.capacity_exceeded': 'Too many people for this amenity.',
  'reservation.blackout': 'The amenity is closed at that time.',
  'reservation.quota_exceeded': "You've reached your household's booking limit.",
  'reservation.outside_hours': "That's outside the opening hours.",
  'reservation.too_little_notice': "That's too soon to book.",
  'reservation.too_far_ahead': "That's too far ahead to book.",
  'reservation.in_past': 'That time has already passed.',
  'reservation.too_short': 'That booking is too short.',
  'reservation.too_long': 'That booking is too long.',
  'reservation.misaligned': 'Pick one of the listed start and end times.',
  'reservation.too_many_guests': 'Too many guests.',
  'reservation.invalid_time': 'The end must be after the start.',
  'reservation.invalid_headcount': 'Check the number of people and guests.',
  'reservation.rules_not_accepted': 'Please read and accept the rules first.',
  'reservation.cutoff_passed': "It's too late to change or cancel online.",
  'reservation.already_started': 'This reservation has already started.',
  'reservation.stay_times': 'Stays run from check-in to check-out.',
}

// Headlines per code. Where the server's own message carries specifics (times, limits) it is
// shown under the headline; it is already written for people, never raw data.
const TITLES: Record<string, string> = {
  ...RULE_TITLES,
  'auth.invalid_credentials': "That email and password don't match.",
  'auth.sign_in_failed': "We couldn't sign you in.",
  'auth.not_authenticated': 'Please sign in again.',
  'auth.csrf_failed': 'This page was open for a long time. Reload it and try again.',
  'auth.account_disabled': 'This account is disabled.',
  'auth.account_exists': 'An account with this email already exists.',
  'auth.invalid_refresh_token': 'Your session has ended. Please sign in again.',
  'auth.refresh_token_reused': 'For your safety you were signed out. Please sign in again.',
  'auth.invalid_reset_token': 'This reset link is used or expired. Ask for a new one.',
  'auth.invalid_verification_token': 'This verification link is not valid any more. Ask for a new one.',
  'auth.email_already_verified': 'Your email address is already verified.',
  forbidden: "You don't have permission to do that.",
  not_found: "We couldn't find that. It may have been removed.",
  rate_limited: 'Too many attempts in a short time. Wait a minute, then try again.',
  validation_error: 'Some fields are missing or not valid.',
  internal_error: 'Something went wrong on our side. Please try again.',
  'service.unavailable': 'The service is busy or down for a moment. Please try again shortly.',
  payload_too_large: 'That is too much text.',
  bad_request: "We couldn't process that request.",
  invalid_cursor: 'The list changed. Reload the page.',
  'reservation.not_active': 'This reservation is already cancelled or declined.',
  'reservation.not_pending': 'This request was already decided.',
  'reservation.no_household': "Your account isn't linked to a home yet. Ask your community admin.",
  'idempotency.key_reused': 'This booking was already sent. Reload the page to see it.',
  'calendar.range_too_long': 'Pick a shorter period.',
  'amenity.name_taken': 'Another amenity already has that name.',
  'amenity.invalid_rules': 'Some booking rules contradict each other.',
  'amenity.archived': 'This amenity is no longer bookable.',
  'amenity.unknown_kind': 'No bookable amenity is of that kind.',
  'availability.amenity_or_kind': 'Ask about amenities or about a kind, not both.',
  'blackout.conflicts': 'There are reservations during this closure.',
  'community.slug_taken': 'That short name is already used.',
  'household.exists': 'A household with that label already exists.',
  'household.in_use': 'This household still has members.',
  'member.exists': 'That person is already a member.',
  'member.last_admin': 'The community needs at least one admin.',
  'invitation.invalid': 'This invitation link is not valid any more.',
  'invitation.other_account': 'This invitation is for another email address.',
  'invitation.signup_required': 'Enter your name and a password to create your account.',
  'join.invalid_code': "That join code isn't valid.",
  'join.unknown_household': "We don't know that home. Check the address or ask your admin.",
}

// Where the server message adds nothing to the headline.
const NO_DETAIL = new Set([
  'auth.invalid_credentials',
  'auth.not_authenticated',
  'not_found',
  'forbidden',
  'internal_error',
  'rate_limited',
  'validation_error',
])

const FIELD_NAMES: Record<string, string> = {
  email: 'Email',
  password: 'Password',
  new_password: 'New password',
  current_password: 'Current password',
  name: 'Name',
  kind: 'Kind',
  headcount: 'People',
  guests: 'Guests',
  starts_at: 'Start',
  ends_at: 'End',
  reason: 'Reason',
  code: 'Join code',
  household_label: 'Home',
  label: 'Label',
  title: 'Title',
  notes: 'Notes',
}

export function explain(error: unknown): Explanation {
  if (error instanceof NetworkError) {
    return { title: "You're offline or the server can't be reached.", detail: 'Check your connection and try again.' }
  }
  if (!(error instanceof ApiError)) {
    return { title: 'Something went wrong. Please try again.' }
  }
  const title = TITLES[error.code] ?? (error.message || 'Something went wrong. Please try again.')
  if (error.code === 'validation_error') {
    const fields = (error.details.fields as ErrorFields[] | undefined) ?? []
    const parts = fields.slice(0, 4).map((f) => {
      const name = f.location.filter((p) => p !== 'body' && p !== 'query').at(-1) ?? ''
      const label = FIELD_NAMES[name] ?? (name ? name.replaceAll('_', ' ') : '')
      const message = f.message.replace(/^Value error, /, '')
      return label ? `${label}: ${message}` : message
    })
    return parts.length ? { title, detail: parts.join(' · ') } : { title }
  }
  if (error.code === 'reservation.cutoff_passed') {
    return {
      title,
      detail: `${error.message} Please contact your community office if you can't make it.`.trim(),
    }
  }
  if (NO_DETAIL.has(error.code) || !TITLES[error.code] || !error.message) return { title }
  return { title, detail: error.message }
}
