"""Connecting a calendar through the routes, like a browser: login cookie, consent page, callback; and its misuse.

The Google and Microsoft emulators are the ones AVA itself mounts (dev); AVA's server-side calls (code exchange,
refresh, calendar API) reach them through the same ASGI app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import AuthSession, CalendarConnection, CalendarOAuthState, Membership, Outbox, utcnow
from ava_app.sandbox import calendars
from ava_app.services import accounts, api_keys, browser_sessions, calendar_connections, rate_limits
from ava_app.services.accounts import principal_for_session
from ava_app.services.calendar_connections import CalendarBroken
from ava_app.services.credentials import decrypt_text
from ava_app.services.providers import calendar_oauth
from ava_app.settings import get_settings
from tests.calendar_emulators import click_consent

PASSWORD = "tulip-garage-42"
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture()
def api(engine):
    rate_limits.reset_rate_limits()
    calendars.google_emulator.cache_clear()
    calendars.microsoft_emulator.cache_clear()
    app = create_api()
    calendar_oauth.provider_transport = httpx.ASGITransport(app=app)
    yield app
    calendar_oauth.provider_transport = None


def signup(db, name: str):
    slug = name.lower().replace(" ", "")
    return accounts.signup(
        db, name=f"{name} Owner", email=f"owner@{slug}.example", password=PASSWORD, organisation_name=name
    )


@asynccontextmanager
async def browser_of(api, login) -> AsyncIterator[httpx.AsyncClient]:
    """A browser logged in as ``login`` (the httpOnly session cookie set through the grant)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=get_settings().public_url) as browser:
        grant = browser_sessions.issue_cookie_grant(session_id=login.session_id, user_id=login.user_id)
        assert (await browser.post("/api/v1/auth/browser-session", json={"grant": grant})).status_code == 204
        yield browser


async def start(browser: httpx.AsyncClient, provider: str = "google", lang: str = "en") -> httpx.Response:
    return await browser.get(f"/api/v1/calendar/{provider}/connect", params={"lang": lang})


def landing(response: httpx.Response) -> dict[str, str]:
    """Where a callback sent the browser: the settings page and its query."""
    assert response.status_code == 303, response.text
    target = urlsplit(response.headers["location"])
    assert target.path == "/settings/integrations"
    return {key: values[0] for key, values in parse_qs(target.query).items()}


async def connect(browser: httpx.AsyncClient, provider: str = "google") -> dict[str, str]:
    started = await start(browser, provider)
    assert started.status_code == 303, started.text
    answer = await click_consent(browser, started.headers["location"])
    callback = await browser.get(f"/api/v1/calendar/{provider}/callback", params=answer)
    return landing(callback)


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_an_admin_connects_a_calendar_and_bookings_use_it(api, db, provider):
    owner = signup(db, "Salon Lumiere")
    async with browser_of(api, owner) as browser:
        started = await start(browser, provider, lang="fr")
        assert started.status_code == 303
        cookie = started.headers["set-cookie"]
        assert cookie.startswith("ava_calendar_connect=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Path=/api/v1/calendar" in cookie
        consent = await browser.get(started.headers["location"])
        assert "Autoriser" in consent.text and "Refuser" in consent.text  # the admin's language
        answer = await click_consent(browser, started.headers["location"])
        landed = landing(await browser.get(f"/api/v1/calendar/{provider}/callback", params=answer))
    assert landed == {"calendar": "connected", "provider": provider}

    emulator = calendars.google_emulator() if provider == "google" else calendars.microsoft_emulator()
    row = db.exec(select(CalendarConnection)).one()
    assert (row.tenant_id, row.provider, row.status, row.account_email) == (
        owner.tenant_id,
        provider,
        "connected",
        emulator.oauth.account,
    )
    refresh_token = decrypt_text(row.refresh_token_encrypted)
    assert refresh_token in emulator.oauth.grants and refresh_token not in row.refresh_token_encrypted
    assert db.exec(select(CalendarOAuthState)).all() == []  # the attempt is used up

    emulator.store.add_busy(emulator.oauth.account, MONDAY_9, MONDAY_9 + timedelta(hours=1))
    written = calendar_connections.upsert_event(
        db,
        tenant_id=owner.tenant_id,
        booking_id=501,
        start=MONDAY_9 + timedelta(hours=2),
        end=MONDAY_9 + timedelta(hours=3),
        summary="Colour — Ana",
    )
    assert list(written) == [provider] and written[provider] in emulator.events_of()
    assert calendar_connections.busy_intervals(
        db, tenant_id=owner.tenant_id, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=8)
    ) == [(MONDAY_9, MONDAY_9 + timedelta(hours=1)), (MONDAY_9 + timedelta(hours=2), MONDAY_9 + timedelta(hours=3))]
    assert calendar_connections.delete_event(db, tenant_id=owner.tenant_id, booking_id=501) == {provider: True}

    listed = {
        item.provider: item for item in calendar_connections.list_connections(db, principal=_principal(db, owner))
    }
    assert listed[provider].connected and listed[provider].status == "connected"
    assert listed[provider].account_email == emulator.oauth.account


