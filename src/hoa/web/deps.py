"""Request-scoped dependencies (FastAPI ``Depends`` aliases): settings, the session and its one
transaction, the caller, the community context, role guards, rate limits and paging."""

import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.cache import SharedCache
from hoa.core.context import CommunityCtx
from hoa.core.database import Database, act_as_operator, keep_loaded, on_replica
from hoa.core.errors import (
    AppError,
    CommunitySuspended,
    CsrfFailed,
    Forbidden,
    MembershipPending,
    NotAuthenticated,
    NotFound,
)
from hoa.core.hooks import discard_after_commit, run_after_commit, use_queue
from hoa.core.middleware import LAST_WRITE_COOKIE
from hoa.core.pagination import Cursor
from hoa.core.ratelimit import RateLimiter
from hoa.core.settings import Settings
from hoa.core.tokens import TokenClaims, read_token, session_revoked
from hoa.core.versions import members, user
from hoa.models import (
    Community,
    Membership,
    MemberStatus,
    Role,
    User,
    member_context,
    operator_context,
)
from hoa.web.cache import ReadCache
from hoa.web.cookies import CSRF_HEADER, SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Every dependency is `async def`, even one that awaits nothing: FastAPI runs a plain `def`
# in its thread pool, a thread handoff on each request (tests/core/test_lean_path.py).


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_cache(request: Request) -> SharedCache:
    cache: SharedCache = request.app.state.cache
    return cache


CacheDep = Annotated[SharedCache, Depends(get_cache)]


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


# For work that outlives the request's session: a streamed answer reads in sessions of its own.
DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_read_cache(request: Request) -> ReadCache:
    cache: ReadCache = request.app.state.read_cache
    return cache


