"""The emulators' keys are random per installation, kept private, and the Vapi emulator never hands out AVA's secret."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import httpx
import pytest

from ava_app.models import Assistant
from ava_app.private_files import kept_secret
from ava_app.sandbox.vapi.app import create_vapi_emulator
from ava_app.services.providers import twilio, vapi
from ava_app.services.providers.sandbox_keys import KEYS_FILE, sandbox_keys_in
from ava_app.services.providers.vapi import WEBHOOK_SECRET_HEADER, vapi_assistant_config

PLATFORM_SECRET = "whsec_platform-secret-never-echoed-1234567890"
# The keys every installation shared before they were generated: nothing may accept them any more.
OLD_CONSTANT_KEYS = ("sandbox-vapi-private-key", "sandbox-vapi-public-key", "5a4db0c0" + "0" * 24)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_random_per_data_folder_and_kept(tmp_path):
    first = sandbox_keys_in(tmp_path / "one")
    other = sandbox_keys_in(tmp_path / "two")

    values = (first.vapi_api_key, first.vapi_public_key, first.twilio_auth_token)
    assert len(set(values)) == 3 and all(len(value) >= 32 for value in values)
    assert not set(values) & {other.vapi_api_key, other.vapi_public_key, other.twilio_auth_token}
    assert not set(values) & set(OLD_CONSTANT_KEYS)
    # Another process of the same installation reads the same keys from the data folder.
    kept = json.loads((tmp_path / "one" / KEYS_FILE).read_text())
    assert kept == {
        "vapi_api_key": first.vapi_api_key,
        "vapi_public_key": first.vapi_public_key,
        "twilio_auth_token": first.twilio_auth_token,
    }
    assert _mode(tmp_path / "one" / KEYS_FILE) == 0o600
    assert _mode(tmp_path / "one") == 0o700


def test_processes_starting_together_agree_on_one_value(tmp_path):
    path = tmp_path / "data" / "secret"
    seen: list[str] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        seen.append(kept_secret(path))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and len(set(seen)) == 1
    assert path.read_text() == seen[0]
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no draft left behind


def test_the_sandbox_clients_use_the_installations_keys(engine):
    from ava_app.services.providers.sandbox_keys import sandbox_keys

    keys = sandbox_keys()
    endpoint = vapi.vapi_endpoint()
    assert (endpoint.api_key, endpoint.public_key) == (keys.vapi_api_key, keys.vapi_public_key)
    assert twilio.resolve_credentials()[1] == keys.twilio_auth_token


@pytest.mark.parametrize("old_key", OLD_CONSTANT_KEYS[:2])
async def test_the_old_constant_vapi_keys_are_refused(tmp_path, old_key, engine):
    emulator = create_vapi_emulator(db_path=tmp_path / "vapi.db", public_base_url="http://ava.test/sandbox/vapi")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url="http://ava.test") as http:
        answer = await http.get("/assistant", headers={"Authorization": f"Bearer {old_key}"})
    assert answer.status_code == 401


async def test_the_vapi_emulator_never_returns_the_platform_webhook_secret(tmp_path):
    key = "sk_test_reader"
    emulator = create_vapi_emulator(
        db_path=tmp_path / "vapi.db",
        api_keys={key},
        public_keys={},
        public_base_url="http://ava.test/sandbox/vapi",
        auto_simulate=False,
    )
    assistant = Assistant(id=7, tenant_id=3, name="Ava", language="en", enabled_integrations=["lookup_faq"])
    config = vapi_assistant_config(
        assistant=assistant, public_url="http://ava.test", webhook_secret=PLATFORM_SECRET, transfer_numbers=()
    )
    assert PLATFORM_SECRET in json.dumps(config)  # what AVA pushes carries it, so the webhooks can be checked
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator), base_url="http://ava.test", headers=auth
    ) as http:
        created = await http.post("/assistant", json=config)
        assert created.status_code == 201
        assistant_id = created.json()["id"]
        number = await http.post(
            "/phone-number",
            json={"provider": "vapi", "assistantId": assistant_id, "server": config["server"]},
        )
        assert number.status_code == 201
        answers = [
            created,
            number,
            await http.get("/assistant"),
            await http.get(f"/assistant/{assistant_id}"),
            await http.patch(f"/assistant/{assistant_id}", json={"server": config["server"], "name": "Nova"}),
            await http.get("/phone-number"),
            await http.get(f"/phone-number/{number.json()['id']}"),
            await http.post(
                "/call",
                json={
                    "phoneNumberId": number.json()["id"],
                    "assistant": config,
                    "customer": {"number": "+14155550100"},
                },
            ),
            await http.get("/call"),
            await http.delete(f"/assistant/{assistant_id}"),
        ]

    for answer in answers:
        assert answer.status_code < 300, answer.text
        assert PLATFORM_SECRET not in answer.text, answer.request.url
    shown = created.json()
    assert set(shown["server"]["headers"]) == {WEBHOOK_SECRET_HEADER}
    assert shown["server"]["url"] == "http://ava.test/api/v1/webhooks/vapi"
    # The emulator still keeps it, to sign the webhooks of the calls it plays.
    stored = emulator.state.sandbox.store.get("phone-number", number.json()["id"], org_id=shown["orgId"])
    assert stored["server"]["headers"] == {WEBHOOK_SECRET_HEADER: PLATFORM_SECRET}
