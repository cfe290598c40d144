"""A Twilio status callback moves only calls of the organisation whose number (and account) signed it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlmodel import Session, select

from ava_app.models import Call, WebhookEvent
from ava_app.services import credentials, dead_letters, twilio_voice
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio
from ava_app.settings import get_settings
from tests.factories import make_phone_number, make_tenant
from tests.integration.test_twilio_webhooks_api import api, client

# The sandbox Twilio app and its client, as the webhook tests use them.
__all__ = ["api", "client"]

STATUS = "/api/v1/webhooks/twilio/status"
B_ACCOUNT = "AC" + "b7" * 16
B_TOKEN = "b7" * 16
A_CALL_SID = "CA" + "a1" * 16
B_CALL_SID = "CA" + "b2" * 16


@pytest.fixture()
def organisations(db):
    """A: a number on the platform's account and a live forwarded call. B: a number of its own Twilio account."""
    alpha = make_tenant(db, name="Alpha Dental")
    alpha_number = make_phone_number(db, tenant=alpha, e164="+14155550101", provider="twilio")
    call = Call(
        tenant_id=alpha.id,
        provider_call_id=A_CALL_SID,
        phone_number_id=alpha_number.id,
        status="in-progress",
        outcome="forwarded",
        caller_number="+16505550199",
        called_number=alpha_number.e164,
    )
    db.add(call)
    beta = make_tenant(db, name="Beta Bakery")
    make_phone_number(db, tenant=beta, e164="+14155550202", provider="twilio", twilio_account_sid=B_ACCOUNT)
    db.commit()
    credentials.save_credential(
        db, tenant_id=beta.id, provider="twilio", secret={"account_sid": B_ACCOUNT, "auth_token": B_TOKEN}
    )
    return alpha, beta, call.id


def b_signed_callback(call_sid: str) -> tuple[str, dict[str, str]]:
    """A completed-call callback for B's number, signed with B's own auth token (which B knows)."""
    form = {
        "AccountSid": B_ACCOUNT,
        "CallSid": call_sid,
        "CallStatus": "completed",
        "CallDuration": "4242",
        "Direction": "inbound",
        "From": "+16505550199",
        "To": "+14155550202",
        "RecordingUrl": "https://attacker.example/recording.mp3",
        "CallbackSource": "call-progress-events",
    }
    body = urlencode(form)
    params = twilio_voice.parse_twilio_form(body.encode()).params
    url = get_settings().public_url + STATUS
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio.sign_webhook(url=url, params=params, auth_token=B_TOKEN),
    }
    return body, headers


async def test_callback_signed_by_b_naming_a_call_of_a_changes_nothing(client, db, organisations):
    alpha, beta, call_id = organisations
    before = db.get(Call, call_id).model_dump()
    body, headers = b_signed_callback(A_CALL_SID)
    response = await client.post(STATUS, content=body, headers=headers)
    assert response.status_code == 200, response.text  # the signature is B's and valid: answered, not acted on
    db.expire_all()
    assert db.get(Call, call_id).model_dump() == before
    (event,) = db.exec(select(WebhookEvent)).all()
    assert event.tenant_id == beta.id and "another organisation" in event.error


async def test_callback_signed_by_b_for_its_own_call_still_ends_it(client, db, organisations):
    _alpha, beta, _call_id = organisations
    body, headers = b_signed_callback(B_CALL_SID)
    response = await client.post(STATUS, content=body, headers=headers)
    assert response.status_code == 200, response.text
    call = db.exec(select(Call).where(Call.provider_call_id == B_CALL_SID)).one()
    assert (call.tenant_id, call.status, call.duration_seconds) == (beta.id, "ended", 4242)


def test_nul_in_a_form_value_is_storable_and_the_signed_pairs_stay_as_sent():
    form = twilio_voice.parse_twilio_form(b"CallSid=CA%00x&From=%2B1650%00\x00")
    assert form.get("From") == "+1650\ufffd\ufffd" and "\x00" not in form.raw
    assert form.params["From"] == "+1650\x00\x00"


async def test_a_failed_status_callback_is_a_dead_letter_a_platform_admin_retries(
    client, db, organisations, monkeypatch
):
    _alpha, beta, _call_id = organisations
    original = twilio_voice._apply_status

    def broken(session, **kwargs):
        raise RuntimeError("forced status failure")

    monkeypatch.setattr(twilio_voice, "_apply_status", broken)
    body, headers = b_signed_callback(B_CALL_SID)
    assert (await client.post(STATUS, content=body, headers=headers)).status_code == 200
    operator = Principal(user_id=1, tenant_id=None, role=None, is_platform_admin=True)
    (letter,) = dead_letters.list_dead_letters(db, principal=operator).items
    assert (letter.provider, letter.event_type, letter.attempts) == ("twilio", "status:completed", 1)
    assert letter.tenant_id == beta.id and letter.tenant_name == "Beta Bakery"

    monkeypatch.setattr(twilio_voice, "_apply_status", original)
    ended: list[int] = []

    def reapply(event_id: int) -> None:
        with Session(db.get_bind()) as session:
            dead_letters.reapply_event(session, event_id=event_id, on_call_ended=ended.append)

    dead_letters.retry_dead_letter(db, principal=operator, event_id=letter.id, enqueue=reapply)
    call = db.exec(select(Call).where(Call.provider_call_id == B_CALL_SID)).one()
    assert (call.tenant_id, call.status) == (beta.id, "ended") and ended == [call.id]
    assert dead_letters.list_dead_letters(db, principal=operator).items == []
