"""Traces: off and free by default; on, a booking's request, its SQL and the email task it
enqueued are one trace, exported over OTLP, and the request id is the trace id."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id

from hoa.core.settings import Settings
from hoa.main import create_app
from tests.conftest import Api, sign_in
from tests.factories import World, local
from tests.hardening.support import running, with_settings
from tests.reservations.test_reservations import booking


class OtlpSink:
    """An OTLP/HTTP collector stand-in on loopback: counts the trace exports it receives."""

    def __init__(self) -> None:
        self.exports: list[bytes] = []
        exports = self.exports

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                exports.append(self.rfile.read(int(self.headers["Content-Length"])))
                assert self.path == "/v1/traces"
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    collector = OtlpSink()
    yield collector
    collector.server.shutdown()
    collector.server.server_close()


async def test_tracing_is_off_without_an_endpoint(settings: Settings) -> None:
    app = create_app(settings)
    assert app.state.tracer_provider is None
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    async with running(app) as client:
        r = await client.get("/healthz", headers={"X-Request-ID": "from-the-proxy"})
    assert r.headers["x-request-id"] == "from-the-proxy"


def _parents(spans: list[ReadableSpan]) -> dict[int, int | None]:
    return {s.context.span_id: s.parent.span_id if s.parent else None for s in spans}


def _descends(span: ReadableSpan, ancestor: ReadableSpan, parents: dict[int, int | None]) -> bool:
    current: int | None = span.context.span_id
    while current is not None:
        if current == ancestor.context.span_id:
            return True
        current = parents.get(current)
    return False


async def test_a_booking_traces_into_its_email_task(
    settings: Settings, world: World, sink: OtlpSink, tmp_path: Path
) -> None:
    traced = with_settings(
        settings,
        otel_exporter_otlp_endpoint=sink.url,
        jobs={"embedded_worker": False, "queue_path": tmp_path / "jobs.db"},
    )
    app = create_app(traced)
    exported = InMemorySpanExporter()
    app.state.tracer_provider.add_span_processor(SimpleSpanProcessor(exported))
    async with running(app) as client:
        resident = Api(client, await sign_in(client, world.emails["resident"]), world.community.id)
        r = await resident.post("/reservations", booking(world, "court", local(2, 10)))
        assert r.status_code == 201, r.text
        refused = await resident.post("/reservations", booking(world, "court", local(2, 10)))
        assert (await client.get("/healthz")).status_code == 200  # probes make no trace
        jobs = app.state.jobs
        task = jobs.huey.dequeue()
        assert task is not None and task.name == "deliver"
        assert jobs.huey.execute(task) == "sent"
        app.state.tracer_provider.force_flush()

    spans: list[ReadableSpan] = list(exported.get_finished_spans())
    request_id = r.headers["x-request-id"]
    server = next(
        s
        for s in spans
        if s.kind is SpanKind.SERVER and format_trace_id(s.context.trace_id) == request_id
    )
    assert server.attributes is not None
    assert server.attributes.get("http.route") == "/api/v1/communities/{community_id}/reservations"
    in_trace = [s for s in spans if s.context.trace_id == server.context.trace_id]
    parents = _parents(in_trace)
    request_sql = [
        s for s in in_trace if s.kind is SpanKind.CLIENT and _descends(s, server, parents)
    ]
    assert any("INSERT INTO reservations" in str(s.attributes) for s in request_sql)
    task_span = next(s for s in in_trace if s.name == "task deliver")
    assert _descends(task_span, server, parents)  # enqueued by the request, after its commit
    task_sql = [
        s for s in in_trace if s.kind is SpanKind.CLIENT and _descends(s, task_span, parents)
    ]
    assert any("UPDATE notifications" in str(s.attributes) for s in task_sql)
    # The refusal's envelope names its own trace.
    refused_id = refused.headers["x-request-id"]
    assert refused.json()["error"]["request_id"] == refused_id
    assert any(format_trace_id(s.context.trace_id) == refused_id for s in spans)
    assert not [s for s in spans if s.attributes and s.attributes.get("http.route") == "/healthz"]
    assert sink.exports  # and the same spans went out over OTLP/HTTP
