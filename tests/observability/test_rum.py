"""POST /api/v1/rum: browsers' timings become histograms labelled by known routes only, bad
reports are refused in the envelope, and the endpoint has its own rate limit."""

import httpx

from hoa.core.settings import Settings
from hoa.main import create_app
from tests.hardening.support import running, with_settings
from tests.observability.support import parse, value

PAGE, API = "/c/:communityId/calendar", "/api/v1/communities/{community_id}/calendar"
REPORT = {
    "route": PAGE,
    "lcp_ms": 2400,
    "inp_ms": 180,
    "cls": 0.05,
    "api": [{"route": API, "ms": 95}],
}


async def _metrics(client: httpx.AsyncClient) -> dict[str, float]:
    samples = parse((await client.get("/metrics")).text)
    return {
        "lcp": value(samples, "hoa_rum_lcp_seconds_count", route=PAGE),
        "lcp_sum": value(samples, "hoa_rum_lcp_seconds_sum", route=PAGE),
        "inp": value(samples, "hoa_rum_inp_seconds_count", route=PAGE),
        "cls": value(samples, "hoa_rum_cls_count", route=PAGE),
        "api": value(
            samples,
            "hoa_rum_api_seconds_count",
            route="/api/v1/communities/{community_id}/calendar",
        ),
        "other_page": value(samples, "hoa_rum_lcp_seconds_count", route="other"),
        "other_api": value(samples, "hoa_rum_api_seconds_count", route="other"),
    }


async def test_a_report_becomes_histograms(client: httpx.AsyncClient) -> None:
    before = await _metrics(client)
    assert (await client.post("/api/v1/rum", json=REPORT)).status_code == 204
    made_up = {
        "route": "/users/alice@example.org",
        "lcp_ms": 900,
        "api": [{"route": "/x/1", "ms": 5}],
    }
    assert (await client.post("/api/v1/rum", json=made_up)).status_code == 204
    after = await _metrics(client)
    grew = {key: round(after[key] - before[key], 6) for key in after}
    assert grew == {
        "lcp": 1, "lcp_sum": 2.4, "inp": 1, "cls": 1, "api": 1, "other_page": 1, "other_api": 1
    }  # fmt: skip


async def test_bad_reports_are_refused(client: httpx.AsyncClient) -> None:
    for body in (
        {**REPORT, "user_id": "7"},
        {**REPORT, "lcp_ms": -1},
        {**REPORT, "api": [{"route": "/api/v1/me", "ms": 1}] * 51},
        {"route": "x" * 201},
    ):
        r = await client.post("/api/v1/rum", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", body


async def test_reports_have_their_own_rate_limit(settings: Settings) -> None:
    limited = with_settings(
        settings, rate_limit={**settings.rate_limit.model_dump(), "rum": "2/minute"}
    )
    async with running(create_app(limited)) as client:
        codes = [(await client.post("/api/v1/rum", json=REPORT)).status_code for _ in range(3)]
        assert (await client.get("/api/v1/me")).status_code == 401  # the API's budget is apart
    assert codes == [204, 204, 429]
