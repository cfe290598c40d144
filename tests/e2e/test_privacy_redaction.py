"""An admin turns redaction on in /settings/privacy; the next call, in which the caller reads out a card number, shows
"[card number]" on its page and holds the number nowhere; a viewer sees the choice but cannot change it."""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
import zipfile

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from ava_app.models import Call, CallMessage, Tenant, User, WebhookEvent
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_member, open_profile
from tests.e2e.test_live_push import CONTRACTS, Business

pytestmark = pytest.mark.e2e
CARD = "4111 1111 1111 1111"


def report_with_card(business: Business, caller: str) -> tuple[dict, str]:
    """Vapi's end-of-call report of a new call to ``business`` in which the caller reads out a card number."""
    body = copy.deepcopy(json.loads((CONTRACTS / "end-of-call-report.json").read_text()))
    message = body["message"]
    call_id = str(uuid.uuid4())
    message["call"]["id"] = call_id
    message["call"]["phoneNumberId"] = business.number_id
    message["call"]["type"] = "inboundPhoneCall"  # the fixture's call is outbound
    message["call"]["customer"] = message["customer"] = {"number": caller}
    message.pop("phoneNumber", None)
    message.pop("assistant", None)
    message["timestamp"] = int(time.time() * 1000)
    said = f"My card is {CARD}, expiry twelve twenty-seven."
    message["artifact"]["messages"].append({"role": "user", "message": said, "secondsFromStart": 40.0})
    message["artifact"]["transcript"] += f"\nUser: {said}"
    return body, call_id


def applied_call(db: Session, provider_call_id: str, *, timeout: float = 30) -> Call:
    """The call once the server's job queue has applied its report (the webhook only stores it)."""
    deadline = time.monotonic() + timeout
    while True:
        db.expire_all()
        call = db.exec(select(Call).where(Call.provider_call_id == provider_call_id)).first()
        if call is not None and call.status == "ended":
            return call
        assert time.monotonic() < deadline, "the end-of-call report was not applied"
        time.sleep(0.2)


def save_redaction(page: Page, base_url: str) -> None:
    page.goto(base_url + "/settings/privacy")
    switch = page.get_by_role("switch", name="Take personal data out of calls")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(page.get_by_text("On by default for clinics and law firms")).to_be_visible()
    switch.click()
    page.get_by_role("switch", name="Email addresses").click()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Privacy settings saved.")).to_be_visible()


def test_an_admin_turns_redaction_on_and_the_next_call_shows_no_card_number(live_server: str, page: Page, db: Session):
    business = Business(db, "Privacy Plumbing")
    log_in(page, live_server, business.owner.email)
    save_redaction(page, live_server)
    page.reload()
    expect(page.get_by_role("switch", name="Take personal data out of calls")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("switch", name="Email addresses")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_text("On by default for clinics and law firms")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "privacy-settings-admin.png"), full_page=True)

    body, provider_call_id = report_with_card(business, "+16505550177")
    response = httpx.post(
        f"{live_server}/api/v1/webhooks/vapi", json=body, headers={"X-Vapi-Secret": business.secret}, timeout=30
    )
    assert response.status_code == 200, response.text

    call = applied_call(db, provider_call_id)
    page.goto(f"{live_server}/calls/{call.id}")
    # The transcript line and the summary written from it both carry the label, not the number.
    expect(page.get_by_role("button", name=re.compile(r"My card is \[card number\], expiry"))).to_be_visible()
    expect(page.locator("#call-summary")).to_contain_text("[card number]")
    expect(page.get_by_text(re.compile("4111"))).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "privacy-redacted-call.png"), full_page=True)
    stored = [
        call.transcript,
        *[line.text for line in db.exec(select(CallMessage).where(CallMessage.call_id == call.id))],
    ]
    stored += [
        event.payload
        for event in db.exec(select(WebhookEvent).where(WebhookEvent.provider_call_id == provider_call_id))
    ]
    assert stored and not [text for text in stored if "4111" in text]

    # Retention: recordings kept 30 days, saved and read back.
    page.goto(live_server + "/settings/privacy")
    page.get_by_label("Recordings").click()
    page.get_by_role("option", name="30 days").click()
    page.get_by_role("button", name="Save periods").click()
    expect(page.get_by_text("Retention periods saved.")).to_be_visible()
    db.expire_all()
    assert db.get(Tenant, business.tenant.id).retain_recordings_days == 30

    # The caller asks to be forgotten: found as the owner types the number, then erased after a confirmation.
    page.get_by_label("Phone number or e-mail address").fill("(650) 555-0177")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("calls (with their recordings and transcripts)")).to_be_visible()
    # First their copy: a ZIP with what AVA holds about them, built by a job, then saved through a signed link.
    page.get_by_role("button", name="Prepare a download (ZIP)").click()
    export = page.locator("#exports")
    expect(export.get_by_text("Caller (650) 555-0177")).to_be_visible()
    expect(export.get_by_text("Ready", exact=True)).to_be_visible(timeout=30_000)
    with page.expect_download() as download_info:
        export.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "caller-data.zip"
    saved = ARTIFACTS / "privacy-caller-data.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        exported = json.loads(archive.read("caller.json"))
    assert exported["caller"] == "+16505550177" and len(exported["calls"]) == 1
    page.get_by_role("button", name="Erase everything").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text(re.compile(r"^Erased for \(650\) 555-0177\. Calls: 1, bookings: 0"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "privacy-caller-erased.png"), full_page=True)
    db.expire_all()
    assert db.exec(select(Call).where(Call.provider_call_id == provider_call_id)).first() is None


def test_a_viewer_sees_the_choice_but_cannot_change_it(live_server: str, browser: Browser, db: Session):
    business = Business(db, "Privacy Viewers")
    viewer = make_member(db, tenant=business.tenant, role="viewer", name="Vera Viewer")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        log_in(page, live_server, viewer.email)
        page.goto(live_server + "/settings/privacy")
        expect(page.get_by_text("Only admins can change these settings.")).to_be_visible()
        expect(page.get_by_role("switch", name="Take personal data out of calls")).to_be_disabled()
        expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
        expect(page.get_by_text("What AVA keeps")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "privacy-settings-viewer-390.png"), full_page=True)
    finally:
        context.close()


def test_a_member_deletes_their_own_account_and_can_no_longer_log_in(live_server: str, page: Page, db: Session):
    business = Business(db, "Privacy Leavers")
    email = make_member(db, tenant=business.tenant, role="user", name="Lou Leaving").email
    log_in(page, live_server, email)
    open_profile(page, live_server)
    page.get_by_label("Your password, to confirm").fill("not-my-password-at-all")
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()

    page.get_by_label("Your password, to confirm").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    db.expire_all()
    assert db.exec(select(User).where(User.email == email)).first() is None
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
