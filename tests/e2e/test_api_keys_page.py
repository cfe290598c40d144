"""An admin creates an API key in /settings/api-keys, copies it from the one-time callout, calls the live server's
REST API with it (httpx), revokes it behind the confirmation dialog, and the same request then answers 401."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member

pytestmark = pytest.mark.e2e


def test_an_admin_creates_uses_and_revokes_a_key(live_server: str, page: Page, db: Session):
    business = make_business(db, name="Keyed Garage")
    admin = make_member(db, tenant=business, role="admin", name="Garage Owner")
    log_in(page, live_server, admin.email)
    page.goto(live_server + "/settings/api-keys")
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    expect(page.get_by_text(f"{live_server}/api/v1/calls?limit=5")).to_be_visible()

    page.get_by_role("button", name="Create API key").first.click()
    page.get_by_label("Name").fill("Spreadsheet sync")
    expect(page.get_by_role("checkbox", name="Read calls")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Write calls")).not_to_be_checked()
    page.get_by_role("radio", name="In 30 days").click()
    page.locator("#api-key-create-submit").click()
    expect(page.get_by_text("You will not see it again", exact=False)).to_be_visible()
    key = page.locator("#api-key-value").inner_text()
    assert key.startswith("ava_")
    page.get_by_role("button", name="I have saved it").click()
    expect(page.locator("#api-key-value")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text="Spreadsheet sync")
    expect(row).to_contain_text(key[:12])
    expect(row).to_contain_text("calls:read")
    expect(row).to_contain_text("Garage Owner")
    expect(row).to_contain_text("Active")

    headers = {"Authorization": f"Bearer {key}"}
    listed = httpx.get(f"{live_server}/api/v1/calls", headers=headers, timeout=30)
    assert listed.status_code == 200 and listed.json()["items"] == []
    refused = httpx.get(f"{live_server}/api/v1/ava-profiles", headers=headers, timeout=30)
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"

    page.reload()
    expect(row).not_to_contain_text("Never")  # last used is now set (and it expires in 30 days)
    page.screenshot(path=str(ARTIFACTS / "api-keys-list.png"), full_page=True)
    row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Spreadsheet sync")
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("API key revoked")).to_be_visible()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)

    after = httpx.get(f"{live_server}/api/v1/calls", headers=headers, timeout=30)
    assert after.status_code == 401 and after.json()["error"] == "invalid_api_key"
