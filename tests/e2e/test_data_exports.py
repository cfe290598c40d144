"""An admin exports all of the business's data from /settings/privacy: the job builds the ZIP while the page shows its
progress, then the Download button saves it through a signed link; the page is captured with an export being built
and one ready, in English and French, 390 px and 1440 px wide."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from ava_app.models import CallMessage, DataExport
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in
from tests.e2e.test_live_push import Business
from tests.factories import make_call

pytestmark = pytest.mark.e2e


def test_an_admin_exports_the_business_and_downloads_it_once_ready(live_server: str, page: Page, db: Session):
    business = Business(db, "Export Bakery")
    calls = [
        make_call(db, tenant=business.tenant, caller_number=f"+1650555010{index}", summary=f"Order {index}.")
        for index in range(3)
    ]
    db.add(CallMessage(tenant_id=business.tenant.id, call_id=calls[0].id, position=0, role="user", text="Two loaves"))
    db.commit()
    log_in(page, live_server, business.owner.email)
    page.goto(live_server + "/settings/privacy")
    expect(page.get_by_text("Nothing exported yet.")).to_be_visible()
    page.get_by_role("button", name="Export all of the business's data").click()
    exports = page.locator("#exports")
    expect(exports.get_by_text("All of the business's data")).to_be_visible()
    expect(exports.get_by_text("Ready", exact=True)).to_be_visible(timeout=30_000)
    expect(exports.get_by_text("available until")).to_be_visible()
    with page.expect_download() as download_info:
        exports.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "organisation-data.zip"
    saved = ARTIFACTS / "privacy-organisation-data.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        exported = json.loads(archive.read("calls.json"))
        settings = json.loads(archive.read("organisation.json"))
    assert [call["id"] for call in exported] == [call.id for call in calls]
    assert exported[0]["messages"][0]["text"] == "Two loaves"
    assert settings["organisation"]["name"] == "Export Bakery"


def test_the_privacy_page_shows_an_export_being_built_and_one_ready(live_server: str, browser: Browser, db: Session):
    business = Business(db, "Export Dairy")
    make_call(db, tenant=business.tenant, caller_number="+16505550177", summary="Asked about butter.")
    # An export a worker is building (no job behind it: the page shows its progress as the job writes it).
    db.add(
        DataExport(
            tenant_id=business.tenant.id, requested_by=business.owner.id, kind="organisation", status="running",
            done=42_000, total=100_000,
        )
    )  # fmt: skip
    db.commit()
    first = True
    for lang in ("en", "fr"):
        for width, height in ((390, 844), (1440, 900)):
            context = browser.new_context(viewport={"width": width, "height": height})
            try:
                page = context.new_page()
                log_in(page, live_server, business.owner.email)
                if first:
                    # The caller's export, built by the job, ready beside the one being built.
                    page.goto(live_server + "/settings/privacy")
                    page.get_by_label("Phone number or e-mail address").fill("(650) 555-0177")
                    page.get_by_role("button", name="Find").click()
                    page.get_by_role("button", name="Prepare a download (ZIP)").click()
                    expect(page.locator("#exports").get_by_text("Ready", exact=True)).to_be_visible(timeout=30_000)
                    first = False
                page.add_init_script(f"localStorage.setItem('ava_lang', '{lang}')")
                page.goto(live_server + "/settings/privacy")
                exports = page.locator("#exports")
                expect(exports.get_by_role("progressbar")).to_have_count(1)
                expect(
                    exports.get_by_role("button", name="Download" if lang == "en" else "Télécharger")
                ).to_be_visible()
                written = r"42,000 of 100,000 items" if lang == "en" else r"42\s000 éléments écrits sur 100\s000"
                expect(exports).to_contain_text(re.compile(written))
                page.screenshot(path=str(ARTIFACTS / f"privacy-exports-{lang}-{width}.png"), full_page=True)
                page.locator("#data-exports").screenshot(
                    path=str(ARTIFACTS / f"privacy-exports-card-{lang}-{width}.png")
                )
            finally:
                context.close()
