"""The whole booking path in one run: an owner connects Google Calendar from settings (the emulator's consent page
clicked in Chromium) and turns booking on; a simulated caller books through the assistant's tools; the booking is
on the Bookings page, linked to its call, and its event is in the emulated Google calendar.

The business is set up through AVA's API as the live-call test does, so its assistant and number are on the Vapi
emulator mounted in the live server; turning booking on makes AVA push the assistant again, with its booking tools.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app import routes
from ava_app.models import Assistant, Booking, CalendarConnection, Call, PhoneNumber, as_utc
from ava_app.services import credentials
from ava_app.services.providers.sandbox_keys import sandbox_oauth_client
from ava_app.settings import get_settings
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.e2e.test_live_call import go_live_through_the_api, wait_for_row

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(os.environ.get("AVA_REDIS_URL")), reason="the calendar emulators run in one process (no Redis)"
    ),
]
CALLER = "+16505550166"


def booking_tools_pushed(base_url: str, vapi_key: str, assistant_id: str, *, timeout: float = 60) -> None:
    """Wait until the assistant on the Vapi emulator has AVA's booking tools (AVA pushes it after the change)."""
    deadline = time.monotonic() + timeout
    names: list[str] = []
    while time.monotonic() < deadline:
        answer = httpx.get(
            f"{base_url}{routes.SANDBOX_VAPI}/assistant/{assistant_id}",
            headers={"Authorization": f"Bearer {vapi_key}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        tools = (answer.json().get("model") or {}).get("tools") or []
        names = [tool.get("function", {}).get("name") for tool in tools]
        if "book_appointment" in names:
            return
        time.sleep(0.5)
    raise AssertionError(f"the assistant's tools stayed {names}")


def google_events(base_url: str, data_dir: Path, connection: CalendarConnection) -> list[dict]:
    """The events of the connected Google account, read from the live server's emulator as any client would: the
    refresh token AVA keeps (opened with the live server's key) exchanged for an access token, then events.list."""
    key_file = data_dir / "secret_key"
    key = key_file.read_text().strip() if key_file.exists() else get_settings().secret_key
    refresh_token = credentials._fernet_for(key).decrypt(connection.refresh_token_encrypted.encode()).decode()
    client = sandbox_oauth_client("google", SimpleNamespace(data_dir=data_dir))  # type: ignore[arg-type]
    google = f"{base_url}{routes.SANDBOX_GOOGLE}"
    token = httpx.post(
        f"{google}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
        timeout=10,
    )
    assert token.status_code == 200, token.text
    listed = httpx.get(
        f"{google}/calendar/v3/calendars/primary/events",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    return [event for event in listed.json().get("items", []) if event.get("status") != "cancelled"]


def test_google_connected_a_caller_books_and_the_booking_is_on_the_page_and_in_google(
    live_server: str, live_sandbox_keys, live_data_dir: Path, page: Page, db: Session
):
    tenant = make_business(db, name="Clinique Chemin Complet")
    owner = make_member(db, tenant=tenant, name="Nora Path")
    go_live_through_the_api(live_server, owner.email)
    number = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()

    log_in(page, live_server, owner.email)
    page.goto(live_server + "/settings/integrations")
    calendar = page.get_by_role("region", name="Calendar")
    calendar.get_by_role("button", name="Connect Google").click()
    expect(page.get_by_role("heading", name="Sign in with Google")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"/settings/integrations\?calendar=connected&provider=google$"))

    # Booking on, from the Bookings page's settings (the clinic preset brought its services and a staff member).
    page.goto(live_server + "/bookings")
    page.get_by_role("button", name="Booking settings").click()
    page.get_by_label("Take bookings during calls").check()
    page.get_by_role("button", name="Save the rules").click()
    assistant = db.get(Assistant, number.assistant_id)
    assert assistant is not None and assistant.provider_assistant_id
    booking_tools_pushed(live_server, live_sandbox_keys.vapi_api_key, assistant.provider_assistant_id)

    started = httpx.post(
        f"{live_server}{routes.SANDBOX_VAPI}/sandbox/simulate-call",
        headers={"Authorization": f"Bearer {live_sandbox_keys.vapi_api_key}"},
        json={
            "phoneNumberId": number.provider_number_id,
            "intent": "booking",
            "speed": 0,
            "customer": {"number": CALLER},
        },
        timeout=60,
    )
    assert started.status_code == 201, started.text
    booking = wait_for_row(db, select(Booking).where(Booking.tenant_id == tenant.id), timeout=90)
    call = wait_for_row(db, select(Call).where(Call.id == booking.call_id))
    assert (booking.source, booking.caller_phone, call.caller_number) == ("assistant", CALLER, CALLER)

    page.goto(f"{live_server}/bookings?week={booking.start_at.date().isoformat()}")
    block = page.locator(".booking-block").filter(has_text=booking.caller_name)
    expect(block).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "booking-call-path-week.png"), full_page=True)

    connection = db.exec(select(CalendarConnection).where(CalendarConnection.tenant_id == tenant.id)).one()
    deadline, events = time.monotonic() + 60, []
    while not events:
        assert time.monotonic() < deadline, "the booking never reached the Google calendar"
        time.sleep(1)
        listed = google_events(live_server, live_data_dir, connection)
        events = [event for event in listed if booking.caller_name in event.get("summary", "")]
    (event,) = events
    assert datetime.fromisoformat(event["start"]["dateTime"]) == as_utc(booking.start_at)
