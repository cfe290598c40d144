"""Connecting Google Calendar from /settings/integrations in Chromium: the emulator's consent page, "Allow", and back.

Also saves screenshots of the Calendar section and of the consent page, in English and French, 390 and 1440 px wide
(``test-artifacts/calendar-*.png``).
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from ava_app.models import CalendarConnection
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_business, make_member

pytestmark = [
    pytest.mark.e2e,
    # The calendar emulators keep their OAuth codes and events in the memory of one process; with Redis the live
    # server runs several web processes, and a code issued by one is unknown to the next.
    pytest.mark.skipif(
        bool(os.environ.get("AVA_REDIS_URL")), reason="the calendar emulators run in one process (no Redis)"
    ),
]

GOOGLE_SANDBOX_ACCOUNT = "owner.sandbox@gmail.example"


def test_an_admin_connects_google_calendar_from_settings(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Salon Lumière"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/integrations")

    calendar = page.get_by_role("region", name="Calendar")
    expect(calendar.get_by_text("Not connected")).to_have_count(2)
    calendar.get_by_role("button", name="Connect Google").click()

    # The emulator's consent page, as Google shows one.
    expect(page.get_by_role("heading", name="Sign in with Google")).to_be_visible()
    expect(page.get_by_text(GOOGLE_SANDBOX_ACCOUNT)).to_be_visible()
    page.get_by_role("button", name="Allow").click()

    expect(page).to_have_url(re.compile(r"/settings/integrations\?calendar=connected&provider=google$"))
    calendar = page.get_by_role("region", name="Calendar")
    expect(calendar.get_by_role("status")).to_contain_text("Google Calendar is connected")
    expect(calendar.get_by_text("Connected", exact=True)).to_be_visible()
    expect(calendar.get_by_text(GOOGLE_SANDBOX_ACCOUNT)).to_be_visible()
    row = db.exec(select(CalendarConnection).where(CalendarConnection.tenant_id == owner_tenant(db, owner))).one()
    assert row.provider == "google" and row.status == "connected"

    # Disconnect asks first.
    calendar.get_by_role("button", name="Disconnect").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Disconnect this calendar?")
    dialog.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Calendar disconnected.")).to_be_visible()
    expect(calendar.get_by_text("Not connected")).to_have_count(2)


def test_deny_on_the_consent_page_says_nothing_was_connected(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Garage Nord"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/integrations")
    page.get_by_role("region", name="Calendar").get_by_role("button", name="Connect Microsoft").click()
    expect(page.get_by_role("heading", name="Sign in with Microsoft")).to_be_visible()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("alert")).to_contain_text("cancelled on the provider's page")


def test_screenshots_of_the_calendar_section_and_consent_page(live_server: str, browser: Browser, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Clinique du Parc"))
    for lang in ("en", "fr"):
        for width, height in ((390, 844), (1440, 900)):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            log_in(page, live_server, owner.email, PASSWORD)
            page.add_init_script(f"localStorage.setItem('ava_lang', '{lang}')")
            page.goto(live_server + "/settings/integrations")
            title = "Calendar" if lang == "en" else "Agenda"
            section = page.get_by_role("region", name=title)
            connect = "Connect Google" if lang == "en" else "Connecter Google"
            expect(section.get_by_role("button", name=connect)).to_be_visible()
            section.screenshot(path=str(ARTIFACTS / f"calendar-section-{lang}-{width}.png"))
            section.get_by_role("button", name=connect).click()
            allow = "Allow" if lang == "en" else "Autoriser"
            expect(page.get_by_role("button", name=allow)).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / f"calendar-consent-{lang}-{width}.png"), full_page=True)
            page.get_by_role("button", name=allow).click()
            expect(page).to_have_url(re.compile(r"calendar=connected"))
            section = page.get_by_role("region", name=title)
            expect(section.get_by_text(GOOGLE_SANDBOX_ACCOUNT)).to_be_visible()
            section.screenshot(path=str(ARTIFACTS / f"calendar-connected-{lang}-{width}.png"))
            context.close()
            # The next capture starts from "not connected" again.
            for row in db.exec(select(CalendarConnection)).all():
                db.delete(row)
            db.commit()


def owner_tenant(db: Session, user) -> int:
    from ava_app.models import Membership

    return db.exec(select(Membership.tenant_id).where(Membership.user_id == user.id)).one()


def test_a_broken_calendar_asks_to_reconnect(live_server: str, page: Page, db: Session):
    from ava_app.services.calendar_connections import mark_broken

    owner = make_member(db, tenant=make_business(db, name="Cabinet Martin"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/integrations")
    page.get_by_role("region", name="Calendar").get_by_role("button", name="Connect Microsoft").click()
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"calendar=connected&provider=microsoft"))

    row = db.exec(select(CalendarConnection).where(CalendarConnection.tenant_id == owner_tenant(db, owner))).one()
    assert mark_broken(db, connection_id=row.id, reason="invalid_grant")
    page.goto(live_server + "/settings/integrations")
    calendar = page.get_by_role("region", name="Calendar")
    expect(calendar.get_by_text("Needs reconnecting")).to_be_visible()
    expect(calendar.get_by_text("Reconnect it to keep it linked")).to_be_visible()
    calendar.screenshot(path=str(ARTIFACTS / "calendar-broken-en-1440.png"))

    calendar.get_by_role("button", name="Reconnect").click()
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"calendar=connected&provider=microsoft"))
    expect(page.get_by_role("region", name="Calendar").get_by_text("Needs reconnecting")).to_have_count(0)
