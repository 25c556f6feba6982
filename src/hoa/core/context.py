"""Who is calling and in which community: resolved once per request (or from a signed link) and
handed to the services, which filter by ``community_id`` and decide by ``is_admin``."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommunityCtx:
    """An active member acting in one community, and the community's settings services need."""

    community_id: uuid.UUID
    community_name: str
    timezone: str
    locale: str  # BCP 47, for dates and times in words
    show_booker_names: bool
    user_id: uuid.UUID
    user_name: str
    household_id: uuid.UUID | None
    is_admin: bool
    # A platform operator with no membership here, acting with an admin's rights.
    as_operator: bool = False
    # Why a platform operator suspended the community; None unless suspended.
    suspended_reason: str | None = None
