"""Teaching AVA the business, as an owner does it: address and services in wizard step 4, an import from the
business's own web page (served here on 127.0.0.1), then the knowledge base's "To review" answers on /assistant.

A French business types its prices in euros and sees them as callers will hear them. Screenshots of step 4 and of the
knowledge tab are saved in French and English, light and dark, 390 and 1440 px wide (test-artifacts/teach-*).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ava_app.models import Assistant
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_onboarding import PASSWORD, Owner, sign_up, tenant_of, wait_for
from tests.servers import serve_app

pytestmark = pytest.mark.e2e
PAGE = (Path(__file__).resolve().parent.parent / "fixtures" / "websites" / "salon.html").read_text()
WIDTHS = {"mobile": (390, 844), "desktop": (1440, 900)}


@pytest.fixture(scope="module")
def website():
    async def page(request):
        return HTMLResponse(PAGE)

    with serve_app(Starlette(routes=[Route("/", page)])) as base_url:
        yield base_url


def assistant_of(db: Session, tenant_id: int) -> Assistant:
    db.expire_all()
    return db.exec(select(Assistant).where(Assistant.tenant_id == tenant_id)).one()


def screenshots(browser, page: Page, url: str, name: str, *, ready: str) -> None:
    """``url`` in both languages, both themes, both widths, signed in as the page's owner."""
    ARTIFACTS.mkdir(exist_ok=True)
    cookies = page.context.cookies()
    for lang in ("en", "fr"):
        for theme in ("light", "dark"):
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)
                context.add_cookies(cookies)
                context.add_init_script(
                    f"localStorage.setItem('ava_lang', '{lang}');localStorage.setItem('theme', '{theme}')"
                )
                shot = context.new_page()
                shot.goto(url)
                expect(shot.locator(ready).first).to_be_visible(timeout=30_000)
                shot.wait_for_timeout(500)
                shot.screenshot(path=str(ARTIFACTS / f"teach-{name}-{lang}-{theme}-{width_name}.png"), full_page=True)
                context.close()


def test_step_four_learns_address_services_and_the_website(live_server: str, website: str, page: Page, db: Session):
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    owner = Owner(page)
    email = sign_up(owner, live_server, business="Bright Cuts")
    owner.click(page.get_by_role("button", name="Start"))
    owner.click(page.get_by_role("button", name="Hair & beauty salon"))
    owner.click(page.get_by_role("button", name="Next"))

    # 4. Personalise: the business's address, two services with price and duration, the booking rule.
    expect(page.get_by_role("heading", name="Your business")).to_be_visible()
    owner.fill(page.get_by_label("Address", exact=True), "5 Main Street, Springfield")
    owner.fill(page.get_by_label("Getting here and parking"), "Free parking behind the shop")
    owner.click(page.get_by_role("button", name="Add a service"))
    owner.fill(page.get_by_label("Service 1", exact=True), "Haircut")
    owner.fill(page.get_by_label("Price 1", exact=True), "25")
    owner.fill(page.get_by_label("Minutes 1", exact=True), "30")
    expect(page.get_by_text("Callers hear: $25.00")).to_be_visible()
    owner.click(page.get_by_role("button", name="Add a service"))
    owner.fill(page.get_by_label("Service 2", exact=True), "Colour")
    owner.fill(page.get_by_label("Price 2", exact=True), "sixty")
    owner.click(page.get_by_role("button", name="Save and continue"))
    # A bad price is refused under its row, and nothing typed is lost.
    expect(page.get_by_text("Write the price as a number, for example 25 or 25.50.")).to_be_visible()
    expect(page.get_by_label("Address", exact=True)).to_have_value("5 Main Street, Springfield")
    expect(page.get_by_label("Service 2", exact=True)).to_have_value("Colour")
    owner.fill(page.get_by_label("Price 2", exact=True), "60.50")

    # The import reads the local page and keeps only what is ticked.
    owner.fill(page.get_by_label("Website address"), website + "/")
    owner.click(page.get_by_role("button", name="Read my website"))
    expect(page.get_by_text("Found on your page: tick what is right.")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("12 rue de la République, 69002 Lyon, FR")).to_be_visible()
    owner.click(page.locator("label", has_text="Faites-vous les coupes enfants ?").get_by_role("checkbox"))
    owner.click(page.locator("label", has_text="bonjour@salon-lumiere.example").get_by_role("checkbox"))
    owner.click(page.get_by_role("button", name="Add the ticked items"))
    expect(page.get_by_text("Found on your page: tick what is right.")).to_have_count(0)
    owner.click(page.get_by_role("button", name="Save and continue"))
    expect(page.get_by_role("button", name="Call to test")).to_be_visible(timeout=30_000)

    tenant = tenant_of(db, email)
    assistant = wait_for(
        lambda: assistant_of(db, tenant.id).business_profile.get("services") and assistant_of(db, tenant.id)
    )
    assert assistant.business_profile["address"] == "5 Main Street, Springfield"  # the page's address was not ticked
    assert assistant.business_profile["services"] == [
        {"name": "Haircut", "price": "25.00", "duration": 30},
        {"name": "Colour", "price": "60.50", "duration": None},
    ]
    accepted = {item["question"]: item for item in assistant.knowledge_base if not item.get("review")}
    assert accepted["Faites-vous les coupes enfants ?"]["answer"] == "Oui, jusqu'à 12 ans."
    assert "bonjour@salon-lumiere.example" in accepted["How can I reach you by phone or email?"]["answer"]
    assert not any("Acceptez-vous la carte" in item["question"] for item in assistant.knowledge_base)

    # The test call answers from it.
    page.get_by_role("button", name="Call to test").click()
    caller = page.get_by_label("What the caller says")
    caller.fill("How much is a haircut?")
    caller.press("Enter")
    expect(page.get_by_role("log")).to_contain_text("Haircut costs $25.00")

    # /assistant: the preset's answers are "To review", counted at the top; "Looks right" confirms one.
    page.goto(live_server + "/assistant?tab=knowledge")
    to_review = sum(1 for item in assistant.knowledge_base if item.get("review"))
    count = page.locator("#kb-review-count")
    expect(count).to_have_text(f"{to_review} answers to review")
    expect(page.get_by_text("To review", exact=True)).to_have_count(to_review)
    expect(page.get_by_text("[to fill: price]").first).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Looks right: Do I need a patch test")).click()
    expect(count).to_have_text(f"{to_review - 1} answers to review")
    # An answer with a part to fill in cannot just be confirmed: it is opened for editing, and kept to review until
    # the bracketed part is replaced.
    expect(page.get_by_role("button", name=re.compile(r"^Looks right: How much is a haircut"))).to_have_count(0)
    page.get_by_role("button", name=re.compile(r"^Fill in: How much is a haircut")).click()
    answer = page.get_by_label("Answer", exact=True)
    expect(answer).to_be_focused()
    expect(answer).to_have_value(re.compile(r"\[to fill: price\]"))
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_text("Replace the part in brackets with your own information first.")).to_be_visible()
    expect(count).to_have_text(f"{to_review - 1} answers to review")
    answer.fill("A haircut is $25, a colour from $60.")
    page.get_by_role("button", name="Save the question").click()
    expect(count).to_have_text(f"{to_review - 2} answers to review")
    expect(page.get_by_role("button", name=re.compile(r"^Fill in: How much is a haircut"))).to_have_count(0)


