"""A new owner's first ten minutes, from the signup form to the dashboard, in the owner's own browser.

A French salon in a French browser in Paris (light, 1440 px) and an American plumber on a 390 px phone in New York
(dark) each sign up, go through the six wizard steps and go live; the plumber's simulated forwarded call is then read
on the phone, its summary and call-back link on the first screen. Nothing is set by hand: the region comes from the
browser. With ``AVA_E2E_SHOTS`` set, each step is saved under test-artifacts/first-ten-minutes/.
"""

from __future__ import annotations

import os
import re
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from ava_app.models import Assistant, Call, PhoneNumber
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_business_region import _sign_up as sign_up_in_browser_language
from tests.e2e.test_onboarding import tenant_of, wait_for

pytestmark = pytest.mark.e2e
SHOTS = ARTIFACTS / "first-ten-minutes"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_context(browser: Browser, *, locale: str, timezone_id: str, viewport: dict, theme: str) -> BrowserContext:
    """A browser as the owner has it: its language and time zone, its screen, its light or dark look."""
    context = browser.new_context(locale=locale, timezone_id=timezone_id, viewport=viewport, color_scheme=theme)
    context.add_init_script(f"localStorage.setItem('theme', '{theme}')")
    context.set_default_timeout(15_000)
    return context


def shot(page: Page, name: str) -> None:
    """Save the page as it is now when ``AVA_E2E_SHOTS`` is set (to look at each step)."""
    if not os.environ.get("AVA_E2E_SHOTS"):
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    # From the top: a full-page capture of a scrolled page draws the fixed header and toasts mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def inside(locator, container) -> None:
    """``locator`` is drawn within ``container`` (not spilling over its border on a narrow screen)."""
    box, outer = locator.bounding_box(), container.bounding_box()
    assert box is not None and outer is not None
    assert box["x"] >= outer["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"], (box, outer)


