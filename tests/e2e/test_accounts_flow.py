"""The accounts flow as a user lives it: sign up, verify the email read from a real SMTP server, log in with a
password, an email link and an SMS code, invite a viewer who then sees the team read-only."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.members import open_profile

pytestmark = pytest.mark.e2e

PASSWORD = "tulip-garden-77"
VIEWER_PASSWORD = "harbour-lights-42"


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))


def log_in_with_password(page: Page, email: str, password: str) -> None:
    page.get_by_role("radio", name="Password").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def sms_code_from_outbox(page: Page, base_url: str, phone: str) -> str:
    """Read the sandbox SMS from /dev/outbox in a second tab, as a developer would."""
    outbox = page.context.new_page()
    outbox.goto(base_url + "/dev/outbox")
    # Newest first: the code just asked for is the first one shown for this number.
    expect(outbox.get_by_text(phone).first).to_be_visible()
    message = outbox.get_by_text(re.compile(r"verification code is: \d+")).first
    expect(message).to_be_visible()
    code = re.search(r"\d{4,10}", message.inner_text()).group(0)
    outbox.close()
    return code


def test_signup_verify_logins_invite_viewer(live_server: str, smtp_server, page: Page):
    run = secrets.token_hex(4)
    owner = f"owner-{run}@example.com"
    viewer = f"viewer-{run}@example.com"
    phone = "+3361" + str(secrets.randbelow(10**7)).zfill(7)

    # Sign up: logged in at once and taken to the onboarding wizard; the shell asks to verify the email.
    page.goto(live_server + "/signup")
    page.get_by_label("Your name").fill("Olga Owner")
    page.get_by_label("Email").fill(owner)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Business name").fill(f"Olga Dental {run}")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    page.goto(live_server + "/dashboard")
    expect(page.get_by_text("Please verify your email address")).to_be_visible()

    # The verification email arrives over SMTP; its link verifies the address.
    page.goto(smtp_server.link(owner, "/verify-email"))
    expect(page.get_by_text("Your email address is verified")).to_be_visible()
    page.get_by_role("link", name="Continue to AVA").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.get_by_role("button", name="Switch organisation")).to_contain_text(f"Olga Dental {run}")
    expect(page.get_by_text("Please verify your email address")).to_have_count(0)

    # Password login.
    log_out(page)
    log_in_with_password(page, owner, PASSWORD)

    # Confirm a mobile number for SMS login with the code texted to it.
    open_profile(page, live_server)
    page.get_by_label("Mobile number (for SMS login)").fill(phone)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text(re.compile(r"^We texted a code to \+33 6"))).to_be_visible()
    page.get_by_label("Code from the SMS").fill(sms_code_from_outbox(page, live_server, phone))
    page.get_by_role("button", name="Confirm number").click()
    expect(page.get_by_text("Number confirmed. You can log in with a code by SMS.")).to_be_visible()
    log_out(page)

    # Email link login: the same answer whether or not the account exists, then the link logs in.
    page.get_by_role("radio", name="Email link").click()
    # The form swaps once the server answers; typing before that would go into the password form.
    expect(page.get_by_text("We email you a link that logs you in.")).to_be_visible()
    page.get_by_label("Email").fill(owner)
    page.get_by_role("button", name="Email me a login link").click()
    expect(page.get_by_text("If an account exists, we sent a link.")).to_be_visible()
    page.goto(smtp_server.link(owner, "/verify"))
    page.get_by_role("button", name="Log in").click()  # nothing happens on opening the link alone (login CSRF)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    log_out(page)

    # SMS code login with the sandbox code.
    page.get_by_role("radio", name="SMS code").click()
    page.get_by_label("Mobile number").fill(phone)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_text("If an account uses this number, we sent a code.")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(sms_code_from_outbox(page, live_server, phone))
    page.get_by_label("Code from the SMS").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))

    # Invite a viewer.
    page.goto(live_server + "/settings/team")
    page.get_by_label("Email").fill(viewer)
    page.get_by_label("Role", exact=True).click()
    page.get_by_role("option", name="Viewer").click()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Revoke {viewer}")).to_be_visible()
    invite_link = smtp_server.link(viewer, "/invite")
    log_out(page)

    # The viewer creates an account from the invitation.
    page.goto(invite_link)
    expect(page.get_by_text(f"Olga Dental {run}")).to_be_visible()
    page.get_by_label("Your name").fill("Victor Viewer")
    page.get_by_label("Password").fill(VIEWER_PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    log_out(page)

    # The viewer logs in and cannot change the team.
    log_in_with_password(page, viewer, VIEWER_PASSWORD)
    expect(page.get_by_role("button", name="Switch organisation")).to_contain_text(f"Olga Dental {run}")
    page.goto(live_server + "/settings/team")
    expect(page.get_by_text(owner)).to_be_visible()
    expect(page.get_by_text("Victor Viewer")).to_be_visible()
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Remove "))).to_have_count(0)
    expect(page.get_by_role("combobox", name=re.compile(r"^Role of "))).to_have_count(0)
    page.goto(live_server + "/settings")
    expect(page.get_by_role("link", name=re.compile("Team"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Audit log"))).to_have_count(0)
    page.goto(live_server + "/settings/audit")
    expect(page.get_by_text("Only admins can do this.")).to_be_visible()
