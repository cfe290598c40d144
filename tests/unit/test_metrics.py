"""Metrics: each family moves when its code runs, /metrics is guarded by its token, multiprocess mode adds up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ava_app.api.app import create_api
from ava_app.observability import metrics
from ava_app.observability.reflex_events import EventMetrics, instrument_reflex
from ava_app.services.errors import ProviderUnavailable
from ava_app.settings import get_settings

TOKEN = "metrics-token-" + "k3" * 20
OTHER_TOKEN = "metrics-token-" + "q7" * 20


def sample(name: str, **labels: str) -> float:
    """The value of one sample as a scrape of this process shows it (0 when absent)."""
    body, _content_type = metrics.render()
    for family in text_string_to_metric_families(body.decode()):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


@pytest.fixture()
def api(engine, monkeypatch):
    monkeypatch.setenv("AVA_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield create_api()
    get_settings.cache_clear()


@pytest.fixture()
async def client(api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        yield client


async def test_http_requests_are_counted_by_route_template_and_status(client):
    route = "/api/v1/calls/{call_id}"
    before = sample("ava_http_requests_total", method="GET", route=route, status="401")
    latency_before = sample("ava_http_request_duration_seconds_count", method="GET", route=route)
    for call_id in (101, 202, 303):
        assert (await client.get(f"/api/v1/calls/{call_id}")).status_code == 401
    assert sample("ava_http_requests_total", method="GET", route=route, status="401") == before + 3
    assert sample("ava_http_request_duration_seconds_count", method="GET", route=route) == latency_before + 3
    unmatched = sample("ava_http_requests_total", method="GET", route="unmatched", status="404")
    await client.get("/no/such/page/7d1f")
    assert sample("ava_http_requests_total", method="GET", route="unmatched", status="404") == unmatched + 1
    body, _ = metrics.render()
    assert b"/api/v1/calls/101" not in body and b"7d1f" not in body
    # A route of a mounted app (the dev emulator) keeps its mount point.
    emulator = "/sandbox/vapi/assistant/{id}"
    mounted = sample("ava_http_requests_total", method="GET", route=emulator, status="401")
    await client.get("/sandbox/vapi/assistant/9b2c")
    assert sample("ava_http_requests_total", method="GET", route=emulator, status="401") == mounted + 1


async def test_metrics_needs_its_token(client, monkeypatch):
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer " + OTHER_TOKEN})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/metrics", headers={"Authorization": "Basic " + TOKEN})).status_code == 401
    scrape = await client.get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    assert 'ava_http_requests_total{method="GET",route="/metrics",status="401"}' in scrape.text
    assert "ava_job_queue_depth" in scrape.text
    # Rotation: while both tokens are listed, both scrape.
    monkeypatch.setenv("AVA_METRICS_TOKEN", f"{OTHER_TOKEN},{TOKEN}")
    get_settings.cache_clear()
    for token in (TOKEN, OTHER_TOKEN):
        assert (await client.get("/metrics", headers={"Authorization": "Bearer " + token})).status_code == 200


async def test_metrics_is_not_found_without_a_token(engine, monkeypatch):
    monkeypatch.delenv("AVA_METRICS_TOKEN", raising=False)
    get_settings.cache_clear()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        assert "/metrics" not in (await client.get("/api/openapi.json")).json()["paths"]
    assert response.status_code == 404


def test_a_placeholder_metrics_token_is_refused(monkeypatch):
    from ava_app.settings import ConfigError, load_settings

    monkeypatch.setenv("AVA_METRICS_TOKEN", "secret")
    with pytest.raises(ConfigError, match="AVA_METRICS_TOKEN"):
        load_settings()


def test_jobs_are_counted_by_task_and_outcome(jobs):
    from ava_app.task_queue import task

    @task()
    def metrics_probe_job(fail: bool) -> None:
        if fail:
            raise RuntimeError("probe failure")

    complete = sample("ava_jobs_total", task="metrics_probe_job", outcome="complete")
    errors = sample("ava_jobs_total", task="metrics_probe_job", outcome="error")
    timed = sample("ava_job_duration_seconds_count", task="metrics_probe_job")
    metrics_probe_job(False)
    metrics_probe_job(False)
    metrics_probe_job(True)
    assert sample("ava_jobs_total", task="metrics_probe_job", outcome="complete") == complete + 2
    assert sample("ava_jobs_total", task="metrics_probe_job", outcome="error") == errors + 1
    assert sample("ava_job_duration_seconds_count", task="metrics_probe_job") == timed + 3


def test_queue_depth_and_age_come_from_the_storage(engine):
    from ava_app.task_queue import huey, queue_stats, task

    @task()
    def metrics_waiting_job() -> None:
        """Never run here: the test only looks at the queue."""

    huey.flush()
    try:
        assert queue_stats()["depth"] == 0 and queue_stats()["age"] is None
        metrics_waiting_job()
        metrics_waiting_job()
        stats = queue_stats()
        assert stats["depth"] == 2
        assert stats["age"] is not None and 0 <= stats["age"] < 60
    finally:
        huey.flush()


async def test_vapi_calls_and_breaker_state_are_recorded():
    from ava_app.services.providers.vapi import VapiClient, reset_circuit_breakers

    reset_circuit_breakers()
    answers = iter([httpx.Response(200, json={"id": "a1"}), httpx.Response(503), httpx.Response(503)])

    async def no_wait(_seconds: float) -> None:
        return None

    client = VapiClient(
        base_url="http://vapi.test",
        api_key="probe-key-for-metrics",
        transport=httpx.MockTransport(lambda request: next(answers)),
        max_attempts=1,
        breaker_threshold=2,
        sleep=no_wait,
    )
    ok = sample("ava_provider_calls_total", provider="vapi", operation="GET /assistant", outcome="ok")
    failed = sample("ava_provider_calls_total", provider="vapi", operation="GET /assistant", outcome="_Transient")
    assert (await client.get_assistant(assistant_id="a1"))["id"] == "a1"
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await client.get_assistant(assistant_id="a1")
    await client.aclose()
    assert sample("ava_provider_calls_total", provider="vapi", operation="GET /assistant", outcome="ok") == ok + 1
    assert (
        sample("ava_provider_calls_total", provider="vapi", operation="GET /assistant", outcome="_Transient")
        == failed + 2
    )
    circuits = [
        found
        for family in text_string_to_metric_families(metrics.render()[0].decode())
        for found in family.samples
        if found.name == "ava_provider_circuit_state"
    ]
    assert any(found.value == 2 for found in circuits), circuits
    reset_circuit_breakers()


async def test_twilio_calls_and_sms_are_recorded(monkeypatch):
    from twilio.base.exceptions import TwilioRestException

    from ava_app.services.providers import twilio

    def create(**_kwargs):
        return SimpleNamespace(sid="VE1", to="+14155550100", status="pending", channel="sms")

    verifications = SimpleNamespace(create=create)
    fake = SimpleNamespace(
        verify=SimpleNamespace(v2=SimpleNamespace(services=lambda sid: SimpleNamespace(verifications=verifications)))
    )
    monkeypatch.setattr(twilio, "twilio_client", lambda *args: fake)
    sent = sample("ava_messages_total", channel="sms", status="sent")
    calls = sample("ava_provider_calls_total", provider="twilio", operation="send_code", outcome="ok")
    await twilio.send_verification_code(to="+14155550100", service_sid="VA1")
    assert sample("ava_messages_total", channel="sms", status="sent") == sent + 1
    assert sample("ava_provider_calls_total", provider="twilio", operation="send_code", outcome="ok") == calls + 1

    def refuse(**_kwargs):
        raise TwilioRestException(status=503, uri="/Verifications", msg="busy")

    verifications.create = refuse
    failed = sample("ava_messages_total", channel="sms", status="failed")
    with pytest.raises(ProviderUnavailable):
        await twilio.send_verification_code(to="+14155550100", service_sid="VA1")
    assert sample("ava_messages_total", channel="sms", status="failed") == failed + 1
    assert (
        sample("ava_provider_calls_total", provider="twilio", operation="send_code", outcome="ProviderUnavailable") >= 1
    )


async def test_openai_calls_are_recorded(monkeypatch):
    from openai import AsyncOpenAI

    from ava_app.services.providers import llm

    answer = {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "not json"}}],
    }
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(200, json=answer)))
    fake = AsyncOpenAI(api_key="sk-probe", base_url="http://openai.test/v1", http_client=http, max_retries=0)
    monkeypatch.setattr(llm, "openai_client", lambda access=None: fake)
    ok = sample("ava_provider_calls_total", provider="openai", operation="summarise", outcome="ok")
    with pytest.raises(llm.SummaryFailed):
        await llm.summarise_call(
            transcript="Caller: hello", access=llm.OpenAIAccess(api_key="sk-probe", base_url="", owner="platform")
        )
    # One retry after an unreadable answer: two calls, both answered.
    assert sample("ava_provider_calls_total", provider="openai", operation="summarise", outcome="ok") == ok + 2
    assert sample("ava_provider_call_duration_seconds_count", provider="openai", operation="summarise") >= 2


def test_emails_are_counted_by_status(db, smtp_env, jobs):
    from ava_app.services.messaging import email

    sandbox = sample("ava_messages_total", channel="email", status="sandbox")
    outbox_id = email.send_email(db, to="probe@example.com", subject="Probe", body_text="Hello")  # delivered at once
    assert email.deliver(db, outbox_id=outbox_id)["status"] == "sent"  # already sent: not counted again
    assert sample("ava_messages_total", channel="email", status="sandbox") == sandbox + 1


async def test_reflex_events_and_sessions_through_the_middleware_hook():
    namespace = SimpleNamespace(sid_to_token={"sid-1": "tok-1", "sid-2": "tok-2"})
    added: list = []
    app = SimpleNamespace(event_namespace=namespace, add_middleware=added.append)
    instrument_reflex(app)
    [middleware] = added
    assert isinstance(middleware, EventMetrics)
    handler = "reflex___state____state.ava_app___state___calls____calls_state.load_calls"
    before = sample("ava_reflex_events_total", handler=handler)
    event = SimpleNamespace(name=handler, payload={})
    assert await middleware.preprocess(app=app, state=None, event=event) is None
    assert sample("ava_reflex_events_total", handler=handler) == before + 1
    assert sample("ava_reflex_sessions") == 2
    namespace.sid_to_token.pop("sid-2")
    metrics.render()  # a scrape does not refresh by itself; the /metrics route does
    from ava_app.observability.reflex_events import refresh_instrumented_sessions

    refresh_instrumented_sessions()
    assert sample("ava_reflex_sessions") == 1


def test_instrument_reflex_uses_the_real_app_hook():
    import reflex as rx
    from reflex_base.registry import RegistrationContext

    # A fork, as Reflex asks for a second App in one process: the real app of other tests keeps its registration.
    with RegistrationContext.get().fork():
        app = rx.App()
        instrument_reflex(app)
    assert any(isinstance(middleware, EventMetrics) for middleware in app._middlewares)


_RECORD_IN_CHILD = """
import json, sys
from ava_app.observability import metrics
metrics.record_http(method="GET", route="/probe", status=200, seconds=0.01)
metrics.record_webhook(provider="vapi", outcome="refused", reason="unauthorized")
if sys.argv[1] == "render":
    print(json.dumps(metrics.render()[0].decode()))
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path):
    shared = tmp_path / "metrics"
    env = {**os.environ, "AVA_METRICS_DIR": str(shared), "AVA_ENV": "dev", "AVA_DATA_DIR": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _RECORD_IN_CHILD, "record"], env=env, check=True, timeout=60)
    rendered = subprocess.run(
        [sys.executable, "-c", _RECORD_IN_CHILD, "render"], env=env, check=True, timeout=60, capture_output=True
    )
    body = json.loads(rendered.stdout)
    values = {
        (found.name, tuple(sorted(found.labels.items()))): found.value
        for family in text_string_to_metric_families(body)
        for found in family.samples
    }
    assert values[("ava_http_requests_total", (("method", "GET"), ("route", "/probe"), ("status", "200")))] == 3
    assert (
        values[("ava_webhooks_total", (("outcome", "refused"), ("provider", "vapi"), ("reason", "unauthorized")))] == 3
    )
    assert shared.stat().st_mode & 0o777 == 0o700
    assert len(list(shared.glob("*.db"))) >= 3


