"""The caller's booking emails (with the .ics) and the day-before reminders, through the tool-calls webhook path,
the outbox and the Twilio emulator."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta

import icalendar
from sqlmodel import select

from ava_app.models import Assistant, Booking, Outbox, PhoneNumber
from ava_app.services import bookings
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.bookings import reminders
from ava_app.services.bookings.confirmations import booking_uid, checked_email
from ava_app.services.messaging.email import build_message
from ava_app.services.providers import twilio as tw
from tests.unit.test_booking_tools import CALLER, answer, booked, clinic
from tests.unit.test_sms import emulator

__all__ = ["clinic", "emulator"]

BOOK = {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Jordan Lee", "email": "Jordan@Example.org"}


def emails(db) -> list[Outbox]:
    db.expire_all()
    return list(db.exec(select(Outbox).where(Outbox.channel == "email").order_by(Outbox.id)).all())


def ics_of(row: Outbox) -> icalendar.Event:
    """The .ics attached to the MIME message AVA hands to the SMTP server, parsed."""
    message = email.message_from_bytes(bytes(build_message(row, sender="AVA <ava@example.org>")))
    (part,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert part.get_filename() == "appointment.ics"
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    event.calendar_method = str(calendar["METHOD"])
    return event


def test_a_caller_who_gives_an_address_gets_the_confirmation_with_the_ics(db, clinic, jobs):
    said = answer(db, "book_appointment", BOOK)
    assert said.startswith("Booked: Cleaning")
    (row,) = booked(db)
    assert row.caller_email == "Jordan@example.org"  # the domain part normalised
    (mail,) = emails(db)
    assert mail.to == "Jordan@example.org"
    assert mail.subject == "Bright Smile Dental: your Cleaning is booked for Jun 4, 2025, 11:00 AM"
    assert "Hello Jordan Lee" in mail.body_text and "with Dr. Kim" in mail.body_text
    event = ics_of(mail)
    assert event.calendar_method == "REQUEST"
    assert str(event["UID"]) == booking_uid(row.id)
    assert event.decoded("DTSTART") == datetime(2025, 6, 4, 18, 0, tzinfo=UTC)
    assert str(event["DTSTART"].params["TZID"]) == "America/Los_Angeles"

    # A retried tool call sends nothing more.
    answer(db, "book_appointment", BOOK)
    assert len(emails(db)) == 1


def test_moving_and_cancelling_update_the_callers_calendar(db, clinic, jobs):
    answer(db, "book_appointment", BOOK)
    (row,) = booked(db)
    # The change happens a little later: the SEQUENCE is counted from the booking's own times.
    db.get(Booking, row.id).created_at = row.created_at - timedelta(minutes=5)
    db.commit()
    answer(db, "reschedule_appointment", {"booking_id": row.id, "slot": "2025-06-05T09:00"})
    answer(db, "cancel_appointment", {"booking_id": row.id})
    booked_mail, moved_mail, cancelled_mail = emails(db)
    assert moved_mail.subject.startswith("Bright Smile Dental: your Cleaning has moved to Jun 5, 2025")
    assert cancelled_mail.subject.endswith("is cancelled")
    first, moved, cancelled = ics_of(booked_mail), ics_of(moved_mail), ics_of(cancelled_mail)
    assert first["UID"] == moved["UID"] == cancelled["UID"]
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
    assert moved.decoded("DTSTART") == datetime(2025, 6, 5, 16, 0, tzinfo=UTC)
    assert cancelled.calendar_method == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"


def test_a_french_call_gets_a_french_email(db, clinic, jobs):
    _tenant, assistant, _cleaning = clinic
    row = db.get(Assistant, assistant.id)
    row.language = "fr"
    db.commit()
    answer(db, "book_appointment", BOOK)
    (mail,) = emails(db)
    assert mail.subject.startswith("Bright Smile Dental : votre rendez-vous Cleaning est réservé le")
    assert mail.body_text.startswith("Bonjour Jordan Lee")


def test_an_address_that_is_not_one_is_asked_again_and_books_nothing(db, clinic, jobs):
    said = answer(db, "book_appointment", {**BOOK, "email": "jordan at example"})
    assert said.startswith('The address "jordan at example" is not an email address.')
    assert booked(db) == [] and emails(db) == []


def test_no_address_no_email(db, clinic, jobs):
    answer(db, "book_appointment", {key: value for key, value in BOOK.items() if key != "email"})
    assert len(booked(db)) == 1 and emails(db) == []


def test_spelt_addresses_are_read_leniently_but_checked():
    assert checked_email(" ana.lima @ example.fr ") == "ana.lima@example.fr"
    assert checked_email("ana@") is None
    assert checked_email("") is None


def _book_ahead(db, tenant, service, *, start: datetime, made: datetime, email_address: str | None = None) -> int:
    made_booking = bookings.create_booking(
        db,
        tenant_id=tenant.id,
        service_id=service.id,
        start_at=start,
        caller_name="Sam",
        caller_phone=CALLER,
        caller_email=email_address,
        check_rules=False,
        source="owner",
        now=made,
    )
    row = db.get(Booking, made_booking.id)
    row.created_at = made
    db.commit()
    return made_booking.id


def test_the_day_before_a_booking_the_caller_is_reminded_once(db, clinic, emulator, jobs):
    tenant, _assistant, cleaning = clinic
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
    now = datetime.now(UTC).replace(microsecond=0)
    ahead = _book_ahead(
        db, tenant, cleaning, start=now + timedelta(hours=23), made=now - timedelta(days=3), email_address="s@ex.org"
    )
    late = _book_ahead(db, tenant, cleaning, start=now + timedelta(hours=5), made=now - timedelta(hours=2))
    later = _book_ahead(db, tenant, cleaning, start=now + timedelta(days=3), made=now - timedelta(days=3))
    assert reminders.due_reminders(db, now=now) == [ahead]

    reminders.send_booking_reminders.call_local()
    assert len(emulator.delivered) == 1
    to, text = emulator.delivered[0]
    assert to == CALLER and text.startswith("Bright Smile Dental: a reminder of your Cleaning on ")
    (mail,) = emails(db)
    assert mail.to == "s@ex.org" and mail.subject.startswith("Bright Smile Dental: reminder of your Cleaning")

    reminders.send_booking_reminders.call_local()  # the next run, or a second worker: nothing more
    assert len(emulator.delivered) == 1 and len(emails(db)) == 1
    assert reminders.due_reminders(db, now=now) == []
    assert {late, later}.isdisjoint(reminders.due_reminders(db, now=now + timedelta(hours=1)))


def test_no_reminder_when_the_business_turned_them_off_or_the_booking_is_cancelled(db, clinic):
    tenant, _assistant, cleaning = clinic
    now = datetime.now(UTC).replace(microsecond=0)
    first = _book_ahead(db, tenant, cleaning, start=now + timedelta(hours=20), made=now - timedelta(days=2))
    second = _book_ahead(db, tenant, cleaning, start=now + timedelta(hours=22), made=now - timedelta(days=2))
    assert reminders.due_reminders(db, now=now) == [first, second]
    bookings.cancel_booking(db, tenant_id=tenant.id, booking_id=first)
    db.commit()
    assert reminders.due_reminders(db, now=now) == [second]
    rules = bookings.booking_rules(db, tenant_id=tenant.id)
    bookings.save_booking_rules(
        db,
        tenant_id=tenant.id,
        enabled=rules.enabled,
        min_notice_minutes=rules.min_notice_minutes,
        horizon_days=rules.horizon_days,
        granularity_minutes=rules.granularity_minutes,
        max_per_day=rules.max_per_day,
        remind_day_before=False,
    )
    db.commit()
    assert reminders.due_reminders(db, now=now) == []
