"""OpenTelemetry traces, on only when an OTLP endpoint is configured
(``HOA_OTEL_EXPORTER_OTLP_ENDPOINT`` or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT``).

Off, nothing is instrumented and nothing is recorded. On, each process has one tracer
provider exporting in batches over OTLP/HTTP; the web app's requests, their SQL and the job
tasks are spans of one trace: a task carries the W3C ``traceparent`` of the request that
enqueued it, and the request id is the trace id. The SDK reads the other standard variables
itself (``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER``, ``OTEL_EXPORTER_OTLP_HEADERS``, ...).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from hoa.core.settings import Settings

TRACES_PATH = "/v1/traces"
# The instrumentation also counts connections as OpenTelemetry metrics; Prometheus has those.
_NO_METRICS = NoOpMeter("hoa").create_up_down_counter("db.client.connections.usage")
Carrier = dict[str, str]


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The process's tracer provider, or None when tracing is off."""
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    endpoint = endpoint.rstrip("/")
    if not endpoint.endswith(TRACES_PATH):
        endpoint += TRACES_PATH
    provider = TracerProvider(resource=Resource.create({"service.name": "hoa"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def trace_engine(engine: sa.Engine, provider: TracerProvider | None) -> None:
    """A span per statement on ``engine`` (the sync engine of an async one too)."""
    if provider is not None:
        EngineTracer(provider.get_tracer("hoa.sql"), engine, _NO_METRICS)  # type: ignore[no-untyped-call]


def carrier(provider: TracerProvider | None) -> Carrier | None:
    """The current trace context as headers, for a task enqueued now (None with tracing off)."""
    if provider is None:
        return None
    headers: Carrier = {}
    propagate.inject(headers)
    return headers or None


@contextmanager
def task_span(
    provider: TracerProvider | None, name: str, parent: Carrier | None = None
) -> Iterator[None]:
    """A span around one task run, continuing the trace in ``parent`` when there is one."""
    if provider is None:
        yield
        return
    tracer = provider.get_tracer("hoa.jobs")
    context = propagate.extract(parent) if parent else None
    kind = trace.SpanKind.CONSUMER
    with tracer.start_as_current_span(f"task {name}", context=context, kind=kind):
        yield
