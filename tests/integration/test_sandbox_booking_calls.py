"""Callers changing their bookings on a simulated call: the Vapi emulator plays the caller and the model, AVA's booking
tools answer, and its texts and codes go through the Twilio emulator, all mounted in AVA as in sandbox mode.

AVA runs on a real port; the assistant is pushed to the emulator by ``assistants.sync_assistant`` with its booking
tools, the business owns a number in the Twilio emulator (the change texts are sent from it), and a caller who booked
from another number reads the Verify code off that phone (the emulator's handset) and reads it out on the call.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from babel import dates as babel_dates
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import Booking, Call, Outbox, PhoneNumber, Tenant, WebhookEvent, as_utc, utcnow
from ava_app.sandbox.twilio.state import TwilioEmulator
from ava_app.sandbox.vapi.app import simulate_call
from ava_app.sandbox.vapi.scenarios import offered_slots
from ava_app.services import assistants, bookings, rate_limits, regional
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.providers import twilio
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID
from ava_app.services.providers.vapi import BUILTIN_TOOLS, reset_circuit_breakers
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_tenant
from tests.integration.test_sandbox_tool_calls import ALWAYS_OPEN
from tests.servers import free_port, serve_app

# Numbers from the ranges kept for fiction, one set per test: the emulators keep their state for the whole run.
_numbers = itertools.count(700)


def _number(prefix: str) -> str:
    return f"{prefix}{next(_numbers):04d}"


@dataclass
class Sandbox:
    vapi: Any
    twilio: TwilioEmulator


@dataclass
class Business:
    tenant: Tenant
    provider_assistant_id: str
    service_id: int
    language: str


@pytest.fixture()
def sandbox(engine, monkeypatch, jobs):
    """AVA's API on a free port with its Vapi and Twilio emulators (no provider keys), jobs run at once."""
    for name in (
        "AVA_VAPI_API_KEY",
        "AVA_OPENAI_API_KEY",
        "AVA_TWILIO_ACCOUNT_SID",
        "AVA_TWILIO_AUTH_TOKEN",
        "AVA_TWILIO_VERIFY_SERVICE_SID",
    ):
        monkeypatch.setenv(name, "")
    port = free_port()
    monkeypatch.setenv("AVA_PUBLIC_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    reset_circuit_breakers()
    rate_limits.reset_rate_limits()
    api = create_api()
    mounted = {getattr(route, "path", ""): getattr(route, "app", None) for route in api.routes}
    vapi = mounted["/sandbox/vapi"]
    with serve_app(api, port=port):
        yield Sandbox(vapi=vapi, twilio=mounted["/sandbox/twilio"].state.emulator)
    vapi.state.sandbox.before_tool_call = None
    rate_limits.reset_rate_limits()
    get_settings.cache_clear()


def open_business(
    db, *, language: str = "en", hours: dict | None = None, horizon_days: int = 30, min_notice_minutes: int = 60
) -> Business:
    """A business taking bookings (one service, one staff member) whose assistant AVA pushed to the emulator, with a
    number of its own at the Twilio emulator to text from."""
    french = language == "fr"
    tenant = make_tenant(
        db,
        name="Cabinet Soleil" if french else "Bright Smile Dental",
        locale="fr" if french else "en",
        country="FR" if french else "US",
        timezone="Europe/Paris" if french else "America/Los_Angeles",
    )
    assistant = make_assistant(
        db,
        tenant=tenant,
        language=language,
        first_message="Cabinet Soleil, bonjour !" if french else "Bright Smile Dental, hello!",
        enabled_integrations=list(BUILTIN_TOOLS),
    )
    bought = run_coroutine_sync(twilio.purchase_number(phone_number=_number("+1415555")))
    db.add(
        PhoneNumber(
            tenant_id=tenant.id,
            e164=bought["phone_number"],
            provider="twilio",
            twilio_sid=bought["sid"],
            twilio_account_sid=bought["account_sid"],
            assistant_id=assistant.id,
            business_hours=hours if hours is not None else ALWAYS_OPEN,
        )
    )
    db.commit()
    bookings.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=min_notice_minutes, horizon_days=horizon_days,
        granularity_minutes=30, max_per_day=None,
    )  # fmt: skip
    service = bookings.add_service(
        db, tenant_id=tenant.id, name="Détartrage" if french else "Check-up", duration_minutes=30
    )
    bookings.add_staff(db, tenant_id=tenant.id, name="Dr Kim", service_ids=[service.id])
    synced = assistants.sync_assistant(db, tenant_id=tenant.id, assistant_id=assistant.id)
    assert synced.sync_status == "synced", synced.sync_error
    return Business(tenant, synced.provider_assistant_id, service.id, language)


