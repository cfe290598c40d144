"""Usage crosses 80 % of the plan's minutes with a call's end-of-call report: the admin gets the usage email once,
and the Usage page shows the minutes against the plan, the calls not billed and the link to them."""

from __future__ import annotations

import copy
import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ava_app.models import utcnow
from tests.e2e.conftest import ARTIFACTS, Mailbox, text_of
from tests.e2e.members import log_in
from tests.e2e.test_live_push import CONTRACTS, Business
from tests.e2e.test_privacy_redaction import applied_call
from tests.factories import make_call

pytestmark = pytest.mark.e2e


def vapi_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def end_of_call_report(business: Business, *, seconds: int) -> tuple[dict, str]:
    """Vapi's end-of-call report of a call to ``business`` that lasted ``seconds`` and just ended."""
    body = copy.deepcopy(json.loads((CONTRACTS / "end-of-call-report.json").read_text()))
    message = body["message"]
    call_id = str(uuid.uuid4())
    ended = utcnow()
    started = ended - timedelta(seconds=seconds)
    message["call"]["id"] = call_id
    message["call"]["phoneNumberId"] = business.number_id
    message["call"]["type"] = "inboundPhoneCall"
    message["call"]["customer"] = message["customer"] = {"number": "+16505550177"}
    message["call"]["startedAt"] = message["startedAt"] = vapi_time(started)
    message["call"]["endedAt"] = message["endedAt"] = vapi_time(ended)
    message.pop("phoneNumber", None)
    message.pop("assistant", None)
    message["timestamp"] = int(time.time() * 1000)
    return body, call_id


def test_usage_crossing_80_percent_emails_the_admin_once(
    live_server: str, page: Page, db: Session, smtp_server: Mailbox
):
    # A trial business (60 minutes included) that has used 47 of them, plus a hang-up and a test call never billed.
    business = Business(db, "Usage Clinic")
    # Signed up an hour ago: the trial period (from the creation) holds every call below.
    business.tenant.created_at = utcnow() - timedelta(hours=1)
    db.add(business.tenant)
    db.commit()
    make_call(db, tenant=business.tenant, minutes_ago=30, duration=47 * 60)
    make_call(db, tenant=business.tenant, minutes_ago=30, duration=9)
    make_call(db, tenant=business.tenant, minutes_ago=30, duration=300, call_type="web")

    # A 2-minute call ends: 49 of 60 minutes, 81 %.
    body, call_id = end_of_call_report(business, seconds=115)
    response = httpx.post(
        f"{live_server}/api/v1/webhooks/vapi", json=body, headers={"X-Vapi-Secret": business.secret}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert applied_call(db, call_id).duration_seconds == 115

    mail = smtp_server.wait_for(business.owner.email, containing="49 of the 60 minutes")
    assert mail["Subject"] == "Usage Clinic: 80% of your included minutes used"
    assert "/usage" in text_of(mail)

    log_in(page, live_server, business.owner.email)
    page.goto(f"{live_server}/usage")
    expect(page.locator("#usage-minutes")).to_have_text("49 of 60 minutes")
    expect(page.get_by_text("82% of your included minutes used")).to_be_visible()
    not_billed = page.locator("#usage-not-billed")
    expect(not_billed).to_contain_text("Hang-ups under 15 s")
    expect(not_billed).to_contain_text("Test calls")
    expect(page.get_by_text("A lead is a billed call")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "usage-page.png"), full_page=True)

    # Another call's summary reruns the check: still one 80 % email.
    body, call_id = end_of_call_report(business, seconds=30)
    httpx.post(f"{live_server}/api/v1/webhooks/vapi", json=body, headers={"X-Vapi-Secret": business.secret}, timeout=30)
    applied_call(db, call_id)
    time.sleep(3)
    assert len([m for m in smtp_server.messages_to(business.owner.email) if "80%" in str(m["Subject"])]) == 1
