import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit.service import record, snapshot
from hoa.communities.schemas import (
    CommunityCreate,
    CommunityCreated,
    CommunitySummary,
    CommunityUpdate,
    PlatformTotals,
)
from hoa.core.context import CommunityCtx
from hoa.core.database import Base, act_as_operator, utcnow
from hoa.core.errors import AppError, NotFound
from hoa.core.integrity import flush
from hoa.core.settings import Settings
from hoa.members import service as members
from hoa.models import (
    HELD_STATUSES,
    Amenity,
    AmenityStatus,
    AuditEvent,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    User,
)

OPERATOR_LIST_LIMIT = 200

FIELDS = (
    "name",
    "slug",
    "timezone",
    "locale",
    "payment_instructions",
    "show_booker_names",
    "reminder_hours",
    "households_approve_joins",
)


class SlugTaken(AppError):
    code, status_code, message = "community.slug_taken", 409, "That short name is already used."
    constraint = "uq_communities_slug"
    sqlite_columns = "communities.slug"


class AlreadySuspended(AppError):
    code, status_code, message = (
        "community.already_suspended",
        409,
        "This community is suspended already.",
    )


class NotSuspended(AppError):
    code, status_code, message = "community.not_suspended", 409, "This community is not suspended."


async def list_mine(session: AsyncSession, user: User) -> list[Community]:
    return list(
        await session.scalars(
            sa.select(Community)
            .join(Membership, Membership.community_id == Community.id)
            .where(Membership.user_id == user.id, Membership.status == MemberStatus.ACTIVE)
            .order_by(Community.name)
        )
    )


async def create(
    session: AsyncSession, settings: Settings, operator: User, data: CommunityCreate
) -> CommunityCreated:
    act_as_operator(session)
    community = Community(
        name=data.name,
        slug=data.slug,
        timezone=data.timezone,
        locale=data.locale,
        payment_instructions=data.payment_instructions,
        show_booker_names=data.show_booker_names,
        reminder_hours=data.reminder_hours,
    )
    session.add(community)
    await flush(session)
    record(
        session,
        community_id=community.id,
        actor_id=operator.id,
        action="community.created",
        entity_type="community",
        entity_id=community.id,
        after=snapshot(community, FIELDS),
    )
    invitation_url = None
    if data.first_admin_email is not None:
        invitation_url = await members.appoint_admin(
            session, settings, community, operator, data.first_admin_email
        )
    result = CommunityCreated.model_validate(community)
    result.admin_invitation_url = invitation_url
    return result


async def get(session: AsyncSession, ctx: CommunityCtx) -> Community:
    """The caller's community (already loaded with the caller's membership)."""
    return await session.get_one(Community, ctx.community_id)


async def update(session: AsyncSession, ctx: CommunityCtx, data: CommunityUpdate) -> Community:
    community = await get(session, ctx)
    before = snapshot(community, FIELDS)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(community, field, value)
    await session.flush()
    record(
        session,
        community_id=community.id,
        actor_id=ctx.user_id,
        action="community.updated",
        entity_type="community",
        entity_id=community.id,
        before=before,
        after=snapshot(community, FIELDS),
    )
    return community


def _month_start() -> datetime:
    return utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def list_for_operator(session: AsyncSession, search: str | None) -> list[CommunitySummary]:
    """Every community (the first 200 by name), with its activity, for platform operators."""
    month = _month_start()
    of_community = Community.id

    def count(
        model: type[Membership | Amenity | Reservation], *where: sa.ColumnElement[bool]
    ) -> sa.ScalarSelect[int]:
        return (
            sa.select(sa.func.count())
            .where(model.community_id == of_community, *where)
            .scalar_subquery()
        )

    query = sa.select(
        Community.id,
        Community.name,
        Community.slug,
        Community.timezone,
        Community.suspended_at,
        Community.suspended_reason,
        Community.created_at,
        count(Membership, Membership.status == MemberStatus.ACTIVE).label("members"),
        count(Amenity, Amenity.status == AmenityStatus.ACTIVE).label("amenities"),
        count(
            Reservation, Reservation.starts_at >= month, Reservation.status.in_(HELD_STATUSES)
        ).label("bookings_this_month"),
        sa.select(sa.func.max(AuditEvent.created_at))
        .where(AuditEvent.community_id == of_community)
        .scalar_subquery()
        .label("last_activity_at"),
    )
    if search:
        term = search.lower()
        query = query.where(
            sa.or_(
                sa.func.lower(Community.name).contains(term, autoescape=True),
                Community.slug.contains(term, autoescape=True),
            )
        )
    rows = await session.execute(query.order_by(Community.name).limit(OPERATOR_LIST_LIMIT))
    return [CommunitySummary.model_validate(dict(row._mapping)) for row in rows]


async def totals(session: AsyncSession) -> PlatformTotals:
    """Counts over the whole platform, for its operators."""

    def count(*where: sa.ColumnElement[bool], of: type[Base]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(of).where(*where).scalar_subquery()

    row = (
        await session.execute(
            sa.select(
                count(of=Community).label("communities"),
                count(Community.suspended_at.is_not(None), of=Community).label(
                    "suspended_communities"
                ),
                count(Membership.status == MemberStatus.ACTIVE, of=Membership).label(
                    "active_members"
                ),
                count(
                    Reservation.starts_at >= _month_start(),
                    Reservation.status.in_(HELD_STATUSES),
                    of=Reservation,
                ).label("bookings_this_month"),
            )
        )
    ).one()
    return PlatformTotals.model_validate(dict(row._mapping))


async def suspend(
    session: AsyncSession, operator: User, community_id: uuid.UUID, reason: str
) -> Community:
    """Suspend a community: every change in it is refused, and its residents see ``reason``.
    Raises NotFound, AlreadySuspended."""
    community = await _for_operator(session, community_id)
    if community.suspended_at is not None:
        raise AlreadySuspended
    before = snapshot(community, SUSPENSION)
    community.suspended_at, community.suspended_reason = utcnow(), reason
    _record_suspension(session, operator, community, "community.suspended", before)
    return community


async def resume(session: AsyncSession, operator: User, community_id: uuid.UUID) -> Community:
    """Lift a suspension; nothing else in the community changes. Raises NotFound, NotSuspended."""
    community = await _for_operator(session, community_id)
    if community.suspended_at is None:
        raise NotSuspended
    before = snapshot(community, SUSPENSION)
    community.suspended_at = community.suspended_reason = None
    _record_suspension(session, operator, community, "community.resumed", before)
    return community


SUSPENSION = ("suspended_at", "suspended_reason")


async def _for_operator(session: AsyncSession, community_id: uuid.UUID) -> Community:
    community = await session.get(Community, community_id, with_for_update=True)
    if community is None:
        raise NotFound("Community not found.")
    return community


def _record_suspension(
    session: AsyncSession,
    operator: User,
    community: Community,
    action: str,
    before: dict[str, Any],
) -> None:
    act_as_operator(session)
    record(
        session,
        community_id=community.id,
        actor_id=operator.id,
        action=action,
        entity_type="community",
        entity_id=community.id,
        before=before,
        after=snapshot(community, SUSPENSION),
    )
