"""A broker outage between commit and enqueue loses nothing: the booking stands, the row waits,
and the sweep delivers it once the queue is back."""

from pathlib import Path
from typing import Any

from hoa.core.database import Database
from hoa.core.settings import Settings
from hoa.models import NotificationStatus
from hoa.worker import Jobs
from tests.factories import World, local
from tests.notifications.conftest import free_port, notifications, variant
from tests.reservations.test_reservations import booking


async def test_a_redis_outage_at_enqueue_is_healed_by_the_sweep(
    app: Any, as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path
) -> None:
    down = variant(settings, tmp_path).model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}  # nothing listens there
    )
    broken = Jobs(down)
    saved, app.state.jobs = app.state.jobs, broken
    try:
        resident = await as_user("resident")
        r = await resident.post("/reservations", booking(world, "court", local(2, 10)))
        assert r.status_code == 201, r.text  # the booking does not depend on the broker
    finally:
        app.state.jobs = saved
        broken.close()
    [row] = await notifications(db)
    assert row.status is NotificationStatus.PENDING and row.attempts == 0

    healed = Jobs(variant(settings, tmp_path))  # the queue is reachable again
    try:
        assert healed.sweep() == 1
        task = healed.huey.dequeue()
        assert healed.huey.execute(task) == "sent"
    finally:
        healed.close()
    [row] = await notifications(db)
    assert row.status is NotificationStatus.SENT