def test_a_french_business_sees_its_prices_in_euros(live_server: str, website: str, browser, page: Page, db: Session):
    page.add_init_script("localStorage.setItem('ava_lang', 'fr')")
    owner = Owner(page)
    email = sign_up_fr(owner, live_server)
    tenant = tenant_of(db, email)
    tenant.locale, tenant.country, tenant.currency = "fr", "FR", "EUR"
    db.add(tenant)
    db.commit()
    owner.click(page.get_by_role("button", name="Commencer"))
    owner.click(page.get_by_role("button", name="Salon de coiffure et de beauté"))
    owner.click(page.get_by_role("button", name="Suivant"))
    expect(page.get_by_role("heading", name="Votre entreprise")).to_be_visible()
    expect(page.get_by_text("Principales prestations et tarifs (€)")).to_be_visible()
    owner.click(page.get_by_role("button", name="Ajouter une prestation"))
    owner.fill(page.get_by_label("Prestation 1", exact=True), "Coupe homme")
    owner.fill(page.get_by_label("Prix 1", exact=True), "25,5")
    expect(page.get_by_text("Les appelants entendent : 25,50\xa0€")).to_be_visible()
    owner.fill(page.get_by_label("Adresse du site"), "127.0.0.1:1/")
    owner.click(page.get_by_role("button", name="Lire mon site"))
    expect(page.get_by_role("alert").filter(has_text="Le site est injoignable")).to_be_visible(timeout=30_000)
    owner.fill(page.get_by_label("Adresse du site"), website + "/")
    owner.click(page.get_by_role("button", name="Lire mon site"))
    expect(page.get_by_text("mardi–vendredi 09:00–19:00")).to_be_visible(timeout=30_000)
    screenshots(browser, page, live_server + "/onboarding", "step4", ready="#af-address")

    owner.click(page.get_by_role("button", name="Enregistrer et continuer"))
    expect(page.get_by_role("button", name="Appeler pour tester")).to_be_visible(timeout=30_000)
    screenshots(browser, page, live_server + "/assistant?tab=knowledge", "knowledge", ready="#kb-review-count")
    assistant = assistant_of(db, tenant.id)
    assert assistant.business_profile["services"] == [{"name": "Coupe homme", "price": "25.50", "duration": None}]


def sign_up_fr(owner: Owner, base_url: str) -> str:
    """Sign up with the French interface."""
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
    page = owner.page
    page.goto(base_url + "/signup")
    owner.fill(page.get_by_label("Votre nom"), "Claire Martin")
    owner.fill(page.get_by_label("E-mail", exact=False).first, email)
    owner.fill(page.get_by_label("Mot de passe", exact=False).first, PASSWORD)
    owner.fill(page.get_by_label("Nom de l'entreprise"), "Salon Lumière")
    owner.click(page.get_by_role("button", name="Créer le compte"))
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    return email
