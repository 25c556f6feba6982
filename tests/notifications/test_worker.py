"""The scaled-out shape: RedisHuey, consumed by a real ``hoa worker`` process."""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from hoa.core.database import Database
from hoa.core.settings import Settings
from hoa.models import NotificationStatus
from hoa.worker import Jobs
from tests.factories import World, local
from tests.hardening.test_rate_limits import REDIS_URL, _redis_answers
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking


async def test_hoa_worker_delivers_from_redis(
    app: Any, as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path
) -> None:
    if not await _redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}", pytrace=False)
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    queue = f"hoa-test-{uuid.uuid4().hex[:8]}"
    scaled = variant(settings, tmp_path).model_copy(update={"redis_url": REDIS_URL})
    scaled.jobs.queue_name = queue
    jobs = Jobs(scaled)
    env = {
        **os.environ,
        "HOA_ENV": "test",
        "HOA_DATABASE_URL": settings.database_url,
        "HOA_REDIS_URL": REDIS_URL,
        "HOA_JOBS__QUEUE_NAME": queue,
        "HOA_EMAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
        [sys.executable, "-m", "hoa", "worker", "--workers", "1", "--no-periodic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved, app.state.jobs = app.state.jobs, jobs
    try:
        resident = await as_user("resident")
        r = await resident.post("/reservations", booking(world, "court", local(2, 10)))
        assert r.status_code == 201
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            [row] = await notifications(db)
            if row.status is NotificationStatus.SENT:
                break
            await asyncio.sleep(0.1)
        assert row.status is NotificationStatus.SENT
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    finally:
        app.state.jobs = saved
        worker.terminate()
        worker.wait(10)
        jobs.huey.flush()
        jobs.close()


def test_the_worker_loads_no_web_framework() -> None:
    """The worker composes every domain's jobs without any route: importing it in a fresh
    interpreter loads no router module and no FastAPI (so no fastapi.routing)."""
    probe = (
        "import sys, hoa.worker; print('\\n'.join(m for m in sys.modules"
        " if m.endswith('.router') or m.startswith(('fastapi', 'starlette', 'hoa.web'))))"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter and a constant
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert loaded == []
