"""Account pre-hijacking in the browser: an attacker signs up with the victim's address before the victim does.

The attacker's browser cannot join the organisation that invites the victim (it is asked to confirm the email
first); the victim joins from the invitation link with their own password, and the attacker's browser is logged out.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Browser, Page, expect

from ava_app.services import accounts, team
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import one_time_token

pytestmark = pytest.mark.e2e

ATTACKER_PASSWORD = "mallory-owns-this-9"
VICTIM_PASSWORD = "victims-own-secret-5"


def _log_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_victim_takes_the_account_back_from_the_invitation(
    live_server: str, browser: Browser, page: Page, db, smtp_server
):
    run = secrets.token_hex(4)
    victim = f"victim-{run}@example.com"
    accounts.signup(db, name="Mallory", email=victim, password=ATTACKER_PASSWORD, organisation_name=f"Mallory {run}")
    owner = accounts.signup(
        db, name="Olga", email=f"olga-{run}@example.com", password="harbour-lights-42", organisation_name=f"Olga {run}"
    )
    admin = accounts.authenticate(db, access_token=owner.access_token)
    team.invite_member(db, principal=admin, email=victim, role="user")
    invite_link = live_server + "/invite?token=" + one_time_token(db, smtp_server, victim, "/invite")

    # The attacker, logged in under the victim's address, opens the invitation: joining needs a confirmed email.
    _log_in(page, live_server, victim, ATTACKER_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    page.goto(invite_link)
    expect(page.get_by_text("Confirm your email address before joining")).to_be_visible()
    expect(page.get_by_role("button", name="Accept the invitation")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "invite-verify-first.png"), full_page=True)
    page.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_text("We sent a new verification link.")).to_be_visible()

    victim_context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        victim_page = victim_context.new_page()
        victim_page.add_init_script("localStorage.setItem('ava_lang', 'en')")
        victim_page.goto(invite_link)
        expect(victim_page.get_by_text("never confirmed")).to_be_visible()
        victim_page.screenshot(path=str(ARTIFACTS / "invite-claim-account-390.png"), full_page=True)
        victim_page.get_by_label("Your name").fill("Victoria")
        victim_page.get_by_label("Password").fill(VICTIM_PASSWORD)
        victim_page.get_by_role("button", name="Create account and join").click()
        expect(victim_page).to_have_url(re.compile(r"/dashboard/?$"))
        expect(victim_page.get_by_role("button", name="Switch organisation")).to_contain_text(f"Olga {run}")
    finally:
        victim_context.close()

    # The attacker's browser is logged out at its next page, and the old password no longer works.
    page.goto(live_server + "/settings/team")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.get_by_label("Email").fill(victim)
    page.get_by_label("Password").fill(ATTACKER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid email or password.")).to_be_visible()


def test_unverified_switcher_and_verification_in_french(
    live_server: str, browser: Browser, page: Page, db, smtp_server
):
    email = f"multi-{secrets.token_hex(4)}@example.com"
    signed_up = accounts.signup(
        db, name="Max", email=email, password="tulip-garden-77", organisation_name="Premier Garage"
    )
    principal = accounts.authenticate(db, access_token=signed_up.access_token)
    team.create_organisation(db, principal=principal, name="Second Garage")

    page.add_init_script("localStorage.setItem('ava_lang', 'fr')")
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill("tulip-garden-77")
    page.get_by_label("Mot de passe").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    switcher = page.get_by_role("button", name="Changer d'organisation")
    expect(switcher).to_contain_text("Second Garage")
    switcher.click()
    expect(page.get_by_text("Confirmez votre adresse e-mail pour ouvrir vos autres organisations.")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Premier Garage")).to_be_disabled()
    expect(page.get_by_role("menuitem", name="Renvoyer le lien")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "switcher-verify-first-fr.png"), full_page=True)
    page.keyboard.press("Escape")

    # Opened in another browser (not this session's), the link removes the password and logs every device out.
    elsewhere = browser.new_context()
    try:
        link_page = elsewhere.new_page()
        link_page.add_init_script("localStorage.setItem('ava_lang', 'fr')")
        link_page.goto(live_server + "/verify-email?token=" + one_time_token(db, smtp_server, email, "/verify-email"))
        expect(link_page.get_by_text("le mot de passe choisi avant la confirmation")).to_be_visible()
        expect(link_page.get_by_role("button", name="Connexion par lien e-mail")).to_be_visible()
        link_page.screenshot(path=str(ARTIFACTS / "verify-email-password-removed-fr.png"), full_page=True)
    finally:
        elsewhere.close()
    page.goto(live_server + "/calls")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_victims_email_link_says_the_earlier_password_was_removed(live_server: str, page: Page, db, smtp_server):
    victim = f"victim-{secrets.token_hex(4)}@example.com"
    accounts.signup(db, name="Mallory", email=victim, password=ATTACKER_PASSWORD, organisation_name="Mallory SARL")
    accounts.send_magic_link(db, email=victim)

    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(live_server + "/verify?token=" + one_time_token(db, smtp_server, victim, "/verify"))
    expect(page.get_by_text("v***@example.com")).to_be_visible()  # the account the link opens, partly hidden
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/settings/profile/?\?password_removed=1$"))
    expect(page.get_by_text("the password chosen before was removed")).to_be_visible()
    expect(page.get_by_role("button", name="Change password")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "magic-link-password-removed.png"), full_page=True)
