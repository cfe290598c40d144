"""POST /api/v1/webhooks/twilio/voice and /status through the ASGI app: signatures, refusals, TwiML answers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from ava_app.api import webhooks
from ava_app.api.app import create_api
from ava_app.models import Call, WebhookEvent, utcnow
from ava_app.services import credentials, post_call, twilio_voice
from ava_app.services.providers import twilio
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_phone_number, make_tenant
from tests.fixtures import CONTRACT_FIXTURES

FIXTURES = CONTRACT_FIXTURES
VOICE = "/api/v1/webhooks/twilio/voice"
STATUS = "/api/v1/webhooks/twilio/status"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


INBOUND = fixture("twilio-inbound-voice")
STATUS_CALLBACK = fixture("twilio-status-callback")
# The fixtures' Twilio account and token stand for an organisation's own Twilio account.
TENANT_ACCOUNT = INBOUND["form"]["AccountSid"]
TENANT_TOKEN = INBOUND["auth_token"]


def signed(path: str, body: str, *, token: str = "", query: str = "") -> dict[str, str]:
    """The headers Twilio would send: the form content type and the signature of PUBLIC_URL + path (+ query).

    ``token`` defaults to this installation's sandbox account token (random, kept in the data folder).
    """
    token = token or sandbox_keys().twilio_auth_token
    url = get_settings().public_url + path + (f"?{query}" if query else "")
    params = twilio_voice.parse_twilio_form(body.encode()).params
    return {**FORM, "X-Twilio-Signature": twilio.sign_webhook(url=url, params=params, auth_token=token)}


def stored(db) -> list[WebhookEvent]:
    db.expire_all()
    return list(db.exec(select(WebhookEvent)).all())


def calls(db) -> list[Call]:
    db.expire_all()
    return list(db.exec(select(Call)).all())


def elements(response: httpx.Response) -> list[str]:
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return [child.tag for child in root]


@pytest.fixture()
def api(engine, monkeypatch):
    # Sandbox Twilio: the platform token is the emulator's, as on a machine without Twilio credentials.
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    app = create_api()
    ended: list[int] = []
    app.dependency_overrides[webhooks.get_on_call_ended] = lambda: ended.append
    app.state.ended = ended
    yield app
    get_settings.cache_clear()


@pytest.fixture()
async def client(api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        yield client


@pytest.fixture()
def business(db):
    """A number AVA bought (platform account), imported into Vapi, no hours set (always open)."""
    tenant = make_tenant(db, name="Bright Smile Dental")
    assistant = make_assistant(db, tenant=tenant, provider_assistant_id="d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60")
    number = make_phone_number(
        db,
        tenant=tenant,
        e164=INBOUND["form"]["To"],
        provider="twilio",
        provider_number_id="a7e5b3c1-9d2f-4e8a-b6c4-0d1e2f3a4b5c",
        assistant_id=assistant.id,
    )
    return tenant, number


@pytest.fixture()
def tenant_number(db, business):
    """The same number imported from the organisation's own Twilio account, its credentials saved."""
    tenant, number = business
    number.twilio_account_sid = TENANT_ACCOUNT
    db.add(number)
    db.commit()
    credentials.save_credential(
        db, tenant_id=tenant.id, provider="twilio", secret={"account_sid": TENANT_ACCOUNT, "auth_token": TENANT_TOKEN}
    )
    return tenant, number


async def test_signed_fixture_call_is_handed_to_vapi_as_twiml(client, db, business):
    tenant, _number = business
    body = INBOUND["raw_body"]
    response = await client.post(VOICE, content=body, headers=signed(VOICE, body))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    assert elements(response) == ["Redirect"]
    assert ET.fromstring(response.text)[0].text.endswith("/twilio/inbound_call")
    [event] = stored(db)
    assert (event.provider, event.event_type, event.tenant_id) == ("twilio", "voice:ai", tenant.id)
    assert event.payload == body


async def test_a_call_forwarded_from_the_owners_line_during_the_check_confirms_the_forwarding(client, db, business):
    _tenant, number = business
    number.forwarded_from = "+14155550100"
    db.add(number)
    db.commit()
    spoofed = urlencode({**INBOUND["form"], "CallSid": "CA" + "e" * 32, "ForwardedFrom": "+14155550100"})
    assert (await client.post(VOICE, content=spoofed, headers=signed(VOICE, spoofed))).status_code == 200
    db.refresh(number)
    assert number.forwarding_confirmed_at is None, "before the owner starts a check, ForwardedFrom proves nothing"

    number.forwarding_check_until = utcnow() + timedelta(minutes=10)
    db.add(number)
    db.commit()
    other = urlencode({**INBOUND["form"], "ForwardedFrom": "+14155550199"})
    assert (await client.post(VOICE, content=other, headers=signed(VOICE, other))).status_code == 200
    db.refresh(number)
    assert number.forwarding_confirmed_at is None, "a call forwarded from another line proves nothing"

    form = {**INBOUND["form"], "CallSid": "CA" + "f" * 32, "ForwardedFrom": "+14155550100"}
    body = urlencode(form)
    assert (await client.post(VOICE, content=body, headers=signed(VOICE, body))).status_code == 200
    db.refresh(number)
    assert number.forwarding_confirmed_at is not None


