"""Bad input on every account form gets a clear message next to the field (or on the form), in English and French,
and nothing typed is lost."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from ava_app.services import accounts
from tests.e2e.members import one_time_token

pytestmark = pytest.mark.e2e


def in_french(page: Page) -> None:
    page.context.add_init_script("localStorage.setItem('ava_lang', 'fr')")


def test_signup_checks_fields_on_blur_and_on_submit(live_server: str, page: Page):
    page.goto(live_server + "/signup")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Email").blur()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    page.get_by_label("Password").fill("short")
    page.get_by_label("Password").blur()
    expect(page.get_by_text("Use at least 10 characters.")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")

    # Server-side checks come back per field; what was typed stays.
    page.get_by_label("Email").fill(f"new-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Password").fill("password123")
    page.get_by_label("Business name").fill("Garage Martin")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Enter your name.")).to_be_visible()
    expect(page.get_by_text("This password is too easy to guess: it is a common or leaked password")).to_be_visible()
    expect(page.get_by_label("Business name")).to_have_value("Garage Martin")
    expect(page).to_have_url(re.compile(r"/signup/?$"))


def test_signup_in_french(live_server: str, page: Page):
    in_french(page)
    page.goto(live_server + "/signup")
    expect(page.get_by_role("heading", name="Créer votre compte AVA")).to_be_visible()
    page.get_by_label("E-mail").fill("pas-un-email")
    page.get_by_label("E-mail").blur()
    expect(page.get_by_text("Saisissez une adresse e-mail valide.")).to_be_visible()
    page.get_by_label("Mot de passe").fill("court")
    page.get_by_label("Mot de passe").blur()
    expect(page.get_by_text("Utilisez au moins 10 caractères.")).to_be_visible()
    # A leaked password with digits added is refused on blur, with the reason.
    page.get_by_label("Mot de passe").fill("motdepasse2024")
    page.get_by_label("Mot de passe").blur()
    expect(page.get_by_text("Ce mot de passe est trop facile à deviner")).to_be_visible()


def test_login_forms(live_server: str, page: Page):
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(f"nobody-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()

    page.get_by_role("radio", name="Email link").click()
    # The form swaps once the server answers; typing before that would go into the password form.
    expect(page.get_by_text("We email you a link that logs you in.")).to_be_visible()
    page.get_by_label("Email").fill("nope")
    page.get_by_role("button", name="Email me a login link").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("nope")

    # The same answer for any address, until the rate limit says how long to wait.
    page.get_by_label("Email").fill(f"nobody-{secrets.token_hex(4)}@example.com")
    for _ in range(3):
        page.get_by_role("button", name="Email me a login link").click()
        expect(page.get_by_text("If an account exists, we sent a link.")).to_be_visible()
    page.get_by_role("button", name="Email me a login link").click()
    expect(page.get_by_text(re.compile(r"Too many attempts\. Try again in \d+ seconds\."))).to_be_visible()

    page.get_by_role("radio", name="SMS code").click()
    page.get_by_label("Mobile number").fill("0612")
    page.get_by_role("button", name="Text me a code").click()
    # Read in the country of the browser's language, or asked with its country code when the language names none.
    expect(
        page.get_by_text(re.compile(r"Enter (a phone number, e\.g\.|the number with its country code)"))
    ).to_be_visible()


def test_login_and_links_in_french(live_server: str, page: Page):
    in_french(page)
    page.goto(live_server + "/login")
    page.get_by_role("radio", name="Code SMS").click()
    page.get_by_label("Numéro de mobile").fill("12")
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    expect(
        page.get_by_text(re.compile(r"Saisissez (un numéro de téléphone, ex\.|le numéro avec son indicatif pays)"))
    ).to_be_visible()

    page.goto(live_server + "/verify?token=not-a-token")
    expect(page.get_by_text("Ce lien de connexion est invalide ou a expiré.")).to_be_visible()
    expect(page.get_by_role("link", name="Demander un nouveau lien de connexion")).to_be_visible()

    page.goto(live_server + "/invite?token=not-a-token")
    expect(page.get_by_text("Cette invitation est invalide ou a expiré.")).to_be_visible()


def test_forgot_and_reset_password(live_server: str, page: Page):
    page.goto(live_server + "/forgot-password")
    page.get_by_label("Email").fill("nope")
    page.get_by_role("button", name="Send the reset link").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    page.get_by_label("Email").fill(f"nobody-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Email").press("Enter")
    expect(page.get_by_text("If an account exists, we sent a link.")).to_be_visible()

    page.goto(live_server + "/reset-password?token=not-a-token")
    page.get_by_label("New password").fill("short")
    page.get_by_label("New password").blur()
    expect(page.get_by_text("Use at least 10 characters.")).to_be_visible()
    page.get_by_label("New password").fill("a-long-enough-pass-1")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("This link is invalid or has expired.")).to_be_visible()
    expect(page.get_by_role("link", name="Ask for a new reset link")).to_be_visible()


def test_invite_form_and_expired_links(live_server: str, page: Page, db):
    email = f"admin-{secrets.token_hex(4)}@example.com"
    accounts.signup(db, name="Ada Admin", email=email, password="tulip-garden-77", organisation_name="Ada Salon")

    page.goto(live_server + "/invite?token=not-a-token")
    expect(page.get_by_text("This invitation is invalid or has expired.")).to_be_visible()

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("tulip-garden-77")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))

    page.goto(live_server + "/settings/team")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("This person is already a member.")).to_be_visible()

    # The last admin cannot leave: the service's refusal shows as a message.
    page.get_by_role("button", name="Leave organisation").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Leave organisation").click()
    expect(page.get_by_text("An organisation needs at least one admin.")).to_be_visible()


def test_create_and_switch_organisation(live_server: str, page: Page, db, smtp_server):
    email = f"multi-{secrets.token_hex(4)}@example.com"
    accounts.signup(db, name="Max Multi", email=email, password="tulip-garden-77", organisation_name="First Garage")

    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("tulip-garden-77")
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    switcher = page.get_by_role("button", name="Switch organisation")
    expect(switcher).to_contain_text("First Garage")

    switcher.click()
    page.get_by_role("menuitem", name="Create organisation").click()
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.get_by_text("Enter the name of your business.")).to_be_visible()
    page.get_by_label("Organisation name").fill("Second Garage")
    page.get_by_label("Organisation name").press("Enter")
    expect(switcher).to_contain_text("Second Garage")

    # Switching waits for the email to be confirmed; the link opened in this browser keeps the session.
    switcher.click()
    expect(page.get_by_role("menuitem", name="First Garage")).to_be_disabled()
    page.keyboard.press("Escape")
    page.goto(live_server + "/verify-email?token=" + one_time_token(db, smtp_server, email, "/verify-email"))
    expect(page.get_by_text("Your email address is verified")).to_be_visible()
    page.goto(live_server + "/dashboard")

    switcher.click()
    page.get_by_role("menuitem", name="First Garage").click()
    expect(switcher).to_contain_text("First Garage")
