"""The shell in a real browser: / shows the landing page, the language switches both ways, /healthz answers."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_root_shows_the_landing_page_and_switches_language(live_server: str, page: Page):
    page.goto(live_server + "/")
    expect(
        page.get_by_role("heading", level=1, name="An AI receptionist that answers your business's phone")
    ).to_be_visible()
    page.wait_for_timeout(500)  # a visitor without a session is not sent on
    expect(page).to_have_url(re.compile(r"/$"))

    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name="Français").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Un standardiste IA"))).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_role("heading", name="Connexion à AVA")).to_be_visible()
    expect(page.get_by_label("Mot de passe")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", name="Connexion à AVA")).to_be_visible()

    page.get_by_role("combobox", name="Langue").click()
    page.get_by_role("option", name="English").click()
    expect(page.get_by_role("heading", name="Log in to AVA")).to_be_visible()


def test_browser_language_is_the_default(live_server: str, browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(live_server + "/login")
    expect(page.get_by_role("heading", name="Connexion à AVA")).to_be_visible()
    context.close()


def test_healthz_in_the_browser(live_server: str, page: Page):
    response = page.goto(live_server + "/healthz")
    assert response is not None and response.status == 200
    assert response.json() == {"status": "ok", "database": "ok"}
