"""People of a business for E2E tests: a member with a password (made in the database), and logging in as them."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from ava_app.models import Outbox, Tenant, User, utcnow
from ava_app.services.messaging.outbox import open_bodies
from ava_app.services.passwords import hash_password
from tests.factories import make_tenant, make_user

PASSWORD = "correct-horse-battery-9"


def make_business(db: Session, *, name: str) -> Tenant:
    """An organisation that has finished onboarding (its pages open without the wizard)."""
    return make_tenant(db, name=name, onboarding_completed_at=utcnow())


def make_member(db: Session, *, tenant: Tenant, role: str = "admin", name: str = "Test User") -> User:
    """A verified member of ``tenant`` whose password is ``PASSWORD``."""
    return make_user(
        db,
        tenant=tenant,
        role=role,
        name=name,
        email=f"{role}-{uuid.uuid4().hex[:10]}@example.com",
        password_hash=hash_password(PASSWORD),
        email_verified_at=utcnow(),
    )


def log_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Log in with the password form, in English, and land on the dashboard."""
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    until_on_dashboard(page, page.get_by_role("button", name="Log in").click)


DASHBOARD = re.compile(r"/dashboard/?$")
# The login form's refusal when an address has tried too often ("Try again in 12 seconds"), in either language.
TOO_MANY = re.compile(r"(?:Too many attempts\. Try again in|Trop de tentatives\. Réessayez dans) (\d+)")


def until_on_dashboard(page: Page, submit: Callable[[], object], *, timeout: float = 30) -> None:
    """Submit the login form and land on the dashboard. The live server allows 20 logins a minute per address and
    every browser test logs in from 127.0.0.1: when the form says to wait, wait as it says and submit again, as a
    person would."""
    submit()
    deadline = time.monotonic() + timeout
    while not DASHBOARD.search(page.url):
        refusal = page.get_by_text(TOO_MANY)
        if refusal.count():
            found = TOO_MANY.search(refusal.first.inner_text())
            page.wait_for_timeout((int(found.group(1)) + 1) * 1000 if found else 2000)
            deadline = time.monotonic() + timeout
            submit()
        assert time.monotonic() < deadline, f"not on the dashboard after logging in: {page.url}"
        page.wait_for_timeout(100)
    expect(page).to_have_url(DASHBOARD)


def open_profile(page: Page, base_url: str) -> None:
    """Open /settings/profile and wait until the page has its state (the owner's name is in its field).

    Typing into the pre-rendered form before the page has hydrated can be lost when React replaces it."""
    page.goto(base_url + "/settings/profile")
    expect(page.get_by_label("Your name")).not_to_have_value("")


def one_time_token(db: Session, mailbox, to: str, path: str, *, timeout: float = 60) -> str:
    """The token of the newest ``{path}?token=`` link sent to ``to``.

    Read from the outbox while its link is still sealed there (nothing delivered it yet: on SQLite the rows a test
    makes itself wait in the tests' own job queue), or from the mail the live server delivered (with Redis the job
    queue is shared, and a delivered message keeps no link in the database), whichever comes first.
    """
    from tests.e2e.conftest import text_of

    pattern = re.compile(re.escape(path) + r"\?token=([\w-]+)")
    deadline = time.monotonic() + timeout
    while True:
        db.expire_all()
        for row in db.exec(select(Outbox).where(Outbox.to == to).order_by(col(Outbox.id).desc())):
            found = pattern.search(open_bodies(row)[0])
            if found:
                return found.group(1)
        for message in reversed(mailbox.messages_to(to)):
            found = pattern.search(text_of(message))
            if found:
                return found.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no {path} link for {to}")
        time.sleep(0.2)
