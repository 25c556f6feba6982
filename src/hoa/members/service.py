"""Households, memberships, invitations and join codes."""

import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit.service import record, snapshot
from hoa.auth import service as auth
from hoa.auth.passwords import hash_password
from hoa.auth.schemas import SessionRead
from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow
from hoa.core.errors import AppError, Forbidden, NotFound
from hoa.core.integrity import flush
from hoa.core.links import Page, invitation_link, link
from hoa.core.pagination import AnySelect, Cursor, page_query
from hoa.core.settings import Settings
from hoa.core.tokens import derive_token, hash_token
from hoa.members.schemas import (
    FutureBookings,
    HouseholdMember,
    HouseholdMemberRead,
    HouseholdRead,
    HouseholdSummary,
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
    JoinApproval,
    JoinRequestRead,
    MemberRead,
    MemberUpdate,
    MyHouseholdRead,
)
from hoa.models import (
    ACTIVE_STATUSES,
    Community,
    Household,
    Invitation,
    Membership,
    MemberStatus,
    Reservation,
    Role,
    User,
)
from hoa.notifications.kinds import Invitation as InvitationNotice
from hoa.notifications.kinds import JoinApproved, JoinRequested
from hoa.notifications.service import notify
from hoa.reservations import service as reservations

MEMBER_FIELDS = ("role", "status", "household_id")
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class HouseholdExists(AppError):
    code, status_code, message = "household.exists", 409, "A household with that label exists."
    constraint = "uq_households_community_id_label"
    sqlite_columns = "households.community_id, households.label"


class HouseholdInUse(AppError):
    code, status_code, message = (
        "household.in_use",
        409,
        "Move the household's members elsewhere and settle its upcoming bookings first.",
    )


class MergeIntoItself(AppError):
    code, status_code, message = (
        "household.merge_self",
        422,
        "Choose another household to merge this one into.",
    )


class HasFutureBookings(AppError):
    code, status_code, message = (
        "member.future_bookings",
        409,
        "This member has upcoming bookings: choose whether they stay with the household or are"
        " cancelled.",
    )


class LastAdmin(AppError):
    code, status_code, message = (
        "member.last_admin",
        409,
        "A community needs at least one active admin.",
    )


class AlreadyMember(AppError):
    code, status_code, message = "member.exists", 409, "That person is already a member."
    constraint = "uq_memberships_community_id_user_id"
    sqlite_columns = "memberships.community_id, memberships.user_id"


class InvalidInvitation(AppError):
    code, status_code, message = (
        "invitation.invalid",
        404,
        "This invitation link is invalid, used or expired. Ask your community admin for a new one.",
    )


class InvalidJoinCode(AppError):
    code, status_code, message = "join.invalid_code", 404, "That join code is not valid."


class UnknownHousehold(AppError):
    code, status_code, message = (
        "join.unknown_household",
        422,
        "No home with that unit or lot label exists in this community; check the spelling.",
    )


class AccountExists(AppError):
    code, status_code, message = (
        "auth.account_exists",
        409,
        "An account with that email exists; sign in first, then join.",
    )
    constraint = "uq_users_email"
    sqlite_columns = "users.email"


class OtherAccount(AppError):
    code, status_code, message = (
        "invitation.other_account",
        409,
        "This invitation is for another email address: sign out, then open the link again.",
    )


class InvitationSignupRequired(AppError):
    code, status_code, message = (
        "invitation.signup_required",
        422,
        "Give your name and a password to create your account.",
    )


# Households


async def list_households(session: AsyncSession, ctx: CommunityCtx) -> list[Household]:
    return list(
        await session.scalars(
            sa.select(Household)
            .where(Household.community_id == ctx.community_id)
            .order_by(Household.label)
        )
    )