async def test_a_revoked_grant_breaks_the_connection_once_and_emails_the_admins(api, db):
    owner = signup(db, "Garage Nord")
    async with browser_of(api, owner) as browser:
        assert (await connect(browser))["calendar"] == "connected"
    calendars.google_emulator().oauth.revoke_all()

    for _ in range(2):
        with pytest.raises(CalendarBroken) as refused:
            calendar_connections.busy_intervals(
                db, tenant_id=owner.tenant_id, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1)
            )
        assert refused.value.code == "calendar_broken"
    row = db.exec(select(CalendarConnection)).one()
    db.refresh(row)
    assert row.status == "broken" and row.broken_reason == "invalid_grant" and row.access_token_encrypted is None
    mails = db.exec(select(Outbox).where(Outbox.to == "owner@garagenord.example")).all()
    broken = [mail for mail in mails if "reconnected" in mail.subject]
    assert len(broken) == 1 and "/settings/integrations" in broken[0].body_text
    with pytest.raises(CalendarBroken):
        calendar_connections.upsert_event(
            db, tenant_id=owner.tenant_id, booking_id=1, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1), summary="x"
        )

    # Reconnecting (from another login) mends it.
    again = accounts.login(db, email="owner@garagenord.example", password=PASSWORD)
    async with browser_of(api, again) as browser:
        assert (await connect(browser))["calendar"] == "connected"
    db.refresh(row)
    assert row.status == "connected" and row.broken_at is None
    assert (
        calendar_connections.busy_intervals(
            db, tenant_id=owner.tenant_id, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1)
        )
        == []
    )


async def test_an_expired_access_token_is_refreshed_on_a_401(api, db):
    owner = signup(db, "Cafe Sud")
    async with browser_of(api, owner) as browser:
        await connect(browser, "microsoft")
    row = db.exec(select(CalendarConnection)).one()
    old_access, old_refresh = row.access_token_encrypted, decrypt_text(row.refresh_token_encrypted)
    calendars.microsoft_emulator().oauth.expire_access_tokens()  # AVA still believes its cached token is good
    assert (
        calendar_connections.busy_intervals(
            db, tenant_id=owner.tenant_id, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1)
        )
        == []
    )
    db.refresh(row)
    assert row.status == "connected" and row.access_token_encrypted != old_access
    assert decrypt_text(row.refresh_token_encrypted) != old_refresh  # Microsoft's rotated refresh token is kept


async def test_deny_and_replayed_or_unknown_states_are_refused(api, db):
    owner = signup(db, "Bistro Est")
    async with browser_of(api, owner) as browser:
        started = await start(browser)
        denied = await click_consent(browser, started.headers["location"], decision="deny")
        assert landing(await browser.get("/api/v1/calendar/google/callback", params=denied)) == {
            "calendar_error": "calendar_denied"
        }
        assert db.exec(select(CalendarOAuthState)).all() == []

        started = await start(browser)
        answer = await click_consent(browser, started.headers["location"])
        assert landing(await browser.get("/api/v1/calendar/google/callback", params=answer))["calendar"] == "connected"
        replay = await browser.get("/api/v1/calendar/google/callback", params=answer)
        assert landing(replay) == {"calendar_error": "calendar_state_invalid"}

        forged = await browser.get("/api/v1/calendar/google/callback", params={"code": "x", "state": "made-up"})
        assert landing(forged) == {"calendar_error": "calendar_state_invalid"}
        # A state for Google does not complete a Microsoft connection.
        started = await start(browser)
        answer = await click_consent(browser, started.headers["location"])
        wrong = await browser.get("/api/v1/calendar/microsoft/callback", params=answer)
        assert landing(wrong) == {"calendar_error": "calendar_state_invalid"}


