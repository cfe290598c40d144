"""The shell in a real browser: / lands on login, the language switches both ways, /healthz answers."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_root_lands_on_login_and_switches_language(live_server: str, page: Page):
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_role("heading", name="Log in to AVA")).to_be_visible()

    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name="Français").click()
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
