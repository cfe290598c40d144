"""The landing page at / as visitors meet it: in their browser's language, by keyboard, on a phone and a wide
screen, light or dark; a signed-in visitor goes on to the dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member

pytestmark = pytest.mark.e2e

TITLE = {"en": "An AI receptionist that answers your business's phone", "fr": re.compile("^Un standardiste IA")}
POINTS = {
    "en": [
        "Answers every call",
        "Tells you what each call was about",
        "Takes messages and booking requests",
        "Sets up in ten minutes",
    ],
    "fr": [
        "Répond à chaque appel",
        "Vous résume chaque appel par e-mail",
        "Prend les messages et les demandes de rendez-vous",
        "Se configure en dix minutes",
    ],
}
SIZES = {"390": (390, 844), "1440": (1440, 900)}


def tab(page: Page) -> str:
    """Press Tab and name what has the focus: its aria-label, else its id, else its text."""
    page.keyboard.press("Tab")
    return page.evaluate(
        "(() => { const el = document.activeElement;"
        " return el.getAttribute('aria-label') || el.id || el.innerText.trim(); })()"
    )


def test_french_browser_reads_it_in_french_and_can_sign_up(live_server: str, browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        expect(page.get_by_role("heading", level=1, name=TITLE["fr"])).to_be_visible()
        main = page.get_by_role("main")
        expect(main.get_by_role("heading", level=3)).to_have_text(POINTS["fr"])
        main.get_by_role("link", name="Créer un compte").click()
        expect(page).to_have_url(re.compile(r"/signup/?$"))
        expect(page.get_by_role("heading", name="Créer votre compte AVA")).to_be_visible()
    finally:
        context.close()


def test_landmarks_headings_and_keyboard_order(live_server: str, page: Page):
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.get_by_role("heading", level=1, name=TITLE["en"])).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="What AVA does for you")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("heading", level=3)).to_have_text(POINTS["en"])
    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("navigation", name="Account")).to_be_visible()

    # Tab order: skip link, brand, language, theme, header login, then the page's own ways in.
    assert [tab(page) for _ in range(7)] == [
        "Skip to content",
        "AVA",
        "Language",
        "Toggle light or dark theme",
        "landing-header-login",
        "landing-signup",
        "landing-login",
    ]

    # The skip link jumps over the header: the next Tab is the main call to action.
    page.reload()
    expect(page.get_by_role("heading", level=1, name=TITLE["en"])).to_be_visible()
    assert tab(page) == "Skip to content"
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    assert tab(page) == "landing-signup"
    assert violations == [], violations  # the skip link's focus script runs under the page's policy

    page.get_by_role("main").get_by_role("link", name="Create an account").press("Enter")
    expect(page).to_have_url(re.compile(r"/signup/?$"))


def test_a_signed_in_visitor_goes_on_to_the_dashboard(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Landing Lane Florist"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_text("Landing Lane Florist")).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_it_fits_phones_and_wide_screens_in_both_themes(live_server: str, browser, lang: str):
    """Nothing wider than the window at 390 and 1440 px, light and dark; screenshots kept for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    for theme in ("light", "dark"):
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=theme)
            context.add_init_script(
                f"localStorage.setItem('ava_lang', '{lang}'); localStorage.setItem('theme', '{theme}')"
            )
            page = context.new_page()
            try:
                page.goto(live_server + "/", wait_until="networkidle")
                expect(page.get_by_role("heading", level=1, name=TITLE[lang])).to_be_visible()
                overflow = page.evaluate(
                    "[document.documentElement.scrollWidth, ...Array.from(document.querySelectorAll('main *'))"
                    ".map((el) => Math.ceil(el.getBoundingClientRect().right))]"
                )
                assert max(overflow) <= width, (lang, theme, size, max(overflow))
                page.screenshot(path=str(ARTIFACTS / f"landing-{lang}-{theme}-{size}.png"), full_page=True)
            finally:
                context.close()
