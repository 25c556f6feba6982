import { useQuery } from '@tanstack/react-query'
import { communitiesGetCommunity, type AmenityRead } from '../api'
import { unwrap } from '../lib/http'
import { feeSummary } from '../lib/slots'

/** What a booking of a paid amenity costs and how the community wants it paid (its setting, as
 * the booking emails say it); nothing for a free amenity or when no instructions are set. */
export function PaymentNote({ amenity, communityId }: { amenity: AmenityRead; communityId: string }) {
  const paid = Boolean(amenity.fee_cents || amenity.deposit_cents)
  const community = useQuery({
    queryKey: ['community', communityId],
    queryFn: () => unwrap(communitiesGetCommunity({ path: { community_id: communityId } })),
    enabled: paid,
  })
  const how = community.data?.payment_instructions
  if (!paid || !how) return null
  return (
    <p>
      <strong>To pay ({feeSummary(amenity)}):</strong> {how}
    </p>
  )
}
