"""Sign in with Google or Microsoft in Chromium: "Continue with …", the emulator's identity picker clicked, and AVA.

A new Google or Microsoft account signs up (the organisation form, then the setup wizard); the same account then
signs in from the login page and lands in AVA; an account claiming an existing member's address is not signed in.
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app.models import AuditLog, User, UserIdentity
from tests.e2e.members import make_business, make_member

pytestmark = [
    pytest.mark.e2e,
    # The emulators keep their codes in the memory of one process (see test_calendar_connect.py).
    pytest.mark.skipif(bool(os.environ.get("AVA_REDIS_URL")), reason="the emulators run in one process (no Redis)"),
]


def pick_identity(page: Page, email: str, *, verified: bool = True, account: str = "", brand: str = "Google") -> None:
    """The emulator's page: type who the provider says you are, and continue."""
    expect(page.get_by_role("heading", name=f"Sign in with {brand}")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label(f"{brand} has verified this address").set_checked(verified)
    if account:
        page.get_by_label(re.compile("Account id")).fill(account)
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize(
    ("provider", "brand", "email"),
    [("google", "Google", "lea.martin@gmail.example"), ("microsoft", "Microsoft", "lea.martin@outlook.example")],
)
def test_a_new_account_signs_up_then_signs_in(
    live_server: str, page: Page, db: Session, provider: str, brand: str, email: str
):
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(live_server + "/signup")
    page.get_by_role("link", name=f"Continue with {brand}").click()
    pick_identity(page, email, brand=brand)

    expect(page).to_have_url(re.compile(r"/signup\?signin=1$"))
    expect(page.get_by_role("heading", name="Create your organisation")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Signed in with {brand} as {email}")
    page.get_by_label("Business name").fill("Salon Léa")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/onboarding"), timeout=20_000)

    user = db.exec(select(User).where(User.email == email)).one()
    assert user.password_hash is None and user.email_verified_at is not None
    assert db.exec(select(UserIdentity).where(UserIdentity.user_id == user.id)).one().provider == provider

    # Log out, then sign in again with the same account from the login page.
    page.context.clear_cookies()
    page.goto(live_server + "/login")
    page.get_by_role("link", name=f"Continue with {brand}").click()
    pick_identity(page, email, brand=brand)
    expect(page).to_have_url(re.compile(r"/(dashboard|onboarding)"), timeout=20_000)
    db.expire_all()
    logins = db.exec(select(AuditLog).where(AuditLog.user_id == user.id, AuditLog.action == "login_succeeded")).all()
    assert [row.detail for row in logins] == [{"method": provider}]


def test_a_google_account_claiming_a_members_address_is_not_signed_in(live_server: str, page: Page, db: Session):
    member = make_member(db, tenant=make_business(db, name="Clinique du Parc"))
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(live_server + "/login")
    page.get_by_role("link", name="Continue with Google").click()
    pick_identity(page, member.email, account="someone-else")

    expect(page).to_have_url(re.compile(r"/login\?signin=1$"))
    expect(page.get_by_role("status")).to_contain_text("open the login link we just emailed")
    page.goto(live_server + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login"))
    db.expire_all()
    assert db.exec(select(UserIdentity)).all() == []