def book(db, business: Business, *, phone: str, start_at: datetime, name: str = "Jordan Lee") -> Booking:
    """A booking made earlier (through AVA's own booking service) from ``phone``."""
    made = bookings.create_booking(
        db, tenant_id=business.tenant.id, service_id=business.service_id, start_at=start_at, caller_name=name,
        caller_phone=phone, source="assistant", now=utcnow(),
    )  # fmt: skip
    db.commit()
    row = db.get(Booking, made.id)
    assert row is not None
    return row


def local_at(business: Business, day: date, clock: time) -> datetime:
    """A local wall time of the business as an aware UTC moment."""
    return as_utc(datetime.combine(day, clock, tzinfo=regional.zone(business.tenant.timezone)))


def in_days(business: Business, days: int) -> date:
    return regional.to_local(utcnow(), business.tenant.timezone).date() + timedelta(days=days)


def tools_called(call: dict) -> list[tuple[str, dict]]:
    """(name, arguments) of every tool the emulated model called, in order."""
    return [
        (item["function"]["name"], json.loads(item["function"]["arguments"]))
        for message in call["artifact"]["messages"]
        if message["role"] == "tool_calls"
        for item in message["toolCalls"]
    ]


def results_of(call: dict, name: str) -> list[str]:
    return [m["result"] for m in call["artifact"]["messages"] if m["role"] == "tool_call_result" and m["name"] == name]


def line_after(call: dict, result: str) -> str:
    """What the assistant said right after the tool result ``result``."""
    messages = call["artifact"]["messages"]
    index = next(i for i, m in enumerate(messages) if m["role"] == "tool_call_result" and m["result"] == result)
    return next(m["message"] for m in messages[index + 1 :] if m["role"] == "bot")


def texts_to(emulator: TwilioEmulator, number: str) -> list[str]:
    """The texts the business's Twilio account sent to ``number``, oldest first."""
    return [m["body"] for m in reversed(emulator.messages(SANDBOX_ACCOUNT_SID)) if m["to"] == number]


def stored_call(db, call: dict) -> Call:
    db.expire_all()
    return db.exec(select(Call).where(Call.provider_call_id == call["id"])).one()


def slot_moment(business: Business, slot: str) -> datetime:
    """A slot as check_availability gives it (local wall time) as a UTC moment."""
    return as_utc(datetime.fromisoformat(slot).replace(tzinfo=regional.zone(business.tenant.timezone)))


# --- moving a booking ------------------------------------------------------------------------------------------

MOVED = {"en": ("Done. Moved: Check-up is now on ", "has moved to"), "fr": ("C'est fait. Déplacé : ", "est déplacé au")}


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_caller_moves_their_booking_and_gets_the_change_text(db, sandbox, language):
    business = open_business(db, language=language)
    caller = _number("+3361234" if language == "fr" else "+1650555")
    booking = book(db, business, phone=caller, start_at=local_at(business, in_days(business, 1), time(10, 0)))

    call = await simulate_call(
        sandbox.vapi, intent="reschedule", assistant_id=business.provider_assistant_id, speed=0,
        customer={"number": caller, "name": "Jordan Lee"},
    )  # fmt: skip

    names = [name for name, _ in tools_called(call)]
    assert names == ["find_my_appointment", "check_availability", "reschedule_appointment"], results_of(call, names[-1])
    (found,) = results_of(call, "find_my_appointment")
    assert f"({'réservation' if language == 'fr' else 'booking'} {booking.id})" in found
    (offer,) = results_of(call, "check_availability")
    first_slot = offered_slots(offer)[0][1]
    _, _, moving = tools_called(call)
    assert moving[1] == {"booking_id": booking.id, "slot": first_slot}
    (moved,) = results_of(call, "reschedule_appointment")
    said, texted = MOVED[language]
    assert line_after(call, moved).startswith(said)
    # The booking moved to the afternoon slot the caller took.
    db.expire_all()
    row = db.get(Booking, booking.id)
    assert row is not None and row.status == "booked"
    assert as_utc(row.start_at) == slot_moment(business, first_slot)
    assert regional.to_local(row.start_at, business.tenant.timezone).hour >= 12
    # The caller got the change text from the business's number.
    (text,) = texts_to(sandbox.twilio, caller)
    assert texted in text and text.startswith(business.tenant.name)
    # The call is AVA's call of this tenant, from the caller, and the tool calls are linked to it.
    stored = stored_call(db, call)
    assert (stored.tenant_id, stored.caller_number) == (business.tenant.id, caller)
    events = db.exec(
        select(WebhookEvent).where(WebhookEvent.event_type == "tool-calls", WebhookEvent.provider_call_id == call["id"])
    ).all()
    assert {event.tenant_id for event in events} == {business.tenant.id} and len(events) == 3
    # The change text is this call's (the booking itself stays the earlier one's).
    (outbox,) = db.exec(select(Outbox).where(Outbox.to == caller, Outbox.channel == "sms")).all()
    assert (outbox.status, outbox.purpose, outbox.call_id) == ("sent", "booking", stored.id)


