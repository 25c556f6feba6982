import type { ComponentType } from 'react'
import { createBrowserRouter, type RouteObject } from 'react-router'
import { Loading } from '../components/ui'
import { CommunityLayout, RootLayout } from './layouts'

type Module = { default: ComponentType }

/** A route whose page is its own chunk, loaded when first visited. */
function page(load: () => Promise<Module>): Pick<RouteObject, 'lazy'> {
  return { lazy: () => load().then((m) => ({ Component: m.default })) }
}

export const routes: RouteObject[] = [
  {
    path: '/',
    Component: RootLayout,
    hydrateFallbackElement: <Loading />,
    children: [
      { index: true, ...page(() => import('../pages/Start')) },
      { path: 'signin', ...page(() => import('../pages/SignIn')) },
      { path: 'forgot-password', ...page(() => import('../pages/ForgotPassword')) },
      { path: 'reset-password', ...page(() => import('../pages/ResetPassword')) },
      { path: 'verify-email', ...page(() => import('../pages/VerifyEmail')) },
      { path: 'cancel-booking', ...page(() => import('../pages/CancelBooking')) },
      { path: 'invitations/accept', ...page(() => import('../pages/AcceptInvitation')) },
      { path: 'join', ...page(() => import('../pages/Join')) },
      { path: 'operator', ...page(() => import('../pages/Operator')) },
      {
        path: 'c/:communityId',
        Component: CommunityLayout,
        children: [
          { index: true, ...page(() => import('../pages/Home')) },
          { path: 'amenities', ...page(() => import('../pages/Amenities')) },
          { path: 'amenities/:amenityId', ...page(() => import('../pages/Amenity')) },
          { path: 'calendar', ...page(() => import('../pages/CalendarPage')) },
          { path: 'book', ...page(() => import('../pages/book/Book')) },
          { path: 'reservations', ...page(() => import('../pages/MyReservations')) },
          { path: 'reservations/:reservationId', ...page(() => import('../pages/Reservation')) },
          { path: 'account', ...page(() => import('../pages/Account')) },
          { path: 'join-requests', ...page(() => import('../pages/JoinRequests')) },
          { path: 'join-poster', ...page(() => import('../pages/JoinPoster')) },
          {
            path: 'admin',
            ...page(() => import('../pages/admin/AdminLayout')),
            children: [
              { index: true, ...page(() => import('../pages/admin/Approvals')) },
              { path: 'amenities', ...page(() => import('../pages/admin/AmenitiesAdmin')) },
              { path: 'amenities/new', ...page(() => import('../pages/admin/AmenityEditor')) },
              { path: 'amenities/:amenityId', ...page(() => import('../pages/admin/AmenityEditor')) },
              { path: 'bookings', ...page(() => import('../pages/admin/Bookings')) },
              { path: 'blackouts', ...page(() => import('../pages/admin/Blackouts')) },
              { path: 'members', ...page(() => import('../pages/admin/Members')) },
              { path: 'households', ...page(() => import('../pages/admin/Households')) },
              { path: 'audit', ...page(() => import('../pages/admin/Audit')) },
              { path: 'notifications', ...page(() => import('../pages/admin/Notifications')) },
              { path: 'settings', ...page(() => import('../pages/admin/CommunitySettings')) },
            ],
          },
          { path: '*', ...page(() => import('../pages/NotFound')) },
        ],
      },
      { path: '*', ...page(() => import('../pages/NotFound')) },
    ],
  },
]

export const router = createBrowserRouter(routes)
