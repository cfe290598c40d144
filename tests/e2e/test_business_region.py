"""A business's region from the owner's browser: a French browser in Paris and an American one in New York sign up,
the welcome step shows the region found, /settings/business shows the same and edits it.

Screenshots of the welcome step and the settings page (390 and 1440 px, light and dark) land in test-artifacts/region.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from ava_app.models import Membership, Tenant, User
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-battery-9"
SHOTS = ARTIFACTS / "region"
WIDTHS = {"390": {"width": 390, "height": 844}, "1440": {"width": 1440, "height": 900}}
LABELS = {
    "fr": {
        "name": "Votre nom",
        "email": "E-mail",
        "password": "Mot de passe",
        "business": "Nom de l'entreprise",
        "submit": "Créer le compte",
    },
    "en": {
        "name": "Your name",
        "email": "Email",
        "password": "Password",
        "business": "Business name",
        "submit": "Create account",
    },
}


def _context(browser: Browser, *, locale: str, timezone_id: str, width: str = "1440", dark: bool = False):
    context = browser.new_context(
        locale=locale,
        timezone_id=timezone_id,
        viewport=WIDTHS[width],
        color_scheme="dark" if dark else "light",
    )
    context.set_default_timeout(15_000)
    return context


def _sign_up(page: Page, base_url: str, lang: str, business: str) -> str:
    """Sign up through the page in the browser's own language (nothing set by hand: it comes from the browser)."""
    labels = LABELS[lang]
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(base_url + "/signup")
    page.get_by_label(labels["name"]).fill("Claire Martin")
    page.get_by_label(labels["email"]).fill(email)
    page.get_by_label(labels["password"]).fill(PASSWORD)
    page.get_by_label(labels["business"]).fill(business)
    page.get_by_role("button", name=labels["submit"]).click()
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    return email


def _tenant(db: Session, email: str) -> Tenant:
    db.expire_all()
    return db.exec(
        select(Tenant)
        .join(Membership, col(Membership.tenant_id) == col(Tenant.id))
        .join(User)
        .where(User.email == email)
    ).one()


