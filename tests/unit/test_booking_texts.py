"""The caller's texts about their booking: made, moved and cancelled by the owner, sent from the business's number
through the Twilio emulator, in the business's language and time; a number that said STOP gets none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from ava_app.models import PhoneNumber, utcnow
from ava_app.services import booking_admin
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.bookings.texts import caller_text
from ava_app.services.messaging import sms
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio as tw
from tests.unit.booking_setup import EVERY_HOUR, setup_booking_business
from tests.unit.test_sms import emulator

__all__ = ["emulator"]

CALLER = "+33612345678"


def _texting_salon(db, e164: str):
    """The salon of the booking tests, its line bought at (emulated) Twilio so AVA can text from it."""
    business = setup_booking_business(db, hours=EVERY_HOUR)
    bought = run_coroutine_sync(tw.purchase_number(phone_number=e164))
    line = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == business.tenant.id)).one()
    line.e164, line.provider = e164, "twilio"
    line.twilio_sid, line.twilio_account_sid = bought["sid"], bought["account_sid"]
    db.add(line)
    db.commit()
    owner = Principal(user_id=None, tenant_id=business.tenant.id, role="admin")
    return business, owner


def _tomorrow_at(hour: int) -> datetime:
    day = (utcnow() + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_the_caller_is_texted_each_change_the_owner_makes(db, emulator, jobs):
    business, owner = _texting_salon(db, "+33199000021")
    booked = booking_admin.book(
        db,
        principal=owner,
        service_id=business.haircut.id,
        start_at=_tomorrow_at(8),
        caller_name="Camille Martin",
        caller_phone=CALLER,
    )
    db.commit()
    moved = booking_admin.move(db, principal=owner, booking_id=booked.id, start_at=_tomorrow_at(13))
    db.commit()
    booking_admin.cancel(db, principal=owner, booking_id=booked.id)
    db.commit()

    texts = [body for to, body in emulator.delivered if to == CALLER]
    assert texts == [
        caller_text(business.tenant, booked, "booked"),
        caller_text(business.tenant, moved, "moved"),
        caller_text(business.tenant, moved, "cancelled"),
    ]
    # French, in Paris time (08:00 UTC is 09:00 or 10:00 there), from the salon's own number.
    assert texts[0].startswith(f"{business.tenant.name} : votre rendez-vous Haircut est réservé le ")
    paris_hour = _tomorrow_at(8).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).strftime("%H:00")
    assert paris_hour in texts[0] and "Répondez STOP" in texts[0]
    assert "déplacé" in texts[1] and "annulé" in texts[2]
    account = next(iter(emulator.accounts))
    assert {message["from"] for message in emulator.messages(account)} == {"+33199000021"}


def test_a_caller_who_said_stop_is_not_texted_and_the_booking_still_stands(db, emulator, jobs):
    business, owner = _texting_salon(db, "+33199000022")
    sms.record_opt_out(db, tenant_id=business.tenant.id, phone=CALLER)
    db.commit()
    booked = booking_admin.book(
        db,
        principal=owner,
        service_id=business.haircut.id,
        start_at=_tomorrow_at(9),
        caller_name="Camille Martin",
        caller_phone=CALLER,
    )
    db.commit()
    assert booked.status == "booked"
    assert [to for to, _body in emulator.delivered if to == CALLER] == []


def test_english_text_in_the_callers_language_with_a_us_clock(db):
    business = setup_booking_business(db, timezone="America/New_York", country="US", hours=EVERY_HOUR)
    from ava_app.services.bookings import BookingOut

    booking = BookingOut(
        id=7,
        service_id=business.haircut.id,
        service_name="Haircut",
        staff_id=business.staff[0].id,
        staff_name="Sam",
        start_at=datetime(2026, 12, 7, 19, 30, tzinfo=UTC),
        end_at=datetime(2026, 12, 7, 20, 0, tzinfo=UTC),
        caller_name="Jordan",
        caller_phone="+12125550199",
        notes="",
        price_minor=2500,
        status="booked",
        source="assistant",
        call_id=None,
    )
    text = caller_text(business.tenant, booking, "booked", language="en")
    assert text == (
        f"{business.tenant.name}: your Haircut is booked for Dec 7, 2026, 2:30 PM with Sam. "
        "Reply STOP to stop these texts."
    )


def test_another_staff_member_at_the_same_time_is_texted_and_a_landline_never_is(db, emulator, jobs):
    """The owner gives the booking to someone else at the same time: the caller hears of it (the change's key holds
    the staff, not only the time). A fixed line, which cannot receive texts, is never sent one."""
    business, owner = _texting_salon(db, "+33199000023")
    sam, alex = business.staff
    booked = booking_admin.book(
        db,
        principal=owner,
        service_id=business.haircut.id,
        start_at=_tomorrow_at(10),
        staff_id=sam.id,
        caller_name="Camille Martin",
        caller_phone=CALLER,
    )
    db.commit()
    edited = booking_admin.edit(
        db,
        principal=owner,
        booking_id=booked.id,
        service_id=business.haircut.id,
        start_at=_tomorrow_at(10),
        staff_id=alex.id,
        caller_name="Camille Martin",
        caller_phone=CALLER,
        caller_email="",
        notes="",
    )
    db.commit()
    texts = [body for to, body in emulator.delivered if to == CALLER]
    assert texts == [caller_text(business.tenant, booked, "booked"), caller_text(business.tenant, edited, "moved")]
    assert "avec Alex" in texts[1]

    landline = "+33145678901"
    booking_admin.book(
        db,
        principal=owner,
        service_id=business.haircut.id,
        start_at=_tomorrow_at(12),
        caller_name="Cabinet Durand",
        caller_phone=landline,
    )
    db.commit()
    assert [to for to, _body in emulator.delivered if to == landline] == []
