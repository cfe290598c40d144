"""Dead letters: a webhook event whose apply failed is listed for platform admins, who send it back to the queue."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from ava_app import manage
from ava_app.models import Call, WebhookEvent
from ava_app.services import accounts, api_keys, rate_limits
from ava_app.services.ingest import events as vapi_events
from ava_app.services.passwords import hash_password
from tests.factories import make_user
from tests.integration.test_vapi_webhook_api import SECRET, URL, api, business, client

__all__ = ["api", "business", "client"]

PASSWORD = "a long pass phrase 42"
DEAD_LETTERS = "/api/v1/admin/dead-letters"
ASSISTANT_ID = "d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60"


def report(call_id: str) -> dict:
    return {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "startedAt": "2025-06-03T16:04:13.020Z",
            "endedAt": "2025-06-03T16:05:13.020Z",
            "call": {"id": call_id, "assistantId": ASSISTANT_ID, "type": "inboundPhoneCall"},
            "artifact": {"messages": [{"role": "user", "message": "My crown came off.", "secondsFromStart": 2.0}]},
        }
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def operator(db) -> str:
    """The access token of a platform admin, who belongs to no organisation."""
    rate_limits.reset_rate_limits()
    make_user(db, email="operator@ava.example", password_hash=hash_password(PASSWORD))
    manage.set_platform_admin(email="operator@ava.example", granted=True)
    return accounts.login(db, email="operator@ava.example", password=PASSWORD).access_token


@pytest.fixture()
def owner(db, business) -> str:
    """The access token of the organisation's own admin: no platform admin."""
    make_user(db, tenant=business, role="admin", email="owner@smile.example", password_hash=hash_password(PASSWORD))
    return accounts.login(db, email="owner@smile.example", password=PASSWORD).access_token


@pytest.fixture()
def broken_reports(monkeypatch):
    """Make every end-of-call report fail to apply while ``state["broken"]`` is true."""
    state = {"broken": True}
    original = vapi_events._HANDLERS["end-of-call-report"]

    def flaky(session, event):
        if state["broken"]:
            raise RuntimeError("forced apply failure")
        return original(session, event)

    monkeypatch.setitem(vapi_events._HANDLERS, "end-of-call-report", flaky)
    return state


async def test_a_failed_apply_is_a_dead_letter_and_a_retry_applies_it(
    client, db, business, jobs, smtp_env, operator, broken_reports
):
    response = await client.post(URL, json=report("call-dead-1"), headers={"X-Vapi-Secret": SECRET})
    assert response.status_code == 200  # stored: Vapi is never told about the apply
    assert db.exec(select(Call)).all() == []

    listed = await client.get(DEAD_LETTERS, headers=bearer(operator))
    assert listed.status_code == 200, listed.text
    (letter,) = listed.json()["items"]
    assert letter["tenant_name"] == "Bright Smile Dental" and letter["tenant_id"] == business.id
    assert letter["event_type"] == "end-of-call-report" and letter["provider"] == "vapi"
    assert "forced apply failure" in letter["error"] and letter["attempts"] >= 1
    assert "payload" not in letter and listed.json()["next_before_id"] is None

    broken_reports["broken"] = False
    retried = await client.post(f"{DEAD_LETTERS}/{letter['id']}/retry", headers=bearer(operator))
    assert retried.status_code == 202, retried.text
    db.expire_all()
    call = db.exec(select(Call).where(Call.provider_call_id == "call-dead-1")).one()
    assert call.status == "ended" and call.tenant_id == business.id
    event = db.get(WebhookEvent, letter["id"])
    assert event.processed_at is not None and event.error is None
    assert (await client.get(DEAD_LETTERS, headers=bearer(operator))).json()["items"] == []
    # Applied now: a second retry has nothing to retry.
    again = await client.post(f"{DEAD_LETTERS}/{letter['id']}/retry", headers=bearer(operator))
    assert again.status_code == 404


async def test_a_retry_that_fails_again_stays_listed_with_one_more_attempt(
    client, db, business, jobs, smtp_env, operator, broken_reports
):
    await client.post(URL, json=report("call-dead-2"), headers={"X-Vapi-Secret": SECRET})
    (letter,) = (await client.get(DEAD_LETTERS, headers=bearer(operator))).json()["items"]
    retried = await client.post(f"{DEAD_LETTERS}/{letter['id']}/retry", headers=bearer(operator))
    assert retried.status_code == 202
    (after,) = (await client.get(DEAD_LETTERS, headers=bearer(operator))).json()["items"]
    assert after["id"] == letter["id"] and after["attempts"] == letter["attempts"] + 1


async def test_the_job_queue_retries_then_leaves_a_dead_letter_not_a_lost_call(db, business, broken_reports):
    from ava_app.services.ingest.tasks import apply_webhook_event

    message = report("call-dead-3")["message"]
    stored = vapi_events.store_vapi_event(db, message=message, raw=json.dumps({"message": message}))
    for _ in range(9):  # huey's first run and its eight retries
        with pytest.raises(RuntimeError):
            apply_webhook_event.call_local(stored.event_id)
    db.expire_all()
    event = db.get(WebhookEvent, stored.event_id)
    assert event.attempts == 9 and event.processed_at is None and "forced" in event.error


async def test_only_platform_admins_list_or_retry_dead_letters(client, db, business, jobs, owner, broken_reports):
    await client.post(URL, json=report("call-dead-4"), headers={"X-Vapi-Secret": SECRET})
    (event,) = db.exec(select(WebhookEvent)).all()
    key = api_keys.create_api_key(
        db, principal=accounts.authenticate(db, access_token=owner), name="Back office", role="admin"
    ).key
    for headers, expected in ((bearer(owner), 403), (bearer(key), 403), ({}, 401)):
        listed = await client.get(DEAD_LETTERS, headers=headers)
        assert listed.status_code == expected, listed.text
        assert "forced apply failure" not in listed.text
        retried = await client.post(f"{DEAD_LETTERS}/{event.id}/retry", headers=headers)
        assert retried.status_code == expected, retried.text
    db.expire_all()
    assert db.get(WebhookEvent, event.id).attempts == 1, "a refused retry runs nothing"


async def test_the_page_state_lists_and_retries_for_a_platform_admin(
    client, db, business, jobs, smtp_env, operator, broken_reports
):
    import importlib

    import reflex as rx
    from reflex.istate.data import HeaderData, RouterData

    from ava_app.state.dead_letters import DeadLettersState
    from tests.unit.test_state_tenant_isolation import browser_cookie, run

    importlib.import_module("ava_app.ava_app")
    await client.post(URL, json=report("call-dead-5"), headers={"X-Vapi-Secret": SECRET})
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(DeadLettersState.get_full_name().split(".")[1:])
    signed_in = accounts.login(db, email="operator@ava.example", password=PASSWORD)
    state.router = RouterData(headers=HeaderData(cookie=browser_cookie(signed_in)))
    assert await run(state, "load_dead_letters") == []
    (row,) = state.letters
    assert row["tenant"] == "Bright Smile Dental" and "forced apply failure" in row["error"]
    broken_reports["broken"] = False
    assert await run(state, "retry", row["id"]) == ["toast:success"]
    assert state.letters == [] and state.retrying == 0
    assert db.exec(select(Call).where(Call.provider_call_id == "call-dead-5")).one().status == "ended"
