"""POST /api/v1/webhooks/twilio/sms: signed inbound texts, STOP/START/HELP, per-organisation opt-outs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.sandbox.twilio.app import create_twilio_emulator
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.messaging import sms
from ava_app.services.providers import twilio
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID, sandbox_keys
from ava_app.settings import get_settings
from tests.factories import make_phone_number, make_tenant
from tests.servers import serve_app

SMS = "/api/v1/webhooks/twilio/sms"
CALLER = "+14155550199"


def signed_post(body: dict[str, str], *, token: str = "") -> tuple[str, dict[str, str]]:
    """The form body and headers Twilio would send to the SMS webhook (sandbox account token by default)."""
    url = get_settings().public_url + SMS
    signature = twilio.sign_webhook(url=url, params=body, auth_token=token or sandbox_keys().twilio_auth_token)
    return urlencode(body), {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}


def text(to: str, body: str, *, from_: str = CALLER) -> dict[str, str]:
    return {
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": SANDBOX_ACCOUNT_SID,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }


@pytest.fixture()
def api(engine, monkeypatch):
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    yield create_api()
    get_settings.cache_clear()


@pytest.fixture()
async def client(api):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        yield client


@pytest.fixture()
def two_businesses(db):
    a = make_tenant(db, name="Bright Smile")
    b = make_tenant(db, name="Clinique Soleil", locale="fr")
    number_a = make_phone_number(db, tenant=a, e164="+14155550171", provider="twilio", twilio_sid="PN" + "a" * 32)
    number_b = make_phone_number(db, tenant=b, e164="+14155550172", provider="twilio", twilio_sid="PN" + "b" * 32)
    return a, b, number_a, number_b


async def test_unsigned_or_wrongly_signed_texts_are_refused(client, db, two_businesses):
    a, _, number_a, _ = two_businesses
    body, headers = signed_post(text(number_a.e164, "STOP"))
    unsigned = await client.post(SMS, content=body, headers={"Content-Type": headers["Content-Type"]})
    assert unsigned.status_code == 403
    _, wrong = signed_post(text(number_a.e164, "STOP"), token="f" * 32)
    forged = await client.post(SMS, content=body, headers=wrong)
    assert forged.status_code == 403
    # Signed for another body: the signature covers the form.
    _, other = signed_post(text(number_a.e164, "HELP"))
    assert (await client.post(SMS, content=body, headers=other)).status_code == 403
    assert not sms.is_opted_out(db, tenant_id=a.id, phone=CALLER)


async def test_stop_start_help_and_opt_outs_stay_within_one_organisation(client, db, two_businesses):
    a, b, number_a, number_b = two_businesses
    body, headers = signed_post(text(number_a.e164, " Stop "))
    answer = await client.post(SMS, content=body, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/xml")
    assert list(ET.fromstring(answer.text)) == []
    db.expire_all()
    assert sms.is_opted_out(db, tenant_id=a.id, phone=CALLER)
    # The STOP went to A's number: B may still text this caller.
    assert not sms.is_opted_out(db, tenant_id=b.id, phone=CALLER)
    assert sms.queue_sms(db, tenant_id=a.id, to=CALLER, body="Hi", dedupe_key=None) is None

    body, headers = signed_post(text(number_a.e164, "unstop"))
    assert (await client.post(SMS, content=body, headers=headers)).status_code == 200
    db.expire_all()
    assert not sms.is_opted_out(db, tenant_id=a.id, phone=CALLER)

    body, headers = signed_post(text(number_b.e164, "HELP"))
    answer = await client.post(SMS, content=body, headers=headers)
    message = ET.fromstring(answer.text).find("Message")
    assert message is not None and "Clinique Soleil" in (message.text or "") and "STOP" in (message.text or "")
    # An ordinary text changes nothing and gets no reply.
    body, headers = signed_post(text(number_b.e164, "Can I move my booking?"))
    answer = await client.post(SMS, content=body, headers=headers)
    assert list(ET.fromstring(answer.text)) == []


async def test_text_to_an_unknown_number_is_answered_empty(client, db, two_businesses):
    body, headers = signed_post(text("+14155550999", "STOP"))
    answer = await client.post(SMS, content=body, headers=headers)
    assert answer.status_code == 200 and list(ET.fromstring(answer.text)) == []


async def test_emulated_stop_reaches_ava_signed_and_blocks_at_twilio_too(api, db, engine, monkeypatch, tmp_path):
    """End to end: the emulator's inbound webhook goes to the SmsUrl AVA set when it bought the number."""
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    app = create_twilio_emulator()
    emulator = app.state.emulator
    with serve_app(app) as base_url:
        twilio.set_sandbox_base_url(base_url)
        try:
            bought = run_coroutine_sync(twilio.purchase_number(phone_number="+14155550173"))
            assert bought["sms_url"] == get_settings().public_url + SMS
            tenant = make_tenant(db, name="Dental")
            make_phone_number(
                db,
                tenant=tenant,
                e164=bought["phone_number"],
                provider="twilio",
                twilio_sid=bought["sid"],
                twilio_account_sid=bought["account_sid"],
            )
            result = await emulator.receive_sms(
                CALLER, bought["phone_number"], "STOP", transport=httpx.ASGITransport(app=api)
            )
            assert result["status"] == 200
            db.expire_all()
            assert sms.is_opted_out(db, tenant_id=tenant.id, phone=CALLER)
            assert emulator.opted_out(bought["phone_number"], CALLER)
        finally:
            twilio.set_sandbox_base_url(None)
