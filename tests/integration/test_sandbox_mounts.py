"""In sandbox mode the provider emulators are served by AVA itself, and the real clients reach them through it."""

import httpx

from ava_app.api.app import create_api


async def test_vapi_and_twilio_emulators_are_mounted(engine):
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        unauthorised = await client.get("/sandbox/vapi/assistant")
        assert unauthorised.status_code == 401
        assert unauthorised.json()["error"] == "Unauthorized"
        twilio = await client.get("/sandbox/twilio/2010-04-01/Accounts/AC00000000000000000000000000000000.json")
        assert twilio.status_code == 401
        assert twilio.json()["code"] == 20003


def test_webhook_secret_is_derived_when_unset(monkeypatch, tmp_path):
    from ava_app.settings import load_settings

    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AVA_SECRET_KEY", "k" * 40)
    monkeypatch.delenv("AVA_VAPI_WEBHOOK_SECRET", raising=False)
    first = load_settings().vapi_webhook_secret
    assert first.startswith("whsec_") and len(first) > 30
    assert load_settings().vapi_webhook_secret == first
    monkeypatch.setenv("AVA_SECRET_KEY", "j" * 40)
    assert load_settings().vapi_webhook_secret != first
