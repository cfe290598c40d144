"""Owner-first call views in the browser: the list names callers, shows a summary column and a count, and keeps its
page in the URL; on a phone a call's summary and call-back link are on the first screen; a French business reads
French labels.

With ``AVA_E2E_SHOTS`` set to a folder, the list and a call page are also saved in French and English, light and dark,
390 px and 1440 px wide (``tests.e2e.screenshots``), to look at.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ava_app.models import CallMessage
from ava_app.sandbox.vapi.recording import write_tone_recording
from tests.e2e.conftest import ARTIFACTS, LIVE_DATA_DIRS
from tests.e2e.members import PASSWORD, log_in, make_business, make_member
from tests.e2e.screenshots import WIDTHS, signed_in_state
from tests.factories import make_call

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def add_lines(db: Session, call, lines: list[tuple[str, str]]) -> None:
    for position, (role, text) in enumerate(lines):
        db.add(
            CallMessage(
                tenant_id=call.tenant_id,
                call_id=call.id,
                position=position,
                role=role,
                text=text,
                seconds_from_start=position * 4.0,
            )
        )
    db.commit()


def test_desktop_list_names_callers_counts_and_keeps_its_page_in_the_url(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Garage du Port")
    owner = make_member(db, tenant=tenant)
    for index in range(24):
        make_call(
            db,
            tenant=tenant,
            minutes_ago=30 + index,
            caller_number=f"+1650555{index:04d}",
            summary=f"Routine question number {index} about opening hours and prices for the service.",
        )
    make_call(
        db,
        tenant=tenant,
        minutes_ago=5,
        caller_number="+16505550199",
        data_fields={"caller_name": "Jordan Lee", "message": "Call me back about the brakes"},
        summary="Jordan wants a quote for new brakes before Friday.",
        action_needed=True,
    )

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/calls")
    expect(page.get_by_role("columnheader", name="Caller")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Summary")).to_be_visible()
    expect(page.locator("#calls-count")).to_have_text("25 calls")
    jordan = page.get_by_role("row").filter(has_text="Jordan Lee")
    expect(jordan).to_contain_text("(650) 555-0199")
    expect(jordan).to_contain_text("Jordan wants a quote for new brakes before Friday.")
    expect(page.get_by_role("row").filter(has_text="(650) 555-0023")).to_have_count(0)  # the oldest: page 2

    page.get_by_role("button", name="Next").click()
    expect(page).to_have_url(re.compile(r"/calls\?page=2$"))
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="(650) 555-0023")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="(650) 555-0023")).to_be_visible()
    expect(page.locator("#calls-count")).to_have_text("25 calls")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/calls/?$"))
    expect(page.get_by_role("row").filter(has_text="Jordan Lee")).to_be_visible()
    page.go_forward()
    expect(page.get_by_text("Page 2")).to_be_visible()

    # A filter applies as soon as it is chosen, and the count follows.
    page.locator("#filter-action").click()
    page.get_by_role("option", name="Action needed").click()
    expect(page).to_have_url(re.compile(r"action=open"))
    expect(page.locator("#calls-count")).to_have_text("1 call")

    # Exports: CSV first.
    page.get_by_role("button", name="Export", exact=True).click()
    items = page.get_by_role("menuitem")
    expect(items.first).to_have_text("Export as CSV")
    expect(items.nth(1)).to_have_text("Export as JSON")


def test_phone_call_page_has_summary_and_call_back_on_the_first_screen(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Plomberie Express")
    owner = make_member(db, tenant=tenant)
    call = make_call(
        db,
        tenant=tenant,
        caller_number="+16505550142",
        ended_reason="customer-ended-call",
        action_needed=True,
        summary="Sam has a leaking pipe under the kitchen sink and asks for a visit tomorrow morning.",
        data_fields={"caller_name": "Sam Carter", "message": "Leak under the sink"},
        cost_breakdown={"stt": 0.01, "llm": 0.02, "tts": 0.03},
    )
    add_lines(
        db,
        call,
        [("assistant", f"Plomberie Express, how can I help? ({n})") for n in range(12)]
        + [("tool_call", 'take_message({"caller_name": "Sam Carter", "message": "Leak under the sink"})')]
        + [("tool_result", "take_message: Message saved for the team.")],
    )

    log_in(page, live_server, owner.email)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/calls/{call.id}")
    summary = page.locator("#call-summary")
    expect(summary).to_have_text(re.compile("leaking pipe"))
    back = page.locator("#call-back")
    expect(back).to_be_visible()
    assert back.get_attribute("href") == "tel:+16505550142"
    expect(page.get_by_role("link", name="(650) 555-0142")).to_be_visible()
    for element in (summary, back):
        box = element.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box

    expect(page.get_by_role("button", name="Mark as done")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "call-page-phone.png"), full_page=True)
    # The tool reads as a sentence; its JSON and the reason code wait in the closed details.
    expect(page.get_by_text("Ava took a message.")).to_be_visible()
    expect(page.get_by_text("take_message(")).to_be_hidden()
    expect(page.get_by_text("The caller hung up.")).to_be_visible()
    expect(page.get_by_text("customer-ended-call")).to_be_hidden()
    expect(page.get_by_text("Click a line to play from there.")).to_have_count(0)  # no recording
    page.get_by_text("Details for troubleshooting").click()
    expect(page.get_by_text("customer-ended-call")).to_be_visible()

    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()


def test_french_business_reads_french_labels(live_server: str, browser, db: Session):
    tenant = make_business(db, name="Cabinet Dr Martin")
    tenant.country, tenant.locale, tenant.industry = "FR", "fr", "clinic"
    db.add(tenant)
    db.commit()
    owner = make_member(db, tenant=tenant)
    call = make_call(
        db,
        tenant=tenant,
        caller_number="+33612345678",
        ended_reason="customer-ended-call",
        summary="Jordan souhaite avancer son rendez-vous de jeudi.",
        data_fields={"patient_name": "Jordan Lee", "reason": "Contrôle annuel", "new_patient": False},
    )
    test_call = make_call(db, tenant=tenant, call_type="test", caller_number=None, minutes_ago=60, summary="Essai.")
    lines = [("assistant", "Cabinet du Dr Martin, bonjour."), ("user", "Bonjour, je voudrais avancer mon rendez-vous.")]
    add_lines(db, call, lines)
    # A recording at the Vapi emulator of the live AVA, so the page offers to listen line by line.
    name = f"{uuid.uuid4()}-mono.wav"
    folder = LIVE_DATA_DIRS[live_server] / "sandbox_vapi_recordings"
    folder.mkdir(parents=True, exist_ok=True)
    write_tone_recording(turns=lines * 2, path=folder / name)
    call.recording_url = f"{live_server}/sandbox/vapi/recording/{name}"
    db.add(call)
    db.commit()

    # Logged in through the login page, then a browser whose interface language is French.
    signed_in = signed_in_state(browser, live_server, owner.email, PASSWORD)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, storage_state=signed_in)
    context.set_default_timeout(15_000)
    context.add_init_script("localStorage.setItem('ava_lang', 'fr')")
    page = context.new_page()
    page.goto(f"{live_server}/calls/{call.id}")
    expect(page.get_by_role("heading", name="Jordan Lee")).to_be_visible()
    expect(page.get_by_text("Nom du patient")).to_be_visible()
    expect(page.get_by_text("Motif de la consultation")).to_be_visible()
    expect(page.get_by_text("Nouveau patient")).to_be_visible()
    expect(page.get_by_text("Non", exact=True)).to_be_visible()
    expect(page.get_by_text("L'appelant a raccroché.")).to_be_visible()
    expect(page.get_by_role("link", name="06 12 34 56 78")).to_be_visible()
    expect(page.get_by_text("Rappeler")).to_be_visible()
    expect(page.get_by_text("Patient name")).to_have_count(0)
    expect(page.locator("#call-audio")).to_be_visible()
    expect(page.get_by_text("Cliquez sur une ligne pour l'écouter.")).to_be_visible()

    page.goto(f"{live_server}/calls")
    expect(page.get_by_role("columnheader", name="Résumé")).to_be_visible()
    expect(page.locator("#calls-count")).to_have_text("2 appels")
    expect(page.get_by_role("row").filter(has_text="Appel de test")).to_be_visible()
    page.goto(f"{live_server}/calls/{test_call.id}")
    expect(page.get_by_text("Un appel de test de votre part", exact=False)).to_be_visible()
    expect(page.locator("#call-back")).to_have_count(0)
    context.close()

    shots = os.environ.get("AVA_E2E_SHOTS")
    if shots:
        save_looks(browser, live_server, Path(shots), ["/calls", f"/calls/{call.id}"], state=signed_in)


def save_looks(browser, base_url: str, out_dir: Path, paths: list[str], *, state: dict) -> None:
    """The pages in French and English, light and dark, 390 px and 1440 px wide (as ``tests.e2e.screenshots``
    does, in this test's browser)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "fr"):
        for theme in ("light", "dark"):
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height}, color_scheme=theme, storage_state=state
                )
                context.add_init_script(
                    f"localStorage.setItem('ava_lang', '{lang}'); localStorage.setItem('theme', '{theme}');"
                )
                page = context.new_page()
                for path in paths:
                    page.goto(base_url + path, wait_until="networkidle")
                    page.wait_for_timeout(600)
                    name = path.strip("/").replace("/", "_")
                    page.screenshot(path=str(out_dir / f"{name}-{lang}-{theme}-{width_name}.png"), full_page=True)
                context.close()
