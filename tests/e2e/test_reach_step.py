"""The number step and "How calls reach AVA" as French and American owners meet them.

A French business searches France numbers priced in euros with full region names, takes one, types its existing
mobile line and sees the French carriers' forwarding codes; a simulated forwarded call (the Vapi emulator, through
AVA's webhook) turns the step green. Then, in the same browser tab, the owner logs out and another business, American,
signs up: its number step starts in the United States (nothing of the French account is left), and at 390 px it sees
the US carriers' codes. A business without a number is never told it is live. Screenshots go to /tmp/shots-reach/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app.models import PhoneNumber
from tests.e2e.test_onboarding import Owner, sign_up, tenant_of

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots-reach")


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def make_business(db: Session, email: str, *, country: str, currency: str, locale: str, timezone: str) -> None:
    """What signup records from the owner's browser (another part of AVA sets it; here it is given)."""
    tenant = tenant_of(db, email)
    tenant.country, tenant.currency, tenant.locale, tenant.timezone = country, currency, locale, timezone
    db.add(tenant)
    db.commit()


def set_look(page: Page, *, lang: str, theme: str = "light") -> None:
    page.emulate_media(color_scheme=theme)
    page.evaluate(f"localStorage.setItem('ava_lang', '{lang}'); localStorage.setItem('theme', '{theme}')")
    page.reload()


def to_number_step(owner: Owner, *, start: str, industry: str) -> None:
    page = owner.page
    owner.click(page.get_by_role("button", name=start))
    owner.click(page.get_by_role("button", name=industry))


