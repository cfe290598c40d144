"""An owner blocks a caller from a call's page; that number's next call is refused at assistant-request with the
goodbye and never handed to the assistant; Unblock undoes it."""

from __future__ import annotations

import copy
import json
import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app.models import BlockedCaller, Call
from ava_app.services.billing import billable
from ava_app.services.caller_phrases import phrase
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in
from tests.e2e.test_live_push import CONTRACTS, Business
from tests.factories import make_call

pytestmark = pytest.mark.e2e
CALLER = "+16505550142"


def assistant_request(base_url: str, business: Business, caller: str) -> dict:
    """A new inbound call to the business, as Vapi asks AVA who takes it."""
    body = copy.deepcopy(json.loads((CONTRACTS / "assistant-request.json").read_text()))
    message = body["message"]
    message["call"]["id"] = str(uuid.uuid4())
    message["call"]["phoneNumberId"] = business.number_id
    message["call"]["customer"] = message["customer"] = {"number": caller}
    message["phoneNumber"] = {"id": business.number_id}
    message.pop("assistant", None)
    message["timestamp"] = int(time.time() * 1000)
    response = httpx.post(
        f"{base_url}/api/v1/webhooks/vapi", json=body, headers={"X-Vapi-Secret": business.secret}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_an_owner_blocks_a_caller_from_the_call_page_and_the_next_call_is_refused(
    live_server: str, page: Page, db: Session
):
    business = Business(db, "Blocking Bakery")
    call = make_call(db, tenant=business.tenant, caller_number=CALLER, status="ended", outcome="answered")
    assert "assistantId" in assistant_request(live_server, business, CALLER)

    log_in(page, live_server, business.owner.email)
    page.goto(f"{live_server}/calls/{call.id}")
    page.get_by_role("button", name="Block this caller").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Block this caller?")
    dialog.get_by_role("button", name="Block this caller").click()
    expect(page.get_by_text("Caller blocked.")).to_be_visible()
    expect(page.get_by_role("button", name="Unblock")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "block-caller-call-page.png"), full_page=True)

    refused = assistant_request(live_server, business, CALLER)
    assert refused == {"error": phrase("en", "blocked")}
    db.expire_all()
    outcomes = db.exec(select(Call.outcome).where(Call.tenant_id == business.tenant.id, Call.id != call.id)).all()
    assert "blocked" in outcomes
    assert "assistantId" in assistant_request(live_server, business, "+16505550100")  # anyone else still gets through

    # The refused call is never billed, even once it has lasted: the Usage page counts it apart.
    blocked = db.exec(select(Call).where(Call.tenant_id == business.tenant.id, Call.outcome == "blocked")).one()
    blocked.duration_seconds = 45
    db.add(blocked)
    db.commit()
    assert (billable.not_billed_reason(blocked), billable.billable_minutes(blocked)) == ("blocked", 0)
    page.goto(f"{live_server}/usage")
    reason_row = page.get_by_text("Blocked callers", exact=True).locator("..")
    expect(reason_row).to_contain_text("1")
    expect(page.locator("#usage-minutes")).to_have_text(re.compile(r"^0 of 60"))
    page.screenshot(path=str(ARTIFACTS / "block-caller-usage.png"), full_page=True)
    page.goto(f"{live_server}/calls/{call.id}")

    page.get_by_role("button", name="Unblock").click()
    expect(page.get_by_text("Caller unblocked.")).to_be_visible()
    db.expire_all()
    assert db.exec(select(BlockedCaller).where(BlockedCaller.tenant_id == business.tenant.id)).all() == []
    assert "assistantId" in assistant_request(live_server, business, CALLER)
