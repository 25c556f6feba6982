import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response

from hoa.auth.passwords import WeakPassword
from hoa.auth.schemas import SessionRead
from hoa.auth.service import InvalidCredentials
from hoa.core.errors import Forbidden, NotFound
from hoa.core.pagination import Page
from hoa.members import service
from hoa.members.guards import guard_invitation_accept, guard_join, guard_signup
from hoa.members.schemas import (
    FUTURE_BOOKINGS_HELP,
    FutureBookings,
    HouseholdCreate,
    HouseholdMerge,
    HouseholdRead,
    HouseholdSummary,
    HouseholdUpdate,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
    JoinApproval,
    JoinCodeRead,
    JoinRequestRead,
    JoinWithCode,
    MemberRead,
    MemberUpdate,
    MyHouseholdRead,
    SignupRequested,
    SignupWithCode,
)
from hoa.models import Household, Invitation, MemberStatus, Role
from hoa.web.cookies import set_session_cookies
from hoa.web.deps import (
    CommunityAdmin,
    CommunityMember,
    CurrentUser,
    CursorParam,
    LimitParam,
    OptionalUser,
    SessionDep,
    SettingsDep,
    after_answer,
)
from hoa.web.errors import errors_for

router = APIRouter(tags=["members"])
community = "/communities/{community_id}"
ADMIN_ERRORS = errors_for(Forbidden, NotFound)


@router.get(
    f"{community}/households", response_model=list[HouseholdSummary], responses=ADMIN_ERRORS
)
async def list_households(ctx: CommunityAdmin, session: SessionDep) -> list[HouseholdSummary]:
    """Every household with its members and its number of upcoming bookings."""
    return await service.household_summaries(session, ctx)


@router.post(
    f"{community}/households",
    status_code=201,
    response_model=HouseholdRead,
    responses=errors_for(Forbidden, NotFound, service.HouseholdExists),
)
async def create_household(
    body: HouseholdCreate, ctx: CommunityAdmin, session: SessionDep
) -> Household:
    return await service.create_household(session, ctx, body.label)


@router.patch(
    f"{community}/households/{{household_id}}",
    response_model=HouseholdRead,
    responses=errors_for(Forbidden, NotFound, service.HouseholdExists),
)
async def rename_household(
    household_id: uuid.UUID, body: HouseholdUpdate, ctx: CommunityAdmin, session: SessionDep
) -> Household:
    return await service.rename_household(session, ctx, household_id, body.label)


@router.post(
    f"{community}/households/{{household_id}}/merge",
    response_model=HouseholdRead,
    responses=errors_for(Forbidden, NotFound, service.MergeIntoItself),
)
async def merge_household(
    household_id: uuid.UUID, body: HouseholdMerge, ctx: CommunityAdmin, session: SessionDep
) -> Household:
    """Move this household's members, bookings and invitations into another one, and delete
    it. Answers the household that took them in."""
    return await service.merge_households(session, ctx, household_id, body.into_household_id)


@router.delete(
    f"{community}/households/{{household_id}}",
    status_code=204,
    responses=errors_for(Forbidden, NotFound, service.HouseholdInUse),
)
async def delete_household(
    household_id: uuid.UUID, ctx: CommunityAdmin, session: SessionDep
) -> None:
    await service.delete_household(session, ctx, household_id)


@router.get(
    f"{community}/household", response_model=MyHouseholdRead, responses=errors_for(NotFound)
)
async def get_my_household(ctx: CommunityMember, session: SessionDep) -> MyHouseholdRead:
    """The caller's household here and its active members (names and roles, no addresses)."""
    return await service.my_household(session, ctx)


@router.get(f"{community}/members", response_model=Page[MemberRead], responses=ADMIN_ERRORS)
async def list_members(
    ctx: CommunityAdmin,
    session: SessionDep,
    cursor: CursorParam,
    limit: LimitParam = 50,
    q: Annotated[str | None, Query(max_length=100, description="Name, email or unit")] = None,
    role: Role | None = None,
    status: MemberStatus | None = None,
) -> Page[MemberRead]:
    members, next_cursor = await service.list_members(
        session, ctx, search=q, role=role, status=status, cursor=cursor, limit=limit
    )
    return Page(items=members, next_cursor=next_cursor and next_cursor.encode())


@router.get(f"{community}/members/{{member_id}}", response_model=MemberRead, responses=ADMIN_ERRORS)
async def get_member(member_id: uuid.UUID, ctx: CommunityAdmin, session: SessionDep) -> MemberRead:
    return await service.get_member(session, ctx, member_id)


@router.patch(
    f"{community}/members/{{member_id}}",
    response_model=MemberRead,
    responses=errors_for(Forbidden, NotFound, service.LastAdmin, service.HasFutureBookings),
)
async def update_member(
    member_id: uuid.UUID, body: MemberUpdate, ctx: CommunityAdmin, session: SessionDep
) -> MemberRead:
    """Change a member's role, household or status (suspend / reactivate)."""
    return await service.update_member(session, ctx, member_id, body)


@router.delete(
    f"{community}/members/{{member_id}}",
    status_code=204,
    responses=errors_for(Forbidden, NotFound, service.LastAdmin, service.HasFutureBookings),
)
async def remove_member(
    member_id: uuid.UUID,
    ctx: CommunityAdmin,
    session: SessionDep,
    future_bookings: Annotated[
        FutureBookings | None, Query(description=FUTURE_BOOKINGS_HELP)
    ] = None,
) -> None:
    await service.remove_member(session, ctx, member_id, future_bookings)