async def test_outside_hours_forward_is_a_dial_and_a_live_call(client, db, business):
    _tenant, number = business
    number.business_hours = {"monday": []}  # hours set, but never open
    number.after_hours_action, number.forwarding_number = "forward", "+14155550100"
    db.add(number)
    db.commit()
    body = INBOUND["raw_body"]
    response = await client.post(VOICE, content=body, headers=signed(VOICE, body))
    assert response.status_code == 200
    assert elements(response) == ["Say", "Dial", "Hangup"]
    assert ET.fromstring(response.text)[1].text == "+14155550100"
    [call] = calls(db)
    assert (call.provider_call_id, call.status, call.outcome) == (INBOUND["form"]["CallSid"], "ringing", "forwarded")


async def test_tenant_number_is_checked_with_the_tenants_own_token(client, db, tenant_number):
    tenant, _number = tenant_number
    body = INBOUND["raw_body"]
    by_platform = await client.post(VOICE, content=body, headers=signed(VOICE, body))
    assert by_platform.status_code == 403
    assert stored(db) == []
    response = await client.post(VOICE, content=body, headers=signed(VOICE, body, token=TENANT_TOKEN))
    assert response.status_code == 200
    assert elements(response) == ["Redirect"]
    assert [event.tenant_id for event in stored(db)] == [tenant.id]


async def test_tenant_number_without_readable_credentials_is_refused(client, db, tenant_number):
    tenant, _number = tenant_number
    credentials.delete_credential(db, tenant_id=tenant.id, provider="twilio")
    body = INBOUND["raw_body"]
    response = await client.post(VOICE, content=body, headers=signed(VOICE, body, token=TENANT_TOKEN))
    assert response.status_code == 403
    assert stored(db) == []


@pytest.mark.parametrize(
    "case", ["missing", "empty", "wrong_token", "tampered_body", "other_path", "extra_query", "status_path"]
)
async def test_bad_or_missing_signature_is_403_and_changes_nothing(client, db, business, case):
    body = INBOUND["raw_body"]
    headers = signed(VOICE, body)
    url = VOICE
    if case == "missing":
        headers.pop("X-Twilio-Signature")
    elif case == "empty":
        headers["X-Twilio-Signature"] = ""
    elif case == "wrong_token":
        headers = signed(VOICE, body, token="0" * 32)
    elif case == "tampered_body":
        body = body.replace("From=%2B16505550199", "From=%2B15550000000")
    elif case == "other_path":
        headers = signed("/api/webhooks/twilio/voice", body)
    elif case == "extra_query":
        url = VOICE + "?tenant=tnt_8c41"
    elif case == "status_path":
        url = STATUS
    before = webhooks.counters.get("twilio_forbidden")
    response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert webhooks.counters.get("twilio_forbidden") == before + 1
    assert stored(db) == [] and calls(db) == []


async def test_unknown_number_is_a_polite_goodbye(client, db, business):
    body = INBOUND["raw_body"].replace("To=%2B14155550142", "To=%2B14155550999")
    response = await client.post(VOICE, content=body, headers=signed(VOICE, body))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert elements(response) == ["Say", "Hangup"]
    assert "not in service" in response.text
    assert calls(db) == []
    assert [event.event_type for event in stored(db)] == ["voice:unknown"]


async def test_body_over_one_megabyte_is_413(client, db, business):
    body = INBOUND["raw_body"] + "&Padding=" + "x" * (1024 * 1024)
    response = await client.post(VOICE, content=body, headers={**FORM, "X-Twilio-Signature": "anything"})
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"

    async def chunks():
        # No Content-Length: the size is counted as the body arrives.
        for _ in range(17):
            yield b"x" * 65536

    response = await client.post(STATUS, content=chunks(), headers={**FORM, "X-Twilio-Signature": "anything"})
    assert response.status_code == 413
    assert stored(db) == []


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"this is not a form", "application/x-www-form-urlencoded", "name=value"),
        (b"To=\xff\xfe", "application/x-www-form-urlencoded", "UTF-8"),
        (b'{"CallSid": "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0"}', "application/json", "form posts"),
    ],
)
async def test_a_body_that_is_not_a_form_is_400(client, db, business, body, content_type, message):
    for path in (VOICE, STATUS):
        response = await client.post(
            path, content=body, headers={"Content-Type": content_type, "X-Twilio-Signature": "x"}
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_payload"
        assert message in response.json()["message"]
    assert stored(db) == []


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        (VOICE, {"To": "+14155550142", "From": "+16505550199"}, "CallSid is missing."),
        (VOICE, {"CallSid": "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0", "From": "+16505550199"}, "To is missing."),
        (VOICE, {"CallSid": "not-a-sid", "To": "+14155550142"}, "not a Twilio call SID"),
        (STATUS, {"CallSid": "CA9f8e7d6c5b4a39281706f5e4d3c2b1a0", "To": "+14155550142"}, "CallStatus is missing."),
        (STATUS, {}, "CallSid is missing."),
    ],
)
async def test_a_signed_form_without_the_call_fields_is_400(client, db, business, path, fields, message):
    body = urlencode(fields)
    response = await client.post(path, content=body, headers=signed(path, body))
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert stored(db) == [] and calls(db) == []


