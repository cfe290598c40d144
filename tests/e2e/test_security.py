"""/settings/security and the password form: two devices, one logged out from the other; password change errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_business, make_member, open_profile

pytestmark = pytest.mark.e2e
# The second device: another browser, so the two sessions read differently in the list.
OTHER_DEVICE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_log_out_another_device(live_server: str, browser: Browser, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Studio Deux"))
    other_context = browser.new_context(user_agent=OTHER_DEVICE, viewport={"width": 1280, "height": 800})
    try:
        other = other_context.new_page()
        log_in(other, live_server, owner.email)
        log_in(page, live_server, owner.email)

        page.goto(live_server + "/settings/security")
        this_device = page.get_by_text("This device")
        expect(this_device).to_have_count(1)
        expect(page.get_by_role("button", name=re.compile(r"^Log out "))).to_have_count(2)
        revoke_other = page.get_by_role("button", name="Log out Firefox · Windows")
        expect(revoke_other).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "security-two-devices.png"), full_page=True)

        revoke_other.click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("That device will have to log in again.")
        dialog.get_by_role("button", name="Log out").click()
        expect(page.get_by_text("That device was logged out.")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile(r"^Log out "))).to_have_count(1)

        # The other device is sent to the login page on its next navigation; this one stays in.
        other.goto(live_server + "/calls")
        expect(other).to_have_url(re.compile(r"/login/?$"))
        page.goto(live_server + "/calls")
        expect(page).to_have_url(re.compile(r"/calls/?$"))
    finally:
        other_context.close()


def test_change_password_errors_then_success(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Studio Trois"))
    log_in(page, live_server, owner.email)
    open_profile(page, live_server)
    current = page.get_by_label("Current password")
    new = page.get_by_label("New password")
    change = page.get_by_role("button", name="Change password")

    # Each error is shown under its field and read out with it (the field's accessible description).
    current.fill("not-my-password-at-all")
    new.fill("a-brand-new-passphrase-7")
    change.click()
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_have_accessible_description(re.compile("Wrong password"))
    expect(page.get_by_role("alert").filter(has_text="Wrong password")).to_be_visible()

    current.fill(PASSWORD)
    new.fill("short")
    change.click()
    expect(new).to_have_attribute("aria-invalid", "true")
    expect(new).to_have_accessible_description(re.compile("Use at least 10 characters"))

    new.fill("a-brand-new-passphrase-7")
    change.click()
    expect(
        page.get_by_text("Password changed. Your other devices were logged out and your API keys stopped working.")
    ).to_be_visible()
    expect(current).to_have_value("")
    expect(new).to_have_attribute("aria-invalid", "false")
