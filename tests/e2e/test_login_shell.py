"""Log in with a password, see the signed-in shell, log out; a wrong password shows a clear message."""

import re

import pytest
from playwright.sync_api import Page, expect

from ava_app.seed import DEMO_EMAIL, DEMO_ORGANISATION, seed_demo

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-battery-9"


def test_password_login_shell_and_logout(live_server: str, page: Page, db):
    assert seed_demo(db, password=PASSWORD)

    page.goto(live_server + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?$"))

    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(DEMO_EMAIL)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_text(DEMO_ORGANISATION)).to_be_visible()
    expect(page.get_by_role("link", name="Calls", exact=True)).to_be_visible()

    page.reload()
    expect(page.get_by_text(DEMO_ORGANISATION)).to_be_visible()

    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(live_server + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?$"))