async def test_an_expired_attempt_is_refused(api, db):
    owner = signup(db, "Fleuriste")
    async with browser_of(api, owner) as browser:
        started = await start(browser)
        answer = await click_consent(browser, started.headers["location"])
        attempt = db.exec(select(CalendarOAuthState)).one()
        attempt.expires_at = utcnow() - timedelta(seconds=1)
        db.add(attempt)
        db.commit()
        assert landing(await browser.get("/api/v1/calendar/google/callback", params=answer)) == {
            "calendar_error": "calendar_state_expired"
        }
    assert db.exec(select(CalendarConnection)).all() == []


async def test_a_callback_delivered_to_another_browser_connects_nothing(api, db):
    """Login CSRF: an attacker's code and state, sent to a victim's browser, must not connect the attacker's
    calendar to the victim's organisation (nor the victim's to the attacker's)."""
    attacker, victim = signup(db, "Attacker Shop"), signup(db, "Victim Clinic")
    async with browser_of(api, attacker) as attacker_browser, browser_of(api, victim) as victim_browser:
        started = await start(attacker_browser)
        answer = await click_consent(attacker_browser, started.headers["location"])
        landed = landing(await victim_browser.get("/api/v1/calendar/google/callback", params=answer))
        assert landed == {"calendar_error": "calendar_state_other_browser"}
        # Used up: the attacker cannot finish it either.
        again = landing(await attacker_browser.get("/api/v1/calendar/google/callback", params=answer))
        assert again == {"calendar_error": "calendar_state_invalid"}
    assert db.exec(select(CalendarConnection)).all() == []


async def test_the_attempt_is_bound_to_the_login_session_that_started_it(api, db):
    owner, other = signup(db, "Boulangerie"), signup(db, "Pressing")
    async with browser_of(api, owner) as browser:
        started = await start(browser)
        answer = await click_consent(browser, started.headers["location"])
        # Same browser, now logged in as someone else: the binding cookie matches, the session does not.
        async with browser_of(api, other) as other_browser:
            other_sid = other_browser.cookies["ava_sid"]
        browser.cookies.set("ava_sid", other_sid)
        landed = landing(await browser.get("/api/v1/calendar/google/callback", params=answer))
    assert landed == {"calendar_error": "calendar_state_other_session"}
    assert db.exec(select(CalendarConnection)).all() == []


async def test_session_ended_or_admin_demoted_before_the_callback(api, db):
    owner = signup(db, "Opticien")
    async with browser_of(api, owner) as browser:
        started = await start(browser)
        answer = await click_consent(browser, started.headers["location"])
        membership = db.exec(select(Membership).where(Membership.user_id == owner.user_id)).one()
        membership.role = "user"
        db.add(membership)
        db.commit()
        browser.cookies.delete("ava_sid")  # a cross-site callback: the Strict login cookie is not sent
        landed = landing(await browser.get("/api/v1/calendar/google/callback", params=answer))
        assert landed == {"calendar_error": "calendar_not_admin"}

        membership.role = "admin"
        db.add(membership)
        db.commit()
    owner = accounts.login(db, email="owner@opticien.example", password=PASSWORD)
    async with browser_of(api, owner) as browser:
        started = await start(browser)
        answer = await click_consent(browser, started.headers["location"])
        auth_session = db.get(AuthSession, owner.session_id)
        auth_session.revoked_at = utcnow()
        db.add(auth_session)
        db.commit()
        landed = landing(await browser.get("/api/v1/calendar/google/callback", params=answer))
        assert landed == {"calendar_error": "calendar_session_ended"}
    assert db.exec(select(CalendarConnection)).all() == []


async def test_connect_needs_a_logged_in_admin(api, db):
    owner = signup(db, "Librairie")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url=get_settings().public_url) as anon:
        answer = await anon.get("/api/v1/calendar/google/connect")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
        assert "set-cookie" not in answer.headers
    member = accounts.signup(
        db, name="Staff", email="staff@librairie.example", password=PASSWORD, organisation_name="Tmp"
    )
    membership = db.exec(select(Membership).where(Membership.user_id == member.user_id)).one()
    membership.tenant_id, membership.role = owner.tenant_id, "user"
    db.add(membership)
    auth_session = db.get(AuthSession, member.session_id)
    auth_session.tenant_id = owner.tenant_id
    db.add(auth_session)
    db.commit()
    async with browser_of(api, member) as browser:
        refused = await start(browser)
        assert landing(refused) == {"calendar_error": "admin_only"}
    assert db.exec(select(CalendarOAuthState)).all() == []