def no_overflow(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def on_first_screen(page: Page, locator) -> None:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box


def test_a_french_salon_signs_up_in_paris_and_goes_live(live_server: str, browser: Browser, db: Session):
    context = open_context(browser, locale="fr-FR", timezone_id="Europe/Paris", viewport=DESKTOP, theme="light")
    page = context.new_page()
    name = "fr-light-1440"
    try:
        email = sign_up_in_browser_language(page, live_server, "fr", "Salon Camille")

        # 1. Welcome: the region read from the browser.
        expect(page.locator("#welcome-region-summary")).to_have_text(
            re.compile(r"^France · heure de Paris \(UTC\+[12]\) · Français · Euro$")
        )
        shot(page, f"{name}-1-welcome")
        page.get_by_role("button", name="Commencer").click()

        # 2. Industry: the hair-salon preset.
        expect(page.get_by_text("Étape 2 sur 6")).to_be_visible()
        shot(page, f"{name}-2-industry")
        page.get_by_role("button", name="Salon de coiffure et de beauté").click()

        # 3. A France number, national format, priced in euros.
        expect(page.get_by_role("heading", name="Le numéro de votre assistant")).to_be_visible()
        expect(page.locator("#nf-country")).to_contain_text("France")
        page.get_by_role("button", name="Chercher des numéros").click()
        results = page.get_by_role("radiogroup")
        expect(results).to_contain_text(re.compile(r"0[1-9] \d\d \d\d \d\d \d\d"))
        expect(results).to_contain_text(re.compile(r"\d,\d\d\s€"))
        expect(results).not_to_contain_text("$")
        shot(page, f"{name}-3-number")
        page.get_by_role("button", name="Prendre ce numéro").click()
        expect(page.get_by_role("alertdialog")).to_contain_text(re.compile(r"\d,\d\d\s€"))
        page.get_by_role("button", name="Confirmer").click()
        expect(page.get_by_text("Votre numéro est prêt :").first).to_be_visible()
        page.get_by_role("button", name="Suivant").click()

        # 4. Personalise, with "your business": an address and one service priced in euros.
        expect(page.get_by_role("heading", name="Votre entreprise")).to_be_visible()
        expect(page.get_by_label("Message d'accueil", exact=False).first).to_have_value(re.compile("Salon Camille"))
        page.get_by_label("Adresse", exact=True).fill("12 rue des Lilas, 75011 Paris")
        page.get_by_role("button", name="Ajouter une prestation").click()
        page.get_by_label("Prestation 1", exact=True).fill("Coupe femme")
        page.get_by_label("Prix 1", exact=True).fill("35")
        expect(page.get_by_text("Les appelants entendent : 35,00\xa0€")).to_be_visible()
        shot(page, f"{name}-4-personalise")
        page.get_by_role("button", name="Enregistrer et continuer").click()

        # 5. The test call: asked its hours in French, the assistant answers in French, in 24-hour time.
        page.get_by_role("button", name="Appeler pour tester").click()
        transcript = page.get_by_role("log")
        expect(transcript).to_contain_text("Salon Camille")
        caller = page.get_by_label("Ce que dit l'appelant")
        caller.fill("Quels sont vos horaires ?")
        caller.press("Enter")
        expect(transcript).to_contain_text("Quels sont vos horaires ?")
        expect(page.get_by_role("button", name="Envoyer", exact=True)).to_be_enabled()
        answer = transcript.get_by_text(re.compile(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi)")).last
        expect(answer).to_have_text(re.compile(r"\b(1[3-9]|2[0-3]) h\b"))
        expect(answer).not_to_have_text(re.compile(r"\b(AM|PM|Mon|Tue|closed)\b"))
        shot(page, f"{name}-5-test-call")
        page.get_by_role("button", name="Raccrocher").click()
        expect(page.locator("#test-call-open")).to_have_attribute("href", re.compile(r"/calls/\d+$"))

        # 6. How calls reach AVA: the AVA number, then Orange's forwarding codes for the salon's mobile.
        page.get_by_role("button", name="Suivant").click()
        expect(page.get_by_role("heading", name="Comment vos appels arrivent à AVA")).to_be_visible()
        number = page.locator("#reach-number")
        expect(number).to_have_text(re.compile(r"^0[1-9] \d\d \d\d \d\d \d\d$"))
        shown = number.inner_text()
        national = shown.replace(" ", "")
        page.get_by_label("Votre numéro actuel").fill("06 12 34 56 78")
        page.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(page.locator("#reach-carrier")).to_contain_text("Orange")
        codes = page.locator("#reach-codes")
        expect(codes).to_contain_text(f"**61*{national}#")
        expect(codes).to_contain_text(f"**21*{national}#")
        shot(page, f"{name}-6-reach")

        # Live: the dashboard in Paris time, the number as the French write it, no dollar anywhere.
        page.get_by_role("button", name="Activer", exact=True).click()
        expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=30_000)
        expect(page.locator("#reach-card")).to_contain_text(shown)
        expect(page.locator("#dash-timezone")).to_contain_text("Paris")
        test_row = page.get_by_role("link", name=re.compile(r"Vous \(test\)"))
        expect(test_row).to_have_count(1)
        expect(page.locator("body")).not_to_contain_text("$")
        shot(page, f"{name}-7-dashboard")

        tenant = tenant_of(db, email)
        assert (tenant.country, tenant.currency, tenant.timezone) == ("FR", "EUR", "Europe/Paris")
        row = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
        assert row.e164.startswith("+33") and row.forwarded_from == "+33612345678"
        assistant = db.exec(select(Assistant).where(Assistant.tenant_id == tenant.id)).one()
        assert assistant.business_profile["address"] == "12 rue des Lilas, 75011 Paris"
        assert assistant.business_profile["services"] == [{"name": "Coupe femme", "price": "35.00", "duration": None}]
        # The test call's time on the dashboard is its Paris time.
        test_call = db.exec(select(Call).where(Call.tenant_id == tenant.id)).one()
        started = test_call.started_at or test_call.created_at
        started = started if started.tzinfo else started.replace(tzinfo=UTC)
        expect(test_row).to_contain_text(started.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M"))
    finally:
        context.close()


def test_a_us_plumber_on_a_phone_signs_up_and_reads_a_call(live_server: str, browser: Browser, db: Session):
    context = open_context(browser, locale="en-US", timezone_id="America/New_York", viewport=PHONE, theme="dark")
    page = context.new_page()
    name = "en-dark-390"
    try:
        email = sign_up_in_browser_language(page, live_server, "en", "Hudson Plumbing")

        # 1. Welcome
        expect(page.locator("#welcome-region-summary")).to_have_text(
            re.compile(r"^United States · New York time \(UTC−[45]\) · English · US Dollar$")
        )
        no_overflow(page)
        shot(page, f"{name}-1-welcome")
        page.get_by_role("button", name="Start").click()

        # 2. Industry
        expect(page.get_by_text("Step 2 of 6")).to_be_visible()
        shot(page, f"{name}-2-industry")
        page.get_by_role("button", name="Plumber & home services").click()

        # 3. A New York number in dollars.
        expect(page.locator("#nf-country")).to_contain_text("United States")
        page.get_by_label("Area code").fill("212")
        page.get_by_role("button", name="Search numbers").click()
        results = page.get_by_role("radiogroup")
        expect(results).to_contain_text(re.compile(r"\(212\) \d{3}-\d{4}"))
        expect(results).to_contain_text(re.compile(r"\$\d+\.\d\d"))
        shot(page, f"{name}-3-number")
        page.get_by_role("button", name="Get this number").click()
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_text("Your number is ready:").first).to_be_visible()
        page.get_by_role("button", name="Next").click()

        # 4. Personalise: the forwarding number typed the American way.
        forwarding = page.get_by_role("textbox", name="Forwarding number")
        expect(forwarding).to_have_attribute("placeholder", "(201) 555-0123")
        forwarding.fill("(212) 555-0199")
        no_overflow(page)
        hours = page.locator(".rt-Card").filter(has=page.get_by_role("heading", name="Opening hours")).last
        for label in ("Open Tuesday", "to Tuesday"):
            inside(page.get_by_label(label, exact=True), hours)
        if os.environ.get("AVA_E2E_SHOTS"):
            hours.screenshot(path=str(SHOTS / f"{name}-4-hours.png"))
        shot(page, f"{name}-4-personalise")
        page.get_by_role("button", name="Save and continue").click()

        # 5. A short test call.
        page.get_by_role("button", name="Call to test").click()
        transcript = page.get_by_role("log")
        expect(transcript).to_contain_text("Hudson Plumbing")
        caller = page.get_by_label("What the caller says")
        caller.fill("What are your opening hours?")
        caller.press("Enter")
        expect(transcript).to_contain_text("What are your opening hours?")
        expect(page.get_by_role("button", name="Send", exact=True)).to_be_enabled()
        step = page.locator(".rt-Card").filter(has=page.get_by_role("heading", name="Talk to your assistant")).last
        inside(page.locator("#test-call-source"), step)
        shot(page, f"{name}-5-test-call")
        page.get_by_role("button", name="End test call").click()
        expect(page.locator("#test-call-open")).to_have_attribute("href", re.compile(r"/calls/\d+$"))

        # 6. US carriers' codes for the existing line; a simulated forwarded call confirms it.
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name="How calls reach AVA")).to_be_visible()
        number = page.locator("#reach-number")
        expect(number).to_have_text(re.compile(r"^\(212\) \d{3}-\d{4}$"))
        shown = number.inner_text()
        digits = re.sub(r"\D", "", shown)
        page.get_by_label("Your existing number").fill("(212) 555-0143")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_label("Your existing number")).to_have_value("(212) 555-0143")
        expect(page.locator("#reach-carrier")).to_contain_text("Verizon")
        codes = page.locator("#reach-codes")
        expect(codes).to_contain_text(f"*71{digits}")
        expect(codes).to_contain_text(f"*72{digits}")
        page.locator("#reach-carrier").click()
        page.get_by_role("option", name="AT&T").click()
        expect(codes).to_contain_text(f"**61*1{digits}#")
        no_overflow(page)
        shot(page, f"{name}-6-reach")
        page.get_by_role("button", name="Simulate a forwarded call").click()
        expect(page.locator("#reach-status")).to_contain_text("Forwarding works", timeout=60_000)

        page.get_by_role("button", name="Go live", exact=True).click()
        expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=30_000)
        expect(page.locator("#reach-card")).to_contain_text(shown)
        expect(page.locator("#dash-timezone")).to_contain_text("New York")
        no_overflow(page)
        shot(page, f"{name}-7-dashboard")

        # The forwarding number reads back as it was typed.
        tenant = tenant_of(db, email)
        line = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
        assert line.forwarding_number == "+12125550199"
        assert line.forwarded_from == "+12125550143"
        page.goto(live_server + "/phone-numbers")
        expect(page.locator(f"[data-number='{line.e164}']").get_by_test_id("forwarding")).to_have_text("(212) 555-0199")
        shot(page, f"{name}-8-phone-numbers")

        # (c) The forwarded call, once summarised, on the phone: summary and call-back on the first screen.
        def summarised_call():
            db.expire_all()
            return db.exec(
                select(Call).where(Call.tenant_id == tenant.id, Call.call_type != "test", Call.summary_status == "done")
            ).first()

        call = wait_for(summarised_call, timeout=120)
        assert call.caller_number
        page.goto(f"{live_server}/calls/{call.id}")
        summary = page.locator("#call-summary")
        expect(summary).not_to_be_empty()
        back = page.locator("#call-back")
        expect(back).to_be_visible()
        assert back.get_attribute("href") == f"tel:{call.caller_number}"
        on_first_screen(page, summary)
        on_first_screen(page, back)
        no_overflow(page)
        shot(page, f"{name}-9-call-page")
    finally:
        context.close()
