"""POST /api/v1/webhooks/vapi through the ASGI app: authentication, size and shape checks, answers Vapi expects."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import select

from ava_app.api import webhooks
from ava_app.api.app import create_api
from ava_app.models import Call, WebhookEvent
from ava_app.services.ingest import events as vapi_events
from tests.factories import make_assistant, make_phone_number, make_tenant, make_webhook_secret
from tests.fixtures import CONTRACT_FIXTURES

FIXTURES = CONTRACT_FIXTURES
URL = "/api/v1/webhooks/vapi"
SECRET = "whsec_ava_test_6b1f0c2d9e"
TENANT_SECRET = "tenant-own-secret-5d1c"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def shape(value):
    """The JSON structure without the values: keys of objects, the shape of list items, the type of scalars."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


@pytest.fixture()
def api(engine, monkeypatch):
    from ava_app.settings import get_settings

    monkeypatch.setenv("AVA_VAPI_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    app = create_api()
    yield app
    get_settings.cache_clear()


@pytest.fixture()
async def client(api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        yield client


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Bright Smile Dental")
    make_webhook_secret(db, tenant=tenant, secret=TENANT_SECRET)
    assistant = make_assistant(
        db,
        tenant=tenant,
        provider_assistant_id="d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60",
        knowledge_base=[{"question": "Do you take insurance?", "answer": "Yes, most PPO plans."}],
    )
    make_phone_number(
        db,
        tenant=tenant,
        e164="+14155550142",
        provider_number_id="a7e5b3c1-9d2f-4e8a-b6c4-0d1e2f3a4b5c",
        assistant_id=assistant.id,
    )
    return tenant


def stored(db) -> list[WebhookEvent]:
    db.expire_all()
    return list(db.exec(select(WebhookEvent)).all())


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Vapi-Secret": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {SECRET}"}],
)
async def test_missing_or_wrong_secret_is_401_and_stores_nothing(client, db, business, headers):
    before = webhooks.counters.get("unauthorized")
    response = await client.post(URL, json=load("status-update"), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert webhooks.counters.get("unauthorized") == before + 1
    assert stored(db) == []
    assert db.exec(select(Call)).all() == []


@pytest.mark.parametrize("header", ["X-Vapi-Secret", "Authorization"])
async def test_platform_secret_in_either_header_is_accepted(client, db, business, header):
    value = SECRET if header == "X-Vapi-Secret" else f"Bearer {SECRET}"
    response = await client.post(URL, json=load("status-update"), headers={header: value})
    assert response.status_code == 200 and response.json() == {}
    (event,) = stored(db)
    assert event.tenant_id == business.id and event.processed_at is not None


async def test_tenant_secret_is_accepted_and_scoped_to_its_tenant(client, db, business):
    response = await client.post(URL, json=load("status-update"), headers={"X-Vapi-Secret": TENANT_SECRET})
    assert response.status_code == 200
    assert db.exec(select(Call)).one().tenant_id == business.id
    make_webhook_secret(db, tenant=make_tenant(db, name="Other"), secret="other-secret")
    response = await client.post(URL, json=load("status-update.ended"), headers={"X-Vapi-Secret": "other-secret"})
    assert response.status_code == 200  # stored with its error, never a 500
    db.expire_all()
    assert db.exec(select(Call)).one().status == "in-progress"
    assert "another tenant" in stored(db)[-1].error


async def test_body_over_one_mebibyte_is_413(client, db, business):
    body = load("hang")
    body["message"]["padding"] = "x" * (webhooks.MAX_BODY_BYTES + 1)
    response = await client.post(URL, json=body, headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 413

    async def chunks():
        # Streamed without Content-Length: the size is counted while reading.
        data = json.dumps(body).encode()
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    response = await client.post(URL, content=chunks(), headers={"X-Vapi-Secret": SECRET})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert stored(db) == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"message": {"call": {}}}', "message.type"),
        (b'{"nothing": 1}', '{"message"'),
    ],
)
async def test_malformed_body_is_400_with_a_clear_message(client, db, content, needle):
    response = await client.post(
        URL, content=content, headers={"X-Vapi-Secret": SECRET, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert needle in response.json()["message"]
    assert stored(db) == []


async def test_unknown_type_is_stored_and_answered_200(client, db, business):
    body = load("hang")
    body["message"]["type"] = "language-change-detected"
    response = await client.post(URL, json=body, headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200 and response.json() == {}
    assert stored(db)[0].event_type == "language-change-detected"


async def test_tool_calls_answer_has_the_contract_shape(client, db, business):
    body = load("tool-calls")
    for item in (body["message"]["toolCallList"][0], body["message"]["toolWithToolCallList"][0]["toolCall"]):
        item["function"].update(name="lookup_faq", arguments='{"question": "insurance?"}')
    response = await client.post(URL, json=body, headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200
    assert shape(response.json()) == shape(load("tool-calls.response"))
    (result,) = response.json()["results"]
    assert result == {
        "toolCallId": "call_7hR2kVq9Lm4Tz8Xc1Bn5Jd0W",
        "name": "lookup_faq",
        "result": "Yes, most PPO plans.",
    }


async def test_unknown_tool_answers_an_error_result_not_a_500(client, db, business):
    # The contract's sample calls book_appointment, which AVA now has: ask for a tool it does not have.
    body = json.loads(json.dumps(load("tool-calls")).replace('"book_appointment"', '"order_pizza"'))
    response = await client.post(URL, json=body, headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert set(result) == {"toolCallId", "name", "error"} and result["name"] == "order_pizza"


async def test_assistant_request_answers_with_an_assistant_or_an_error(client, db, business):
    response = await client.post(URL, json=load("assistant-request"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200
    assert response.json()["assistantId"] == "d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60"
    unknown = load("assistant-request")
    unknown["message"]["call"]["phoneNumberId"] = "not-ours"
    unknown["message"]["phoneNumber"]["number"] = "+19995550000"
    response = await client.post(URL, json=unknown, headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200 and set(response.json()) == {"error"}


async def test_end_of_call_report_is_stored_then_applied_by_its_job(api, client, db, business):
    queued = []
    api.dependency_overrides[webhooks.get_enqueue_apply] = lambda: queued.append
    response = await client.post(URL, json=load("end-of-call-report"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200 and response.json() == {}
    (event,) = stored(db)
    assert queued == [event.id] and event.processed_at is None
    assert db.exec(select(Call)).all() == [], "the route only stores the report"

    ended = []
    vapi_events.apply_stored_event(db, event_id=event.id, on_call_ended=ended.append)
    call = db.exec(select(Call)).one()
    assert ended == [call.id] and call.status == "ended"

    again = await client.post(URL, json=load("end-of-call-report"), headers={"X-Vapi-Secret": SECRET})
    vapi_events.apply_stored_event(db, event_id=event.id, on_call_ended=ended.append)
    assert again.status_code == 200 and queued == [event.id] and ended == [call.id]


async def test_report_runs_the_whole_pipeline_through_the_queue(client, db, business, jobs, smtp_env):
    response = await client.post(URL, json=load("end-of-call-report"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200
    call = db.exec(select(Call)).one()
    (event,) = stored(db)
    assert event.processed_at is not None and event.error is None
    assert (call.status, call.summary_status, call.email_status) == ("ended", "done", "skipped")
    assert call.summary and call.summary_source == "local"


async def test_queue_outage_still_answers_200_and_keeps_the_event_for_the_sweep(api, client, db, business):
    def down(event_id):
        raise ConnectionError("queue down")

    api.dependency_overrides[webhooks.get_enqueue_apply] = lambda: down
    response = await client.post(URL, json=load("end-of-call-report"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200
    (event,) = stored(db)
    assert event.processed_at is None and event.error is None


async def test_handler_failure_is_stored_and_still_answered(client, db, business, monkeypatch):
    def explode(session, event):
        raise KeyError("surprise")

    monkeypatch.setitem(vapi_events._HANDLERS, "status-update", explode)
    response = await client.post(URL, json=load("status-update"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200 and response.json() == {}
    (event,) = stored(db)
    assert "surprise" in event.error and json.loads(event.payload)["message"]["type"] == "status-update"


async def test_storage_outage_is_503_not_500(client, db, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(webhooks, "accept_vapi_event", down)
    response = await client.post(URL, json=load("hang"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 503


async def test_route_is_documented(client):
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    assert URL in paths


# --- a tenant on its own Vapi account: its own secret -----------------------------------------------------------------


def _own_account_tenant(db) -> tuple[int, str, str]:
    """A tenant that saved its own Vapi key: (tenant id, its webhook secret, its Vapi assistant id)."""
    from ava_app.services import credentials

    tenant = make_tenant(db, name="Own Vapi Org")
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "own-org-private-key"})
    assistant = make_assistant(db, tenant=tenant, provider_assistant_id="own-org-assistant-1")
    secret = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret
    return tenant.id, secret, assistant.provider_assistant_id


def _for_assistant(name: str, *, assistant_id: str, call_id: str) -> dict:
    body = load(name)
    body["message"]["call"].update(id=call_id, assistantId=assistant_id, phoneNumberId=None)
    body["message"].pop("phoneNumber", None)
    return body


async def test_own_tenant_secret_is_accepted_for_that_tenants_calls(client, db, business):
    tenant_id, secret, assistant_id = _own_account_tenant(db)

    body = _for_assistant("status-update", assistant_id=assistant_id, call_id="own-call-1")
    response = await client.post(URL, json=body, headers={"X-Vapi-Secret": secret})

    assert response.status_code == 200
    call = db.exec(select(Call)).one()
    assert call.tenant_id == tenant_id and call.provider_call_id == "own-call-1"
    assert stored(db)[-1].tenant_id == tenant_id and stored(db)[-1].error is None


async def test_own_tenant_secret_cannot_touch_another_tenants_calls(client, db, business):
    _, secret, _ = _own_account_tenant(db)

    # A call of the other tenant (resolved by its number and assistant) is not created under this secret...
    response = await client.post(URL, json=load("status-update"), headers={"X-Vapi-Secret": secret})
    assert response.status_code == 200
    assert db.exec(select(Call)).all() == []
    assert "no tenant matches" in stored(db)[-1].error
    # ...nor changed once it exists, nor answered with its data through a tool.
    await client.post(URL, json=load("status-update"), headers={"X-Vapi-Secret": SECRET})
    ended = await client.post(URL, json=load("status-update.ended"), headers={"X-Vapi-Secret": secret})
    tools = load("tool-calls")
    tools["message"]["toolCallList"][0]["function"].update(name="lookup_faq", arguments='{"question": "insurance?"}')
    answer = await client.post(URL, json=tools, headers={"X-Vapi-Secret": secret})

    assert ended.status_code == 200 and "another tenant" in stored(db)[-2].error
    db.expire_all()
    assert db.exec(select(Call)).one().status == "in-progress"
    (result,) = answer.json()["results"]
    assert "result" not in result and "Yes, most PPO plans." not in json.dumps(answer.json())


async def test_removing_the_vapi_key_retires_the_tenant_secret(client, db, business):
    from ava_app.services import credentials

    tenant_id, secret, assistant_id = _own_account_tenant(db)
    credentials.delete_credential(db, tenant_id=tenant_id, provider="vapi")

    body = _for_assistant("status-update", assistant_id=assistant_id, call_id="own-call-2")
    response = await client.post(URL, json=body, headers={"X-Vapi-Secret": secret})

    assert response.status_code == 401 and stored(db) == []
