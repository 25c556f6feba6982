"""The caller's calendar feeds (``/api/v1/me/calendar-feeds``), and the feeds themselves
(``/ical/{secret}.ics``, outside the API: calendar apps know only the address)."""

import hashlib
import uuid

from fastapi import APIRouter, Depends, Request, Response

from hoa.core.errors import Forbidden, NotFound
from hoa.feeds import service
from hoa.feeds.schemas import CalendarFeedCreate, CalendarFeedCreated, CalendarFeedRead
from hoa.web.deps import CurrentUser, LagTolerant, SessionDep, SettingsDep, limit_api
from hoa.web.errors import errors_for

router = APIRouter(prefix="/me", tags=["account"])


@router.get("/calendar-feeds", response_model=list[CalendarFeedRead], responses=errors_for())
async def list_calendar_feeds(user: CurrentUser, session: SessionDep) -> list[CalendarFeedRead]:
    """The caller's calendar feeds, without their addresses (those are shown only when a feed
    is created or rotated)."""
    return await service.list_feeds(session, user)


@router.post(
    "/calendar-feeds",
    status_code=201,
    response_model=CalendarFeedCreated,
    responses={
        200: {"model": CalendarFeedCreated, "description": "An existing feed, rotated"},
        **errors_for(NotFound, Forbidden),
    },
)
async def create_calendar_feed(
    body: CalendarFeedCreate,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> CalendarFeedCreated:
    """Make a secret calendar address: your households' bookings (``amenity_id`` null) or, for
    a community admin, every booking of one amenity.

    The address is returned this once and only its hash is stored. If the feed already exists
    its secret is replaced (200): the old address stops working. An amenity feed stops working
    when you are no longer an active admin of its community."""
    feed, created = await service.create_or_rotate(session, settings, user, body.amenity_id)
    if not created:
        response.status_code = 200
    return feed


@router.delete("/calendar-feeds/{feed_id}", status_code=204, responses=errors_for(NotFound))
async def delete_calendar_feed(feed_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    """Revoke a feed: its address answers 404 from now on."""
    await service.revoke(session, user, feed_id)


# Mounted at the root by create_app; the same per-IP limit as the API.
ical_router = APIRouter(dependencies=[Depends(limit_api)])


@ical_router.api_route(
    "/ical/{secret}.ics",
    methods=["GET", "HEAD"],
    include_in_schema=False,
    response_class=Response,
    dependencies=[LagTolerant],
)
async def get_calendar_feed(
    secret: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    """The feed's calendar (text/calendar); 404 in the error envelope for an unknown, revoked
    or no longer authorized secret. Calendar apps that send back the ETag get a 304 while
    nothing changed."""
    body = await service.feed_calendar(session, settings, secret)
    headers = {
        "Cache-Control": service.CACHE_CONTROL,
        "ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
    }
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={**headers, "Content-Disposition": 'inline; filename="bookings.ics"'},
    )