def _shots(browser: Browser, page: Page, name: str, *, locale: str, timezone_id: str) -> None:
    """The page just checked, at both widths and in both themes, with the same login."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    state = page.context.storage_state()
    for width in WIDTHS:
        for dark in (False, True):
            context = browser.new_context(
                locale=locale,
                timezone_id=timezone_id,
                viewport=WIDTHS[width],
                color_scheme="dark" if dark else "light",
                storage_state=state,
            )
            shot = context.new_page()
            shot.goto(page.url)
            expect(shot.locator("#welcome-region-summary, #business-summary").first).to_be_visible()
            theme = "dark" if dark else "light"
            shot.screenshot(path=str(SHOTS / f"{name}-{width}-{theme}.png"), full_page=True)
            context.close()


def test_french_browser_in_paris(live_server: str, browser: Browser, db: Session):
    context = _context(browser, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    try:
        email = _sign_up(page, live_server, "fr", "Salon Claire")

        tenant = _tenant(db, email)
        assert (tenant.country, tenant.timezone, tenant.locale, tenant.currency) == (
            "FR",
            "Europe/Paris",
            "fr",
            "EUR",
        )
        summary = page.locator("#welcome-region-summary")
        expect(summary).to_have_text(re.compile(r"^France · heure de Paris \(UTC\+[12]\) · Français · Euro$"))
        expect(page.get_by_text("Quelques étapes rapides")).to_be_visible()
        expect(page.get_by_role("button", name="Modifier")).to_be_visible()
        _shots(browser, page, "welcome-fr", locale="fr-FR", timezone_id="Europe/Paris")

        # "Modifier" edits it in place: a Belgian salon keeps its euros and gets Brussels time.
        page.get_by_role("button", name="Modifier").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Pays")).to_have_value("FR")
        dialog.get_by_label("Pays").select_option("BE")
        expect(dialog.get_by_label("Fuseau horaire", exact=True)).to_have_value("Europe/Brussels")
        expect(dialog.get_by_label("Devise")).to_have_value("EUR")
        dialog.get_by_role("button", name="Enregistrer").click()
        expect(summary).to_have_text(re.compile(r"^Belgique · heure de Bruxelles"))
        assert (_tenant(db, email).country, _tenant(db, email).timezone) == ("BE", "Europe/Brussels")

        # The settings page shows the same region.
        page.goto(live_server + "/settings/business")
        expect(page.locator("#business-summary")).to_have_text(
            re.compile(r"^Belgique · heure de Bruxelles \(UTC\+[12]\) · Français · Euro$")
        )
        expect(page.get_by_label("Pays")).to_have_value("BE")
        expect(page.get_by_label("Fuseau horaire", exact=True)).to_have_value("Europe/Brussels")
        expect(page.locator("#business-language")).to_have_value("fr")
        expect(page.get_by_label("Devise")).to_have_value("EUR")
        _shots(browser, page, "settings-fr", locale="fr-FR", timezone_id="Europe/Paris")

        # Opening hours read in 24-hour time on a French page, whatever the browser's own time inputs do.
        page.goto(live_server + "/onboarding")
        page.get_by_role("button", name="Commencer").click()
        page.get_by_role("button", name="Salon de coiffure et de beauté").click()
        page.get_by_role("tab", name="Plus tard").click()
        page.get_by_role("button", name="Passer cette étape").click()
        # Without a number the week shows default hours; the selected time reads as it is stored.
        opening = page.get_by_label("Ouvert Mardi")
        expect(opening).to_have_value(re.compile(r"^\d{2}:\d{2}$"))
        expect(opening.locator("option:checked")).to_have_text(opening.input_value())
        expect(opening.locator("option", has_text="PM")).to_have_count(0)
        expect(opening.locator("option", has_text="18:45")).to_have_count(1)
        page.set_viewport_size(WIDTHS["390"])
        opening.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "hours-fr-390-light.png"))
    finally:
        context.close()


def test_american_browser_in_new_york(live_server: str, browser: Browser, db: Session):
    context = _context(browser, locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    try:
        email = _sign_up(page, live_server, "en", "Joe's Plumbing")

        tenant = _tenant(db, email)
        assert (tenant.country, tenant.timezone, tenant.locale, tenant.currency) == (
            "US",
            "America/New_York",
            "en",
            "USD",
        )
        expect(page.locator("#welcome-region-summary")).to_have_text(
            re.compile(r"^United States · New York time \(UTC−[45]\) · English · US Dollar$")
        )
        expect(page.get_by_text("A few short steps ahead")).to_be_visible()
        _shots(browser, page, "welcome-en", locale="en-US", timezone_id="America/New_York")

        page.goto(live_server + "/settings/business")
        expect(page.locator("#business-summary")).to_have_text(
            re.compile(r"^United States · New York time \(UTC−[45]\) · English · US Dollar$")
        )
        expect(page.get_by_label("Country")).to_have_value("US")
        expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/New_York")
        expect(page.get_by_label("Currency")).to_have_value("USD")

        # The zone list is searchable: the plumber is in fact in Chicago.
        page.get_by_label("Search time zones").fill("chicago")
        zone = page.get_by_label("Time zone", exact=True)
        expect(zone.locator("option")).to_have_count(2)  # the current zone stays, and Chicago
        zone.select_option("America/Chicago")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Business settings saved.")).to_be_visible()
        expect(page.locator("#business-summary")).to_have_text(re.compile(r"Chicago time \(UTC−[56]\)"))
        assert _tenant(db, email).timezone == "America/Chicago"

        # A bogus search says so instead of an empty list.
        page.get_by_label("Search time zones").fill("atlantis")
        expect(page.get_by_text("No time zone matches this search.")).to_be_visible()
        page.get_by_label("Search time zones").fill("")
        _shots(browser, page, "settings-en", locale="en-US", timezone_id="America/New_York")
    finally:
        context.close()
