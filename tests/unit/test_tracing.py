"""OpenTelemetry traces: off by default; when on, an HTTP request, the job it enqueues and the provider call the job
makes are one trace, and spans reach an OTLP/HTTP collector."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ava_app import task_queue
from ava_app.api.app import create_api
from ava_app.observability import tracing
from ava_app.settings import Settings

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure_tracing(endpoint="", service_name="ava-test", span_processor=SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        tracing.reset_tracing()


def test_tracing_is_off_unless_an_endpoint_is_set(engine):
    assert tracing.configure_tracing(endpoint="", service_name="ava") is None
    assert not tracing.tracing_on()
    assert "trace" not in task_queue.job_context()
    assert tracing.fastapi_telemetry()["tracing"] is False
    with tracing.job_span("anything", {"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"}):
        assert not trace.get_current_span().get_span_context().is_valid


def test_the_endpoint_must_be_a_collector_url():
    assert Settings(otel_endpoint="http://collector:4318").otel_endpoint == "http://collector:4318"
    for bad in ("collector:4318", "ftp://collector", "http://"):
        with pytest.raises(ValueError, match="OTLP/HTTP collector"):
            Settings(otel_endpoint=bad)


class _LocalServer(BaseHTTPRequestHandler):
    """Stands for a provider (GET) and for an OTLP/HTTP collector (POST) on 127.0.0.1."""

    received: list[tuple[str, str, bytes]] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        self._answer("application/json", b"{}")

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self._answer("application/x-protobuf", b"")

    def _answer(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _LocalServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _LocalServer.received = []
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_request_its_job_and_the_jobs_provider_call_are_one_trace(engine, spans, local_server):
    def call_the_provider() -> None:
        with httpx.Client() as client:
            client.get(f"{local_server}/call/1")

    job = task_queue._in_job_context(call_the_provider)
    contexts: list[dict] = []
    api = create_api()

    @api.post("/probe-enqueue")
    async def enqueue() -> dict:
        contexts.append(task_queue.job_context())
        return {}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        answer = await client.post("/probe-enqueue", headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"})
    assert answer.status_code == 200
    # The job runs elsewhere (a worker thread here): only what it carries links it to the request.
    worker = threading.Thread(target=job, kwargs={task_queue.JOB_CONTEXT_KWARG: contexts[0]})
    worker.start()
    worker.join()

    finished = spans.get_finished_spans()
    [request] = [span for span in finished if span.kind == trace.SpanKind.SERVER]
    [job_span] = [span for span in finished if span.name == "job call_the_provider"]
    [provider_span] = [span for span in finished if span.kind == trace.SpanKind.CLIENT]
    assert {format(span.context.trace_id, "032x") for span in (request, job_span, provider_span)} == {TRACE_ID}
    assert format(request.parent.span_id, "016x") == CALLER_SPAN
    assert job_span.parent.span_id in {span.context.span_id for span in finished if span is not job_span}
    assert provider_span.parent.span_id == job_span.context.span_id
    assert provider_span.attributes.get("url.full", provider_span.attributes.get("http.url")) == (
        f"{local_server}/call/1"
    )


def test_spans_are_posted_to_the_collector_as_otlp_http(local_server):
    try:
        provider = tracing.configure_tracing(endpoint=local_server, service_name="ava-web")
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("one unit of work"):
            pass
        assert provider.force_flush(timeout_millis=5000)
    finally:
        tracing.reset_tracing()
    [(path, content_type, body)] = _LocalServer.received
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    export = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = export.resource_spans
    service = {item.key: item.value.string_value for item in resource_spans.resource.attributes}["service.name"]
    assert service == "ava-web"
    assert [span.name for scope in resource_spans.scope_spans for span in scope.spans] == ["one unit of work"]