async def test_organisation_b_cannot_see_or_remove_organisation_a_calendar(api, db):
    a, b = signup(db, "Alpha Dental"), signup(db, "Beta Bakery")
    async with browser_of(api, a) as browser:
        await connect(browser)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        as_b = {"Authorization": f"Bearer {b.access_token}"}
        listed = (await client.get("/api/v1/calendar/connections", headers=as_b)).json()
        assert [(item["provider"], item["connected"], item["account_email"]) for item in listed] == [
            ("google", False, ""),
            ("microsoft", False, ""),
        ]
        assert (await client.delete("/api/v1/calendar/connections/google", headers=as_b)).status_code == 404
        key = api_keys.create_api_key(db, principal=_principal(db, b), name="till").key
        by_key = await client.get("/api/v1/calendar/connections", headers={"Authorization": f"Bearer {key}"})
        assert by_key.status_code == 403
        as_a = {"Authorization": f"Bearer {a.access_token}"}
        assert (await client.get("/api/v1/calendar/connections", headers=as_a)).json()[0]["connected"] is True
    assert db.exec(select(CalendarConnection)).one().tenant_id == a.tenant_id
    assert (
        calendar_connections.busy_intervals(
            db, tenant_id=b.tenant_id, start=MONDAY_9, end=MONDAY_9 + timedelta(hours=1)
        )
        == []
    )


async def test_disconnect_forgets_the_calendar_and_revokes_it_at_google(api, db):
    owner = signup(db, "Tailleur")
    async with browser_of(api, owner) as browser:
        await connect(browser)
    refresh_token = decrypt_text(db.exec(select(CalendarConnection)).one().refresh_token_encrypted)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        gone = await client.delete(
            "/api/v1/calendar/connections/google", headers={"Authorization": f"Bearer {owner.access_token}"}
        )
    assert gone.status_code == 204
    assert db.exec(select(CalendarConnection)).all() == []
    assert calendars.google_emulator().oauth.grants[refresh_token].revoked


def _principal(db, login):
    return principal_for_session(db, session_id=login.session_id, user_id=login.user_id)


async def test_the_calendar_emulators_are_served_in_dev_only(api, monkeypatch):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://testserver") as client:
        assert (await client.get("/sandbox/google/o/oauth2/v2/auth")).status_code == 400  # served: unknown client
        assert (await client.post("/sandbox/microsoft/v1.0/me/calendar/getSchedule", json={})).status_code == 401

    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")
    get_settings.cache_clear()
    try:
        prod = create_api()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=prod), base_url="http://testserver") as client:
            assert (await client.get("/sandbox/google/o/oauth2/v2/auth")).status_code == 404
            assert (await client.get("/sandbox/microsoft/common/oauth2/v2.0/authorize")).status_code == 404
        with pytest.raises(calendar_oauth.CalendarNotConfigured):
            calendar_oauth.calendar_endpoints("google")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


async def test_a_connection_started_in_the_setup_wizard_lands_back_on_it(api, db):
    login = signup(db, "Wizard Salon")
    async with browser_of(api, login) as browser:
        started = await browser.get("/api/v1/calendar/google/connect", params={"lang": "fr", "then": "onboarding"})
        assert started.status_code == 303, started.text
        answer = await click_consent(browser, started.headers["location"])
        callback = await browser.get("/api/v1/calendar/google/callback", params=answer)
        assert callback.status_code == 303
        target = urlsplit(callback.headers["location"])
        assert (target.path, parse_qs(target.query)) == (
            "/onboarding",
            {"calendar": ["connected"], "provider": ["google"]},
        )
        assert "ava_calendar_then" not in browser.cookies  # spent with the attempt
        # A later connection without ``then`` (and any unknown ``then``) lands on the settings page as before.
        assert (await connect(browser, "microsoft"))["calendar"] == "connected"
        odd = await browser.get("/api/v1/calendar/google/connect", params={"then": "https://elsewhere.example"})
        answer = await click_consent(browser, odd.headers["location"])
        assert landing(await browser.get("/api/v1/calendar/google/callback", params=answer))["calendar"] == "connected"