ReadCacheDep = Annotated[ReadCache, Depends(get_read_cache)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent; an error rolls it
    back, except a refusal that keeps what the request wrote (``AppError.commits``).

    Unsafe methods get the writer session (``BEGIN IMMEDIATE`` on SQLite) so concurrent writers
    queue instead of racing. Reads of routes marked ``LagTolerant`` may get the replica, unless
    the client wrote within ``HOA_DB__READ_YOUR_WRITES_SECONDS``.
    """
    db: Database = request.app.state.db
    write = request.method not in SAFE_METHODS
    lag_tolerant = (
        not write and getattr(request.state, "lag_tolerant", False) and not _wrote_recently(request)
    )
    session = db.session_factory(write=write, lag_tolerant=lag_tolerant)()
    jobs = getattr(request.app.state, "jobs", None)
    use_queue(session, jobs.enqueue if jobs is not None else None)
    try:
        yield session
        used = _used(session)  # not by a read answered from the cache: nothing to end then
        if used:
            await session.commit()
    except AppError as refusal:
        if not refusal.commits:
            discard_after_commit(session)
            await session.rollback()
            raise
        await session.commit()
        await run_after_commit(session)
        raise
    except BaseException:
        discard_after_commit(session)
        await session.rollback()
        raise
    else:
        if used:
            await run_after_commit(session)  # e.g. enqueue the notifications just committed
    finally:
        if _used(session):
            await session.close()


def _used(session: AsyncSession) -> bool:
    """Whether the session began a transaction or holds objects: else ending it would only
    cost (an unused session's commit and close each hop through SQLAlchemy's greenlet)."""
    return session.in_transaction() or bool(session.identity_map) or bool(session.new)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def after_answer(request: Request, work: Callable[[AsyncSession], Awaitable[object]]) -> None:
    """Run ``work`` once the answer is sent (as a background task), in a write transaction of
    its own; the notifications it writes are enqueued after it commits."""
    db: Database = request.app.state.db
    async with db.writer() as session:
        jobs = getattr(request.app.state, "jobs", None)
        use_queue(session, jobs.enqueue if jobs is not None else None)
        await work(session)
        await session.commit()
    await run_after_commit(session)


def _wrote_recently(request: Request) -> bool:
    until = request.cookies.get(LAST_WRITE_COOKIE, "")
    try:
        return float(until) > time.time()
    except ValueError:
        return False


async def _allow_replica(request: Request) -> None:
    request.state.lag_tolerant = True


# A read that may come from the replica (calendar, availability, amenity lists, feeds). Put it
# in the route decorator's ``dependencies``: those are solved before the session.
LagTolerant = Depends(_allow_replica)


async def get_claims(request: Request, settings: SettingsDep) -> TokenClaims:
    """The caller's verified token, from a bearer token or the session cookie (which needs the
    CSRF header on unsafe methods), of a session not ended. No database access."""
    authorization = request.headers.get("authorization", "")
    scheme, _, bearer = authorization.partition(" ")
    from_cookie = not (scheme.lower() == "bearer" and bearer)
    token = request.cookies.get(SESSION_COOKIE) if from_cookie else bearer
    claims = read_token(settings, token) if token else None
    if claims is None or await session_revoked(request.app.state.cache, claims.session_id):
        raise NotAuthenticated
    if from_cookie and request.method not in SAFE_METHODS:
        require_csrf(request, claims.csrf)
    request.state.user_id = claims.user_id  # for the access log
    return claims


def require_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed


Claims = Annotated[TokenClaims, Depends(get_claims)]


def _check_user(user: User | None, claims: TokenClaims) -> User:
    if user is None:
        raise NotAuthenticated  # deleted
    claims.check_account(user.token_version, user.is_active)
    return user


async def get_current_user(claims: Claims, session: SessionDep) -> User:
    return _check_user(await session.get(User, claims.user_id), claims)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_optional_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> User | None:
    """The signed-in user, or None for anonymous callers (a bad token still fails)."""
    has_bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    if not has_bearer and SESSION_COOKIE not in request.cookies:
        return None
    return await get_current_user(await get_claims(request, settings), session)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def require_operator(user: CurrentUser) -> User:
    if not user.is_operator:
        raise Forbidden("Only platform operators can do this.")
    return user


PlatformOperator = Annotated[User, Depends(require_operator)]


async def community_ctx(
    request: Request,
    community_id: uuid.UUID,
    claims: Claims,
    session: SessionDep,
    cache: ReadCacheDep,
) -> CommunityCtx:
    """The caller and their active membership in the community, in one query (or from the
    cache on safe requests: writes check the database); outsiders learn nothing (404), and
    those whose request to join waits for approval nothing more (403).
    A platform operator who is no member acts as an admin, audited as the operator. In a
    suspended community nobody changes anything and only admins read (423, with the reason)."""
    write = request.method not in SAFE_METHODS
    if write:
        ctx, member = await _load_member(session, community_id, claims)
        keep_loaded(session, *member)
    else:
        ctx, token_version, is_active = await cache.get_or_load(
            "membership",
            [members(community_id), user(claims.user_id)],
            f"member:{community_id}:{claims.user_id}",
            cache.settings.memberships_seconds,
            lambda: _cached_member(session, community_id, claims),
            store=not on_replica(session),
        )
        claims.check_account(token_version, is_active)  # against this caller's token
    if ctx.suspended_reason is not None and (write or not ctx.is_admin):
        raise CommunitySuspended(ctx.suspended_reason)
    if ctx.as_operator:
        act_as_operator(session)
    return ctx


# A member's context on a safe request, as plain columns: reads keep ORM objects out of the
# session (writes load them, to reuse them: _load_member).
_MEMBER = (
    sa.select(
        User.token_version,
        User.is_active,
        Membership.status,
        Membership.role,
        Membership.household_id,
        User.name.label("user_name"),
        Community.name.label("community_name"),
        Community.timezone,
        Community.locale,
        Community.show_booker_names,
        Community.suspended_reason,
    )
    .join(Membership, Membership.user_id == User.id)
    .join(Community, Community.id == Membership.community_id)
)


async def _cached_member(
    session: AsyncSession, community_id: uuid.UUID, claims: TokenClaims
) -> tuple[CommunityCtx, int, bool]:
    """What community_ctx caches for a safe request: the member's context, and the account's
    token version and state (checked against each caller's token)."""
    row = (
        await session.execute(
            _MEMBER.where(
                User.id == claims.user_id,
                Membership.community_id == community_id,
                Membership.status != MemberStatus.SUSPENDED,
            )
        )
    ).first()
    if row is None:  # an operator who is no member, an outsider, a deleted account: as writes
        ctx, (user_row, *_) = await _load_member(session, community_id, claims)
        return ctx, user_row.token_version, user_row.is_active
    claims.check_account(row.token_version, row.is_active)
    if row.status is MemberStatus.PENDING:
        raise MembershipPending
    ctx = CommunityCtx(
        community_id=community_id,
        community_name=row.community_name,
        timezone=row.timezone,
        locale=row.locale,
        show_booker_names=row.show_booker_names,
        user_id=claims.user_id,
        user_name=row.user_name,
        household_id=row.household_id,
        is_admin=row.role is Role.ADMIN,
        suspended_reason=row.suspended_reason,
    )
    return ctx, row.token_version, row.is_active


async def _load_member(
    session: AsyncSession, community_id: uuid.UUID, claims: TokenClaims
) -> tuple[CommunityCtx, tuple[User, *tuple[Membership | Community, ...]]]:
    row = (
        await session.execute(
            sa.select(User, Membership, Community)
            .join(Membership, Membership.user_id == User.id)
            .join(Community, Community.id == Membership.community_id)
            .where(
                User.id == claims.user_id,
                Membership.community_id == community_id,
                Membership.status != MemberStatus.SUSPENDED,
            )
        )
    ).first()
    if row is None:
        # Tell a stale token (401) apart from a community the caller is not in (404).
        user_row = _check_user(await session.get(User, claims.user_id), claims)
        community_row = await session.get(Community, community_id) if user_row.is_operator else None
        if community_row is None:
            raise NotFound("Community not found.")
        return operator_context(community_row, user_row), (user_row, community_row)
    user_row, membership, community_row = row
    if membership.status is MemberStatus.PENDING:
        _check_user(user_row, claims)
        raise MembershipPending
    ctx = member_context(community_row, membership, _check_user(user_row, claims))
    return ctx, (user_row, membership, community_row)


CommunityMember = Annotated[CommunityCtx, Depends(community_ctx)]


async def require_admin(ctx: CommunityMember) -> CommunityCtx:
    if not ctx.is_admin:
        raise Forbidden("Only community admins can do this.")
    return ctx


CommunityAdmin = Annotated[CommunityCtx, Depends(require_admin)]


async def _cursor(
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` of the previous page"),
    ] = None,
) -> Cursor | None:
    return Cursor.decode(cursor) if cursor else None


CursorParam = Annotated[Cursor | None, Depends(_cursor)]
LimitParam = Annotated[int, Query(ge=1, le=200, description="Items per page")]


def get_limiter(request: Request) -> RateLimiter:
    """The app's limiter (made by its lifespan)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def _client_ip(request: Request, limiter: RateLimiter) -> str:
    peer = request.client.host if request.client else "unknown"
    return limiter.client_ip(peer, request.headers.getlist("x-forwarded-for"))


async def limit_api(request: Request) -> None:
    """Every /api/v1 request counts against the caller's IP."""
    limiter = get_limiter(request)
    await limiter.hit(limiter.api, "api", _client_ip(request, limiter))


async def limit_rum(request: Request) -> None:
    """Browsers' timing reports, limited per IP on their own budget."""
    limiter = get_limiter(request)
    await limiter.hit(limiter.rum, "rum", _client_ip(request, limiter))


async def limit_auth(request: Request, action: str, account: str | None) -> None:
    """Credential-guessing surfaces: limited per IP and, when known, per account email."""
    limiter = get_limiter(request)
    await limiter.hit(limiter.auth_per_ip, action, "ip", _client_ip(request, limiter))
    if account:
        await limiter.hit(limiter.auth_per_account, action, "account", account.strip().lower())