async def household_summaries(session: AsyncSession, ctx: CommunityCtx) -> list[HouseholdSummary]:
    """Every household with its members and how many bookings it has coming up."""
    households = await list_households(session, ctx)
    members = await session.execute(
        sa.select(Membership.household_id, Membership.id, User.name, Membership.role)
        .add_columns(Membership.status)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.community_id == ctx.community_id,
            Membership.household_id.is_not(None),
            Membership.status != MemberStatus.PENDING,
        )
        .order_by(User.name)
    )
    by_household: dict[uuid.UUID, list[HouseholdMember]] = {}
    for household_id, member_id, name, role, status in members:
        by_household.setdefault(household_id, []).append(
            HouseholdMember(id=member_id, name=name, role=role, status=status)
        )
    counts = await session.execute(
        _upcoming(Reservation.community_id == ctx.community_id)
        .with_only_columns(Reservation.household_id, sa.func.count())
        .group_by(Reservation.household_id)
    )
    upcoming = dict(counts.all())
    return [
        HouseholdSummary(
            id=h.id,
            label=h.label,
            created_at=h.created_at,
            members=by_household.get(h.id, []),
            upcoming_bookings=upcoming.get(h.id, 0),
        )
        for h in households
    ]


def _upcoming(*where: sa.ColumnElement[bool]) -> AnySelect:
    return sa.select(Reservation).where(
        *where, Reservation.status.in_(ACTIVE_STATUSES), Reservation.ends_at > utcnow()
    )


async def get_household(
    session: AsyncSession, community_id: uuid.UUID, household_id: uuid.UUID
) -> Household:
    household = await session.get(Household, household_id)
    if household is None or household.community_id != community_id:
        raise NotFound("Household not found.")
    return household


async def _refuse_label_clash(
    session: AsyncSession, ctx: CommunityCtx, label: str, but: uuid.UUID | None = None
) -> None:
    """Raises HouseholdExists for a label that differs from an existing one only in case:
    joining by code matches labels case-insensitively, so both would be ambiguous."""
    clash = await session.scalar(
        sa.select(Household.id).where(
            Household.community_id == ctx.community_id,
            sa.func.lower(Household.label) == label.lower(),
            Household.id != but if but is not None else sa.true(),
        )
    )
    if clash is not None:
        raise HouseholdExists


async def create_household(session: AsyncSession, ctx: CommunityCtx, label: str) -> Household:
    await _refuse_label_clash(session, ctx, label)
    household = Household(community_id=ctx.community_id, label=label)
    session.add(household)
    await flush(session)
    return household


async def rename_household(
    session: AsyncSession, ctx: CommunityCtx, household_id: uuid.UUID, label: str
) -> Household:
    household = await get_household(session, ctx.community_id, household_id)
    await _refuse_label_clash(session, ctx, label, but=household.id)
    before = {"label": household.label}
    household.label = label
    await flush(session)
    _audit(session, ctx, household, "household.renamed", before, {"label": label})
    return household


async def merge_households(
    session: AsyncSession, ctx: CommunityCtx, household_id: uuid.UUID, into_id: uuid.UUID
) -> Household:
    """Move everything of one household (members, bookings, invitations, requests to join)
    into another, then delete it. Bookings keep their times; the quotas of the merged
    household count them all from now on."""
    if household_id == into_id:
        raise MergeIntoItself
    source = await get_household(session, ctx.community_id, household_id)
    into = await get_household(session, ctx.community_id, into_id)
    moved = {}
    for model in (Membership, Reservation, Invitation):
        result = await session.execute(
            sa.update(model)
            .where(model.household_id == source.id)
            .values(household_id=into.id)
            .execution_options(synchronize_session=False)
        )
        moved[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
    _audit(
        session,
        ctx,
        source,
        "household.merged",
        {"label": source.label},
        {"merged_into": into.label, **moved},
    )
    await session.delete(source)
    await session.flush()
    return into


def _audit(
    session: AsyncSession,
    ctx: CommunityCtx,
    entity: Household | Membership,
    action: str,
    before: Mapping[str, object] | None,
    after: Mapping[str, object] | None = None,
) -> None:
    """An office action on a household or a membership, by the caller, in the audit trail."""
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action=action,
        entity_type="household" if isinstance(entity, Household) else "membership",
        entity_id=entity.id,
        before=before,
        after=after,
    )


async def delete_household(
    session: AsyncSession, ctx: CommunityCtx, household_id: uuid.UUID
) -> None:
    household = await get_household(session, ctx.community_id, household_id)
    members = sa.select(Membership.id).where(Membership.household_id == household.id)
    bookings = _upcoming(Reservation.household_id == household.id).with_only_columns(Reservation.id)
    if await session.scalar(sa.select(sa.exists(members.union_all(bookings)))):
        raise HouseholdInUse
    await session.delete(household)
    await session.flush()


