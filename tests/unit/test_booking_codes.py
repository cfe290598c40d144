"""Changing a booking from another number: a one-time code texted to the booking's number (Twilio Verify, through the
emulator) and read back on the call proves it, for that call only; the answer never says whether a number has
bookings, and codes are rate-limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ava_app.services import rate_limits
from tests.unit.test_booking_tools import CALLER, booked, clinic, tool_call
from tests.unit.test_sms import emulator
from tests.unit.vapi_messages import LA_WEDNESDAY_10AM, send

__all__ = ["clinic", "emulator"]

OTHER = "+16505550111"
SENT = "If that number has appointments to come, a code was just texted to it."


@pytest.fixture(autouse=True)
def fresh_limits():
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def on_call(db, call_id: str, name: str, arguments: dict, *, caller: str | None = OTHER, now=LA_WEDNESDAY_10AM) -> str:
    """A tool call on the call ``call_id`` from ``caller``."""
    body = tool_call(name, arguments, caller=caller, tool_id=f"{call_id}-{name}-{len(arguments)}-{now.timestamp()}")
    body["message"]["call"]["id"] = call_id
    (item,) = send(db, body, now=now).response["results"]
    assert "error" not in item, item
    return item["result"]


def code_texted_to(emulator, number: str) -> str:
    bodies = [body for to, body in emulator.delivered if to == number]
    assert bodies, emulator.delivered
    return re.search(r"\d{4,10}", bodies[-1])[0]


@pytest.fixture()
def jordans_booking(db, clinic):
    said = on_call(
        db, "call-booked", "book_appointment",
        {"service": "cleaning", "slot": "2025-06-05T10:00", "caller_name": "Jordan"}, caller=CALLER,
    )  # fmt: skip
    assert said.startswith("Booked:")
    (row,) = booked(db)
    return row


def test_a_code_read_back_proves_the_number_and_lets_the_caller_cancel(db, jordans_booking, emulator):
    booking = jordans_booking
    refused = on_call(db, "call-2", "cancel_appointment", {"booking_id": booking.id})
    assert refused.startswith(f"Booking {booking.id} is not one of") and "a code will be texted" in refused

    assert on_call(db, "call-2", "find_my_appointment", {"phone": "(650) 555-0199"}).startswith(SENT)
    code = code_texted_to(emulator, CALLER)
    wrong = "000000" if code != "000000" else "111111"
    assert on_call(db, "call-2", "find_my_appointment", {"phone": CALLER, "code": wrong}).startswith(
        "That code is not right"
    )
    found = on_call(db, "call-2", "find_my_appointment", {"phone": CALLER, "code": f"{code[:3]} {code[3:]}"})
    assert found.startswith("Appointments to come for this caller: Cleaning on Thursday 5 June at 10:00")

    done = on_call(db, "call-2", "cancel_appointment", {"booking_id": booking.id})
    assert done.startswith("Cancelled: Cleaning")
    assert booked(db)[0].status == "cancelled"


def test_the_proof_holds_for_that_call_only_and_for_half_an_hour(db, jordans_booking, emulator):
    booking = jordans_booking
    on_call(db, "call-2", "find_my_appointment", {"phone": CALLER})
    on_call(db, "call-2", "find_my_appointment", {"phone": CALLER, "code": code_texted_to(emulator, CALLER)})
    # Another call from the same other number has proven nothing.
    assert on_call(
        db, "call-3", "reschedule_appointment", {"booking_id": booking.id, "slot": "2025-06-05T14:00"}
    ).startswith(f"Booking {booking.id} is not one of")
    # The same call, 31 minutes on: the proof has lapsed.
    later = LA_WEDNESDAY_10AM + timedelta(minutes=31)
    lapsed = on_call(db, "call-2", "cancel_appointment", {"booking_id": booking.id}, now=later)
    assert lapsed.startswith(f"Booking {booking.id} is not one of")
    moved = on_call(
        db, "call-2", "reschedule_appointment", {"booking_id": booking.id, "slot": "2025-06-05T14:00"},
        now=LA_WEDNESDAY_10AM + timedelta(minutes=20),
    )  # fmt: skip
    assert moved.startswith("Moved: Cleaning is now on Thursday 5 June at 2:00")


def test_a_number_without_bookings_gets_the_same_answer_and_no_text(db, jordans_booking, emulator):
    assert on_call(db, "call-2", "find_my_appointment", {"phone": "+16505550177"}).startswith(SENT)
    assert [to for to, _ in emulator.delivered if to == "+16505550177"] == []


def test_a_hidden_caller_can_prove_the_number_they_booked_with(db, jordans_booking, emulator):
    assert on_call(db, "call-2", "find_my_appointment", {}, caller=None).startswith("The caller's number is hidden")
    on_call(db, "call-2", "find_my_appointment", {"phone": CALLER}, caller=None)
    found = on_call(
        db, "call-2", "find_my_appointment", {"phone": CALLER, "code": code_texted_to(emulator, CALLER)}, caller=None
    )
    assert found.startswith("Appointments to come for this caller")


def test_codes_are_limited_per_call(db, jordans_booking, emulator):
    said = [on_call(db, "call-2", "find_my_appointment", {"phone": CALLER}) for _ in range(4)]
    assert [text.startswith(SENT) for text in said] == [True, True, True, False]
    assert said[3].startswith("Too many codes were asked for")
    assert len([to for to, _ in emulator.delivered if to == CALLER]) == 3


def test_a_french_call_hears_the_code_step_in_french(db, clinic, jordans_booking, emulator):
    from ava_app.models import Assistant

    _tenant, assistant, _cleaning = clinic
    row = db.get(Assistant, assistant.id)
    row.language = "fr"
    db.commit()
    said = on_call(db, "call-2", "find_my_appointment", {"phone": CALLER})
    assert said.startswith("Si ce numéro a des rendez-vous à venir, un code vient d'y être envoyé par SMS.")
