"""Work that must wait for the transaction to commit (enqueueing the deliveries of the
notifications it wrote, and later cache invalidation): registered on the session, run by
whoever commits it, dropped on rollback."""

import asyncio
import logging
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("hoa.jobs")

_HOOKS, _ENQUEUE = "after_commit", "enqueue"

Enqueue = Callable[[uuid.UUID], None]


def after_commit(session: AsyncSession, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the session's transaction has committed."""
    session.info.setdefault(_HOOKS, []).append(hook)


async def run_after_commit(session: AsyncSession) -> None:
    """Run the hooks off the event loop: an enqueue is blocking I/O (SQLite file, Redis)."""
    hooks: list[Callable[[], None]] = session.info.pop(_HOOKS, [])
    if hooks:
        await asyncio.to_thread(_run, hooks)


def _run(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # the sweep re-enqueues what a lost enqueue missed
            log.exception("after_commit hook failed")


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(_HOOKS, None)


def use_queue(session: AsyncSession, enqueue: Enqueue | None) -> None:
    """Where ``enqueue_after_commit`` hands notification ids: the app's job queue."""
    session.info[_ENQUEUE] = enqueue


def enqueue_after_commit(session: AsyncSession, notification_id: uuid.UUID) -> None:
    """Enqueue the delivery once the transaction commits. Without a queue (scripts, the demo
    seed) the sweep picks the row up."""
    enqueue: Enqueue | None = session.info.get(_ENQUEUE)
    if enqueue is not None:
        after_commit(session, lambda: enqueue(notification_id))
