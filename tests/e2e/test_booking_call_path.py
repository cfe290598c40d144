"""The whole booking path in one run: an owner connects Google Calendar from settings (the emulator's consent page
clicked in Chromium) and turns booking on; a simulated caller books through the assistant's tools; the booking is
on the Bookings page, linked to its call, and its event is in the emulated Google calendar; the caller's text is in
the dev outbox. The owner then moves the booking: the caller is texted the new time and the Google event follows.

The business is set up through AVA's API as the wizard does (the clinic preset, a number bought from the Twilio
emulator so texts go from it, imported into the Vapi emulator mounted in the live server); turning booking on makes
AVA push the assistant again, with its booking tools.
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
from ava_app.models import Assistant, Booking, CalendarConnection, Call, as_utc
from ava_app.services import credentials
from ava_app.services.providers.sandbox_keys import sandbox_oauth_client
from ava_app.settings import get_settings
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, log_in, make_business, make_member
from tests.e2e.test_live_call import wait_for_row
from tests.e2e.test_text_back import CALLER, number_in_vapi, texts_to_the_caller, twilio_number_through_the_api

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(os.environ.get("AVA_REDIS_URL")), reason="the calendar emulators run in one process (no Redis)"
    ),
]


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
    clinic_with_a_twilio_number(live_server, owner.email)
    number = number_in_vapi(db, tenant)

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

    # The caller's text, as the dev outbox shows it.
    booked_text = wait_for_text(live_server, live_sandbox_keys.twilio_auth_token, "is booked for")
    page.goto(live_server + "/dev/outbox")
    expect(page.get_by_text(booked_text[:60]).first).to_be_visible()

    # The owner moves it from the call's booking: the caller is texted the new time, the Google event follows.
    page.goto(f"{live_server}/calls/{call.id}")
    page.locator("#call-booking").get_by_role("link", name="Open on the Bookings page").click()
    focus = page.locator("#booking-focus")
    focus.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    later = dialog.locator(".booking-slot").last
    expect(later).to_be_visible()
    new_start = datetime.fromisoformat(later.get_attribute("data-start") or "")
    new_time = later.inner_text().split(" · ")[0]
    later.click()
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Booking saved.")).to_be_visible()
    expect(focus).to_contain_text("Moved")
    moved_text = wait_for_text(live_server, live_sandbox_keys.twilio_auth_token, "has moved to")
    assert new_time.replace("\u202f", " ") in moved_text, (moved_text, new_time)
    deadline = time.monotonic() + 60
    while datetime.fromisoformat(event["start"]["dateTime"]) != as_utc(new_start):
        assert time.monotonic() < deadline, "the move never reached the Google calendar"
        time.sleep(1)
        (event,) = [item for item in google_events(live_server, live_data_dir, connection) if item["id"] == event["id"]]
    page.screenshot(path=str(ARTIFACTS / "booking-call-path-moved.png"), full_page=True)


def clinic_with_a_twilio_number(base_url: str, email: str) -> None:
    """The wizard through /api/v1: the clinic preset (its services and a staff member), a number bought from the
    Twilio emulator, completion."""
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
        login = api.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        api.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        chosen = api.post("/onboarding/progress", json={"step": 3, "industry": "clinic", "locale": "en"})
        assert chosen.status_code == 200, chosen.text
        twilio_number_through_the_api(base_url, email)
        done = api.post("/onboarding/complete")
        assert done.status_code == 200, done.text


def wait_for_text(base_url: str, token: str, words: str, *, timeout: float = 30) -> str:
    """The one text to the caller from this clinic holding ``words``."""
    deadline = time.monotonic() + timeout
    while True:
        sent = [text for text in texts_to_the_caller(base_url, token) if text.startswith("Clinique Chemin Complet")]
        found = [text for text in sent if words in text]
        if found:
            (text,) = found
            return text
        assert time.monotonic() < deadline, f"no text with {words!r} reached the caller: {sent}"
        time.sleep(0.5)
