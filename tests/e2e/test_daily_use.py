"""Daily use, as a user: dashboard figures equal the API's, filter the calls, open one, play and seek, delete it."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from ava_app.demo_data import generate_calls
from ava_app.models import Call, CallMessage, Tenant
from ava_app.sandbox.vapi.recording import write_tone_recording
from ava_app.seed import DEMO_EMAIL, seed_demo
from ava_app.services import phones
from tests.e2e.conftest import LIVE_DATA_DIRS

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-battery-9"


@pytest.fixture()
def provider_storage(live_server: str):
    """A recording at the Vapi emulator of the live AVA (in development the only local source AVA copies from)."""
    name = f"{uuid.uuid4()}-mono.wav"
    folder = LIVE_DATA_DIRS[live_server] / "sandbox_vapi_recordings"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder / name, f"{live_server}/sandbox/vapi/recording/{name}"


def _log_in(page: Page, live_server: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def test_dashboard_calls_call_page_audio_and_delete(live_server: str, page: Page, db, provider_storage):
    assert seed_demo(db, password=PASSWORD)
    tenant = db.exec(select(Tenant).where(Tenant.is_demo)).one()
    generate_calls(db, tenant_id=tenant.id, count=60, days=10, seed=11, with_messages=True)
    # The newest answered call gets a real recording at the "provider", long enough to seek to its third line.
    call = db.exec(
        select(Call).where(Call.tenant_id == tenant.id, Call.outcome == "answered").order_by(Call.started_at.desc())
    ).first()
    lines = db.exec(select(CallMessage).where(CallMessage.call_id == call.id).order_by(CallMessage.position)).all()
    path, url = provider_storage
    write_tone_recording(turns=[(line.role, line.text) for line in lines] * 3, path=path)
    call.recording_url = url
    db.add(call)
    db.commit()
    target = lines[2]
    call_id = call.id

    _log_in(page, live_server)

    # Dashboard figures are the API's figures (a token from the server itself: it signs with its own key).
    login = httpx.post(live_server + "/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": PASSWORD}, timeout=10)
    token = login.json()["access_token"]
    response = httpx.get(
        live_server + "/api/v1/analytics/summary",
        params={"period": "week"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    for label, figure in (
        ("Calls today", summary["today"]["calls"]),
        ("Calls this week", summary["week"]["calls"]),
        ("Calls this month", summary["month"]["calls"]),
    ):
        card = page.locator(".rt-Card", has=page.get_by_text(label, exact=True))
        expect(card.locator(".kpi-value")).to_have_text(str(figure))
    action = page.locator(".rt-Card", has=page.get_by_text("Action needed", exact=True))
    expect(action.locator(".kpi-value")).to_have_text(str(summary["action_needed"]))
    expect(page.get_by_role("heading", name="Calls per day")).to_be_visible()

    # Filter the calls: the filters land in the URL, and only matching rows show.
    page.get_by_role("link", name="Calls", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/calls/?$"))
    table = page.locator("table")
    expect(table.locator("tbody tr").first).to_be_visible()
    page.get_by_label("Outcome").click()
    page.get_by_role("option", name="Answered").click()
    words = call.summary.split(";")[0]
    page.get_by_label("Search transcripts and summaries").fill(words)
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"outcome=answered"))
    expect(page).to_have_url(re.compile(r"q=\w"))
    # The list names a caller when the call captured a name, else writes the number as the business does.
    expect(table.locator("tbody tr", has_text=phones.display(call.caller_number, tenant.country)).first).to_be_visible()
    expect(table.locator("tbody tr", has_not_text="Answered")).to_have_count(0)

    # Open the call and play its recording (through AVA's signed link).
    page.goto(f"{live_server}/calls/{call.id}")
    audio = page.locator("#call-audio")
    expect(audio).to_have_attribute("src", re.compile(r"^/api/v1/downloads/recording/\d+\?token="))
    assert call.recording_url not in page.content()
    page.evaluate("() => { const a = document.getElementById('call-audio'); a.muted = true; return a.play(); }")
    page.wait_for_function("() => document.getElementById('call-audio').currentTime > 0.5")

    # Clicking a line of the conversation seeks there and lights that line.
    line = page.locator(f'[data-seek="{target.seconds_from_start:g}"]').first
    line.click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('call-audio').currentTime - {target.seconds_from_start}) < 2"
    )
    expect(line).to_have_attribute("data-playing", "true")

    # Delete it (from the details, folded away from the owner's view).
    page.get_by_text("Details for troubleshooting").click()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/calls/?$"))
    db.expire_all()
    assert db.exec(select(Call.id).where(Call.id == call_id)).first() is None
