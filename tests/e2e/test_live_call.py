"""A call seen live in the browser: the sandbox Vapi plays a call to the business's number while the owner watches.

The business is set up through AVA's API (industry, a free sandbox number, go live), so the assistant and the number
exist on the Vapi emulator mounted in the live server, with AVA's webhook as their server. The emulator's
``POST /sandbox/simulate-call`` then plays a slow call whose webhooks reach AVA as Vapi's would.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app import routes
from ava_app.models import Call, PhoneNumber
from ava_app.services import phones
from tests.e2e.conftest import ARTIFACTS, text_of
from tests.e2e.members import PASSWORD, log_in, make_business, make_member

pytestmark = pytest.mark.e2e
CALLER = "+16505550123"
# As a US business writes it, on its pages and in its emails.
CALLER_SHOWN = phones.display(CALLER, "US")
# Real time is 1; 2.5 plays the call in about twenty seconds: long enough to watch it grow, short enough for CI.
CALL_SPEED = 2.5


def go_live_through_the_api(base_url: str, email: str) -> None:
    """Industry, a free sandbox number, completion: what the wizard does, through /api/v1."""
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
        login = api.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        chosen = api.post("/onboarding/progress", json={"step": 3, "industry": "clinic", "locale": "en"})
        assert chosen.status_code == 200, chosen.text
        number = api.post("/phone-numbers/provision", json={"kind": "vapi_free", "area_code": "415"})
        assert number.status_code == 201, number.text
        done = api.post("/onboarding/complete")
        assert done.status_code == 200, done.text


def wait_for_row(db: Session, query, *, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.expire_all()
        row = db.exec(query).first()
        if row is not None:
            return row
        time.sleep(0.3)
    raise AssertionError("row not found in time")


def test_a_simulated_call_is_live_on_the_dashboard_and_its_page(
    live_server: str, live_sandbox_keys, smtp_server, page: Page, db
):
    tenant = make_business(db, name="Cabinet Live")
    owner = make_member(db, tenant=tenant, name="Lucie Live")
    go_live_through_the_api(live_server, owner.email)
    number = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
    assert number.provider_number_id and number.assistant_id

    log_in(page, live_server, owner.email)
    started = httpx.post(
        f"{live_server}{routes.SANDBOX_VAPI}/sandbox/simulate-call",
        headers={"Authorization": f"Bearer {live_sandbox_keys.vapi_api_key}"},
        json={
            "phoneNumberId": number.provider_number_id,
            "intent": "question",
            "speed": CALL_SPEED,
            "customer": {"number": CALLER},
        },
        timeout=30,
    )
    assert started.status_code == 201, started.text

    # The dashboard's "Live now" strip shows the call while it rings and talks (the server pushes it).
    strip = page.get_by_role("status").filter(has_text="Live now")
    expect(strip).to_be_visible(timeout=20_000)
    live_link = strip.get_by_role("link", name=re.compile(re.escape(CALLER_SHOWN)))
    expect(live_link).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "live-call-dashboard.png"), full_page=True)
    live_link.click()
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    call_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # Its page says it is in progress, and the conversation grows while it is.
    in_progress = page.get_by_role("status").filter(has_text="This call is in progress")
    expect(in_progress).to_be_visible()
    lines = page.get_by_role("button", name=re.compile(r"^(Assistant|Caller)\s*\d+:\d\d"))
    expect(lines.first).to_be_visible(timeout=20_000)
    seen = lines.count()
    deadline = time.monotonic() + 30
    while lines.count() <= seen:
        assert time.monotonic() < deadline, f"the transcript stayed at {seen} line(s)"
        assert in_progress.count() == 1, "the call ended before the transcript was seen growing"
        time.sleep(0.2)
    grown = lines.count()
    page.screenshot(path=str(ARTIFACTS / "live-call-page-in-progress.png"), full_page=True)

    # Ended: the page says so by itself, then shows the summary the job wrote.
    expect(in_progress).to_have_count(0, timeout=60_000)
    call = wait_for_row(db, select(Call).where(Call.id == call_id, Call.summary_status == "done"))
    assert call.caller_number == CALLER and call.status == "ended"
    summary = call.summary.strip().splitlines()[0]
    expect(page.get_by_text(summary, exact=False).first).to_be_visible(timeout=20_000)
    assert lines.count() >= grown
    page.screenshot(path=str(ARTIFACTS / "live-call-page-ended.png"), full_page=True)

    # And the owner got its summary email, with the link to this page.
    message = smtp_server.wait_for(owner.email, containing=f"/calls/{call_id}")
    assert CALLER_SHOWN in message["Subject"]
    assert f"{live_server}/calls/{call_id}" in text_of(message)
