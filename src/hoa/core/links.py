"""Links into the web app (in emails and API answers): the one place that knows the public URL
and the app's pages."""

import uuid
from enum import StrEnum

from hoa.core.settings import Settings
from hoa.core.tokens import derive_token


class Page(StrEnum):
    APPROVALS = "/c/{community_id}/admin"
    CANCEL_BOOKING = "/cancel-booking"
    FORGOT_PASSWORD = "/forgot-password"  # noqa: S105 - a page, not a secret
    INVITATION = "/invitations/accept"
    RESERVATION = "/c/{community_id}/reservations/{reservation_id}"
    JOIN_REQUESTS = "/c/{community_id}/join-requests"
    MEMBERS = "/c/{community_id}/admin/members"
    COMMUNITY = "/c/{community_id}"
    RESET_PASSWORD = "/reset-password"  # noqa: S105 - a page, not a secret
    VERIFY_EMAIL = "/verify-email"


def link(settings: Settings, page: Page, *, token: str | None = None, **path: object) -> str:
    """The page's address; ``path`` fills its placeholders. Tokens are URL-safe as made."""
    url = settings.public_url.rstrip("/") + page.format(**path)
    return url if token is None else f"{url}?token={token}"


def invitation_link(settings: Settings, invitation_id: uuid.UUID) -> str:
    """The accept link of an invitation. Its token is derived again from the id, so the raw
    token is stored nowhere (the invitation keeps its hash)."""
    return link(
        settings, Page.INVITATION, token=derive_token(settings, "invitation", invitation_id)
    )
