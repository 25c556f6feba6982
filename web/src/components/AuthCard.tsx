import type { ReactNode } from 'react'
import { HouseIcon, useTitle } from './ui'

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  useTitle(title)
  return (
    <div className="auth-page">
      <main className="auth-card" id="main">
        <div className="brand">
          <HouseIcon />
          <span>HOA Amenities</span>
        </div>
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  )
}
