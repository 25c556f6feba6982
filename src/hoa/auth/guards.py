"""Guards for the routes where credentials can be guessed: rate limits per IP and per account."""

from fastapi import Request

from hoa.auth.schemas import LoginRequest, PasswordResetConfirm, PasswordResetRequest
from hoa.core.tokens import unsign
from hoa.web.deps import CurrentUser, SettingsDep, limit_auth


async def guard_sign_in(request: Request, body: LoginRequest) -> None:
    await limit_auth(request, "sign_in", body.email)


async def guard_password_change(request: Request, user: CurrentUser) -> None:
    await limit_auth(request, "password_change", user.email)


async def guard_password_reset(request: Request, body: PasswordResetRequest) -> None:
    """Limits the emails one address receives, and one client's probing of many addresses."""
    await limit_auth(request, "password_reset", body.email)


async def guard_password_reset_confirm(
    request: Request, body: PasswordResetConfirm, settings: SettingsDep
) -> None:
    claims = unsign(settings, "password_reset", body.token)
    await limit_auth(request, "password_reset_confirm", claims["sub"] if claims else None)


async def guard_verification_email(request: Request, user: CurrentUser) -> None:
    await limit_auth(request, "verification_email", user.email)
