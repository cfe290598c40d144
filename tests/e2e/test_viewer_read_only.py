"""A viewer reads everything and changes nothing: the pages show no control that would write."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_assistant, make_call, make_phone_number

pytestmark = pytest.mark.e2e


def test_viewer_sees_no_write_controls(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Cabinet Vue")
    make_member(db, tenant=tenant, role="admin")
    viewer = make_member(db, tenant=tenant, role="viewer", name="Victor Viewer")
    assistant = make_assistant(db, tenant=tenant, name="Vera")
    number = make_phone_number(db, tenant=tenant, assistant_id=assistant.id)
    call = make_call(
        db,
        tenant=tenant,
        caller_number="+16505550177",
        assistant_id=assistant.id,
        action_needed=True,
        summary="Wants a call back about an invoice.",
        summary_status="done",
    )
    log_in(page, live_server, viewer.email)

    # /calls: rows can be ticked (for an export), but there is nothing to delete them with.
    page.goto(live_server + "/calls")
    row = page.get_by_role("row", name="(650) 555-0177")  # a US business writes its callers' numbers nationally
    row.get_by_role("checkbox", name="Select this call").click()
    expect(page.get_by_text("1 selected")).to_be_visible()
    expect(page.get_by_role("button", name="Export selected")).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)

    # /calls/<id>: exports, but no delete and no "mark as done" on the open follow-up.
    page.goto(f"{live_server}/calls/{call.id}")
    expect(page.get_by_text("Wants a call back about an invoice.")).to_be_visible()
    expect(page.get_by_text("Action needed").first).to_be_visible()
    page.get_by_text("Details for troubleshooting").click()  # downloads are with the details
    expect(page.get_by_role("button", name="Export JSON")).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark as done")).to_have_count(0)

    # /assistant: read-only, said so, no Save (and no test call: it would store a call).
    page.goto(live_server + "/assistant")
    expect(page.get_by_text("You have read-only access").first).to_be_visible()
    expect(page.get_by_label("Greeting")).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    page.get_by_role("tab", name="Knowledge base").click()
    expect(page.get_by_role("button", name="Add a question")).to_have_count(0)
    page.get_by_role("tab", name="Test call").click()
    expect(page.get_by_role("button", name="Call to test")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "viewer-assistant.png"), full_page=True)

    # /phone-numbers: the number is listed, with no add, settings or release, and no forwarded line to type.
    page.goto(live_server + "/phone-numbers")
    expect(page.locator(f"[data-number='{number.e164}']")).to_be_visible()
    expect(page.get_by_label("Your existing number")).to_have_count(0)
    expect(page.get_by_role("button", name="Add number")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Settings "))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Release "))).to_have_count(0)