@router.get(
    f"{community}/join-requests",
    response_model=list[JoinRequestRead],
    responses=ADMIN_ERRORS,
)
async def list_join_requests(ctx: CommunityMember, session: SessionDep) -> list[JoinRequestRead]:
    """Requests to join with the code that the caller may decide: all of them for admins; for
    members of a household, those naming it, where the community lets households approve."""
    return await service.list_join_requests(session, ctx)


@router.post(
    f"{community}/join-requests/{{request_id}}/approve",
    response_model=MemberRead,
    responses=ADMIN_ERRORS,
)
async def approve_join_request(
    request_id: uuid.UUID,
    body: JoinApproval,
    ctx: CommunityMember,
    session: SessionDep,
    settings: SettingsDep,
) -> MemberRead:
    """Let the requester in; an admin may choose another household than the one named."""
    return await service.approve_join_request(session, settings, ctx, request_id, body)


@router.post(
    f"{community}/join-requests/{{request_id}}/decline", status_code=204, responses=ADMIN_ERRORS
)
async def decline_join_request(
    request_id: uuid.UUID, ctx: CommunityMember, session: SessionDep
) -> None:
    await service.decline_join_request(session, ctx, request_id)


@router.get(f"{community}/invitations", response_model=list[InvitationRead], responses=ADMIN_ERRORS)
async def list_invitations(ctx: CommunityAdmin, session: SessionDep) -> list[Invitation]:
    """Invitations not accepted yet."""
    return await service.list_invitations(session, ctx)


@router.post(
    f"{community}/invitations",
    status_code=201,
    response_model=InvitationCreated,
    responses=errors_for(Forbidden, NotFound, service.AlreadyMember),
)
async def create_invitation(
    body: InvitationCreate, ctx: CommunityAdmin, session: SessionDep, settings: SettingsDep
) -> InvitationCreated:
    """Invite someone by email; the response carries the link to send them."""
    return await service.invite(session, settings, ctx, body)


@router.delete(
    f"{community}/invitations/{{invitation_id}}", status_code=204, responses=ADMIN_ERRORS
)
async def revoke_invitation(
    invitation_id: uuid.UUID, ctx: CommunityAdmin, session: SessionDep
) -> None:
    await service.revoke_invitation(session, ctx, invitation_id)


@router.get(f"{community}/join-code", response_model=JoinCodeRead, responses=ADMIN_ERRORS)
async def get_join_code(ctx: CommunityAdmin, session: SessionDep) -> JoinCodeRead:
    return JoinCodeRead(code=await service.join_code(session, ctx))


@router.post(f"{community}/join-code", response_model=JoinCodeRead, responses=ADMIN_ERRORS)
async def rotate_join_code(ctx: CommunityAdmin, session: SessionDep) -> JoinCodeRead:
    """Enable joining by code, or replace the current code with a new one."""
    return JoinCodeRead(code=await service.rotate_join_code(session, ctx))


@router.delete(f"{community}/join-code", status_code=204, responses=ADMIN_ERRORS)
async def disable_join_code(ctx: CommunityAdmin, session: SessionDep) -> None:
    await service.disable_join_code(session, ctx)


@router.post(
    "/invitations/accept",
    response_model=SessionRead,
    responses=errors_for(
        service.InvalidInvitation,
        service.OtherAccount,
        service.AccountExists,
        InvalidCredentials,
        service.InvitationSignupRequired,
        service.AlreadyMember,
        WeakPassword,
    ),
    dependencies=[Depends(guard_invitation_accept)],
)
async def accept_invitation(
    body: InvitationAccept,
    response: Response,
    user: OptionalUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionRead:
    """Accept an invitation and sign in: signed in as the invited account, with the existing
    account's password (a sign-in attempt like any other), or creating the account."""
    started = await service.accept_invitation(
        session, settings, user, body.token, body.name, body.password
    )
    set_session_cookies(response, settings, started)
    return started


@router.post(
    "/join",
    response_model=SessionRead,
    responses=errors_for(service.InvalidJoinCode, service.UnknownHousehold, service.AlreadyMember),
    dependencies=[Depends(guard_join)],
)
async def join_with_code(
    body: JoinWithCode,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionRead:
    """Ask to join a community with its code, as the signed-in user; the membership is pending
    until an admin (or, where allowed, a household member) approves."""
    started = await service.join_with_code(session, settings, user, body.code, body.household_label)
    set_session_cookies(response, settings, started)
    return started


@router.post(
    "/join/signup",
    status_code=202,
    response_model=SignupRequested,
    responses=errors_for(service.InvalidJoinCode, service.UnknownHousehold, WeakPassword),
    dependencies=[Depends(guard_signup)],
)
async def sign_up_with_code(
    body: SignupWithCode,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
) -> SignupRequested:
    """Create an account in a community with its code. The address is looked up after the
    answer, so the answer and its timing are the same whether or not it has an account: a new
    one is emailed a link to confirm it (then signs in), one with an account a reset link."""
    household = await service.find_household(session, body.code, body.household_label)
    background.add_task(
        after_answer,
        request,
        partial(
            service.sign_up_with_code,
            settings=settings,
            household_id=household.id,
            email=body.email,
            name=body.name,
            password=body.password,
        ),
    )
    return SignupRequested()
