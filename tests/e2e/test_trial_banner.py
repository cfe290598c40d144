"""The free trial's end in Chromium: its admins see it coming, then what callers get without a plan; a viewer does
not; a French admin reads it in French with the business's dates."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from ava_app.models import utcnow
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_business, make_member

pytestmark = pytest.mark.e2e


def trial_started(db: Session, name: str, days_ago: float):
    tenant = make_business(db, name=name)
    tenant.created_at = utcnow() - timedelta(days=days_ago)
    db.add(tenant)
    db.commit()
    return tenant


def test_admins_see_the_trial_ending_then_ended(live_server: str, browser: Browser, page: Page, db: Session):
    out = ARTIFACTS / "trial"
    out.mkdir(parents=True, exist_ok=True)
    ending = trial_started(db, "Garage Lune", days_ago=12.5)
    log_in(page, live_server, make_member(db, tenant=ending).email)
    banner = page.locator("#trial-banner")
    expect(banner).to_contain_text("Your free trial ends on")
    expect(banner).to_contain_text("Choose a plan to keep your assistant answering as it does now.")
    page.screenshot(path=str(out / "trial-ending-en.png"))
    banner.get_by_role("link", name="Choose a plan").click()
    expect(page).to_have_url(f"{live_server}/settings/billing")
    expect(page.locator("#billing-trial-hint")).to_contain_text("It ends on")
    page.screenshot(path=str(out / "billing-trial-en.png"), full_page=True)

    ended = trial_started(db, "Salon Rivoli", days_ago=20)
    ended.timezone, ended.country = "Europe/Paris", "FR"
    db.add(ended)
    db.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", timezone_id="Asia/Tokyo")
    context.add_init_script("localStorage.setItem('ava_lang', 'fr')")
    french = context.new_page()
    french.goto(live_server + "/login")
    french.get_by_label("E-mail").fill(make_member(db, tenant=ended).email)
    french.get_by_label("Mot de passe").fill(PASSWORD)
    french.get_by_role("button", name="Se connecter").click()
    banner = french.locator("#trial-banner")
    day = (ended.created_at + timedelta(days=14)).astimezone(ZoneInfo("Europe/Paris")).day
    expect(banner).to_contain_text(f"Votre essai gratuit s'est terminé le {day} ")
    expect(banner).to_contain_text("les appelants peuvent seulement laisser un message")
    french.screenshot(path=str(out / "trial-ended-fr-mobile.png"))
    context.close()


def test_a_viewer_is_not_shown_the_trial_banner(live_server: str, page: Page, db: Session):
    ended = trial_started(db, "Boulangerie Soleil", days_ago=20)
    log_in(page, live_server, make_member(db, tenant=ended, role="viewer").email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#trial-banner")).to_have_count(0)