def test_french_owner_then_american_owner_in_the_same_tab(live_server: str, page: Page, db: Session):
    page.add_init_script("if (!localStorage.getItem('ava_lang')) localStorage.setItem('ava_lang', 'en')")
    owner = Owner(page)
    email = sign_up(owner, live_server, business="Cabinet Dupont")
    make_business(db, email, country="FR", currency="EUR", locale="fr", timezone="Europe/Paris")
    set_look(page, lang="fr")

    # Number step: France by default, its hint, national numbers, full region names, euros, 5 numbers then more.
    to_number_step(owner, start="Commencer", industry="Cabinet dentaire ou médical")
    expect(page.get_by_role("heading", name="Le numéro de votre assistant")).to_be_visible()
    expect(page.locator("#nf-country")).to_contain_text("France")
    expect(page.locator("#nf-hint")).to_contain_text("331 pour Paris")
    owner.click(page.get_by_role("button", name="Chercher des numéros"))
    offers = page.get_by_role("radio")
    expect(offers).to_have_count(5)
    results = page.get_by_role("radiogroup")
    expect(results).to_contain_text("Île-de-France")
    expect(results).not_to_contain_text("IDF")
    expect(results).to_contain_text(re.compile(r"2,50\s€"))
    expect(results).to_contain_text(re.compile(r"0[14] \d\d \d\d \d\d \d\d"))
    owner.click(page.get_by_role("button", name="Plus de numéros"))
    expect(offers).to_have_count(10)
    shoot(page, "number-step-fr-light-1440")
    owner.click(page.get_by_role("button", name="Prendre ce numéro"))
    expect(page.get_by_role("alertdialog")).to_contain_text(re.compile(r"2,50\s€"))
    owner.click(page.get_by_role("button", name="Confirmer"))
    expect(page.get_by_text("Votre numéro est prêt :").first).to_be_visible()
    # With a number, "Next" is the primary (solid) button.
    next_button = page.get_by_role("button", name="Suivant")
    expect(next_button).to_have_class(re.compile(r"rt-variant-solid"))
    owner.click(next_button)
    owner.click(page.get_by_role("button", name="Enregistrer et continuer"))
    expect(page.get_by_text("Étape 5 sur 6")).to_be_visible()
    owner.click(page.get_by_role("button", name="Suivant"))

    # Step 6: the AVA number large, then forwarding the existing line with French carriers' codes.
    expect(page.get_by_role("heading", name="Comment vos appels arrivent à AVA")).to_be_visible()
    number = page.locator("#reach-number")
    expect(number).to_have_text(re.compile(r"^0[14] \d\d \d\d \d\d \d\d$"))
    shown = number.inner_text()
    national = shown.replace(" ", "")
    owner.fill(page.get_by_label("Votre numéro actuel"), "06 12 34 56 78")
    owner.click(page.get_by_role("button", name="Enregistrer", exact=True))
    expect(page.get_by_label("Votre numéro actuel")).to_have_value("06 12 34 56 78")
    expect(page.locator("#reach-carrier")).to_contain_text("Orange")
    codes = page.locator("#reach-codes")
    expect(codes).to_contain_text(f"**62*{national}#")
    expect(codes).to_contain_text(f"**61*{national}#")
    expect(codes).to_contain_text("##21#")
    href = codes.locator("a").first.get_attribute("href")
    assert href == f"tel:%2A%2A67%2A{national}%23", href
    expect(page.locator("#reach-status")).to_contain_text("Pas encore confirmé")
    shoot(page, "reach-step-fr-light-1440")
    set_look(page, lang="fr", theme="dark")
    expect(page.locator("#reach-codes")).to_contain_text(f"**62*{national}#")
    shoot(page, "reach-step-fr-dark-1440")

    # The owner says they are about to call their usual number: a ten-minute check opens, its end in the business's
    # 24-hour clock. Only a forwarded call during a check can turn the step green.
    owner.click(page.get_by_role("button", name="J'appelle mon numéro habituel maintenant"))
    expect(page.locator("#reach-check")).to_contain_text(re.compile(r"Vérification jusqu'à \d\d:\d\d"))
    shoot(page, "reach-step-fr-dark-1440-checking")
    # A simulated forwarded call goes through the emulator and AVA's webhook: the step turns green.
    owner.click(page.get_by_role("button", name="Simuler un appel renvoyé"))
    expect(page.locator("#reach-status")).to_contain_text("Le renvoi fonctionne", timeout=30_000)
    tenant = tenant_of(db, email)
    row = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
    assert row.forwarded_from == "+33612345678" and row.forwarding_confirmed_at is not None
    shoot(page, "reach-step-fr-dark-1440-confirmed")

    # Go live: the dashboard card shows the number and the confirmed forwarding.
    owner.click(page.get_by_role("button", name="Activer", exact=True))
    expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=30_000)
    card = page.locator("#reach-card")
    expect(card).to_contain_text(shown)
    expect(card).to_contain_text("06 12 34 56 78")
    expect(card).to_contain_text("confirmé")
    shoot(page, "dashboard-fr-dark-1440")

    # Log out; another business signs up in the same tab: nothing of the French account is left.
    page.get_by_role("button", name="Menu du compte").click()
    page.get_by_role("menuitem", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    set_look(page, lang="en")
    page.set_viewport_size({"width": 390, "height": 844})
    us_email = sign_up(owner, live_server, business="Smile Dental Austin")
    make_business(db, us_email, country="US", currency="USD", locale="en", timezone="America/Chicago")
    page.reload()
    to_number_step(owner, start="Start", industry="Dental or medical clinic")
    expect(page.locator("#nf-country")).to_contain_text("United States")
    expect(page.locator("#nf-hint")).to_contain_text("3-digit area code")
    owner.fill(page.get_by_label("Area code"), "512")
    owner.click(page.get_by_role("button", name="Search numbers"))
    expect(page.get_by_role("radio")).to_have_count(5)
    expect(page.get_by_role("radiogroup")).to_contain_text("Texas")
    expect(page.get_by_role("radiogroup")).to_contain_text("$1.50")
    shoot(page, "number-step-en-light-390")
    owner.click(page.get_by_role("button", name="Get this number"))
    owner.click(page.get_by_role("button", name="Confirm"))
    expect(page.get_by_text("Your number is ready:").first).to_be_visible()
    owner.click(page.get_by_role("button", name="Next"))
    owner.click(page.get_by_role("button", name="Save and continue"))
    owner.click(page.get_by_role("button", name="Next"))
    expect(page.get_by_role("heading", name="How calls reach AVA")).to_be_visible()
    us_number = page.locator("#reach-number")
    expect(us_number).to_have_text(re.compile(r"^\(512\) \d{3}-\d{4}$"))
    digits = re.sub(r"\D", "", us_number.inner_text())
    owner.fill(page.get_by_label("Your existing number"), "(512) 555-0123")
    owner.click(page.get_by_role("button", name="Save", exact=True))
    expect(page.locator("#reach-carrier")).to_contain_text("Verizon")
    expect(page.locator("#reach-codes")).to_contain_text(f"*71{digits}")
    expect(page.locator("#reach-codes")).to_contain_text("*73")
    page.locator("#reach-carrier").click()
    page.get_by_role("option", name="AT&T").click()
    expect(page.locator("#reach-codes")).to_contain_text(f"**61*1{digits}#")
    shoot(page, "reach-step-en-light-390")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the step is {overflow}px wider than a 390px screen"
    set_look(page, lang="en", theme="dark")
    expect(page.locator("#reach-codes")).to_be_visible()
    shoot(page, "reach-step-en-dark-390")


def test_without_a_number_the_owner_is_never_told_calls_are_answered(live_server: str, page: Page, db: Session):
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    owner = Owner(page)
    sign_up(owner, live_server, business="No Line Yet")
    to_number_step(owner, start="Start", industry="Restaurant")
    owner.click(page.get_by_role("tab", name="Skip"))
    owner.click(page.get_by_role("button", name="Skip this step"))
    owner.click(page.get_by_role("button", name="Save and continue"))
    owner.click(page.get_by_role("button", name="Next"))
    missing = page.locator("#reach-no-number")
    expect(missing).to_contain_text("No AVA number yet")
    expect(page.get_by_text("no phone line rings it until you add one")).to_be_visible()
    shoot(page, "reach-step-no-number-en-light-1440")
    owner.click(page.get_by_role("button", name="Go live", exact=True))
    expect(page).to_have_url(re.compile(r"/dashboard/?$"), timeout=30_000)
    expect(page.get_by_text("no phone line rings it yet").first).to_be_visible()
    expect(page.get_by_text("You are live")).to_have_count(0)
    expect(page.locator("#reach-card")).to_contain_text("no call can reach it yet")
    shoot(page, "dashboard-no-number-en-light-1440")
