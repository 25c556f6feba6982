"""Real-user monitoring: the web app's Core Web Vitals and API timings, reported by a sample of
real browsers and exported as histograms. Nothing personal is taken: no user, no address, no
URL beyond a route template; routes this app does not have are counted as ``other``."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hoa.core import metrics
from hoa.core.ratelimit import RateLimited
from hoa.web.deps import limit_rum
from hoa.web.errors import errors_for

# The web app's routes (web/src/app/router.tsx), as the browser reports them: the matched
# route patterns joined.
WEB_ROUTES = frozenset(
    [
        "/",
        "/signin",
        "/forgot-password",
        "/reset-password",
        "/verify-email",
        "/cancel-booking",
        "/invitations/accept",
        "/join",
        *(
            f"/c/:communityId{page}"
            for page in (
                "",
                "/amenities",
                "/amenities/:amenityId",
                "/calendar",
                "/book",
                "/reservations",
                "/account",
                "/admin",
                "/admin/amenities",
                "/admin/amenities/new",
                "/admin/amenities/:amenityId",
                "/admin/blackouts",
                "/admin/members",
                "/admin/audit",
                "/admin/notifications",
                "/admin/settings",
            )
        ),
    ]
)
OTHER = "other"

Route = Annotated[str, Field(max_length=200)]


class ApiTiming(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: Route = Field(description="The API path template, e.g. /api/v1/me")
    ms: float = Field(ge=0, le=600_000, description="From the call to its response, in ms")


class RumReport(BaseModel):
    """One page view's measurements; each is optional."""

    model_config = ConfigDict(extra="forbid")
    route: Route = Field(description="The web app's route pattern, e.g. /c/:communityId/book")
    lcp_ms: float | None = Field(None, ge=0, le=600_000, description="Largest Contentful Paint")
    inp_ms: float | None = Field(None, ge=0, le=600_000, description="Interaction to Next Paint")
    cls: float | None = Field(None, ge=0, le=100, description="Cumulative Layout Shift")
    api: list[ApiTiming] = Field(default_factory=list, max_length=50)


rum_router = APIRouter(prefix="/rum", tags=["rum"])


@rum_router.post(
    "",
    status_code=204,
    dependencies=[Depends(limit_rum)],
    responses=errors_for(RateLimited),
)
async def report_timings(report: RumReport, request: Request) -> Response:
    """Record a page view's Core Web Vitals and API timings (sampled by the web app)."""
    page = report.route if report.route in WEB_ROUTES else OTHER
    if report.lcp_ms is not None:
        metrics.RUM_LCP.labels(page).observe(report.lcp_ms / 1000)
    if report.inp_ms is not None:
        metrics.RUM_INP.labels(page).observe(report.inp_ms / 1000)
    if report.cls is not None:
        metrics.RUM_CLS.labels(page).observe(report.cls)
    if report.api:
        known = request.app.openapi()["paths"]
        for timing in report.api:
            route = timing.route if timing.route in known else OTHER
            metrics.RUM_API.labels(route).observe(timing.ms / 1000)
    return Response(status_code=204)