# Members


async def my_household(session: AsyncSession, ctx: CommunityCtx) -> MyHouseholdRead:
    """The caller's household in the community and its active members."""
    if ctx.household_id is None:
        return MyHouseholdRead(household=None, members=[])
    household = await session.get_one(Household, ctx.household_id)
    rows = await session.execute(
        sa.select(User.id, User.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == ctx.community_id,
            Membership.household_id == ctx.household_id,
            Membership.status == MemberStatus.ACTIVE,
        )
        .order_by(User.name, User.id)
    )
    members = [
        HouseholdMemberRead(name=name, role=role, you=user_id == ctx.user_id)
        for user_id, name, role in rows
    ]
    return MyHouseholdRead(household=HouseholdRead.model_validate(household), members=members)


def _member_query() -> AnySelect:
    """Members, not requests to join (those are join requests until approved)."""
    return (
        sa.select(Membership, User, Household.label)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Household, Household.id == Membership.household_id)
        .where(Membership.status != MemberStatus.PENDING)
    )


def _member_read(membership: Membership, user: User, label: str | None) -> MemberRead:
    return MemberRead(
        id=membership.id,
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=membership.role,
        status=membership.status,
        household_id=membership.household_id,
        household_label=label,
        created_at=membership.created_at,
    )


async def list_members(
    session: AsyncSession,
    ctx: CommunityCtx,
    *,
    search: str | None,
    role: Role | None,
    status: MemberStatus | None,
    cursor: Cursor | None,
    limit: int,
) -> tuple[list[MemberRead], Cursor | None]:
    query = _member_query().where(Membership.community_id == ctx.community_id)
    if search:
        term = search.lower()
        # autoescape: a % or _ typed by the admin is searched for, not a wildcard
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).contains(term, autoescape=True),
                User.email.contains(term, autoescape=True),
                sa.func.lower(Household.label).contains(term, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(Membership.role == role)
    if status is not None:
        query = query.where(Membership.status == status)
    rows, next_cursor = await page_query(
        session, query, Membership.created_at, Membership.id, cursor, limit
    )
    return [_member_read(row[0], row[1], row[2]) for row in rows], next_cursor


async def _get_member(
    session: AsyncSession, ctx: CommunityCtx, member_id: uuid.UUID
) -> tuple[Membership, User, str | None]:
    row = (
        await session.execute(
            _member_query().where(
                Membership.id == member_id, Membership.community_id == ctx.community_id
            )
        )
    ).first()
    if row is None:
        raise NotFound("Member not found.")
    membership, user, label = row
    return membership, user, label


async def get_member(session: AsyncSession, ctx: CommunityCtx, member_id: uuid.UUID) -> MemberRead:
    return _member_read(*await _get_member(session, ctx, member_id))


async def _ensure_other_admin(session: AsyncSession, membership: Membership) -> None:
    """Raises LastAdmin unless another active admin remains.

    The community row is locked first, so two admins demoting themselves at once are checked
    one after the other and cannot both leave (a no-op on SQLite, whose writers queue anyway).
    """
    await session.execute(
        sa.select(Community.id).where(Community.id == membership.community_id).with_for_update()
    )
    others = await session.scalar(
        sa.select(sa.func.count()).where(
            Membership.community_id == membership.community_id,
            Membership.role == Role.ADMIN,
            Membership.status == MemberStatus.ACTIVE,
            Membership.id != membership.id,
        )
    )
    if not others:
        raise LastAdmin


async def update_member(
    session: AsyncSession, ctx: CommunityCtx, member_id: uuid.UUID, data: MemberUpdate
) -> MemberRead:
    membership, user, label = await _get_member(session, ctx, member_id)
    before = snapshot(membership, MEMBER_FIELDS)
    # null for role or status means "unchanged", like leaving it out
    changes = {
        field: value
        for field, value in data.model_dump(exclude_unset=True).items()
        if value is not None or field == "household_id"
    }
    loses_admin = membership.role is Role.ADMIN and (
        changes.get("role", Role.ADMIN) is not Role.ADMIN
        or changes.get("status", MemberStatus.ACTIVE) is not MemberStatus.ACTIVE
    )
    if loses_admin:
        await _ensure_other_admin(session, membership)
    future = changes.pop("future_bookings", None)
    if changes.get("household_id", membership.household_id) != membership.household_id:
        await _settle_future_bookings(session, ctx, membership, user, future)
    if "household_id" in changes:
        if changes["household_id"] is not None:
            label = (await get_household(session, ctx.community_id, changes["household_id"])).label
        else:
            label = None
    for field, value in changes.items():
        setattr(membership, field, value)
    await session.flush()
    _audit(
        session,
        ctx,
        membership,
        "membership.updated",
        before,
        snapshot(membership, MEMBER_FIELDS),
    )
    return _member_read(membership, user, label)


async def _settle_future_bookings(
    session: AsyncSession,
    ctx: CommunityCtx,
    membership: Membership,
    user: User,
    choice: FutureBookings | None,
) -> None:
    """Before a member leaves their household: their upcoming bookings there stay with it
    ("keep") or are cancelled with the usual email ("cancel"). Raises HasFutureBookings when
    they have some and no choice was made, so nothing happens to them silently."""
    bookings = list(
        await session.scalars(
            _upcoming(
                Reservation.community_id == ctx.community_id,
                Reservation.booked_for_id == membership.user_id,
                Reservation.household_id == membership.household_id
                if membership.household_id is not None
                else Reservation.household_id.is_(None),
            )
            .order_by(Reservation.starts_at)
            .with_for_update()
        )
    )
    if not bookings or choice == "keep":
        return
    if choice is None:
        raise HasFutureBookings(details={"count": len(bookings)})
    reason = f"{user.name} no longer belongs to this household."
    for reservation in bookings:
        await reservations.mark_cancelled(session, ctx, reservation, reason)


async def remove_member(
    session: AsyncSession,
    ctx: CommunityCtx,
    member_id: uuid.UUID,
    future_bookings: FutureBookings | None = None,
) -> None:
    membership, user, _ = await _get_member(session, ctx, member_id)
    if membership.role is Role.ADMIN:
        await _ensure_other_admin(session, membership)
    await _settle_future_bookings(session, ctx, membership, user, future_bookings)
    _audit(session, ctx, membership, "membership.removed", snapshot(membership, MEMBER_FIELDS))
    await session.delete(membership)
    await session.flush()


def _add_membership(
    session: AsyncSession,
    community_id: uuid.UUID,
    user: User,
    role: Role,
    household_id: uuid.UUID | None,
    actor_id: uuid.UUID,
    action: str,
    status: MemberStatus = MemberStatus.ACTIVE,
) -> Membership:
    membership = Membership(
        id=uuid.uuid4(),
        community_id=community_id,
        user_id=user.id,
        role=role,
        household_id=household_id,
        status=status,
    )
    session.add(membership)
    record(
        session,
        community_id=community_id,
        actor_id=actor_id,
        action=action,
        entity_type="membership",
        entity_id=membership.id,
        after={"user_id": str(user.id), "role": role.value, "household_id": str(household_id)},
    )
    return membership


async def _is_member(session: AsyncSession, community_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        sa.select(Membership.id).where(
            Membership.community_id == community_id, Membership.user_id == user_id
        )
    )
    return found is not None


async def _create_account(session: AsyncSession, email: str, name: str, password: str) -> User:
    """Raises AccountExists when the email is taken, also by a concurrent sign-up."""
    user = User(email=email, name=name, password_hash=hash_password(password))
    session.add(user)
    await flush(session)
    return user


# Invitations


async def _invite(
    session: AsyncSession,
    settings: Settings,
    community_id: uuid.UUID,
    actor_id: uuid.UUID,
    email: str,
    role: Role,
    household_id: uuid.UUID | None,
) -> Invitation:
    """Add the invitation and, in the same transaction, its email to the address.

    The token is derived from the invitation's id, so the email job can put it in the link
    while only its hash is stored."""
    invitation_id = uuid.uuid4()
    token = derive_token(settings, "invitation", invitation_id)
    invitation = Invitation(
        id=invitation_id,
        community_id=community_id,
        email=email,
        role=role,
        household_id=household_id,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(days=settings.invitation_days),
        invited_by_id=actor_id,
    )
    session.add(invitation)
    await session.flush()
    community = await session.get_one(Community, community_id)
    inviter = await session.get_one(User, actor_id)
    notify(
        session,
        recipient=email,
        payload=InvitationNotice(
            invitation_id=invitation.id,
            community_name=community.name,
            timezone=community.timezone,
            inviter_name=" ".join(inviter.name.split()),  # it goes in the Subject header
            role=role.value,
            role_label="an admin" if role is Role.ADMIN else "a resident",
            expires_at=invitation.expires_at,
        ),
        entity_type="invitation",
        entity_id=invitation.id,
        community_id=community_id,
    )
    return invitation


async def invite(
    session: AsyncSession, settings: Settings, ctx: CommunityCtx, data: InvitationCreate
) -> InvitationCreated:
    if data.household_id is not None:
        await get_household(session, ctx.community_id, data.household_id)
    existing = await session.scalar(sa.select(User).where(User.email == data.email))
    if existing is not None and await _is_member(session, ctx.community_id, existing.id):
        raise AlreadyMember
    invitation = await _invite(
        session, settings, ctx.community_id, ctx.user_id, data.email, data.role, data.household_id
    )
    return InvitationCreated(
        **InvitationRead.model_validate(invitation).model_dump(),
        accept_url=invitation_link(settings, invitation.id),
        token=derive_token(settings, "invitation", invitation.id),
    )


async def list_invitations(session: AsyncSession, ctx: CommunityCtx) -> list[Invitation]:
    return list(
        await session.scalars(
            sa.select(Invitation)
            .where(Invitation.community_id == ctx.community_id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.created_at.desc())
        )
    )


async def revoke_invitation(
    session: AsyncSession, ctx: CommunityCtx, invitation_id: uuid.UUID
) -> None:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.community_id != ctx.community_id:
        raise NotFound("Invitation not found.")
    await session.delete(invitation)
    await session.flush()


async def appoint_admin(
    session: AsyncSession, settings: Settings, community: Community, operator: User, email: str
) -> str | None:
    """Make the account an admin of a new community, or invite the address as admin.

    Returns the invitation link when an invitation was needed (it is emailed too)."""
    user = await session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        _add_membership(
            session, community.id, user, Role.ADMIN, None, operator.id, "membership.created"
        )
        await session.flush()
        return None
    invitation = await _invite(
        session, settings, community.id, operator.id, email, Role.ADMIN, None
    )
    return invitation_link(settings, invitation.id)


async def accept_invitation(
    session: AsyncSession,
    settings: Settings,
    user: User | None,
    token: str,
    name: str | None,
    password: str | None,
) -> SessionRead:
    """Join the inviting community and sign in, as the signed-in ``user`` (who must be the
    invited account), as the existing account whose password is given (checked like a sign-in:
    counted, and refused while locked), or as a new account made with ``name`` and ``password``.

    The token alone never signs in to an existing account.

    Raises InvalidInvitation, OtherAccount, AccountExists (no password for an existing account),
    InvalidCredentials, InvitationSignupRequired, AlreadyMember."""
    invitation = await session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == hash_token(token)).with_for_update()
    )
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < utcnow():
        raise InvalidInvitation
    if user is not None and user.email != invitation.email:
        raise OtherAccount
    if user is None:
        user = await _invitee(session, settings, invitation.email, name, password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link came to this address
    if await _is_member(session, invitation.community_id, user.id):
        raise AlreadyMember
    invitation.accepted_at = utcnow()
    _add_membership(
        session,
        invitation.community_id,
        user,
        invitation.role,
        invitation.household_id,
        user.id,
        "membership.invitation_accepted",
    )
    await flush(session)  # a concurrent request may have won
    return await auth.start_session(session, settings, user)


async def _invitee(
    session: AsyncSession, settings: Settings, email: str, name: str | None, password: str | None
) -> User:
    """The invited account for a caller who is not signed in: signed in with its password
    when it exists, else created."""
    if await session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        if password is None:
            raise AccountExists("An account with this email exists: sign in, then accept.")
        return await auth.authenticate(session, settings, email, password)
    if name is None or password is None:
        raise InvitationSignupRequired
    return await _create_account(session, email, name, password)


# Join codes


def _new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


async def join_code(session: AsyncSession, ctx: CommunityCtx) -> str | None:
    community = await session.get_one(Community, ctx.community_id)
    return community.join_code


async def rotate_join_code(session: AsyncSession, ctx: CommunityCtx) -> str:
    community = await session.get_one(Community, ctx.community_id)
    community.join_code = _new_join_code()
    await session.flush()
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="community.join_code_rotated",
        entity_type="community",
        entity_id=ctx.community_id,
    )
    return community.join_code


