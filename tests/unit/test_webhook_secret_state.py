"""The "replace the webhook secret" action of /settings/integrations: admins only, the new secret's hash replaces the
old one's (kept for the grace period), and nothing of the secret reaches the browser."""

from __future__ import annotations

import importlib
import re

import pytest
import reflex as rx
from reflex.istate.data import HeaderData, RouterData
from sqlmodel import select

from ava_app.models import AuditLog, WebhookSecret
from ava_app.services import accounts, credentials
from ava_app.services.passwords import hash_password
from ava_app.state.webhook_secret import WebhookSecretState
from tests.factories import make_tenant, make_user
from tests.unit.test_state_tenant_isolation import browser_cookie, run, visible_text

PASSWORD = "tulip-garage-42"


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


def signed_in(db, *, tenant, role: str) -> WebhookSecretState:
    user = make_user(db, tenant=tenant, role=role, password_hash=hash_password(PASSWORD))
    login = accounts.login(db, email=user.email, password=PASSWORD)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(WebhookSecretState.get_full_name().split(".")[1:])
    state.router = RouterData(headers=HeaderData(cookie=browser_cookie(login)))
    return state


@pytest.fixture()
def own_vapi_tenant(db, jobs):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    return tenant


def _hashes(db, tenant_id: int) -> dict[str, bool]:
    db.expire_all()
    rows = db.exec(select(WebhookSecret).where(WebhookSecret.tenant_id == tenant_id)).all()
    return {row.secret_hash: row.expires_at is None for row in rows}


async def test_an_admin_replaces_the_secret_and_sees_until_when_the_old_one_works(db, own_vapi_tenant):
    old = credentials.ensure_tenant_webhook_secret(db, tenant_id=own_vapi_tenant.id).secret
    state = signed_in(db, tenant=own_vapi_tenant, role="admin")
    assert await run(state, "load_webhook_secret") == []
    assert state.since and state.previous_until == ""

    assert await run(state, "ask_rotate") == [] and state.confirm_open
    assert await run(state, "rotate_webhook_secret") == ["toast:success"]

    new = credentials.ensure_tenant_webhook_secret(db, tenant_id=own_vapi_tenant.id).secret
    assert new != old
    assert _hashes(db, own_vapi_tenant.id) == {
        credentials.webhook_secret_hash(old): False,
        credentials.webhook_secret_hash(new): True,
    }
    # In the business's timezone and the reader's language, like every time the settings pages show.
    assert re.search(r"\b20\d\d,\s\d{1,2}:\d\d\s[AP]M$", state.previous_until), state.previous_until
    assert not state.confirm_open and not state.rotating
    assert old not in visible_text(state) and new not in visible_text(state)
    assert db.exec(select(AuditLog.action).where(AuditLog.tenant_id == own_vapi_tenant.id)).all()[-1] == (
        "webhook_secret_rotated"
    )


@pytest.mark.parametrize("role", ["user", "viewer"])
async def test_a_member_who_is_not_an_admin_cannot_replace_it(db, own_vapi_tenant, role):
    credentials.ensure_tenant_webhook_secret(db, tenant_id=own_vapi_tenant.id)
    before = _hashes(db, own_vapi_tenant.id)
    state = signed_in(db, tenant=own_vapi_tenant, role=role)

    assert await run(state, "load_webhook_secret") == ["toast:error"]
    assert await run(state, "rotate_webhook_secret") == ["toast:error"]

    assert _hashes(db, own_vapi_tenant.id) == before
    assert (state.since, state.previous_until) == ("", "")


async def test_on_the_platforms_vapi_account_there_is_no_secret_to_replace(db, jobs):
    tenant = make_tenant(db)
    state = signed_in(db, tenant=tenant, role="admin")

    assert await run(state, "rotate_webhook_secret") == ["toast:error"]
    assert _hashes(db, tenant.id) == {}


async def test_a_signed_out_browser_is_sent_to_the_login_page(db, own_vapi_tenant):
    state = signed_in(db, tenant=own_vapi_tenant, role="admin")
    state.router = RouterData()  # no session cookie on this connection

    assert await run(state, "rotate_webhook_secret") == ["redirect:/login"]
