"""Every domain router, mounted under /api/v1."""

from fastapi import APIRouter, Depends

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

ROUTERS = (
    auth_router,
    communities_router,
    operator_router,
    members_router,
    amenities_router,
    blackouts_router,
    reservations_router,
    reservation_links_router,
    audit_router,
    audit_csv_router,
    operator_audit_router,
    notifications_router,
    feeds_router,
    preferences_router,
)
api_router = APIRouter(dependencies=[Depends(limit_api)], responses=errors_for(RateLimited))
for router in ROUTERS:
    api_router.include_router(router)
