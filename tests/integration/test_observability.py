"""Readiness, webhook metrics, the refused-webhook limit and a webhook's request id reaching the job it enqueued."""

from __future__ import annotations

import json
import logging
import threading

import httpx
import pytest

from ava_app import task_queue
from ava_app.api.app import create_api
from ava_app.observability.logs import RequestIdFilter
from ava_app.services.rate_limits import reset_rate_limits
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_phone_number, make_tenant
from tests.fixtures import CONTRACT_FIXTURES
from tests.unit.test_metrics import sample

VAPI_URL = "/api/v1/webhooks/vapi"
TWILIO_URL = "/api/v1/webhooks/twilio/status"
SECRET = "whsec_ava_observability_5c2e9d1a"


def load(name: str) -> dict:
    return json.loads((CONTRACT_FIXTURES / f"{name}.json").read_text())


@pytest.fixture()
def api(engine, monkeypatch):
    monkeypatch.setenv("AVA_VAPI_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    reset_rate_limits()
    yield create_api()
    reset_rate_limits()
    get_settings.cache_clear()


@pytest.fixture()
async def client(api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        yield client


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Harbour Physio")
    assistant = make_assistant(db, tenant=tenant, provider_assistant_id="d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60")
    make_phone_number(
        db,
        tenant=tenant,
        e164="+14155550142",
        provider_number_id="a7e5b3c1-9d2f-4e8a-b6c4-0d1e2f3a4b5c",
        assistant_id=assistant.id,
    )
    return tenant


async def test_readyz_reports_every_component(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    expected = {"status": "ok", "database": "ok", "queue": "ok"}
    if get_settings().redis_url:
        expected["redis"] = "ok"
    assert response.json() == expected
    assert (await client.get("/healthz")).json() == {"status": "ok", "database": "ok"}


async def test_readyz_names_an_unreachable_redis(client, monkeypatch):
    task_queue.queue_is_reachable()  # the queue is built on the test's own storage before Redis "goes away"
    monkeypatch.setenv("AVA_REDIS_URL", "redis://127.0.0.1:1/1")
    get_settings.cache_clear()
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and "redis" in body["failed"]
    assert body["redis"] == "unreachable" and body["database"] == "ok"
    # Liveness does not depend on Redis: the process is alive and must not be restarted for it.
    assert (await client.get("/healthz")).status_code == 200
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_readyz_names_an_unreachable_queue(client, monkeypatch):
    storage = task_queue.huey.storage

    def unreachable() -> int:
        raise ConnectionError("queue storage gone")

    monkeypatch.setattr(storage, "queue_size", unreachable)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["queue"] and response.json()["queue"] == "unreachable"


async def test_webhooks_are_counted_accepted_and_refused(client, business):
    accepted = sample("ava_webhooks_total", provider="vapi", outcome="accepted", reason="")
    unknown = sample("ava_webhooks_total", provider="vapi", outcome="refused", reason="unauthorized")
    invalid = sample("ava_webhooks_total", provider="vapi", outcome="refused", reason="invalid_payload")
    unsigned = sample("ava_webhooks_total", provider="twilio", outcome="refused", reason="forbidden")
    assert (await client.post(VAPI_URL, json=load("status-update"), headers={"X-Vapi-Secret": SECRET})).is_success
    assert (await client.post(VAPI_URL, json={}, headers={"X-Vapi-Secret": "nope"})).status_code == 401
    assert (await client.post(VAPI_URL, content=b"[1]", headers={"X-Vapi-Secret": SECRET})).status_code == 400
    assert (await client.post(TWILIO_URL, data={"CallSid": "CA1"})).status_code == 403
    assert sample("ava_webhooks_total", provider="vapi", outcome="accepted", reason="") == accepted + 1
    assert sample("ava_webhooks_total", provider="vapi", outcome="refused", reason="unauthorized") == unknown + 1
    assert sample("ava_webhooks_total", provider="vapi", outcome="refused", reason="invalid_payload") == invalid + 1
    assert sample("ava_webhooks_total", provider="twilio", outcome="refused", reason="forbidden") == unsigned + 1


async def test_a_secret_guesser_is_limited_and_valid_webhooks_are_not(client, business):
    for attempt in range(60):
        guess = await client.post(VAPI_URL, json={}, headers={"X-Vapi-Secret": f"guess-{attempt}"})
        assert guess.status_code == 401
    limited = await client.post(VAPI_URL, json={}, headers={"X-Vapi-Secret": "guess-61"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate_limited"
    # The same address with the right secret is never limited, however often it comes.
    for _ in range(3):
        valid = await client.post(VAPI_URL, json=load("status-update"), headers={"X-Vapi-Secret": SECRET})
        assert valid.status_code == 200
    # Unsigned Twilio requests count against the same guesser.
    assert (await client.post(TWILIO_URL, data={"CallSid": "CA1"})).status_code == 429
    assert sample("ava_webhooks_total", provider="vapi", outcome="refused", reason="rate_limited") >= 1


async def test_a_webhooks_request_id_reaches_the_job_it_enqueued(client, business, caplog):
    queue = task_queue._huey()
    queue.flush()
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    try:
        response = await client.post(
            VAPI_URL,
            json=load("end-of-call-report"),
            headers={"X-Vapi-Secret": SECRET, "X-Request-ID": "wh-trace-7f3a"},
        )
        assert response.status_code == 200 and response.headers["x-request-id"] == "wh-trace-7f3a"
        job = queue.dequeue()
        assert job is not None and job.name == "apply_webhook_event"
        assert job.kwargs[task_queue.JOB_CONTEXT_KWARG]["request_id"] == "wh-trace-7f3a"

        # A worker thread of its own, with no request around it: the id comes with the job.
        worker = threading.Thread(target=queue.execute, args=(job,), name="probe-worker")
        worker.start()
        worker.join(timeout=60)
        job_lines = [record for record in caplog.records if record.threadName == "probe-worker"]
        assert any(record.getMessage() == "job apply_webhook_event started" for record in job_lines)
        assert any(record.name == "huey" and "executed in" in record.getMessage() for record in job_lines)
        # Every line from the moment the job starts (huey logs "Executing" just before) carries the webhook's id.
        started = next(index for index, record in enumerate(job_lines) if record.name != "huey")
        assert {record.request_id for record in job_lines[started:]} == {"wh-trace-7f3a"}

        # And on to the job that one enqueued (the call's summary), still under the webhook's id.
        follow_up = [pending for pending in queue.pending() if pending.name != "apply_webhook_event"]
        assert follow_up, "the applied report enqueues the call's post-call job"
        assert {pending.kwargs[task_queue.JOB_CONTEXT_KWARG]["request_id"] for pending in follow_up} == {
            "wh-trace-7f3a"
        }
    finally:
        queue.flush()
