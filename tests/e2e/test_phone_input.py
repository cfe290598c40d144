"""Numbers typed the way a business's people write them: a US owner on a phone types "(212) 555-0199" as the
forwarding number and reads it back so; a French owner is told in French what to type, with a French example; the SMS
login reads a national number in the browser's country."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from ava_app.models import PhoneNumber, utcnow
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_member
from tests.factories import make_assistant, make_phone_number, make_tenant

pytestmark = pytest.mark.e2e

MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-input-{name}.png"), full_page=True)


def test_a_us_owner_on_a_phone_types_a_national_forwarding_number(live_server: str, browser: Browser, db: Session):
    tenant = make_tenant(db, name="Hudson Bagels", country="US", onboarding_completed_at=utcnow())
    owner = make_member(db, tenant=tenant)
    assistant = make_assistant(db, tenant=tenant, name="Ava")
    number = make_phone_number(db, tenant=tenant, e164="+14155550100", assistant_id=assistant.id)
    context = browser.new_context(viewport=MOBILE, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, live_server, owner.email)
        page.goto(live_server + "/phone-numbers")
        card = page.locator(f"[data-number='{number.e164}']")
        expect(card).to_contain_text("(415) 555-0100")

        card.get_by_role("button", name="Settings (415) 555-0100").click()
        dialog = page.get_by_role("dialog")
        forwarding = dialog.get_by_role("textbox", name="Forwarding number")
        expect(forwarding).to_have_attribute("placeholder", "(201) 555-0123")
        forwarding.fill("(212) 555-0199")
        _shot(page, "us-mobile-typed")
        dialog.get_by_role("button", name="Save").click()
        expect(page.get_by_role("dialog")).to_have_count(0)

        expect(card.get_by_test_id("forwarding")).to_have_text("(212) 555-0199")
        db.expire_all()
        assert db.get(PhoneNumber, number.id).forwarding_number == "+12125550199"
        _shot(page, "us-mobile-list")

        # Opened again, the number reads as it was typed.
        card.get_by_role("button", name="Settings (415) 555-0100").click()
        expect(page.get_by_role("dialog").get_by_role("textbox", name="Forwarding number")).to_have_value(
            "(212) 555-0199"
        )
        page.keyboard.press("Escape")

        # The profile's number field shows an example of the business's country too.
        page.goto(live_server + "/settings/profile")
        expect(page.get_by_label("Mobile number (for SMS login)")).to_have_attribute("placeholder", "(201) 555-0123")
        _shot(page, "us-mobile-profile")
    finally:
        context.close()


def test_a_french_owner_is_told_in_french_what_to_type(live_server: str, browser: Browser, db: Session):
    tenant = make_tenant(db, name="Boulangerie Lila", country="FR", onboarding_completed_at=utcnow())
    owner = make_member(db, tenant=tenant)
    number = make_phone_number(db, tenant=tenant, e164="+33199000011", country="FR")
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, live_server, owner.email)
        page.context.add_init_script("localStorage.setItem('ava_lang', 'fr')")
        page.goto(live_server + "/phone-numbers")
        card = page.locator(f"[data-number='{number.e164}']")
        expect(card).to_contain_text("01 99 00 00 11")

        card.get_by_role("button", name="Réglages 01 99 00 00 11").click()
        dialog = page.get_by_role("dialog")
        forwarding = dialog.get_by_role("textbox", name="Numéro de transfert")
        expect(forwarding).to_have_attribute("placeholder", "06 12 34 56 78")
        forwarding.fill("appelez-moi")
        dialog.get_by_role("button", name="Enregistrer").click()
        expect(dialog.get_by_text("Saisissez un numéro de téléphone, ex. 06 12 34 56 78.")).to_be_visible()
        expect(forwarding).to_have_value("appelez-moi")
        _shot(page, "fr-desktop-refused")

        forwarding.fill("06 12 34 56 78")
        dialog.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(card.get_by_test_id("forwarding")).to_have_text("06 12 34 56 78")
        db.expire_all()
        assert db.get(PhoneNumber, number.id).forwarding_number == "+33612345678"
        page.set_viewport_size(MOBILE)
        _shot(page, "fr-mobile-list")
    finally:
        context.close()


def test_the_sms_login_reads_a_national_number_in_the_browser_country(live_server: str, browser: Browser):
    for locale, lang, placeholder, tab, field, button in (
        ("fr-FR", "fr", "06 12 34 56 78", "Code SMS", "Numéro de mobile", "Recevoir un code par SMS"),
        ("en-US", "en", "(201) 555-0123", "SMS code", "Mobile number", "Text me a code"),
    ):
        context = browser.new_context(viewport=MOBILE, locale=locale)
        context.set_default_timeout(15_000)
        context.add_init_script(f"localStorage.setItem('ava_lang', '{lang}')")
        try:
            page = context.new_page()
            page.goto(live_server + "/login")
            page.get_by_role("radio", name=tab).click()
            phone = page.get_by_label(field)
            expect(phone).to_have_attribute("placeholder", placeholder)
            _shot(page, f"login-{lang}-mobile-empty")
            phone.fill(placeholder)
            page.get_by_role("button", name=button).click()
            # The same answer whether or not an account uses the number: the national number was read.
            expect(page.get_by_text(re.compile(r"(we sent a code|nous avons envoyé un code)"))).to_be_visible()
            _shot(page, f"login-{lang}-mobile")
        finally:
            context.close()