async def disable_join_code(session: AsyncSession, ctx: CommunityCtx) -> None:
    (await session.get_one(Community, ctx.community_id)).join_code = None
    await session.flush()
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="community.join_code_disabled",
        entity_type="community",
        entity_id=ctx.community_id,
    )


async def find_household(session: AsyncSession, code: str, household_label: str) -> Household:
    """The household a join code and a label name (the label in any case).

    Raises InvalidJoinCode, UnknownHousehold."""
    community = await session.scalar(
        sa.select(Community).where(Community.join_code == code.strip().upper())
    )
    if community is None:
        raise InvalidJoinCode
    household = await session.scalar(
        sa.select(Household).where(
            Household.community_id == community.id,
            sa.func.lower(Household.label) == household_label.strip().lower(),
        )
    )
    if household is None:
        raise UnknownHousehold
    return household


async def join_with_code(
    session: AsyncSession, settings: Settings, user: User, code: str, household_label: str
) -> SessionRead:
    """Ask to join as a resident of an existing household, as the signed-in user. The
    membership waits for approval (the code is on flyers: it alone never grants a household),
    and those who may approve it are emailed.

    Raises InvalidJoinCode, UnknownHousehold, AlreadyMember."""
    household = await find_household(session, code, household_label)
    if await _is_member(session, household.community_id, user.id):
        raise AlreadyMember
    membership = _add_membership(
        session,
        household.community_id,
        user,
        Role.RESIDENT,
        household.id,
        user.id,
        "membership.requested",
        MemberStatus.PENDING,
    )
    await flush(session)  # a concurrent request may have won
    await _alert_approvers(session, settings, membership, user, household)
    return await auth.start_session(session, settings, user)


