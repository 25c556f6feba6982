import uuid
from dataclasses import fields
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa import rules
from hoa.amenities.schemas import (
    WEEKDAYS,
    AmenityCreate,
    AmenityRead,
    AmenityUpdate,
    clock_minutes,
)
from hoa.audit.service import record, snapshot
from hoa.core.context import CommunityCtx
from hoa.core.errors import AppError, NotFound
from hoa.core.integrity import flush
from hoa.models import Amenity, AmenityStatus, BookingMode

AUDITED = (
    "name",
    "kind",
    "status",
    "mode",
    "capacity",
    "hours",
    "requires_approval",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "rules_version",
)


class NameTaken(AppError):
    code, status_code, message = "amenity.name_taken", 409, "An amenity with that name exists."
    constraint = "uq_amenities_community_id_name"
    sqlite_columns = "amenities.community_id, amenities.name"


class InvalidRules(AppError):
    code, status_code, message = "amenity.invalid_rules", 422, "The booking rules contradict."


class Archived(AppError):
    code, status_code, message = (
        "amenity.archived",
        409,
        "This amenity is no longer available for booking.",
    )


class UnknownKind(AppError):
    code, status_code, message = (
        "amenity.unknown_kind",
        404,
        "No bookable amenity of this community is of that kind.",
    )


# The rule settings an amenity row carries under the same names as rules.AmenityRules.
_SAME_NAMED = tuple(
    f.name
    for f in fields(rules.AmenityRules)
    if f.name not in ("hours", "mode", "check_in_minute", "check_out_minute")
)


# What to_rules reads, and what identifies the amenity: hot reads select these columns alone.
RULE_COLUMNS = (
    "id",
    "community_id",
    "status",
    "hours",
    "mode",
    "check_in_time",
    "check_out_time",
    *_SAME_NAMED,
)


class RuleSource(Protocol):
    """An amenity as the booking rules read it: the ORM object, or a row of RULE_COLUMNS."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def community_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> AmenityStatus: ...
    @property
    def hours(self) -> dict[str, Any]: ...
    @property
    def mode(self) -> BookingMode: ...
    @property
    def check_in_time(self) -> str | None: ...
    @property
    def check_out_time(self) -> str | None: ...
    @property
    def slot_minutes(self) -> int: ...
    @property
    def min_duration_minutes(self) -> int: ...
    @property
    def buffer_before_minutes(self) -> int: ...
    @property
    def buffer_after_minutes(self) -> int: ...


def to_rules(amenity: RuleSource) -> rules.AmenityRules:
    """The amenity's booking rules as plain values for the rules functions."""
    hours = {
        WEEKDAYS.index(day): tuple((clock_minutes(a), clock_minutes(b)) for a, b in ranges)
        for day, ranges in amenity.hours.items()
    }
    return rules.AmenityRules(
        hours=hours,
        mode=rules.BookingMode(amenity.mode.value),
        check_in_minute=_minute_or_none(amenity.check_in_time),
        check_out_minute=_minute_or_none(amenity.check_out_time),
        **{name: getattr(amenity, name) for name in _SAME_NAMED},
    )


def _minute_or_none(clock: str | None) -> int | None:
    return None if clock is None else clock_minutes(clock)


def _validate(amenity: Amenity) -> None:
    problems = []
    if (amenity.check_in_time is None) != (amenity.check_out_time is None):
        problems.append("check-in and check-out times go together")
    if amenity.check_in_time is not None and not amenity.overnight_allowed:
        problems.append("check-in and check-out times need overnight stays allowed")
    if amenity.min_duration_minutes > amenity.max_duration_minutes:
        problems.append("the minimum duration exceeds the maximum")
    for field in ("min_duration_minutes", "max_duration_minutes"):
        if getattr(amenity, field) % amenity.slot_minutes:
            problems.append(f"{field} must be a multiple of the slot size")
    if amenity.mode is BookingMode.EXCLUSIVE and amenity.capacity != 1:
        amenity.capacity = 1  # one party at a time: capacity is meaningless, keep it canonical
    if (
        amenity.max_headcount_per_household is not None
        and amenity.max_headcount_per_household > amenity.capacity
        and amenity.mode is BookingMode.CAPACITY
    ):
        problems.append("the per-household headcount exceeds the capacity")
    notice_hours = amenity.min_notice_minutes / 60
    if amenity.cancellation_cutoff_hours > notice_hours and not amenity.cancellation_grace_minutes:
        # A booking made at the shortest notice would be past its cutoff the moment it is made.
        problems.append(
            "the cancellation cutoff exceeds the minimum notice: give a grace period, "
            "lower the cutoff or raise the notice"
        )
    if problems:
        raise InvalidRules("; ".join(problems).capitalize() + ".", details={"problems": problems})


