"""Every domain router, mounted under /api/v1."""

from fastapi import Depends, FastAPI

from hoa.amenities.router import router as amenities_router
from hoa.audit.router import csv_router as audit_csv_router
from hoa.audit.router import operator_router as operator_audit_router
from hoa.audit.router import router as audit_router
from hoa.auth.router import preferences_router
from hoa.auth.router import router as auth_router
from hoa.blackouts.router import router as blackouts_router
from hoa.communities.router import operator_router
from hoa.communities.router import router as communities_router
from hoa.core.ratelimit import RateLimited
from hoa.feeds.router import router as feeds_router
from hoa.members.router import router as members_router
from hoa.notifications.router import router as notifications_router
from hoa.reservations.router import links_router as reservation_links_router
from hoa.reservations.router import router as reservations_router
from hoa.web.deps import limit_api
from hoa.web.errors import errors_for

# Routes are tried in this order and no route shadows another (tests/core/test_lean_path.py), so
# the order is chosen for speed: the routers of the most requested reads first.
ROUTERS = (
    reservations_router,
    amenities_router,
    auth_router,
    communities_router,
    operator_router,
    members_router,
    blackouts_router,
    reservation_links_router,
    audit_router,
    audit_csv_router,
    operator_audit_router,
    notifications_router,
    feeds_router,
    preferences_router,
)


def include_api(app: FastAPI, responses: dict[int | str, dict[str, object]]) -> None:
    """Each router straight into the app, not through an /api/v1 router: FastAPI matches a
    request again at every level of nesting, and matching is most of a cached read's cost."""
    for router in ROUTERS:
        app.include_router(
            router,
            prefix="/api/v1",
            dependencies=[Depends(limit_api)],
            responses={**responses, **errors_for(RateLimited)},
        )
