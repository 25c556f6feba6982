"""The browser session: httpOnly cookies for the access and refresh tokens, and the readable CSRF
cookie whose value unsafe cookie-authenticated requests echo in ``X-CSRF-Token``."""

from typing import Protocol

from fastapi import Response

from hoa.core.settings import Env, Settings

SESSION_COOKIE = "hoa_session"
REFRESH_COOKIE = "hoa_refresh"
CSRF_COOKIE = "hoa_csrf"
CSRF_HEADER = "X-CSRF-Token"
# The refresh cookie goes to the refresh and logout routes only.
REFRESH_COOKIE_PATH = "/api/v1/auth"


class SessionTokens(Protocol):
    @property
    def access_token(self) -> str: ...
    @property
    def refresh_token(self) -> str: ...
    @property
    def csrf_token(self) -> str: ...


def set_session_cookies(response: Response, settings: Settings, tokens: SessionTokens) -> None:
    secure = settings.env is Env.PRODUCTION
    refresh_age = settings.auth.refresh_token_days * 86400
    response.set_cookie(
        SESSION_COOKIE,
        tokens.access_token,
        max_age=settings.access_token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=refresh_age,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    # Outlives the access token: the browser needs it to send the CSRF header when refreshing.
    response.set_cookie(
        CSRF_COOKIE,
        tokens.csrf_token,
        max_age=refresh_age,
        httponly=False,
        samesite="lax",
        secure=secure,
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    response.delete_cookie(CSRF_COOKIE)
