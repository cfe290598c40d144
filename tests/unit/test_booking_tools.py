"""The assistant's booking tools through the real tool-calls webhook path: what the caller is offered and told, in the
call's language and the business's timezone, and who may change a booking."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from ava_app.models import Booking, Tenant
from ava_app.services import bookings
from tests.unit.test_sms import emulator
from tests.unit.vapi_messages import LA_WEDNESDAY_10AM, calls, load, send

__all__ = ["emulator"]

CALLER = "+16505550199"


def tool_call(name: str, arguments: dict, *, tool_id: str = "call_test_1", caller: str | None = CALLER) -> dict:
    body = load("tool-calls")
    message = body["message"]
    message["toolCallList"] = [
        {"id": tool_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    ]
    message.pop("toolWithToolCallList")
    if caller is None:
        message["call"].pop("customer", None)
        message.pop("customer", None)
    else:
        message["call"]["customer"] = {"number": caller}
        message["customer"] = {"number": caller}
    return body


def answer(db, name: str, arguments: dict, *, now: datetime = LA_WEDNESDAY_10AM, **options) -> str:
    (item,) = send(db, tool_call(name, arguments, **options), now=now).response["results"]
    assert "error" not in item, item
    return item["result"]


@pytest.fixture()
def clinic(db, vapi_business):
    """Bright Smile Dental (San Francisco, weekdays 9-5) taking bookings: a 60-minute cleaning with Dr. Kim."""
    tenant, assistant, number = vapi_business
    bookings.save_booking_rules(
        db,
        tenant_id=tenant.id,
        enabled=True,
        min_notice_minutes=60,
        horizon_days=30,
        granularity_minutes=30,
        max_per_day=None,
    )
    cleaning = bookings.add_service(db, tenant_id=tenant.id, name="Cleaning", duration_minutes=60, price_minor=12000)
    checkup = bookings.add_service(db, tenant_id=tenant.id, name="Check-up", duration_minutes=30)
    bookings.add_staff(db, tenant_id=tenant.id, name="Dr. Kim", service_ids=[cleaning.id, checkup.id])
    db.commit()
    return tenant, assistant, cleaning


def booked(db) -> list[Booking]:
    db.expire_all()
    return list(db.exec(select(Booking).order_by(Booking.id)).all())


def test_check_availability_offers_times_in_the_business_timezone(db, clinic):
    result = answer(db, "check_availability", {"service": "cleaning"})
    assert result.startswith("Free times for Cleaning: Wednesday 4 June at 11:00 AM (slot 2025-06-04T11:00), ")
    assert "2025-06-04T11:30" in result and "2025-06-04T12:00" in result
    result = answer(
        db,
        "check_availability",
        {"service": "Cleaning", "date": "2025-06-06", "part_of_day": "afternoon"},
        tool_id="t2",
    )
    # Friday is open 09:00-12:00 and 13:00-17:00.
    assert "(slot 2025-06-06T13:00)" in result and "Friday 6 June" in result


def test_check_availability_speaks_french_for_a_french_assistant(db, clinic):
    _, assistant, _ = clinic
    assistant.language = "fr"
    db.add(assistant)
    db.commit()
    result = answer(db, "check_availability", {"service": "nettoyage", "date": "demain"})
    assert result.startswith("Aucune prestation ne s'appelle « nettoyage »") and "Check-up, Cleaning" in result
    result = answer(db, "check_availability", {"service": "cleaning", "date": "demain"}, tool_id="t2")
    assert result.startswith("Créneaux libres pour Cleaning : jeudi 5 juin à 09:00 (créneau 2025-06-05T09:00)")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"service": "whitening"},
            'No service is called "whitening". Services that can be booked: Check-up, Cleaning.',
        ),
        ({"service": "cleaning", "date": "the 31st of Juneuary"}, 'The day "the 31st of Juneuary" could not be read.'),
        ({}, "Ask the caller which service they want: Check-up, Cleaning."),
    ],
)
def test_check_availability_arguments_the_caller_must_be_asked_again(db, clinic, arguments, expected):
    assert answer(db, "check_availability", arguments).startswith(expected)


def test_a_day_with_nothing_free_offers_the_next_times(db, clinic):
    result = answer(db, "check_availability", {"service": "cleaning", "date": "saturday"})
    assert result.startswith("Nothing is free for Cleaning that day. The next free times: Monday 9 June")


def test_book_appointment_books_for_the_calling_number_and_links_the_call(db, clinic):
    arguments = {
        "service": "Cleaning",
        "slot": "2025-06-04T11:00",
        "caller_name": "Jordan Lee",
        "notes": "sensitive gums",
    }
    result = answer(db, "book_appointment", arguments)
    (booking,) = booked(db)
    assert result.startswith("Booked: Cleaning on Wednesday 4 June at 11:00")
    assert f"with Dr. Kim, for Jordan Lee (booking {booking.id})" in result
    (call,) = calls(db)
    assert booking.call_id == call.id and booking.caller_phone == CALLER and booking.source == "assistant"
    assert booking.start_at.replace(tzinfo=UTC) == datetime(2025, 6, 4, 18, 0, tzinfo=UTC)
    assert booking.price_minor == 12000 and booking.notes == "sensitive gums"


def test_book_appointment_with_another_number_stores_it_in_e164(db, clinic):
    arguments = {"service": "check-up", "slot": "2025-06-05T09:00", "caller_name": "Sam", "phone": "(415) 555-0123"}
    answer(db, "book_appointment", arguments)
    assert booked(db)[0].caller_phone == "+14155550123"
    arguments["phone"] = "not a number"
    assert (
        answer(db, "book_appointment", arguments, tool_id="t2")
        == 'The number "not a number" is not a phone number. Ask the caller for it again.'
    )


@pytest.mark.parametrize(
    ("slot", "expected"),
    [
        ("2025-06-04T09:00", "That time has already passed. Free times to offer instead: Wednesday 4 June at 11:00"),
        ("2025-06-04T20:00", "That time is not available. Free times to offer instead: Thursday 5 June at 9:00"),
        ("2025-06-07T10:00", "That time is not available. Free times to offer instead: Monday 9 June at 9:00"),
        ("next tuesday morning", 'The time "next tuesday morning" could not be read.'),
    ],
)
def test_a_slot_that_cannot_be_booked_gets_alternatives_not_an_error(db, clinic, slot, expected):
    result = answer(db, "book_appointment", {"service": "cleaning", "slot": slot, "caller_name": "Jordan"})
    assert result.startswith(expected)
    assert booked(db) == []


def test_a_slot_booked_meanwhile_is_refused_with_the_next_times(db, clinic):
    answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-04T11:00", "caller_name": "First"})
    result = answer(
        db,
        "book_appointment",
        {"service": "cleaning", "slot": "2025-06-04T11:00", "caller_name": "Second"},
        caller="+16505550111",
        tool_id="t2",
    )
    assert result.startswith(
        "Someone else has just booked that time. Free times to offer instead: Wednesday 4 June at 12:00 PM"
    )
    assert [row.caller_name for row in booked(db)] == ["First"]


def test_a_time_booked_long_before_the_call_is_not_said_to_be_just_taken(db, clinic):
    answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-04T11:00", "caller_name": "First"})
    (row,) = booked(db)
    row.created_at = LA_WEDNESDAY_10AM - timedelta(hours=3)
    db.add(row)
    db.commit()
    result = answer(
        db,
        "book_appointment",
        {"service": "cleaning", "slot": "2025-06-04T11:00", "caller_name": "Second"},
        caller="+16505550111",
        tool_id="t2",
    )
    assert result.startswith("That time is not available. Free times to offer instead: Wednesday 4 June at 12:00 PM")


def test_a_missing_name_is_asked_for(db, clinic):
    assert answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-04T11:00"}).startswith(
        "Ask for the caller's name"
    )


def test_find_my_appointment_only_by_the_calling_number(db, clinic):
    answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-05T10:00", "caller_name": "Jordan"})
    (booking,) = booked(db)
    mine = answer(db, "find_my_appointment", {}, tool_id="t2")
    assert mine.startswith("Appointments to come for this caller: Cleaning on Thursday 5 June at 10:00")
    assert f"(booking {booking.id})" in mine
    assert answer(db, "find_my_appointment", {}, tool_id="t3", caller="+16505550111").startswith(
        "No appointment to come"
    )
    assert answer(db, "find_my_appointment", {}, tool_id="t4", caller=None).startswith("The caller's number is hidden")


def test_reschedule_needs_the_booking_s_own_number(db, clinic):
    answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-05T10:00", "caller_name": "Jordan"})
    (booking,) = booked(db)
    other = answer(
        db,
        "reschedule_appointment",
        {"booking_id": booking.id, "slot": "2025-06-05T14:00"},
        caller="+16505550111",
        tool_id="t2",
    )
    assert other.startswith(f"Booking {booking.id} is not one of the appointments to come")
    assert booked(db)[0].start_at.replace(tzinfo=UTC) == datetime(2025, 6, 5, 17, 0, tzinfo=UTC)
    moved = answer(db, "reschedule_appointment", {"slot": "2025-06-05T14:00"}, tool_id="t3")
    assert moved.startswith("Moved: Cleaning is now on Thursday 5 June at 2:00")
    assert booked(db)[0].start_at.replace(tzinfo=UTC) == datetime(2025, 6, 5, 21, 0, tzinfo=UTC)
    # The old time is free again; the new one is not.
    other_caller = {"service": "cleaning", "caller_name": "Robin"}
    taken = answer(
        db, "book_appointment", {**other_caller, "slot": "2025-06-05T14:00"}, caller="+16505550111", tool_id="t4"
    )
    assert taken.startswith("Someone else has just booked that time.")
    freed = answer(
        db, "book_appointment", {**other_caller, "slot": "2025-06-05T10:00"}, caller="+16505550111", tool_id="t5"
    )
    assert freed.startswith("Booked: Cleaning on Thursday 5 June at 10:00")


def test_cancel_needs_the_booking_s_own_number(db, clinic):
    answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-05T10:00", "caller_name": "Jordan"})
    (booking,) = booked(db)
    refused = answer(db, "cancel_appointment", {"booking_id": booking.id}, caller="+16505550111", tool_id="t2")
    assert refused.startswith(f"Booking {booking.id} is not one of")
    assert answer(db, "cancel_appointment", {}, caller=None, tool_id="t3").startswith("The caller's number is hidden")
    assert booked(db)[0].status == "booked"
    done = answer(db, "cancel_appointment", {"booking_id": booking.id}, tool_id="t4")
    assert done.startswith("Cancelled: Cleaning on Thursday 5 June at 10:00")
    assert booked(db)[0].status == "cancelled"


def test_several_appointments_ask_which_one(db, clinic):
    answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-05T10:00", "caller_name": "Jordan"})
    answer(
        db,
        "book_appointment",
        {"service": "check-up", "slot": "2025-06-06T09:00", "caller_name": "Jordan"},
        tool_id="t2",
    )
    result = answer(db, "cancel_appointment", {}, tool_id="t3")
    assert result.startswith("The caller has several appointments: Cleaning on Thursday 5 June")
    assert all(row.status == "booked" for row in booked(db))


def test_booking_tools_say_to_take_a_message_while_booking_is_off(db, clinic):
    tenant, _, _ = clinic
    bookings.save_booking_rules(
        db,
        tenant_id=tenant.id,
        enabled=False,
        min_notice_minutes=60,
        horizon_days=30,
        granularity_minutes=30,
        max_per_day=None,
    )
    db.commit()
    result = answer(db, "book_appointment", {"service": "cleaning", "slot": "2025-06-04T11:00", "caller_name": "J"})
    assert result == "This business does not take bookings by phone. Offer to take a message for the team."
    assert booked(db) == []


def test_another_business_s_booking_cannot_be_touched_from_this_call(db, clinic):
    other = Tenant(name="Elsewhere", timezone="America/Los_Angeles")
    db.add(other)
    db.commit()
    service = bookings.add_service(db, tenant_id=other.id, name="Cleaning", duration_minutes=60)
    staff = bookings.add_staff(db, tenant_id=other.id, name="Lee", service_ids=[service.id])
    bookings.save_booking_rules(
        db,
        tenant_id=other.id,
        enabled=True,
        min_notice_minutes=0,
        horizon_days=30,
        granularity_minutes=30,
        max_per_day=None,
    )
    theirs = bookings.create_booking(
        db,
        tenant_id=other.id,
        service_id=service.id,
        staff_id=staff.id,
        start_at=datetime(2025, 6, 5, 17, 0, tzinfo=UTC),
        caller_name="Jordan",
        caller_phone=CALLER,
        now=LA_WEDNESDAY_10AM,
    )
    db.commit()
    assert answer(db, "find_my_appointment", {}).startswith("No appointment to come")
    refused = answer(db, "cancel_appointment", {"booking_id": theirs.id}, tool_id="t2")
    assert refused.startswith("No appointment to come") or refused.startswith(f"Booking {theirs.id} is not one of")
    assert db.get(Booking, theirs.id).status == "booked"


@pytest.mark.parametrize("callers", [2, 5])
def test_callers_on_separate_calls_booking_one_slot_at_once_get_one_booking(engine, db, clinic, callers):
    barrier = threading.Barrier(callers)
    results: list[str] = []
    lock = threading.Lock()

    def caller(index: int) -> None:
        body = tool_call(
            "book_appointment",
            {"service": "cleaning", "slot": "2025-06-04T11:00", "caller_name": f"Caller {index}"},
            tool_id=f"tool_{index}",
            caller=f"+1650555020{index}",
        )
        body["message"]["call"]["id"] = f"call-{index}"
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            (item,) = send(session, body, now=LA_WEDNESDAY_10AM).response["results"]
        with lock:
            results.append(item.get("result") or item.get("error") or "")

    threads = [threading.Thread(target=caller, args=(index,)) for index in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(result.startswith("Booked: Cleaning on Wednesday 4 June at 11:00 AM") for result in results) == 1
    refusals = [result for result in results if not result.startswith("Booked")]
    assert len(refusals) == callers - 1
    assert all("Free times to offer instead: Wednesday 4 June at 12:00 PM" in result for result in refusals), refusals
    (row,) = booked(db)
    assert row.start_at.replace(tzinfo=UTC) == datetime(2025, 6, 4, 18, 0, tzinfo=UTC)


def test_a_booking_made_on_the_call_texts_the_caller_in_the_calls_language(db, clinic, emulator, jobs):
    from ava_app.models import PhoneNumber
    from ava_app.services.async_bridge import run_coroutine_sync
    from ava_app.services.providers import twilio as tw

    tenant, _assistant, _cleaning = clinic
    bought = run_coroutine_sync(tw.purchase_number(phone_number="+14155550188"))
    db.add(
        PhoneNumber(
            tenant_id=tenant.id,
            e164="+14155550188",
            provider="twilio",
            twilio_sid=bought["sid"],
            twilio_account_sid=bought["account_sid"],
        )
    )
    db.commit()
    answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Jordan Lee"})
    assert len(booked(db)) == 1
    assert emulator.delivered == [
        (
            CALLER,
            f"{tenant.name}: your Cleaning is booked for Jun 4, 2025, 11:00 AM with Dr. Kim. "
            "Reply STOP to stop these texts.",
        )
    ]
    # A retried tool call books nothing more and texts nothing more.
    answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Jordan Lee"})
    assert len(booked(db)) == 1 and len(emulator.delivered) == 1
