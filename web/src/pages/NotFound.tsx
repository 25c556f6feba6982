import { Link, useParams } from 'react-router'
import { PageHeader } from '../components/ui'

export default function NotFound() {
  const { communityId } = useParams()
  const body = (
    <>
      <PageHeader title="Page not found" />
      <p>There's nothing at this address. It may have moved.</p>
      <Link to={communityId ? `/c/${communityId}` : '/'}>Go to the start page</Link>
    </>
  )
  if (communityId) return body
  return (
    <main id="main" style={{ maxWidth: '40rem', margin: '0 auto', padding: '2rem 1rem' }}>
      {body}
    </main>
  )
}
