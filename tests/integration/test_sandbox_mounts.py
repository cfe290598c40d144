"""In sandbox mode the provider emulators are served by AVA itself, and the real clients reach them through it."""

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.settings import get_settings


async def test_vapi_and_twilio_emulators_are_mounted(engine):
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        unauthorised = await client.get("/sandbox/vapi/assistant")
        assert unauthorised.status_code == 401
        assert unauthorised.json()["error"] == "Unauthorized"
        twilio = await client.get("/sandbox/twilio/2010-04-01/Accounts/AC00000000000000000000000000000000.json")
        assert twilio.status_code == 401
        assert twilio.json()["code"] == 20003


@pytest.fixture()
def prod(monkeypatch):
    """A prod deployment started with AVA_ALLOW_SANDBOX: no provider key, yet no emulator served."""
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")
    for name in ("AVA_VAPI_API_KEY", "AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_no_emulator_is_served_in_prod(engine, prod):
    assert get_settings().vapi_sandbox and get_settings().twilio_sandbox
    api = create_api()
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in (
            "/sandbox/vapi/assistant",
            "/sandbox/vapi/sandbox/simulate-call",
            "/sandbox/twilio/2010-04-01/Accounts/AC00000000000000000000000000000000.json",
        ):
            answer = await client.get(path, headers={"Authorization": "Bearer sandbox-vapi-private-key"})
            assert answer.status_code == 404, path
    assert not [route for route in api.routes if getattr(route, "path", "").startswith("/sandbox")]


async def test_the_once_published_vapi_key_opens_nothing_in_dev(engine):
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.get(
            "/sandbox/vapi/assistant", headers={"Authorization": "Bearer sandbox-vapi-private-key"}
        )
    assert answer.status_code == 401


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
