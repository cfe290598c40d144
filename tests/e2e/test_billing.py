"""Billing in Chromium: a trial owner upgrades through the Stripe emulator's Checkout page and sees the plan; a
renewal declined by the card on file shows the grace banner.

The emulator's webhooks reach the live server's route signed, and its job applies them; the page is opened again
by itself until the plan shows (Stripe confirms a payment after the browser is back, as it does for real).
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from ava_app.models import BillingSubscription, Tenant, utcnow
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_tenant

pytestmark = [
    pytest.mark.e2e,
    # The Stripe emulator keeps its customers and subscriptions in the memory of one process.
    pytest.mark.skipif(bool(os.environ.get("AVA_REDIS_URL")), reason="the Stripe emulator runs in one process"),
]


def _until_visible(page: Page, url: str, locator: str, *, text: str = "", attempts: int = 30) -> None:
    """Open ``url`` again until ``locator`` shows (with ``text``): the webhook lands a moment after the redirect."""
    for _ in range(attempts):
        page.goto(url)
        found = page.locator(locator)
        try:
            expect(found).to_be_visible(timeout=2000)
            if not text or found.inner_text() == text:
                return
        except AssertionError:
            pass
        page.wait_for_timeout(500)
    expect(page.locator(locator)).to_have_text(text or re.compile(".+"))


def test_a_trial_owner_upgrades_through_checkout_and_a_declined_renewal_shows_the_grace_banner(
    live_server: str, page: Page, db: Session
):
    tenant = make_business(db, name="Boulangerie Dupont")
    owner = make_member(db, tenant=tenant)
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/billing")
    expect(page.locator("#billing-plan-name")).to_have_text("Trial")

    page.get_by_role("button", name="Upgrade · Pro").click()
    expect(page.get_by_role("heading", name="Subscribe to Pro")).to_be_visible()
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Subscribe").click()
    expect(page).to_have_url(re.compile(r"/settings/billing\?checkout=done"))
    # Back before Stripe's webhook, the page looks again by itself until the plan shows.
    expect(page.locator("#billing-plan-name")).to_have_text("Pro", timeout=40_000)
    expect(page.get_by_text("Active", exact=True)).to_be_visible()
    db.expire_all()
    assert db.get(Tenant, tenant.id).plan == "pro"
    row = db.exec(select(BillingSubscription).where(BillingSubscription.tenant_id == tenant.id)).one()
    assert row.status == "active"

    # The card on file is then declined at the next renewal (the emulator's test clock).
    page.get_by_role("button", name="Manage billing").click()
    expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    page.get_by_label(re.compile("^Card")).fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Update card").click()
    page.get_by_role("button", name=re.compile("Test clock")).click()
    expect(page.get_by_role("status")).to_have_text("The next renewal ran.")
    page.get_by_role("button", name="Return to AVA").click()
    expect(page).to_have_url(re.compile(r"/settings/billing$"))

    _until_visible(page, live_server + "/dashboard", "#billing-grace-banner")
    expect(page.locator("#billing-grace-banner")).to_contain_text("A payment failed")
    page.locator("#billing-grace-banner").get_by_role("link", name="Update card").click()
    expect(page.get_by_text("Your last payment failed")).to_be_visible()


def test_a_french_canadian_owner_sees_plans_and_checkout_in_french_and_canadian_dollars(
    live_server: str, browser: Browser, page: Page, db: Session
):
    tenant = make_tenant(
        db,
        name="Salon Saint-Denis",
        onboarding_completed_at=utcnow(),
        country="CA",
        currency="CAD",
        locale="fr",
        timezone="America/Toronto",
    )
    owner = make_member(db, tenant=tenant)
    log_in(page, live_server, owner.email)
    cookies = page.context.cookies()
    out = ARTIFACTS / "billing"
    out.mkdir(parents=True, exist_ok=True)
    for theme, (width, height) in (("light", (390, 844)), ("dark", (1440, 900))):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=theme,
            storage_state={"cookies": cookies, "origins": []},
            locale="en-GB",  # the browser's language is not the business's: the page follows the member's choice
            timezone_id="Asia/Tokyo",
        )
        context.add_init_script(f"localStorage.setItem('ava_lang', 'fr'); localStorage.setItem('theme', '{theme}');")
        shot = context.new_page()
        shot.goto(live_server + "/settings/billing")
        starter = shot.get_by_role("button", name="Passer à cette offre · Starter")
        expect(starter).to_be_visible()
        # Prices in the business's currency, as French writes Canadian dollars.
        expect(shot.get_by_text(re.compile(r"^39,00\s\$\s?CA$"))).to_be_visible()
        expect(shot.get_by_text(re.compile(r"0,35\s\$\s?CA"))).to_be_visible()
        width_used = shot.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, f"the billing page is {width_used} px wide at {width} px"
        shot.screenshot(path=str(out / f"billing-fr-cad-{theme}-{width}.png"), full_page=True)
        starter.click()
        expect(shot.get_by_role("heading", name="S'abonner à Starter")).to_be_visible()
        expect(shot.locator(".price")).to_contain_text(re.compile(r"39,00\s\$\s?CA"))
        expect(shot.get_by_role("button", name="Retour à AVA")).to_be_visible()
        shot.screenshot(path=str(out / f"checkout-fr-cad-{theme}-{width}.png"), full_page=True)
        context.close()
