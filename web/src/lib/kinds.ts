import type { NotificationKind } from '../api'

/** Every kind of email in words. Typed by the API's enum: a kind without a label fails the
 * type check. */
export const KIND_LABELS: Record<NotificationKind, string> = {
  reservation_confirmed: 'Booking confirmed',
  reservation_requested: 'Booking requested',
  reservation_approved: 'Request approved',
  reservation_changed: 'Booking changed',
  reservation_rejected: 'Booking declined',
  reservation_cancelled: 'Booking cancelled',
  reservation_reminder: 'Booking reminder',
  approval_requested: 'Approval needed',
  pending_digest: 'Requests waiting (hourly summary)',
  invitation: 'Invitation',
  join_requested: 'Request to join',
  join_approved: 'Request to join approved',
  password_reset: 'Password reset',
  email_verification: 'Email verification',
  account_locked: 'Account locked',
}