async def sign_up_with_code(
    session: AsyncSession,
    settings: Settings,
    household_id: uuid.UUID,
    email: str,
    name: str,
    password: str,
) -> None:
    """Run after the answer, which is the same whatever the address: a new address gets an
    account (unverified) with a pending request to join the household (its approvers are
    emailed) and a link to verify it; an address that has an account gets a password reset
    link instead, so its owner can sign in and then ask to join."""
    if await session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        await auth.request_password_reset(session, settings, email)
        return
    household = await session.get_one(Household, household_id)
    try:
        async with session.begin_nested():
            user = await _create_account(session, email, name, password)
    except AccountExists:
        return  # a concurrent sign-up with this address made it
    auth.send_verification(session, settings, user)
    membership = _add_membership(
        session,
        household.community_id,
        user,
        Role.RESIDENT,
        household.id,
        user.id,
        "membership.requested",
        MemberStatus.PENDING,
    )
    await session.flush()
    await _alert_approvers(session, settings, membership, user, household)


# Join requests


async def _alert_approvers(
    session: AsyncSession,
    settings: Settings,
    membership: Membership,
    requester: User,
    household: Household,
) -> None:
    """Email the community's admins and, where the community allows it, the household's
    members: each gets the page where they can approve."""
    community = await session.get_one(Community, household.community_id)
    approvers = (Membership.role == Role.ADMIN) & (Membership.status == MemberStatus.ACTIVE)
    if community.households_approve_joins:
        approvers = approvers | (
            (Membership.household_id == household.id) & (Membership.status == MemberStatus.ACTIVE)
        )
    rows = await session.execute(
        sa.select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.is_active, approvers)
    )
    for approver, role in rows:
        page = Page.MEMBERS if role is Role.ADMIN else Page.JOIN_REQUESTS
        notify(
            session,
            recipient=approver,
            payload=JoinRequested(
                community_name=community.name,
                requester_name=" ".join(requester.name.split()),  # it goes in the Subject header
                requester_email=requester.email,
                household_label=household.label,
                link=link(settings, page, community_id=community.id),
            ),
            entity_type="membership",
            entity_id=membership.id,
            community_id=community.id,
        )


