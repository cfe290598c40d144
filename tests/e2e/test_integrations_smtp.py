"""/settings/integrations in Chromium: a saved SMTP password is not tried on another server until it is typed again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member

pytestmark = pytest.mark.e2e


def test_testing_another_smtp_server_asks_for_the_password_again(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Garage du Port"))
    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/integrations")

    smtp = page.locator("form").filter(has=page.get_by_label("SMTP host"))
    smtp.get_by_label("SMTP host").fill("smtp.example.com")
    smtp.get_by_label("Username").fill("desk@garage.example")
    smtp.get_by_label("Password").fill("S4ved-secret-pass")
    smtp.get_by_label("Port").fill("587")
    smtp.get_by_label(re.compile("^Security")).fill("starttls")
    smtp.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved. The key is stored encrypted.")).to_be_visible()
    expect(smtp.get_by_label("Password")).to_have_value("")

    # The same account aimed at a local server, password left blank: nothing is tried, the field asks for it.
    smtp.get_by_label("SMTP host").fill("127.0.0.1")
    smtp.get_by_label("Port").fill("2525")
    smtp.get_by_role("button", name="Test connection").click()
    password = smtp.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile("Type the password again"))
    expect(smtp.get_by_role("status")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "integrations-smtp-retype.png"), full_page=True)

    # Saving it for the other server is refused the same way; the saved account is unchanged.
    smtp.get_by_role("button", name="Save").click()
    expect(password).to_have_accessible_description(re.compile("Type the password again"))
    expect(smtp.get_by_text("Your key · smtp….com")).to_be_visible()
