"""The lean request path: raw ASGI middleware only, and hot reads that load no ORM objects and
answer bytes serialized once, which still read exactly as their declared response models."""

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy.orm import Session
from starlette.middleware.base import BaseHTTPMiddleware

from hoa.amenities import router as amenities
from hoa.amenities.schemas import AmenityRead
from hoa.auth import router as auth
from hoa.auth.schemas import MeRead
from hoa.core.pagination import Page
from hoa.core.settings import Settings
from hoa.main import create_app
from hoa.reservations import router as reservations
from hoa.reservations.schemas import Availability, Calendar, ReservationRead
from tests.core.statements import Statements
from tests.factories import World, local
from tests.reservations.test_reservations import booking

# The hot reads: route template, handler, and the schema it declares.
HOT_READS: list[tuple[str, Callable[..., Any], str]] = [
    ("/communities/{community_id}/calendar", reservations.get_calendar, "Calendar"),
    (
        "/communities/{community_id}/amenities/{amenity_id}/availability",
        reservations.get_availability,
        "Availability",
    ),
    ("/communities/{community_id}/amenities", amenities.list_amenities, "AmenityRead"),
    ("/communities/{community_id}/amenities/{amenity_id}", amenities.get_amenity, "AmenityRead"),
    ("/me", auth.get_me, "MeRead"),
    (
        "/communities/{community_id}/reservations",
        reservations.list_reservations,
        "Page_ReservationRead_",
    ),
]


def _layers(app: FastAPI) -> Iterator[object]:
    """Every layer of the built middleware stack, outermost first, down to the router."""
    layer: object | None = app.build_middleware_stack()
    while layer is not None:
        yield layer
        layer = getattr(layer, "app", None)


def test_every_middleware_is_raw_asgi(settings: Settings) -> None:
    """BaseHTTPMiddleware (and ``@app.middleware("http")``, built on it) costs a task and a
    body stream per request: the stack has none, with every optional layer switched on."""
    every_layer = settings.model_copy(
        update={
            "cors_origins": ["https://app.example.com"],
            "database_replica_url": settings.database_url,
        }
    )
    app = create_app(every_layer)
    declared = [m.cls for m in app.user_middleware]
    assert len(declared) == 4, declared  # request, read-your-writes, CORS, body limit
    for cls in declared:
        assert isinstance(cls, type), cls
        assert not issubclass(cls, BaseHTTPMiddleware), cls
    built = list(_layers(app))
    assert not [layer for layer in built if isinstance(layer, BaseHTTPMiddleware)], built


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every endpoint, down through the included routers (kept nested by FastAPI)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def test_every_dependency_is_async(app: FastAPI) -> None:
    """FastAPI runs a plain ``def`` dependency in its thread pool: a thread handoff on every
    request that uses it, for work that awaits nothing."""
    routes = list(_api_routes(app.router.routes))
    assert len(routes) > 50, len(routes)
    sync = {
        f"{dep.call.__module__}.{dep.call.__qualname__}"
        for route in routes
        for dep in _dependencies(route.dependant)
        if dep.call is not None
        and not inspect.iscoroutinefunction(dep.call)
        and not inspect.isasyncgenfunction(dep.call)
    }
    assert sync == set()


def test_probes_are_matched_before_the_api(app: FastAPI) -> None:
    """Routes are tried in order: a probe placed after the API's 90 would try each first."""
    paths = [getattr(route, "path", None) for route in app.router.routes]
    first_router = next(
        i for i, route in enumerate(app.router.routes) if hasattr(route, "original_router")
    )
    assert all(paths.index(probe) < first_router for probe in ("/healthz", "/readyz", "/metrics"))


def test_no_route_hides_a_later_one(app: FastAPI) -> None:
    """The routers are ordered for speed (src/hoa/api.py), which is safe only while no route's
    pattern also matches a later route's path: a parameter where the later one has a literal
    segment would take its requests."""
    routes = list(_api_routes(app.router.routes))
    hidden = [
        (earlier.path, later.path)
        for i, earlier in enumerate(routes)
        for later in routes[i + 1 :]
        if earlier.methods & later.methods
        and earlier.path_regex.match(re.sub(r"\{[^}]+\}", "x0", later.path))
    ]
    assert hidden == []


@pytest.mark.parametrize(("template", "handler", "schema"), HOT_READS)
def test_hot_read_handlers_answer_bytes_and_keep_their_schema(
    app: FastAPI, template: str, handler: Callable[..., Any], schema: str
) -> None:
    """A returned Response skips FastAPI's validation and encoding of the return value; the
    declared response_model keeps the OpenAPI document (and the generated client) as it was."""
    returned = inspect.signature(handler).return_annotation
    assert isinstance(returned, type) and issubclass(returned, Response), (template, returned)
    ok = app.openapi()["paths"][f"/api/v1{template}"]["get"]["responses"]["200"]
    declared = ok["content"]["application/json"]["schema"]
    assert declared.get("items", declared)["$ref"] == f"#/components/schemas/{schema}"


@contextmanager
def _orm_loads() -> Iterator[list[object]]:
    """Every ORM object any session loads into its identity map meanwhile."""
    loaded: list[object] = []

    def record(_session: Session, instance: object) -> None:
        loaded.append(instance)

    sa.event.listen(Session, "loaded_as_persistent", record)
    try:
        yield loaded
    finally:
        sa.event.remove(Session, "loaded_as_persistent", record)


async def test_hot_reads_load_no_orm_objects_and_read_as_their_schema(
    as_user: Any, world: World, app: FastAPI
) -> None:
    resident = await as_user("resident")
    start = local(1, 10)
    assert (await resident.post("/reservations", booking(world, "court", start))).status_code == 201
    court = world.amenities["court"].id
    # The caller's membership, read from the database and cached, the first time.
    with _orm_loads() as loaded:
        async with Statements(app) as sent:
            assert (await resident.get("/reservations")).status_code == 200
    assert len(sent.sent) == 2, sent.sent
    assert loaded == [], loaded
    later = local(70, 10)  # past the months the write warmed
    two_hours = {"start": later.isoformat(), "end": (later + timedelta(hours=2)).isoformat()}
    # Each misses the read cache (a range, day and amenity nothing read before), so it reads
    # the database.
    reads: list[tuple[str, dict[str, str], Any]] = [
        ("/calendar", two_hours, Calendar),
        (f"/amenities/{court}/availability", {"date": start.date().isoformat()}, Availability),
        ("/amenities", {}, list[AmenityRead]),
        (f"/amenities/{world.amenities['pool'].id}", {}, AmenityRead),
        ("/api/v1/me", {}, MeRead),
        ("/reservations", {"mine": "true"}, Page[ReservationRead]),
    ]
    for path, params, schema in reads:
        with _orm_loads() as loaded:
            async with Statements(app) as sent:
                r = await resident.get(path, params=params)
        assert r.status_code == 200, (path, r.text)
        assert len(sent.sent) == 1, (path, sent.sent)
        assert loaded == [], (path, loaded)
        # What the schema makes of the body is the body: no field missing, none extra, every
        # value written as pydantic writes it.
        adapter: TypeAdapter[Any] = TypeAdapter(schema)
        assert adapter.dump_python(adapter.validate_json(r.content), mode="json") == r.json()
    [mine] = r.json()["items"]
    assert mine["cancellable_until"] is not None
    booked = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    [entry] = (await resident.get("/calendar", params=booked)).json()["entries"]
    assert entry["mine"]
