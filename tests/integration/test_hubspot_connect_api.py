"""Connecting HubSpot through the routes, like a browser: login cookie, the emulator's install page, callback; a
private-app token through the API; and misuse (replayed callback, another browser, "Cancel", a member).

The emulator is the one AVA mounts in dev; AVA's server-side calls (code exchange, account details, CRM) reach it
through the same ASGI app.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import CalendarOAuthState, CrmConnection, Membership
from ava_app.sandbox import hubspot as hubspot_sandbox
from ava_app.services import accounts, browser_sessions, rate_limits
from ava_app.services.credentials import decrypt_text
from ava_app.services.crm import hubspot
from ava_app.services.crm import sync as crm_sync
from ava_app.settings import get_settings
from tests.factories import make_call

PASSWORD = "tulip-garage-42"


@pytest.fixture()
def api(engine):
    rate_limits.reset_rate_limits()
    hubspot_sandbox.hubspot_emulator.cache_clear()
    app = create_api()
    hubspot.provider_transport = httpx.ASGITransport(app=app)
    yield app
    hubspot.provider_transport = None


def signup(db, name: str):
    slug = name.lower().replace(" ", "")
    return accounts.signup(
        db, name=f"{name} Owner", email=f"owner@{slug}.example", password=PASSWORD, organisation_name=name
    )


@asynccontextmanager
async def browser_of(api, login) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=get_settings().public_url) as browser:
        grant = browser_sessions.issue_cookie_grant(session_id=login.session_id, user_id=login.user_id)
        assert (await browser.post("/api/v1/auth/browser-session", json={"grant": grant})).status_code == 204
        yield browser


async def click(browser: httpx.AsyncClient, install_url: str, decision: str = "allow") -> dict[str, str]:
    """Open HubSpot's install page and press a button; the query it sends back to AVA's callback."""
    page = await browser.get(install_url)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    request_id = re.search(r'name="request" value="([^"]+)"', page.text).group(1)
    answer = await browser.post(action, data={"request": request_id, "decision": decision})
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert target.path == "/api/v1/crm/hubspot/callback"
    return {key: values[0] for key, values in parse_qs(target.query).items()}


def landing(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    target = urlsplit(response.headers["location"])
    assert target.path == "/settings/integrations"
    return {key: values[0] for key, values in parse_qs(target.query).items()}


async def test_an_admin_connects_hubspot_and_a_call_is_logged_once(api, db, jobs):
    owner = signup(db, "Salon Lumiere")
    async with browser_of(api, owner) as browser:
        started = await browser.get("/api/v1/crm/hubspot/connect", params={"lang": "fr"})
        assert started.status_code == 303
        cookie = started.headers["set-cookie"]
        assert cookie.startswith("ava_crm_connect=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        consent = await browser.get(started.headers["location"])
        assert "Connecter l&#x27;application" in consent.text and "Annuler" in consent.text
        answer = await click(browser, started.headers["location"])
        callback = await browser.get("/api/v1/crm/hubspot/callback", params=answer)
        assert landing(callback) == {"crm": "connected"}
        replayed = await browser.get("/api/v1/crm/hubspot/callback", params=answer)
        assert landing(replayed) == {"crm_error": "crm_state_invalid"}

    emulator = hubspot_sandbox.hubspot_emulator()
    row = db.exec(select(CrmConnection)).one()
    assert (row.tenant_id, row.auth_kind, row.status) == (owner.tenant_id, "oauth", "connected")
    assert str(emulator.portal_id) in row.account
    assert decrypt_text(row.refresh_token_encrypted) in emulator.grants
    assert db.exec(select(CalendarOAuthState)).all() == []

    call = make_call(db, tenant=_tenant(db, owner), summary="Asked for a quote.")
    call.summary_status, call.caller_number = "done", "+33612345678"
    db.add(call)
    db.commit()
    crm_sync.sync_call_to_crm.call_local(call.id)
    crm_sync.sync_call_to_crm.call_local(call.id)  # the job retried
    assert len(emulator.records("calls")) == 1 and len(emulator.records("contacts")) == 1


async def test_cancel_on_the_install_page_connects_nothing(api, db):
    owner = signup(db, "Garage Nord")
    async with browser_of(api, owner) as browser:
        started = await browser.get("/api/v1/crm/hubspot/connect")
        answer = await click(browser, started.headers["location"], decision="deny")
        assert landing(await browser.get("/api/v1/crm/hubspot/callback", params=answer)) == {"crm_error": "crm_denied"}
    assert db.exec(select(CrmConnection)).all() == []
    assert db.exec(select(CalendarOAuthState)).all() == []


async def test_a_callback_in_another_browser_is_refused(api, db):
    owner = signup(db, "Boulangerie Sud")
    async with browser_of(api, owner) as browser:
        started = await browser.get("/api/v1/crm/hubspot/connect")
        answer = await click(browser, started.headers["location"])
        browser.cookies.delete("ava_crm_connect")  # what another browser lacks: the binding cookie
        landed = landing(await browser.get("/api/v1/crm/hubspot/callback", params=answer))
    assert landed == {"crm_error": "crm_state_other_browser"}
    assert db.exec(select(CrmConnection)).all() == []


async def test_a_member_cannot_connect_or_see_hubspot(api, db):
    owner = signup(db, "Cabinet Est")
    membership = db.exec(select(Membership).where(Membership.tenant_id == owner.tenant_id)).one()
    membership.role = "user"
    db.add(membership)
    db.commit()
    async with browser_of(api, owner) as browser:
        started = await browser.get("/api/v1/crm/hubspot/connect")
        assert landing(started) == {"crm_error": "admin_only"}
    headers = {"Authorization": f"Bearer {owner.access_token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
        assert (await client.get("/api/v1/crm/hubspot", headers=headers)).status_code == 403
        assert (
            await client.put("/api/v1/crm/hubspot/token", json={"token": "pat-x"}, headers=headers)
        ).status_code == 403


async def test_private_app_token_through_the_api(api, db):
    owner = signup(db, "Clinique Ouest")
    emulator = hubspot_sandbox.hubspot_emulator()
    headers = {"Authorization": f"Bearer {owner.access_token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
        refused = await client.put("/api/v1/crm/hubspot/token", json={"token": "pat-na1-unknown"}, headers=headers)
        assert refused.status_code == 422 and refused.json()["error"] == "crm_token_refused"
        # What cannot be a header is refused as such, before anything is sent (no server error).
        for pasted in ("pat-na1-é", "pat-na1-\x00x", "pat na1"):
            bad = await client.put("/api/v1/crm/hubspot/token", json={"token": pasted}, headers=headers)
            assert bad.status_code == 422 and bad.json()["error"] == "crm_token_invalid", bad.text
        token = emulator.new_private_app_token()
        made = await client.put("/api/v1/crm/hubspot/token", json={"token": token}, headers=headers)
        assert made.status_code == 200 and made.json()["auth_kind"] == "token" and token not in made.text
        shown = (await client.get("/api/v1/crm/hubspot", headers=headers)).json()
        assert shown["connected"] and shown["status"] == "connected"
        assert (await client.delete("/api/v1/crm/hubspot", headers=headers)).status_code == 204
        assert (await client.delete("/api/v1/crm/hubspot", headers=headers)).status_code == 404
    assert db.exec(select(CrmConnection)).all() == []


def _tenant(db, login):
    from ava_app.models import Tenant

    return db.get(Tenant, login.tenant_id)
