from functools import partial
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Cookie, Depends, Request, Response

from hoa.auth import service
from hoa.auth.guards import (
    guard_password_change,
    guard_password_reset,
    guard_password_reset_confirm,
    guard_sign_in,
    guard_verification_email,
)
from hoa.auth.passwords import WeakPassword
from hoa.auth.schemas import (
    AccountUpdate,
    EmailVerification,
    LoginRequest,
    MeRead,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    PasswordResetRequested,
    RefreshRequest,
    SessionRead,
)
from hoa.core.errors import AccountDisabled, CsrfFailed
from hoa.web.cookies import (
    CSRF_COOKIE,
    REFRESH_COOKIE,
    clear_session_cookies,
    set_session_cookies,
)
from hoa.web.deps import (
    CacheDep,
    Claims,
    CurrentUser,
    SessionDep,
    SettingsDep,
    after_answer,
    require_csrf,
)
from hoa.web.errors import errors_for
from hoa.web.responses import trusted_json

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/login",
    response_model=SessionRead,
    responses=errors_for(service.InvalidCredentials),
    dependencies=[Depends(guard_sign_in)],
)
async def login(
    body: LoginRequest, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionRead:
    """Sign in: sets the session cookies and returns bearer and refresh tokens for API clients.

    Repeated failures lock the account for a while, with the same answer as a wrong password."""
    started = await service.sign_in(session, settings, body.email, body.password)
    set_session_cookies(response, settings, started)
    return started


@router.post(
    "/auth/refresh",
    response_model=SessionRead,
    responses=errors_for(service.InvalidRefreshToken, AccountDisabled, CsrfFailed),
)
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    body: RefreshRequest | None = None,
    cookie_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> SessionRead:
    """Trade a refresh token (body, or the httpOnly cookie plus the CSRF header) for a new
    session. Each refresh token works once; reusing one ends every session of its family."""
    token = body.refresh_token if body else cookie_token
    if not token:
        raise service.InvalidRefreshToken
    if body is None:
        require_csrf(request, request.cookies.get(CSRF_COOKIE, ""))
    started = await service.refresh(session, cache, settings, token)
    set_session_cookies(response, settings, started)
    return started


@router.post("/auth/logout", status_code=204)
async def logout(
    response: Response,
    user: CurrentUser,
    claims: Claims,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    everywhere: bool = False,
) -> None:
    """End this session: its tokens stop working at once. With ``everywhere`` every token of
    the account does."""
    await service.sign_out(session, cache, settings, user, claims.session_id, everywhere=everywhere)
    clear_session_cookies(response)


@router.get("/me", response_model=MeRead, responses=errors_for())
async def get_me(claims: Claims, session: SessionDep) -> Response:
    """The signed-in user and their communities."""
    return trusted_json(await service.me(session, claims))


@router.patch("/me", response_model=MeRead, responses=errors_for(service.InvalidPhone))
async def update_me(
    body: AccountUpdate, user: CurrentUser, claims: Claims, session: SessionDep
) -> dict[str, object]:
    """Change the caller's name or phone number (the fields sent)."""
    return await service.update_account(session, user, claims, body)


@router.post(
    "/auth/password",
    response_model=SessionRead,
    responses=errors_for(service.InvalidCredentials, WeakPassword),
    dependencies=[Depends(guard_password_change)],
)
async def change_password(
    body: PasswordChange,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionRead:
    """Change the password; other sessions end and this one gets a fresh token."""
    started = await service.change_password(
        session, settings, user, body.current_password, body.new_password
    )
    set_session_cookies(response, settings, started)
    return started


@router.post(
    "/auth/password-reset",
    status_code=202,
    response_model=PasswordResetRequested,
    responses=errors_for(),
    dependencies=[Depends(guard_password_reset)],
)
async def request_password_reset(
    body: PasswordResetRequest,
    request: Request,
    background: BackgroundTasks,
    settings: SettingsDep,
) -> PasswordResetRequested:
    """Email a reset link. The address is looked up after the answer is sent, so the answer and
    its timing are the same whether or not it has an account."""
    background.add_task(
        after_answer,
        request,
        partial(service.request_password_reset, settings=settings, email=body.email),
    )
    return PasswordResetRequested()


@router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    responses=errors_for(service.InvalidResetToken, WeakPassword),
    dependencies=[Depends(guard_password_reset_confirm)],
)
async def confirm_password_reset(
    body: PasswordResetConfirm, session: SessionDep, settings: SettingsDep
) -> None:
    """Set a new password with the emailed link's token; every session of the account ends."""
    await service.reset_password(session, settings, body.token, body.password)


@router.post(
    "/auth/verify-email",
    status_code=204,
    responses=errors_for(service.InvalidVerificationToken),
)
async def verify_email(body: EmailVerification, session: SessionDep, settings: SettingsDep) -> None:
    """Confirm the account's email address with the emailed link's token (works twice)."""
    await service.verify_email(session, settings, body.token)


@router.post(
    "/me/verification-email",
    status_code=204,
    responses=errors_for(service.AlreadyVerified),
    dependencies=[Depends(guard_verification_email)],
)
async def send_verification_email(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> None:
    """Send the verification link again; 409 when the address is verified already."""
    await service.resend_verification(session, settings, user)


# The account's own settings, under /me beside its calendar feeds.
preferences_router = APIRouter(prefix="/me", tags=["account"])


@preferences_router.get(
    "/notification-preferences", response_model=NotificationPreferences, responses=errors_for()
)
async def get_notification_preferences(user: CurrentUser) -> NotificationPreferences:
    """Which emails the caller gets; those in ``always_sent`` go out whatever they say."""
    return service.preferences(user)


@preferences_router.patch(
    "/notification-preferences", response_model=NotificationPreferences, responses=errors_for()
)
async def update_notification_preferences(
    body: NotificationPreferencesUpdate, user: CurrentUser, session: SessionDep
) -> NotificationPreferences:
    """Change the fields sent; ``admin_alerts`` matters only in communities the caller
    administers."""
    return await service.update_preferences(session, user, body)