def _apply(amenity: Amenity, values: dict[str, Any]) -> None:
    new_text = values.pop("rules_text", None)
    for field, value in values.items():
        setattr(amenity, field, value)
    if new_text is not None and new_text != amenity.rules_text:
        amenity.rules_text = new_text
        # Residents accepted the old text; a new text must be accepted again.
        amenity.rules_version = (amenity.rules_version or 0) + 1 if new_text else 0


# The columns AmenityRead shows, read as plain rows: amenity lists and details are hot reads,
# so they load no ORM objects and build no models.
_READ = sa.select(*(Amenity.__table__.c[name] for name in AmenityRead.model_fields))


async def list_amenities(
    session: AsyncSession, ctx: CommunityCtx, *, include_archived: bool
) -> list[dict[str, Any]]:
    """The community's amenities by name, shaped like AmenityRead."""
    query = _READ.where(Amenity.community_id == ctx.community_id)
    if not include_archived:
        query = query.where(Amenity.status == AmenityStatus.ACTIVE)
    rows = await session.execute(query.order_by(Amenity.name))
    return [dict(row) for row in rows.mappings()]


async def read(
    session: AsyncSession, community_id: uuid.UUID, amenity_id: uuid.UUID
) -> dict[str, Any]:
    """One amenity shaped like AmenityRead. Raises NotFound (also for another community's)."""
    query = _READ.where(Amenity.id == amenity_id, Amenity.community_id == community_id)
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise NotFound("Amenity not found.")
    return dict(row)


async def of_kind(
    session: AsyncSession, community_id: uuid.UUID, kind: str, limit: int
) -> list[Amenity]:
    """The community's bookable amenities of a kind, whatever its case and spacing, by name, at
    most `limit`. Raises UnknownKind when there is none (another community's kinds included)."""
    wanted = _kind_key(kind)
    query = sa.select(Amenity).where(
        Amenity.community_id == community_id,
        Amenity.status == AmenityStatus.ACTIVE,
        Amenity.kind.is_not(None),
    )
    # A community has a few dozen amenities at most: matched here, with Unicode case folding
    # that SQLite's lower() lacks.
    amenities = await session.scalars(query.order_by(Amenity.name))
    found = [a for a in amenities if _kind_key(a.kind or "") == wanted]
    if not found:
        raise UnknownKind
    return found[:limit]


def _kind_key(kind: str) -> str:
    return " ".join(kind.split()).casefold()


async def get(
    session: AsyncSession, community_id: uuid.UUID, amenity_id: uuid.UUID, *, lock: bool = False
) -> Amenity:
    query = sa.select(Amenity).where(Amenity.id == amenity_id, Amenity.community_id == community_id)
    if lock:  # the row as it is now, not as an earlier read of this session left it
        query = query.with_for_update().execution_options(populate_existing=True)
    amenity = await session.scalar(query)
    if amenity is None:
        raise NotFound("Amenity not found.")
    return amenity


async def create(session: AsyncSession, ctx: CommunityCtx, data: AmenityCreate) -> Amenity:
    values = data.model_dump(exclude_none=True)
    amenity = Amenity(
        community_id=ctx.community_id,
        rules_text="",
        rules_version=0,
        **{k: v for k, v in values.items() if k != "rules_text"},
    )
    # Column defaults apply only at INSERT, but the rules are validated before it.
    for column in Amenity.__table__.columns:
        default = column.default
        if getattr(amenity, column.key) is None and default is not None and default.is_scalar:
            setattr(amenity, column.key, default.arg)
    _apply(amenity, {"rules_text": values.get("rules_text", "")})
    _validate(amenity)
    session.add(amenity)
    await flush(session)
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="amenity.created",
        entity_type="amenity",
        entity_id=amenity.id,
        after=snapshot(amenity, AUDITED),
    )
    return amenity


async def update(
    session: AsyncSession, ctx: CommunityCtx, amenity_id: uuid.UUID, data: AmenityUpdate
) -> Amenity:
    amenity = await get(session, ctx.community_id, amenity_id)
    before = snapshot(amenity, AUDITED)
    changes = data.model_dump(exclude_unset=True)
    nullable = {
        "kind",
        "max_headcount_per_household",
        "max_guests",
        "max_per_day",
        "max_per_week",
        "max_per_month",
        "max_upcoming",
        "check_in_time",
        "check_out_time",
    }
    _apply(amenity, {k: v for k, v in changes.items() if v is not None or k in nullable})
    _validate(amenity)
    await flush(session)
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="amenity.updated",
        entity_type="amenity",
        entity_id=amenity.id,
        before=before,
        after=snapshot(amenity, AUDITED),
    )
    return amenity


async def archive(session: AsyncSession, ctx: CommunityCtx, amenity_id: uuid.UUID) -> Amenity:
    return await update(session, ctx, amenity_id, AmenityUpdate(status=AmenityStatus.ARCHIVED))
