from fastapi import APIRouter, Response

from hoa.auth import service
from hoa.auth.schemas import LoginRequest, MeRead, PasswordChange, SessionRead
from hoa.deps import CurrentUser, SessionDep, SettingsDep
from hoa.errors import errors_for

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/login",
    response_model=SessionRead,
    responses=errors_for(service.InvalidCredentials),
)
async def login(
    body: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionRead:
    """Sign in: sets the session cookie and returns a bearer token for API clients."""
    user = await service.authenticate(session, body.email, body.password)
    return service.start_session(response, settings, user)


@router.post("/auth/logout", status_code=204)
async def logout(
    response: Response, user: CurrentUser, session: SessionDep, everywhere: bool = False
) -> None:
    """Sign out this browser; with ``everywhere`` every token of the account stops working."""
    if everywhere:
        await service.sign_out_everywhere(session, user)
    service.end_session(response)


@router.get("/me", response_model=MeRead, responses=errors_for())
async def get_me(user: CurrentUser, session: SessionDep) -> MeRead:
    """The signed-in user and their communities."""
    return await service.me(session, user)


@router.post(
    "/auth/password",
    response_model=SessionRead,
    responses=errors_for(service.InvalidCredentials),
)
async def change_password(
    body: PasswordChange,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionRead:
    """Change the password; other sessions end and this one gets a fresh token."""
    await service.change_password(session, user, body.current_password, body.new_password)
    return service.start_session(response, settings, user)