# --- cancelling from another number ---------------------------------------------------------------------------

CANCEL_LINES = {
    "en": ("I booked with ", "Yes, it's ", "It's cancelled. Cancelled: Check-up", "is cancelled"),
    "fr": ("J'ai réservé avec le ", "Oui, c'est ", "C'est annulé. Annulé : Détartrage", "est annulé"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_caller_cancels_a_booking_made_from_another_number_with_the_code_sent_there(db, sandbox, language):
    business = open_business(db, language=language)
    booked_with = _number("+3361234" if language == "fr" else "+1650555")
    calling_from = _number("+3361234" if language == "fr" else "+1650555")
    booking = book(db, business, phone=booked_with, start_at=local_at(business, in_days(business, 2), time(9, 0)))

    call = await simulate_call(
        sandbox.vapi, intent="cancel", assistant_id=business.provider_assistant_id, speed=0,
        customer={"number": calling_from}, details={"bookedWith": booked_with},
    )  # fmt: skip

    called = tools_called(call)
    assert [name for name, _ in called] == ["find_my_appointment"] * 3 + ["cancel_appointment"], results_of(
        call, "find_my_appointment"
    )
    # The code went to the booking's number (never to the one calling), and the caller read it off that phone.
    cancel_text, code_text = sandbox.twilio.received(booked_with)  # newest first
    assert code_text["channel"] == "sms" and cancel_text["channel"] == "sms"
    code = re.search(r"\d{6}", code_text["body"])[0]
    assert called[2][1] == {"phone": booked_with, "code": code}
    assert sandbox.twilio.last_received(calling_from) is None
    given, read, done, texted = CANCEL_LINES[language]
    caller_lines = [m["message"] for m in call["artifact"]["messages"] if m["role"] == "user"]
    assert given + booked_with + "." in caller_lines and read + code + "." in caller_lines
    (cancelled,) = results_of(call, "cancel_appointment")
    assert line_after(call, cancelled).startswith(done)
    db.expire_all()
    assert db.get(Booking, booking.id).status == "cancelled"
    (text,) = texts_to(sandbox.twilio, booked_with)
    assert texted in text
    assert stored_call(db, call).proven_phone == booked_with


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_wrong_code_is_refused_with_words_to_say_and_the_booking_stays(db, sandbox, language):
    business = open_business(db, language=language)
    booked_with = _number("+3361234" if language == "fr" else "+1650555")
    calling_from = _number("+3361234" if language == "fr" else "+1650555")
    booking = book(db, business, phone=booked_with, start_at=local_at(business, in_days(business, 2), time(11, 0)))

    call = await simulate_call(
        sandbox.vapi, intent="cancel", assistant_id=business.provider_assistant_id, speed=0,
        customer={"number": calling_from}, details={"bookedWith": booked_with, "misreadCode": True},
    )  # fmt: skip

    called = tools_called(call)
    assert [name for name, _ in called] == ["find_my_appointment"] * 3
    sent = re.search(r"\d{6}", sandbox.twilio.last_received(booked_with)["body"])[0]
    assert called[2][1]["code"] != sent
    refused = results_of(call, "find_my_appointment")[2]
    assert refused.startswith("Ce code n'est pas le bon" if language == "fr" else "That code is not right")
    assert line_after(call, refused) == (
        "Je suis désolée, ce code n'est pas le bon : je ne peux pas modifier ce rendez-vous."
        if language == "fr"
        else "I'm sorry, that code isn't right, so I can't change that appointment."
    )
    db.expire_all()
    assert db.get(Booking, booking.id).status == "booked"
    assert texts_to(sandbox.twilio, booked_with) == []
    assert stored_call(db, call).proven_phone is None


# --- the slot taken between the offer and the booking --------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_slot_taken_meanwhile_gets_the_next_one_offered_and_booked(db, sandbox, language):
    business = open_business(db, language=language)
    caller = _number("+3361234" if language == "fr" else "+1650555")
    someone_else = _number("+3361234" if language == "fr" else "+1650555")
    taken: list[str] = []

    async def another_caller_books_first(name: str, arguments: dict) -> None:
        if name == "book_appointment" and not taken:
            taken.append(arguments["slot"])
            book(db, business, phone=someone_else, start_at=slot_moment(business, arguments["slot"]), name="Sam")

    sandbox.vapi.state.sandbox.before_tool_call = another_caller_books_first
    call = await simulate_call(
        sandbox.vapi, intent="booking", assistant_id=business.provider_assistant_id, speed=0,
        customer={"number": caller},
    )  # fmt: skip

    called = tools_called(call)
    assert [name for name, _ in called] == ["check_availability", "book_appointment", "book_appointment"]
    (offer,) = results_of(call, "check_availability")
    assert called[1][1]["slot"] == offered_slots(offer)[0][1] == taken[0]
    refusal, booked = results_of(call, "book_appointment")
    assert refusal.startswith("Quelqu'un vient de réserver" if language == "fr" else "Someone else has just booked")
    alternative = offered_slots(refusal)[0][1]
    assert alternative != taken[0] and called[2][1]["slot"] == alternative
    assert line_after(call, refusal).startswith(
        "Je suis désolée, cette heure vient d'être prise." if language == "fr" else "I'm sorry, that time has just"
    )
    assert booked.startswith("Réservé" if language == "fr" else "Booked")
    db.expire_all()
    rows = db.exec(select(Booking).where(Booking.tenant_id == business.tenant.id, Booking.status == "booked")).all()
    at_taken = [row for row in rows if as_utc(row.start_at) == slot_moment(business, taken[0])]
    assert [row.caller_phone for row in at_taken] == [someone_else]
    (mine,) = [row for row in rows if row.caller_phone == caller]
    assert as_utc(mine.start_at) == slot_moment(business, alternative)
    assert mine.call_id == stored_call(db, call).id
    (text,) = texts_to(sandbox.twilio, caller)
    assert business.tenant.name in text


# --- free times over a range of days, across a clock change ----------------------------------------------------

CLOSED_MONDAY = {
    day: ([] if day == "mon" else [{"open": "09:00", "close": "12:00"}])
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def next_clock_change(timezone: str, after: date) -> date:
    """The next day on which the zone's clocks change (in Europe/Paris: the last Sunday of March or October)."""
    zone = regional.zone(timezone)
    day = after
    while True:
        before = datetime.combine(day, time(0, 30), tzinfo=zone).utcoffset()
        later = datetime.combine(day, time(12, 0), tzinfo=zone).utcoffset()
        if before != later:
            return day
        day += timedelta(days=1)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_free_times_over_a_range_fall_on_open_days_in_local_time_across_a_clock_change(db, sandbox, language):
    business = open_business(db, language=language, hours=CLOSED_MONDAY, horizon_days=366)
    business.tenant.timezone = "Europe/Paris"
    db.add(business.tenant)
    db.commit()
    sunday = next_clock_change("Europe/Paris", in_days(business, 3))
    assert sunday.weekday() == 6
    first, last = sunday - timedelta(days=1), sunday + timedelta(days=2)  # Saturday to Tuesday, Monday closed

    call = await simulate_call(
        sandbox.vapi, intent="availability", assistant_id=business.provider_assistant_id, speed=0,
        customer={"number": _number("+1650555")},
        details={"dateFrom": first.isoformat(), "dateTo": last.isoformat()},
    )  # fmt: skip

    ((name, arguments),) = tools_called(call)
    assert (name, arguments) == ("check_availability", {"date": first.isoformat(), "date_to": last.isoformat()})
    (offer,) = results_of(call, "check_availability")
    slots = offered_slots(offer)
    # One time on each open day, at the opening on the local clock (before and after the change), none on Monday.
    assert [slot for _, slot in slots] == [f"{day.isoformat()}T09:00" for day in (first, sunday, last)]
    offsets = {slot_moment(business, slot).astimezone(UTC).hour for _, slot in slots[:2]}
    assert len(offsets) == 2  # the same 09:00 is another UTC hour on each side of the change
    clock = "09:00" if language == "fr" else "9:00 AM"
    expected = [
        f"{babel_dates.format_date(day, 'EEEE d MMMM', locale=language)} {'à' if language == 'fr' else 'at'} {clock}"
        for day in (first, sunday, last)
    ]
    assert [spoken for spoken, _ in slots] == expected
    line = line_after(call, offer)
    joiner = " ou " if language == "fr" else " or "
    opening = "Sur ces jours-là, je peux vous proposer " if language == "fr" else "Between those days I can offer "
    assert line == opening + joiner.join(spoken for spoken, _ in slots) + "."
    db.expire_all()
    assert db.exec(select(Booking).where(Booking.tenant_id == business.tenant.id)).all() == []


# --- a code for a landline is said on a phone call ------------------------------------------------------------

LANDLINES = {"en": "+44207946", "fr": "+3319900"}  # London 020 7946 0xxx and Paris 01 99 00 xx xx: fiction ranges


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_booking_made_from_a_landline_is_proven_by_a_voice_call_that_says_the_code(db, sandbox, language):
    business = open_business(db, language=language)
    landline = _number(LANDLINES[language])
    calling_from = _number("+3361234" if language == "fr" else "+1650555")
    booking = book(db, business, phone=landline, start_at=local_at(business, in_days(business, 3), time(15, 0)))

    call = await simulate_call(
        sandbox.vapi, intent="cancel", assistant_id=business.provider_assistant_id, speed=0,
        customer={"number": calling_from}, details={"bookedWith": landline},
    )  # fmt: skip

    called = tools_called(call)
    assert [name for name, _ in called] == ["find_my_appointment"] * 3 + ["cancel_appointment"]
    sending = results_of(call, "find_my_appointment")[1]
    assert ("il reçoit en ce moment un appel" if language == "fr" else "it is being called right now") in sending
    assert line_after(call, sending).startswith("Merci. Ce numéro reçoit" if language == "fr" else "Thank you. That")
    # Verify called the landline (no text) and said the code digit by digit; the caller read it back.
    heard = [item for item in sandbox.twilio.received(landline) if item["channel"] == "call"]
    assert len(heard) == 1
    digits = re.search(r"\d(?:, \d){5}", heard[0]["body"])[0].replace(", ", "")
    assert heard[0]["body"].startswith("Bonjour, ici AVA." if language == "fr" else "Hello, this is AVA.")
    assert called[2][1] == {"phone": landline, "code": digits}
    db.expire_all()
    assert db.get(Booking, booking.id).status == "cancelled"
    assert stored_call(db, call).proven_phone == landline


# --- the sandbox's simulate-call route plays the new scenarios ------------------------------------------------


async def test_the_simulate_call_route_plays_a_reschedule_and_checks_the_caller_details(db, sandbox):
    import httpx

    from ava_app.services.providers.sandbox_keys import sandbox_keys

    business = open_business(db)
    caller = _number("+1650555")
    booking = book(db, business, phone=caller, start_at=local_at(business, in_days(business, 1), time(9, 30)))
    before = as_utc(booking.start_at)
    url = get_settings().public_url + "/sandbox/vapi/sandbox/simulate-call"
    headers = {"Authorization": f"Bearer {sandbox_keys().vapi_api_key}"}
    body = {"assistantId": business.provider_assistant_id, "intent": "reschedule", "speed": 0, "wait": True}
    async with httpx.AsyncClient(timeout=60) as http:
        refused = await http.post(url, headers=headers, json={**body, "details": "+16505550100"})
        played = await http.post(url, headers=headers, json={**body, "customer": {"number": caller}, "details": {}})

    assert refused.status_code == 400 and "details must be an object" in refused.text
    assert played.status_code == 201, played.text
    call = played.json()
    assert [name for name, _ in tools_called(call)][-1] == "reschedule_appointment"
    db.expire_all()
    assert as_utc(db.get(Booking, booking.id).start_at) != before
