"""Per-tenant provider credentials over HTTP: admins only, secrets never returned, test connection is real.

AVA is served on a real port here because the Twilio SDK and the Vapi client reach the sandbox emulators through
AVA's own URL, exactly as in production sandbox mode.
"""

from __future__ import annotations

import re

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from ava_app.api.app import create_api
from ava_app.services import accounts, integrations
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID, sandbox_keys
from ava_app.settings import get_settings
from tests.factories import make_tenant, make_user
from tests.mail import closed_port
from tests.servers import free_port, serve_app

PASSWORD = "tulip-garage-42"


@pytest.fixture()
def ava(engine, monkeypatch):
    """AVA's API on a free port, with AVA_PUBLIC_URL pointing at it."""
    port = free_port()
    monkeypatch.setenv("AVA_PUBLIC_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    with serve_app(create_api(), port=port) as base_url:
        yield base_url
    get_settings.cache_clear()


def _login(db, *, role: str) -> tuple[dict, int]:
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant, role=role)
    from ava_app.services.passwords import hash_password

    user.password_hash = hash_password(PASSWORD)
    db.add(user)
    db.commit()
    result = accounts.login(db, email=user.email, password=PASSWORD)
    return {"Authorization": f"Bearer {result.access_token}"}, tenant.id


def test_admin_saves_tests_and_removes_a_twilio_credential(ava, db):
    headers, _ = _login(db, role="admin")
    with httpx.Client(base_url=ava, headers=headers, timeout=30) as client:
        listed = client.get("/api/v1/integrations").json()
        assert {row["provider"] for row in listed} == {"vapi", "twilio", "openai", "smtp"}
        assert not any(row["configured"] for row in listed)

        token = sandbox_keys().twilio_auth_token
        secret = {"account_sid": SANDBOX_ACCOUNT_SID, "auth_token": token}
        saved = client.put("/api/v1/integrations/twilio", json=secret)
        assert saved.status_code == 200
        assert token not in saved.text
        listed = {row["provider"]: row for row in client.get("/api/v1/integrations").json()}
        assert listed["twilio"]["configured"] and listed["twilio"]["hint"]
        assert token not in str(listed)

        # Blank fields fall back to the saved credential.
        result = client.post("/api/v1/integrations/twilio/test", json={}).json()
        assert result["ok"] is True and "Twilio" in result["message"]

        wrong = client.post("/api/v1/integrations/twilio/test", json={"auth_token": "f" * 32}).json()
        assert wrong["ok"] is False and "rejected" in wrong["message"]

        assert client.delete("/api/v1/integrations/twilio").status_code == 204
        assert not {row["provider"]: row for row in client.get("/api/v1/integrations").json()}["twilio"]["configured"]


def test_vapi_test_connection_uses_the_real_client(ava, db):
    headers, _ = _login(db, role="admin")

    with httpx.Client(base_url=ava, headers=headers, timeout=30) as client:
        good = client.post("/api/v1/integrations/vapi/test", json={"api_key": sandbox_keys().vapi_api_key}).json()
        # The emulator is shared by the session's tests: other tests may have created assistants on it.
        assert good["provider"] == "vapi" and good["ok"] is True
        assert re.fullmatch(r"Connected to Vapi \(\d+ assistants? visible\)\.", good["message"]), good
        bad = client.post("/api/v1/integrations/vapi/test", json={"api_key": "not-a-key"}).json()
        assert bad["ok"] is False


def test_smtp_test_connection(ava, db):
    headers, _ = _login(db, role="admin")
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with httpx.Client(base_url=ava, headers=headers, timeout=30) as client:
            good = client.post(
                "/api/v1/integrations/smtp/test", json={"host": "127.0.0.1", "port": port, "tls": "none"}
            )
            assert good.json()["ok"] is True
            down = client.post(
                "/api/v1/integrations/smtp/test", json={"host": "127.0.0.1", "port": closed_port(), "tls": "none"}
            ).json()
            # One message for every failure: the test is no port scanner (what happened is in the audit log).
            assert down["ok"] is False and down["message"] == integrations.SMTP_TEST_FAILED
    finally:
        controller.stop()


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_only_admins(ava, db, role):
    headers, _ = _login(db, role=role)
    with httpx.Client(base_url=ava, headers=headers, timeout=30) as client:
        assert client.get("/api/v1/integrations").status_code == 403
        assert (
            client.put("/api/v1/integrations/twilio", json={"account_sid": "AC1", "auth_token": "x"}).status_code == 403
        )
        assert client.post("/api/v1/integrations/twilio/test", json={}).status_code == 403


def test_openai_test_connection_against_the_emulator(ava, db, monkeypatch):
    from ava_app.sandbox.openai.app import create_openai_emulator

    headers, _ = _login(db, role="admin")
    with serve_app(create_openai_emulator(api_key="sk-emulator")) as openai_url:
        monkeypatch.setenv("AVA_OPENAI_BASE_URL", openai_url + "/v1")
        get_settings.cache_clear()
        with httpx.Client(base_url=ava, headers=headers, timeout=30) as client:
            good = client.post("/api/v1/integrations/openai/test", json={"api_key": "sk-emulator"}).json()
            assert good == {"provider": "openai", "ok": True, "message": "Connected to OpenAI."}
            bad = client.post("/api/v1/integrations/openai/test", json={"api_key": "sk-wrong"}).json()
            assert bad == {"provider": "openai", "ok": False, "message": "OpenAI rejected this API key."}