async def _approvable_household(session: AsyncSession, ctx: CommunityCtx) -> uuid.UUID | None:
    """The household whose requests the caller may decide, or None for an admin (all of
    them). Raises Forbidden for a resident where households do not approve, or without one."""
    if ctx.is_admin:
        return None
    community = await session.get_one(Community, ctx.community_id)
    if not community.households_approve_joins or ctx.household_id is None:
        raise Forbidden("Only community admins can approve requests to join.")
    return ctx.household_id


def _join_request_query(ctx: CommunityCtx, household_id: uuid.UUID | None) -> AnySelect:
    query = (
        sa.select(Membership, User, Household.label)
        .join(User, User.id == Membership.user_id)
        .outerjoin(Household, Household.id == Membership.household_id)
        .where(
            Membership.community_id == ctx.community_id,
            Membership.status == MemberStatus.PENDING,
        )
    )
    if household_id is not None:
        query = query.where(Membership.household_id == household_id)
    return query


async def list_join_requests(session: AsyncSession, ctx: CommunityCtx) -> list[JoinRequestRead]:
    """The requests the caller may decide, oldest first."""
    household_id = await _approvable_household(session, ctx)
    rows = await session.execute(
        _join_request_query(ctx, household_id).order_by(Membership.created_at, Membership.id)
    )
    return [
        JoinRequestRead(
            id=membership.id,
            user_id=user.id,
            name=user.name,
            email=user.email,
            email_verified=user.email_verified_at is not None,
            household_id=membership.household_id,
            household_label=label,
            created_at=membership.created_at,
        )
        for membership, user, label in rows
    ]


