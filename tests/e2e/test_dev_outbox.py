"""With sandbox mail the dev outbox is how a developer logs in without a mailbox: the magic link it shows is live,
while the database keeps only a sealed copy of it."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from ava_app.models import Outbox, User, utcnow
from ava_app.services import accounts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox_mail_server(start_live_server) -> str:
    """An AVA with no mail server: its email lands in /dev/outbox."""
    return start_live_server({"AVA_SMTP_HOST": ""}, name="live-server-sandbox-mail")


def test_the_dev_outbox_magic_link_logs_in(sandbox_mail_server: str, page: Page, db):
    email = f"dev-{secrets.token_hex(4)}@example.com"
    signed_up = accounts.signup(db, name="Dev", email=email, password="tulip-garden-77", organisation_name="Dev Garage")
    # A confirmed address: a first email link on an unconfirmed one would also remove its password (pre-hijacking).
    user = db.get(User, signed_up.user_id)
    user.email_verified_at = utcnow()
    db.add(user)
    db.commit()
    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(sandbox_mail_server + "/login")
    page.get_by_role("radio", name="Email link").click()
    expect(page.get_by_text("We email you a link that logs you in.")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a login link").click()
    expect(page.get_by_text("If an account exists, we sent a link.")).to_be_visible()

    outbox = page.context.new_page()
    outbox.goto(sandbox_mail_server + "/dev/outbox")
    expect(outbox.get_by_text(email).first).to_be_visible()
    # Newest first: the sign-in email just sent.
    button = outbox.frame_locator('iframe[title="Your AVA sign-in link"]').first.get_by_role("link", name="Sign in")
    expect(button).to_have_attribute("href", re.compile(r"/verify\?token=[\w-]+$"))
    link = button.get_attribute("href")
    outbox.close()

    stored = db.exec(
        select(Outbox).where(Outbox.to == email, Outbox.subject == "Your AVA sign-in link").order_by(col(Outbox.id))
    ).one()
    assert stored.status == "sent" and stored.sealed_links
    assert link.split("token=")[1] not in stored.body_text + stored.body_html + stored.sealed_links

    page.goto(link)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
