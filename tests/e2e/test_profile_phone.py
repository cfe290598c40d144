"""The SMS-login number on /settings/profile: typed, confirmed with the code read from the dev outbox, then used to
log in; a second account cannot take it, even with the code."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member, open_profile
from tests.e2e.test_accounts_flow import log_out, sms_code_from_outbox

pytestmark = pytest.mark.e2e


def send_code(page: Page, phone: str) -> None:
    page.get_by_label("Mobile number (for SMS login)").fill(phone)
    page.get_by_role("button", name="Send code").click()


def test_confirm_the_profile_phone_with_the_texted_code(live_server: str, browser: Browser, page: Page, db: Session):
    digits = str(secrets.randbelow(10**7)).zfill(7)
    phone, shown = f"+3365{digits}", f"+33 6 5{digits[0]} {digits[1:3]} {digits[3:5]} {digits[5:]}"
    owner = make_member(db, tenant=make_business(db, name="Studio Quatre"))
    log_in(page, live_server, owner.email)
    open_profile(page, live_server)
    expect(page.get_by_text("No number yet. Add one to log in with a code sent by SMS.")).to_be_visible()

    # A number that cannot be one in the business's country (the US) is refused under its field, with an example
    # of that country; nothing is texted.
    send_code(page, "06 12")
    number = page.get_by_label("Mobile number (for SMS login)")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_accessible_description(re.compile(r"Enter a phone number, e\.g\. \(201\) 555-0123\."))

    # The code goes to the number; a wrong one is refused, the one from the SMS confirms it.
    send_code(page, phone)
    expect(page.get_by_text(f"We texted a code to {shown}. It works for 10 minutes.")).to_be_visible()
    code = page.get_by_label("Code from the SMS")
    code.fill("000000")
    page.get_by_role("button", name="Confirm number").click()
    expect(code).to_have_accessible_description(re.compile("This code is invalid or has expired."))
    page.screenshot(path=str(ARTIFACTS / "profile-phone-code.png"), full_page=True)
    code.fill(sms_code_from_outbox(page, live_server, phone))
    page.get_by_role("button", name="Confirm number").click()
    expect(page.get_by_text("Number confirmed. You can log in with a code by SMS.")).to_be_visible()
    expect(page.get_by_text(shown, exact=True)).to_be_visible()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_text("Login codes by SMS go to this number.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "profile-phone-confirmed.png"), full_page=True)

    # Another account asks for the same number: even with the code it cannot take it.
    intruder = make_member(db, tenant=make_business(db, name="Studio Cinq"))
    other_context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        other = other_context.new_page()
        log_in(other, live_server, intruder.email)
        open_profile(other, live_server)
        send_code(other, phone)
        expect(other.get_by_text(re.compile(r"^We texted a code to"))).to_be_visible()
        other.get_by_label("Code from the SMS").fill(sms_code_from_outbox(other, live_server, phone))
        other.get_by_role("button", name="Confirm number").click()
        expect(other.get_by_label("Code from the SMS")).to_have_accessible_description(
            re.compile("This number is already confirmed on another AVA account.")
        )
        other.screenshot(path=str(ARTIFACTS / "profile-phone-taken-mobile.png"), full_page=True)
    finally:
        other_context.close()

    # The owner still logs in with a code texted to the number.
    log_out(page)
    page.get_by_role("radio", name="SMS code").click()
    page.get_by_label("Mobile number").fill(phone)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_text("If an account uses this number, we sent a code.")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(sms_code_from_outbox(page, live_server, phone))
    page.get_by_label("Code from the SMS").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def test_a_number_saved_before_confirmation_existed_is_confirmed_in_a_click(live_server: str, page: Page, db: Session):
    phone = "+3366" + str(secrets.randbelow(10**7)).zfill(7)
    member = make_member(db, tenant=make_business(db, name="Studio Huit"))
    member.phone = phone  # as saved by the old profile form: never proven
    db.add(member)
    db.commit()
    log_in(page, live_server, member.email)
    open_profile(page, live_server)
    expect(page.get_by_text("Not confirmed", exact=True)).to_be_visible()
    expect(page.get_by_text("Login codes only go to a confirmed number. Confirm it with a code.")).to_be_visible()

    page.get_by_role("button", name="Text a code to this number").click()
    expect(page.get_by_text(re.compile(r"^We texted a code to \+33 6 6"))).to_be_visible()
    page.get_by_label("Code from the SMS").fill(sms_code_from_outbox(page, live_server, phone))
    page.get_by_role("button", name="Confirm number").click()
    expect(page.get_by_text("Number confirmed. You can log in with a code by SMS.")).to_be_visible()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Text a code to this number")).to_have_count(0)
    # The next number field is for another number.
    expect(page.get_by_label("New mobile number")).to_be_visible()

    # Removing it turns SMS login off.
    page.get_by_role("button", name="Remove number").click()
    expect(page.get_by_text("Number removed. SMS login is off.")).to_be_visible()
    expect(page.get_by_text("No number yet. Add one to log in with a code sent by SMS.")).to_be_visible()
