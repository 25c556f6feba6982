"""/metrics: who may read it, what a short scenario counts, and bounded labels."""

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from hoa.core.settings import Settings
from hoa.main import create_app
from tests.factories import World, local
from tests.hardening.support import production, running, with_settings
from tests.observability.support import Samples, parse, value
from tests.reservations.test_reservations import booking

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN = "scrape-token-scrape-token-0123456789"


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


async def test_scenario_is_counted_with_route_templates(
    client: httpx.AsyncClient, as_user: Any, world: World, app: FastAPI, deliverer_for: Any
) -> None:
    before = await scrape(client)
    resident = await as_user("resident")
    created = await resident.post("/reservations", booking(world, "court", local(2, 10)))
    assert created.status_code == 201, created.text
    taken = await (await as_user("neighbor")).post(
        "/reservations", booking(world, "court", local(2, 10))
    )
    assert taken.json()["error"]["code"] == "reservation.slot_taken"
    assert (await resident.get(f"/reservations/{created.json()['id']}")).status_code == 200
    bad = await client.post("/api/v1/auth/login", json={"email": "x@y.example", "password": "z"})
    assert bad.status_code == 401
    deliverer = deliverer_for(app.state.settings)
    outcomes = [deliverer.deliver(nid) for nid in await _pending_notifications(app)]
    assert "sent" in outcomes

    after = await scrape(client)
    base = "/api/v1/communities/{community_id}/reservations"

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    count = "hoa_http_request_duration_seconds_count"
    assert grew(count, route=base, method="POST", status="2xx") == 1
    assert grew(count, route=base, method="POST", status="4xx") == 1
    assert grew(count, route=f"{base}/{{reservation_id}}", method="GET", status="2xx") == 1
    assert grew(count, route="/api/v1/auth/login", method="POST", status="2xx") == 2
    assert grew("hoa_http_request_bytes_total", route=base) > 100
    assert grew("hoa_http_response_bytes_total", route=base) > 100
    assert grew("hoa_errors_total", code="reservation.slot_taken") == 1
    assert grew("hoa_auth_sign_ins_total", outcome="ok") == 2
    assert grew("hoa_auth_sign_ins_total", outcome="failed") == 1
    assert grew("hoa_reservations_total", action="create", outcome="confirmed") == 1
    assert grew("hoa_email_deliveries_total", outcome="sent") == outcomes.count("sent")
    assert grew("hoa_email_delivery_latency_seconds_count") == outcomes.count("sent")
    assert value(after, "hoa_database_up") == 1
    assert value(after, "hoa_queue_up") == 1
    assert value(after, "hoa_db_pool_limit", pool="primary") >= 1
    assert value(after, "hoa_http_requests_in_progress") == 1  # this scrape
    # No raw path, community or user id in any label.
    for (_, labels), _number in after.items():
        for _label, text in labels:
            assert not UUID.search(text), text


async def _pending_notifications(app: FastAPI) -> list[uuid.UUID]:
    from sqlalchemy import select

    from hoa.models import Notification, NotificationStatus

    async with app.state.db.reader() as session:
        rows = await session.scalars(
            select(Notification.id).where(Notification.status == NotificationStatus.PENDING)
        )
        return list(rows)


async def test_unmatched_paths_count_as_other(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    for path in ("/api/no/such/thing", f"/api/v1/{uuid.uuid4()}"):
        assert (await client.get(path)).status_code == 404
    after = await scrape(client)
    name = "hoa_http_request_duration_seconds_count"
    grew = value(after, name, route="other", method="GET", status="4xx") - value(
        before, name, route="other", method="GET", status="4xx"
    )
    assert grew == 2


async def test_production_hides_metrics_without_a_token(settings: Settings) -> None:
    async with running(create_app(production(settings))) as client:
        r = await client.get("/metrics")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_a_token_guards_metrics_in_every_environment(settings: Settings) -> None:
    guarded = {"metrics": {"token": TOKEN}}
    for variant in (production(settings, **guarded), with_settings(settings, **guarded)):
        async with running(create_app(variant)) as client:
            assert (await client.get("/metrics")).status_code == 404
            wrong = {"Authorization": "Bearer not-the-token"}
            assert (await client.get("/metrics", headers=wrong)).status_code == 404
            samples = await scrape(client, Authorization=f"Bearer {TOKEN}")
        assert value(samples, "hoa_database_up") == 1


async def test_metrics_off_counts_nothing_and_serves_nothing(settings: Settings) -> None:
    off = with_settings(settings, metrics={"enabled": False})
    probe = "hoa_http_request_duration_seconds_count"
    async with running(create_app(settings)) as on_client:
        before = await scrape(on_client)
    async with running(create_app(off)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
    async with running(create_app(settings)) as on_client:
        after = await scrape(on_client)
    labels = {"route": "/healthz", "method": "GET", "status": "2xx"}
    assert value(after, probe, **labels) == value(before, probe, **labels)
