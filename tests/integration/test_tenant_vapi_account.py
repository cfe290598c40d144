"""A tenant on its own Vapi account: AVA pushes that tenant's own webhook secret, and the webhook takes it for it;
replacing the secret pushes the new one, the old one being accepted for the grace period only.

Vapi is not in sandbox mode here: AVA has a platform key and talks to a Vapi emulator on its own port that knows two
orgs (the platform's and the tenant's). AVA runs on another port; the emulator's simulated calls reach its webhook.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import delete, select

from ava_app.api.app import create_api
from ava_app.models import Call, Tenant, WebhookSecret, utcnow
from ava_app.sandbox.vapi import contract
from ava_app.sandbox.vapi.app import create_vapi_emulator, simulate_call
from ava_app.services import assistants, credentials, phone_numbers, webhook_secrets
from ava_app.services.phone_numbers import NumberChoice
from ava_app.services.principal import Principal
from ava_app.services.providers.vapi import BUILTIN_TOOLS, reset_circuit_breakers
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_tenant, make_user
from tests.servers import free_port, serve_app

PLATFORM_KEY = "platform-org-private-key"
TENANT_KEY = "tenant-org-private-key"


@pytest.fixture()
def vapi(engine, monkeypatch, tmp_path):
    """The Vapi emulator on one port and AVA (with a platform Vapi key) on another; yields the emulator app."""
    vapi_port, ava_port = free_port(), free_port()
    emulator = create_vapi_emulator(
        db_path=tmp_path / "vapi.db",
        api_keys=[PLATFORM_KEY, TENANT_KEY],
        public_base_url=f"http://127.0.0.1:{vapi_port}",
        auto_simulate=False,
        use_speech=False,
    )
    monkeypatch.setenv("AVA_VAPI_API_KEY", PLATFORM_KEY)
    monkeypatch.setenv("AVA_VAPI_BASE_URL", f"http://127.0.0.1:{vapi_port}")
    monkeypatch.setenv("AVA_PUBLIC_URL", f"http://127.0.0.1:{ava_port}")
    get_settings.cache_clear()
    reset_circuit_breakers()
    with serve_app(emulator, port=vapi_port), serve_app(create_api(), port=ava_port):
        yield emulator
    get_settings.cache_clear()


def _vapi_stored(emulator, path: str, *, key: str):
    """What the emulator keeps for the org of ``key`` (its REST answers hide the webhook secrets AVA pushes)."""
    store, org = emulator.state.sandbox.store, contract.org_id_for_key(key)
    kind, _, object_id = path.strip("/").partition("/")
    if object_id:
        return store.get(kind, object_id, org_id=org)
    return store.list(kind, org_id=org, limit=100, time_filters={}, equals={})


def _tenant_with_assistant(db, *, own_key: str | None) -> tuple[Tenant, int]:
    tenant = make_tenant(db)
    if own_key:
        credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": own_key})
    assistant = make_assistant(db, tenant=tenant, enabled_integrations=list(BUILTIN_TOOLS))
    return tenant, assistant.id


def _current_secret(db, tenant_id: int) -> str:
    return credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant_id).secret


def _secrets_in(config: dict) -> set[str]:
    headers = [config["server"]["headers"]] + [tool["server"]["headers"] for tool in config["model"]["tools"]]
    return {header["X-Vapi-Secret"] for header in headers}


async def test_own_account_gets_its_own_secret_and_its_calls_are_accepted(db, vapi, jobs):
    own, own_assistant = _tenant_with_assistant(db, own_key=TENANT_KEY)
    shared, shared_assistant = _tenant_with_assistant(db, own_key=None)
    platform_secret = get_settings().vapi_webhook_secret
    tenant_secret = _current_secret(db, own.id)

    pushed_own = assistants.sync_assistant(db, tenant_id=own.id, assistant_id=own_assistant)
    pushed_shared = assistants.sync_assistant(db, tenant_id=shared.id, assistant_id=shared_assistant)

    own_config = _vapi_stored(vapi, f"/assistant/{pushed_own.provider_assistant_id}", key=TENANT_KEY)
    shared_config = _vapi_stored(vapi, f"/assistant/{pushed_shared.provider_assistant_id}", key=PLATFORM_KEY)
    assert _secrets_in(own_config) == {tenant_secret} and tenant_secret != platform_secret
    assert _secrets_in(shared_config) == {platform_secret}

    call = await simulate_call(vapi, intent="complaint", assistant_id=pushed_own.provider_assistant_id, speed=0)

    db.expire_all()
    stored = db.exec(select(Call).where(Call.provider_call_id == call["id"])).one()
    assert stored.tenant_id == own.id and stored.status == "ended"
    assert stored.action_needed and stored.data_fields["message"], "the tool call was accepted under its secret"


def test_numbers_of_an_own_account_are_pushed_with_its_secret(db, vapi):
    own, _ = _tenant_with_assistant(db, own_key=TENANT_KEY)
    user = make_user(db, tenant=own, role="admin")
    principal = Principal(user_id=user.id, tenant_id=own.id, role="admin")

    number = phone_numbers.provision_number(
        db, principal=principal, choice=NumberChoice(kind="vapi_free", country="US", area_code="415")
    )

    db.expire_all()
    row = _vapi_stored(vapi, "/phone-number", key=TENANT_KEY)
    assert [item["number"] for item in row] == [number.e164]
    assert row[0]["server"]["headers"] == {"X-Vapi-Secret": _current_secret(db, own.id)}


def test_a_key_saved_before_tenant_secrets_existed_gets_a_secret_on_the_next_push(db, vapi, jobs):
    own, own_assistant = _tenant_with_assistant(db, own_key=TENANT_KEY)
    db.exec(delete(WebhookSecret).where(WebhookSecret.tenant_id == own.id))
    db.commit()

    pushed = assistants.sync_assistant(db, tenant_id=own.id, assistant_id=own_assistant)

    config = _vapi_stored(vapi, f"/assistant/{pushed.provider_assistant_id}", key=TENANT_KEY)
    assert _secrets_in(config) == {_current_secret(db, own.id)}


def _post_status(secret: str) -> int:
    body = {"message": {"type": "status-update", "status": "queued", "call": {"id": "probe-call"}}}
    response = httpx.post(
        get_settings().public_url + "/api/v1/webhooks/vapi", json=body, headers={"X-Vapi-Secret": secret}
    )
    return response.status_code


async def test_a_replaced_secret_is_pushed_to_vapi_and_the_old_one_works_for_the_grace_period_only(db, vapi, jobs):
    own, own_assistant = _tenant_with_assistant(db, own_key=TENANT_KEY)
    admin = make_user(db, tenant=own, role="admin")
    principal = Principal(user_id=admin.id, tenant_id=own.id, role="admin")
    pushed = assistants.sync_assistant(db, tenant_id=own.id, assistant_id=own_assistant)
    number = phone_numbers.provision_number(
        db, principal=principal, choice=NumberChoice(kind="vapi_free", country="US", area_code="415")
    )
    old = _current_secret(db, own.id)

    status = webhook_secrets.rotate_webhook_secret(db, principal=principal)

    new = _current_secret(db, own.id)
    assert new != old and status.previous_until is not None
    assert status.previous_until - utcnow() > timedelta(hours=23)
    # The sync jobs (run at once here) pushed the new secret to the assistant, its tools and the number.
    config = _vapi_stored(vapi, f"/assistant/{pushed.provider_assistant_id}", key=TENANT_KEY)
    assert _secrets_in(config) == {new}
    [line] = [row for row in _vapi_stored(vapi, "/phone-number", key=TENANT_KEY) if row["number"] == number.e164]
    assert line["server"]["headers"] == {"X-Vapi-Secret": new}
    # A call at Vapi now comes with the new secret and is taken for the tenant.
    call = await simulate_call(vapi, intent="complaint", assistant_id=pushed.provider_assistant_id, speed=0)
    db.expire_all()
    assert db.exec(select(Call).where(Call.provider_call_id == call["id"])).one().tenant_id == own.id

    # Events still in flight with the old secret are accepted during the grace period, refused after it.
    assert _post_status(old) == 200 and _post_status(new) == 200
    replaced = db.exec(select(WebhookSecret).where(WebhookSecret.tenant_id == own.id)).all()
    for row in replaced:
        if row.secret_hash == credentials.webhook_secret_hash(old):
            row.expires_at = utcnow() - timedelta(seconds=1)
            db.add(row)
    db.commit()
    assert _post_status(old) == 401 and _post_status(new) == 200


def test_a_secret_derived_before_0010_keeps_working_and_is_stored_on_the_next_push(db, vapi, jobs):
    own, own_assistant = _tenant_with_assistant(db, own_key=TENANT_KEY)
    # As migration 0010 leaves it: the hash of the secret AVA derived from AVA_SECRET_KEY, without its value.
    derived = credentials.legacy_webhook_secret(tenant_id=own.id, secret_key=get_settings().secret_key)
    db.exec(delete(WebhookSecret).where(WebhookSecret.tenant_id == own.id))
    db.add(WebhookSecret(tenant_id=own.id, secret_hash=credentials.webhook_secret_hash(derived)))
    db.commit()
    assert _post_status(derived) == 200

    pushed = assistants.sync_assistant(db, tenant_id=own.id, assistant_id=own_assistant)

    config = _vapi_stored(vapi, f"/assistant/{pushed.provider_assistant_id}", key=TENANT_KEY)
    assert _secrets_in(config) == {derived}, "Vapi keeps the secret it has: nothing to re-sync"
    db.expire_all()
    [row] = db.exec(select(WebhookSecret).where(WebhookSecret.tenant_id == own.id)).all()
    assert row.secret_encrypted and derived not in row.secret_encrypted
    assert _post_status(derived) == 200
