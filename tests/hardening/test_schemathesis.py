"""The API against its own OpenAPI spec: a short, deterministic pass of bench/fuzz_api.py."""

import pytest
from bench.fuzz_api import fuzz, fuzz_settings, known_ids, load_schema, sign_in
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.settings import Settings
from hoa.main import create_app
from tests.factories import PASSWORD, World, local, make_reservation


@pytest.fixture
async def booked(world: World, session: AsyncSession) -> World:
    """The world plus a reservation, so reservation paths lead to a row."""
    await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(3, 10)
    )
    await session.commit()
    return world


def test_no_server_errors_and_responses_match_the_schema(settings: Settings, booked: World) -> None:
    # A sync test: schemathesis runs the app in its own event loop thread.
    schema = load_schema(create_app(fuzz_settings(settings)))
    tokens = {
        role: sign_in(schema, booked.emails[role], PASSWORD) for role in ("resident", "admin")
    }
    ids = known_ids(schema, tokens["admin"], booked.emails["neighbor"])
    assert {"community_id", "amenity_id", "member_id", "reservation_id"} <= ids.keys()
    report = fuzz(schema, tokens, ids, max_examples=5, derandomize=True)
    assert not report.failures, "\n".join(report.failures)
    assert report.cases > 250
    # Real ids in the paths: most calls reach the handlers instead of ending in 404.
    assert report.by_status[200] + report.by_status[201] > report.by_status[404]