async def test_status_callbacks_end_the_call_once_and_enqueue_post_call(api, client, db, business):
    _tenant, number = business
    number.provider_number_id = None  # AVA answers this number's calls itself: it keeps the call row
    db.add(number)
    db.commit()
    form = {
        **INBOUND["form"],
        "CallStatus": "completed",
        "CallDuration": "31",
        "CallbackSource": "call-progress-events",
    }
    body = urlencode(form)
    for _ in range(2):
        response = await client.post(STATUS, content=body, headers=signed(STATUS, body))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        assert elements(response) == []
    late = urlencode({**form, "CallStatus": "ringing"})
    assert (await client.post(STATUS, content=late, headers=signed(STATUS, late))).status_code == 200
    [call] = calls(db)
    assert (call.status, call.outcome, call.duration_seconds, call.caller_number) == (
        "ended",
        "answered",
        31,
        "+16505550199",
    )
    assert api.state.ended == [call.id]
    assert len(stored(db)) == 2


async def test_voicemail_record_action_is_kept_and_answered_with_a_hangup(client, db, business):
    _tenant, number = business
    number.provider_number_id = None
    db.add(number)
    db.commit()
    body = INBOUND["raw_body"]
    voice = await client.post(VOICE, content=body, headers=signed(VOICE, body))
    assert elements(voice) == ["Say", "Record", "Hangup"]  # no AI reachable: the voicemail
    action = urlencode(
        {
            **INBOUND["form"],
            "CallStatus": "in-progress",
            "RecordingSid": "RE" + "5" * 32,
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "5" * 32,
            "RecordingDuration": "12",
        }
    )
    response = await client.post(STATUS, content=action, headers=signed(STATUS, action))
    assert response.status_code == 200
    assert elements(response) == ["Hangup"]
    [call] = calls(db)
    assert call.status == "in-progress" and call.recording_url.endswith("RE" + "5" * 32)


async def test_status_signature_covers_the_query_string(client, db):
    tenant = make_tenant(db)
    make_phone_number(db, tenant=tenant, e164="+14155550142", provider="twilio")
    body, query = STATUS_CALLBACK["raw_body"], "tenant=tnt_8c41"
    unsigned_query = await client.post(STATUS + "?" + query, content=body, headers=signed(STATUS, body))
    assert unsigned_query.status_code == 403
    response = await client.post(STATUS + "?" + query, content=body, headers=signed(STATUS, body, query=query))
    assert response.status_code == 200
    [call] = calls(db)
    assert (call.direction, call.status, call.duration_seconds) == ("outbound", "ended", 170)


async def test_a_database_failure_is_never_a_500(client, db, business, monkeypatch):
    def down(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(twilio_voice, "answer_incoming_call", down)
    monkeypatch.setattr(twilio_voice, "apply_call_status", down)
    body = INBOUND["raw_body"]
    voice = await client.post(VOICE, content=body, headers=signed(VOICE, body))
    # The caller is on the line: an apology, not Twilio's application error.
    assert voice.status_code == 200
    assert elements(voice) == ["Say", "Hangup"]
    assert "cannot take your call" in voice.text
    status_body = urlencode({**INBOUND["form"], "CallStatus": "completed"})
    status = await client.post(STATUS, content=status_body, headers=signed(STATUS, status_body))
    assert status.status_code == 503
    assert status.json()["error"] == "unavailable"


async def test_an_unreachable_queue_leaves_the_ended_call_to_the_post_call_sweep(api, client, db, business):
    def queue_down(_call_id: int) -> None:
        raise ConnectionError("queue down")

    api.dependency_overrides[webhooks.get_on_call_ended] = lambda: queue_down
    _tenant, number = business
    number.provider_number_id = None
    db.add(number)
    db.commit()
    body = urlencode({**INBOUND["form"], "CallStatus": "no-answer", "CallbackSource": "call-progress-events"})
    response = await client.post(STATUS, content=body, headers=signed(STATUS, body))
    assert response.status_code == 200
    [call] = calls(db)
    assert (call.status, call.outcome, call.action_needed) == ("ended", "missed", True)
    # Ended calls Twilio reports are final like a Vapi report: the sweep re-enqueues their lost post-call job.
    assert post_call.calls_needing_work(db, now=utcnow() + timedelta(minutes=11)) == [call.id]
