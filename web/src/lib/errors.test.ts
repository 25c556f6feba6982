import { describe, expect, it } from 'vitest'
import { ApiError, explain, NetworkError, toApiError } from './errors'

describe('toApiError', () => {
  it('reads the error envelope', () => {
    const e = toApiError(409, {
      error: { code: 'reservation.slot_taken', message: 'Taken from 4 PM to 6 PM.', details: { a: 1 }, request_id: 'r1' },
    })
    expect(e).toMatchObject({ status: 409, code: 'reservation.slot_taken', details: { a: 1 }, requestId: 'r1' })
  })

  it('falls back to a code from the status for anything else', () => {
    expect(toApiError(502, '<html>Bad gateway</html>').code).toBe('internal_error')
    expect(toApiError(404, { detail: 'Not Found' }).code).toBe('not_found')
    expect(toApiError(429, null).code).toBe('rate_limited')
  })
})

describe('explain', () => {
  it('puts a plain headline over the specifics of a refused booking', () => {
    const e = new ApiError(409, 'reservation.slot_taken', 'Another booking blocks the amenity from 4:00 PM to 6:00 PM.')
    expect(explain(e)).toEqual({
      title: 'That time is already taken.',
      detail: 'Another booking blocks the amenity from 4:00 PM to 6:00 PM.',
    })
  })

  it('tells residents who cancel too late whom to contact', () => {
    const e = new ApiError(409, 'reservation.cutoff_passed', 'Reservations can be changed or cancelled until 24 hours before they start.')
    const { title, detail } = explain(e)
    expect(title).toBe("It's too late to change or cancel online.")
    expect(detail).toContain('24 hours')
    expect(detail).toContain('community office')
  })

  it('lists invalid fields by their names', () => {
    const e = new ApiError(422, 'validation_error', 'Some fields are missing or invalid.', {
      fields: [{ location: ['body', 'new_password'], message: 'String should have at least 12 characters', type: 'x' }],
    })
    expect(explain(e)).toEqual({
      title: 'Some fields are missing or not valid.',
      detail: 'New password: String should have at least 12 characters',
    })
  })

  it("uses the server's message for codes it does not know, never raw data", () => {
    expect(explain(new ApiError(400, 'brand.new_code', 'Something specific happened.'))).toEqual({ title: 'Something specific happened.' })
    expect(explain(new ApiError(500, 'weird', ''))).toEqual({ title: 'Something went wrong. Please try again.' })
  })

  it('does not repeat generic messages', () => {
    expect(explain(new ApiError(401, 'auth.invalid_credentials', 'Wrong email or password.'))).toEqual({
      title: "That email and password don't match.",
    })
  })

  it('explains network failures', () => {
    expect(explain(new NetworkError()).title).toContain('offline')
    expect(explain(new Error('boom')).title).toBe('Something went wrong. Please try again.')
  })
})