async def _get_join_request(
    session: AsyncSession, ctx: CommunityCtx, request_id: uuid.UUID
) -> tuple[Membership, User, str | None]:
    """Raises Forbidden (see _approvable_household), NotFound for a request that is not
    pending (any more) or that the caller may not decide."""
    household_id = await _approvable_household(session, ctx)
    row = (
        await session.execute(
            _join_request_query(ctx, household_id)
            .where(Membership.id == request_id)
            .with_for_update(of=Membership)
        )
    ).first()
    if row is None:
        raise NotFound("Request to join not found: it may have been decided already.")
    membership, user, label = row
    return membership, user, label


async def approve_join_request(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    request_id: uuid.UUID,
    data: JoinApproval,
) -> MemberRead:
    """Make the requester an active resident, of ``data.household_id`` when an admin gives
    one; audited, and the requester is emailed. Raises Forbidden when a resident names
    another household, NotFound for a household not in the community."""
    membership, user, label = await _get_join_request(session, ctx, request_id)
    before = snapshot(membership, MEMBER_FIELDS)
    if data.household_id is not None and data.household_id != membership.household_id:
        if not ctx.is_admin:
            raise Forbidden("Only community admins can put someone in another household.")
        label = (await get_household(session, ctx.community_id, data.household_id)).label
        membership.household_id = data.household_id
    membership.status = MemberStatus.ACTIVE
    await session.flush()
    _audit(
        session,
        ctx,
        membership,
        "membership.approved",
        before,
        snapshot(membership, MEMBER_FIELDS),
    )
    notify(
        session,
        recipient=user,
        payload=JoinApproved(
            community_name=ctx.community_name,
            household_label=label,
            link=link(settings, Page.COMMUNITY, community_id=ctx.community_id),
        ),
        entity_type="membership",
        entity_id=membership.id,
        community_id=ctx.community_id,
    )
    return _member_read(membership, user, label)


async def decline_join_request(
    session: AsyncSession, ctx: CommunityCtx, request_id: uuid.UUID
) -> None:
    """Delete the request (the account stays; it may ask again); audited."""
    membership, _, _ = await _get_join_request(session, ctx, request_id)
    _audit(session, ctx, membership, "membership.declined", snapshot(membership, MEMBER_FIELDS))
    await session.delete(membership)
    await session.flush()