def test_reflex_handler_run_times_come_from_reflexs_own_trace_points():
    from reflex_base import otel as reflex_otel

    from ava_app.observability.reflex_events import time_reflex_handlers

    time_reflex_handlers()
    assert reflex_otel.enabled
    handler = "reflex___state____state.ava_app___state___dashboard____dashboard_state.set_period"
    event = SimpleNamespace(name=handler)
    registered = SimpleNamespace(handler=SimpleNamespace(fn=lambda: None, is_background=False))

    def context() -> SimpleNamespace:
        return SimpleNamespace(txid="tx-1", token="tab-token", parent_txid=None, otel_context=None)

    ok_before = sample("ava_reflex_event_duration_seconds_count", handler=handler, outcome="ok")
    failed_before = sample("ava_reflex_event_duration_seconds_count", handler=handler, outcome="ValueError")
    # The context manager Reflex's event processor wraps every handler run in.
    with reflex_otel.event_span(event, context(), registered):
        time.sleep(0.02)
    with pytest.raises(ValueError), reflex_otel.event_span(event, context(), registered):
        raise ValueError("the handler failed")
    assert sample("ava_reflex_event_duration_seconds_count", handler=handler, outcome="ok") == ok_before + 1
    assert sample("ava_reflex_event_duration_seconds_count", handler=handler, outcome="ValueError") == (
        failed_before + 1
    )
    # The 20 ms run lands in the 25 ms bucket, not the 10 ms one.
    assert sample("ava_reflex_event_duration_seconds_bucket", handler=handler, outcome="ok", le="0.01") == 0
    assert sample("ava_reflex_event_duration_seconds_bucket", handler=handler, outcome="ok", le="0.025") >= 1
