"""Optional OpenTelemetry traces: an HTTP request, the jobs it enqueues and the provider calls they make, as one trace.

Off unless ``AVA_OTEL_ENDPOINT`` names an OTLP/HTTP collector (``http://collector:4318``): then each process (web or
worker) exports its spans there in batches. The pieces:

* HTTP requests: FastAPI's own telemetry, given this module's tracer provider (``fastapi_telemetry``). It continues a
  trace the caller started (W3C ``traceparent``).
* Jobs: ``job_carrier`` puts the enqueuing span's context in the job's context (beside its request id) and
  ``job_span`` opens the job's span under it, in whichever process runs the job.
* Provider calls: every httpx client (Vapi, OpenAI, the SSRF-guarded fetches) is instrumented once tracing is on.

The provider is this module's, not the global one, so nothing else in the process is traced by surprise and tests can
swap it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanProcessor

log = logging.getLogger(__name__)

_lock = threading.Lock()
_provider: TracerProvider | None = None
_instrumented_httpx = False

# FastAPI's telemetry, all off: what the app is built with while tracing is off (its metrics and logs never are:
# Prometheus and AVA's own log lines cover those).
_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def configure_tracing(
    *, endpoint: str, service_name: str, span_processor: SpanProcessor | None = None
) -> TracerProvider | None:
    """Turn tracing on for this process when ``endpoint`` is set (once; later calls return the same provider).

    ``span_processor`` replaces the OTLP batch exporter (tests read spans in memory).
    """
    global _provider, _instrumented_httpx
    if not endpoint and span_processor is None:
        return None
    with _lock:
        if _provider is not None:
            return _provider
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        provider.add_span_processor(span_processor or BatchSpanProcessor(_otlp_exporter(endpoint)))
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument(tracer_provider=provider)
        _instrumented_httpx = True
        _provider = provider
        log.info("tracing on: spans exported to %s", endpoint or "a custom span processor")
        return provider


def reset_tracing() -> None:
    """Turn tracing off again (tests): flush and drop the provider, undo the httpx instrumentation."""
    global _provider, _instrumented_httpx
    with _lock:
        if _instrumented_httpx:
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            HTTPXClientInstrumentor().uninstrument()
            _instrumented_httpx = False
        if _provider is not None:
            _provider.shutdown()
            _provider = None


def tracing_on() -> bool:
    """True once ``configure_tracing`` turned tracing on in this process."""
    return _provider is not None


def tracer_provider() -> TracerProvider | None:
    """This process's tracer provider while tracing is on."""
    return _provider


def fastapi_telemetry() -> TelemetryConfig:
    """The ``telemetry=`` argument for AVA's FastAPI app: request spans with this module's provider, or nothing."""
    if _provider is None:
        return TelemetryConfig(**_OFF)
    return TelemetryConfig(**{**_OFF, "tracing": True, "tracer_provider": _provider})


def job_carrier() -> dict[str, str]:
    """The current span's context in W3C form (``traceparent``), for a job enqueued now; empty while tracing is off."""
    if _provider is None:
        return {}
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


@contextmanager
def job_span(name: str, carrier: dict[str, str] | None) -> Iterator[None]:
    """The enclosed job runs in a span of its own, a child of the span that enqueued it (when there was one)."""
    if _provider is None:
        yield
        return
    parent = extract(carrier or {})
    tracer = _provider.get_tracer("ava.jobs")
    token = otel_context.attach(parent)
    try:
        with tracer.start_as_current_span(f"job {name}", kind=trace.SpanKind.CONSUMER) as span:
            span.set_attribute("ava.job", name)
            yield
    finally:
        otel_context.detach(token)


def _otlp_exporter(endpoint: str) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=5)
