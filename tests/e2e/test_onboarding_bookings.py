"""The setup wizard's "Appointments" card in Chromium: a salon's preset services are listed, the owner turns booking
on, sets a price, adds a service, connects Google Calendar through the emulator's consent page and lands back in the
wizard. Screenshots in English and French, 390 and 1440 px wide (``test-artifacts/onboarding-bookings-*.png``)."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from ava_app.models import BookingService, CalendarConnection
from ava_app.services import bookings, presets
from ava_app.services.bookings import catalog
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_member
from tests.factories import make_tenant

pytestmark = pytest.mark.e2e


def salon_in_setup(db: Session, name: str):
    """A hair salon on the wizard's "personalise" step, with the salon's preset services."""
    tenant = make_tenant(db, name=name, industry="salon", onboarding_step=4, timezone="Europe/Paris", currency="EUR")
    catalog.seed_services(db, tenant_id=tenant.id, services=presets.booking_services("salon"), staff_name=name)
    db.commit()
    return tenant, make_member(db, tenant=tenant)


@pytest.mark.skipif(bool(os.environ.get("AVA_REDIS_URL")), reason="the calendar emulators run in one process")
def test_an_owner_sets_up_appointments_in_the_wizard(live_server: str, page: Page, db: Session):
    tenant, owner = salon_in_setup(db, "Salon Camille")
    log_in(page, live_server, owner.email)
    page.goto(f"{live_server}/onboarding")
    card = page.locator("#setup-bookings")
    expect(card).to_contain_text("Appointments")
    expect(card).to_contain_text("leave a message for you instead")
    card.locator("#setup-booking-on").click()
    expect(page.get_by_text("Your assistant now books appointments.")).to_be_visible()
    rows = card.locator(".setup-service")
    expect(rows.first).to_be_visible()
    first_name = rows.first.get_by_role("textbox").first.input_value()

    price = rows.first.get_by_label("Price")
    price.fill("abc")
    price.blur()
    expect(card.get_by_role("alert")).to_contain_text("Enter a price such as 45")
    price.fill("45,50")
    price.blur()
    expect(card.get_by_role("alert")).to_have_count(0)

    card.locator("#setup-service-name").fill("Bridal trial")
    card.locator("#setup-service-minutes").fill("90")
    card.locator("#setup-service-price").fill("120")
    card.locator("#setup-service-add").click()
    expect(rows.filter(has=page.locator("input[value='Bridal trial']"))).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "onboarding-bookings-card.png"), full_page=True)

    db.expire_all()
    saved = {row.name: row for row in db.exec(select(BookingService).where(BookingService.tenant_id == tenant.id))}
    assert saved[first_name].price_minor == 4550
    assert (saved["Bridal trial"].duration_minutes, saved["Bridal trial"].price_minor) == (90, 12000)
    assert bookings.booking_enabled(db, tenant_id=tenant.id)

    card.get_by_role("button", name="Connect Google").click()
    expect(page.get_by_role("heading", name="Sign in with Google")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"/onboarding\?calendar=connected&provider=google$"))
    expect(page.locator("#setup-bookings").get_by_role("status")).to_contain_text("Google Calendar is connected")
    db.expire_all()
    assert (
        db.exec(select(CalendarConnection).where(CalendarConnection.tenant_id == tenant.id)).one().provider == "google"
    )


def test_screenshots_of_the_appointments_card(live_server: str, browser: Browser, db: Session):
    tenant, owner = salon_in_setup(db, "Salon Lumière")
    catalog.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=120, horizon_days=60, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    db.commit()
    for lang in ("en", "fr"):
        for width, height in ((390, 844), (1440, 900)):
            context = browser.new_context(viewport={"width": width, "height": height}, locale=lang)
            page = context.new_page()
            log_in(page, live_server, owner.email, PASSWORD)
            page.add_init_script(f"localStorage.setItem('ava_lang', '{lang}')")
            page.goto(f"{live_server}/onboarding")
            card = page.locator("#setup-bookings")
            expect(card.locator(".setup-service").first).to_be_visible()
            card.scroll_into_view_if_needed()
            card.screenshot(path=str(ARTIFACTS / f"onboarding-bookings-{lang}-{width}.png"))
            context.close()
