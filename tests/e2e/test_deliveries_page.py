"""An owner sees on the dashboard that a summary email failed, opens the deliveries log from the warning, sends it
again and sees it sent; the call's page lists what was sent for it and leads to the log narrowed to that call."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ava_app.models import Outbox
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in
from tests.e2e.test_live_push import Business
from tests.factories import make_call

pytestmark = pytest.mark.e2e


def test_a_failed_summary_is_flagged_on_the_dashboard_and_sent_again_from_the_log(
    live_server: str, page: Page, db: Session
):
    business = Business(db, "Deliveries Dental")
    call = make_call(db, tenant=business.tenant, status="ended", outcome="answered", caller_number="+16505550188")
    failed = Outbox(
        tenant_id=business.tenant.id,
        channel="email",
        to="frontdesk@deliveries.example",
        subject="Call from (650) 555-0188",
        body_text="A caller asked for a cleaning.",
        status="failed",
        attempts=8,
        last_error="550 5.1.1 mailbox unavailable",
        purpose="summary",
        call_id=call.id,
    )
    db.add(failed)
    db.commit()

    log_in(page, live_server, business.owner.email)
    page.goto(f"{live_server}/dashboard")
    banner = page.locator("#dash-failed-deliveries")
    expect(banner).to_contain_text("1 message could not be delivered in the last 7 days.")
    banner.get_by_role("link", name="See what failed").click()
    page.wait_for_url("**/settings/deliveries?status=failed")
    row = page.locator(".delivery-row").first
    expect(row).to_contain_text("Call summary")
    expect(row).to_contain_text("frontdesk@deliveries.example")
    expect(row).to_contain_text("550 5.1.1 mailbox unavailable")
    expect(row).to_contain_text("Failed")
    page.screenshot(path=str(ARTIFACTS / "deliveries-failed.png"), full_page=True)

    row.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("Queued to be sent again.")).to_be_visible()
    # The live server's worker hands it to the sandbox mailer: the "Sent" filter shows it once that is done.
    for _ in range(30):
        page.goto(f"{live_server}/settings/deliveries?status=sent")
        expect(page.locator("#deliveries-list, #deliveries-empty")).to_be_visible()
        if page.locator(".delivery-row").count():
            break
        time.sleep(1)
    expect(page.locator(".delivery-row").first).to_contain_text("frontdesk@deliveries.example")
    db.expire_all()
    assert db.get(Outbox, failed.id).status == "sent"

    page.goto(f"{live_server}/calls/{call.id}")
    sent = page.locator("#call-sent")
    expect(sent).to_contain_text("Call summary")
    sent.screenshot(path=str(ARTIFACTS / "deliveries-call-card.png"))
    page.locator("#call-deliveries-link").click()
    page.wait_for_url(f"**/settings/deliveries?call={call.id}")
    expect(page.locator(".delivery-row")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "deliveries-call.png"), full_page=True)
