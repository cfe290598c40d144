"""/calls: tick two calls and export them; the downloaded CSV holds exactly those two."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_call

pytestmark = pytest.mark.e2e
CALLERS = ("+16505550101", "+16505550102", "+16505550103", "+16505550104", "+16505550105")


def shown(e164: str) -> str:
    """A US business's caller as the list writes it: ``(650) 555-0101``."""
    return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"


def test_export_the_ticked_calls_as_csv(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Garage Est")
    owner = make_member(db, tenant=tenant)
    calls = {
        caller: make_call(db, tenant=tenant, caller_number=caller, minutes_ago=10 + index, summary=f"Call {index}")
        for index, caller in enumerate(CALLERS)
    }
    chosen = (CALLERS[1], CALLERS[3])

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/calls")
    for caller in CALLERS:
        expect(page.get_by_role("row", name=shown(caller))).to_be_visible()
    expect(page.get_by_role("button", name="Export", exact=True)).to_be_visible()
    for caller in chosen:
        page.get_by_role("row", name=shown(caller)).get_by_role("checkbox", name="Select this call").click()
    expect(page.get_by_text("2 selected")).to_be_visible()
    export = page.get_by_role("button", name="Export selected")
    expect(export).to_be_visible()
    export.click()
    with page.expect_download() as download_info:
        page.get_by_role("menuitem", name="Export as CSV").click()
    download = download_info.value
    assert download.suggested_filename == "calls.csv"
    saved = ARTIFACTS / "calls-selection.csv"
    download.save_as(saved)
    expect(page.get_by_role("status").filter(has_text="Export downloaded.")).to_be_visible()

    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert sorted(row["caller_number"] for row in rows) == sorted(chosen)
    assert sorted(int(row["id"]) for row in rows) == sorted(calls[caller].id for caller in chosen)
