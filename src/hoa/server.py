"""``hoa serve``'s app process: uvicorn plus a drain on SIGTERM.

On the first SIGINT/SIGTERM the process answers ``/readyz`` with 503 and keeps serving for
``HOA_SERVER__UNREADY_SECONDS`` (a load balancer polling ``/readyz`` moves traffic away
meanwhile), then uvicorn stops accepting connections and gives the requests in flight up to
``HOA_SERVER__DRAIN_SECONDS`` to finish before the process exits. A second signal skips the
wait.
"""

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import structlog
from fastapi import FastAPI

from hoa.core.settings import get_settings
from hoa.main import create_app

log = structlog.get_logger()
Handler = Callable[[int, FrameType | None], Any]


def create_served_app() -> FastAPI:
    """The app as ``hoa serve`` runs it (uvicorn's factory, in every worker process)."""
    app = create_app(get_settings())
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            _drain_on_signal(app, asyncio.get_running_loop())
            yield state

    app.router.lifespan_context = lifespan
    return app


def _drain_on_signal(app: FastAPI, loop: asyncio.AbstractEventLoop) -> None:
    # uvicorn installed its handlers before the lifespan started; ours run first and hand
    # the signal on to uvicorn's (which starts its graceful shutdown) after the unready time.
    delay = app.state.settings.server.unready_seconds
    uvicorn_handlers: dict[int, Handler] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop = uvicorn_handlers[signum]
        if app.state.draining:
            stop(signum, frame)
            return
        app.state.draining = True
        log.info("draining", unready_seconds=delay)
        loop.call_soon_threadsafe(loop.call_later, delay, stop, signum, None)

    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if callable(handler):
            uvicorn_handlers[signum] = handler
            signal.signal(signum, on_signal)
