"""The assistant's booking tools with a connected Google or Microsoft calendar, through the real tool-calls webhook
path, AVA's calendar clients and the local emulators: busy times block slots, bookings are written, moved and
deleted there, and a calendar that cannot be read makes the assistant take a message instead."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from ava_app.models import CalendarConnection, Outbox
from ava_app.sandbox.calendars.oauth import Grant
from ava_app.services import booking_admin, bookings
from ava_app.services.bookings import calendar_sync
from ava_app.services.credentials import encrypt_text
from ava_app.services.errors import ProviderUnavailable
from ava_app.services.principal import Principal
from ava_app.services.providers.sandbox_keys import sandbox_oauth_client
from tests.calendar_emulators import start_calendar_emulators, stop_calendar_emulators
from tests.factories import make_user
from tests.unit.test_booking_tools import CALLER, answer, booked, clinic
from tests.unit.vapi_messages import LA_WEDNESDAY_10AM

__all__ = ["clinic"]

# Wednesday 4 June 2025 in San Francisco (UTC-7): 11:00 local is 18:00 UTC.
LOCAL_11 = datetime(2025, 6, 4, 18, 0, tzinfo=UTC)
DOWN = "The business's calendar cannot be checked right now"


@pytest.fixture(params=["google", "microsoft"])
def calendar(request, db, clinic):
    """The clinic's calendar connected at the emulated provider (a grant as "Allow" leaves it); yields the emulator."""
    tenant, _assistant, _cleaning = clinic
    provider = request.param
    emulators = start_calendar_emulators()
    emulator = emulators.of(provider)
    refresh_token = secrets.token_urlsafe(24)
    emulator.oauth.grants[refresh_token] = Grant(
        account=emulator.oauth.account,
        client_id=sandbox_oauth_client(provider).client_id,
        scope=emulator.oauth.required_scope,
    )
    db.add(
        CalendarConnection(
            tenant_id=tenant.id,
            provider=provider,
            account_email=emulator.oauth.account,
            refresh_token_encrypted=encrypt_text(refresh_token),
        )
    )
    db.commit()
    yield emulator
    stop_calendar_emulators()


def events(emulator) -> list[dict]:
    """The emulated calendar's live events (Google keeps cancelled ones with that status)."""
    return [event for event in emulator.events_of().values() if event.get("status") != "cancelled"]


def event_start(event: dict) -> datetime:
    start = event["start"]["dateTime"]
    return datetime.fromisoformat(start.replace("Z", "+00:00")).replace(tzinfo=UTC) if "T" in start else start


def test_busy_times_in_the_connected_calendar_are_not_offered(db, calendar):
    free = answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"})
    assert "slot 2025-06-04T11:00" in free  # before the owner's appointment is added

    calendar.store.add_busy(calendar.oauth.account, LOCAL_11, LOCAL_11 + timedelta(hours=1))
    offered = answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"})
    assert "T11:00" not in offered and "T11:30" not in offered
    assert "slot 2025-06-04T12:00" in offered

    refused = answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Jo"})
    assert refused.startswith("That time is not available.")
    assert "slot 2025-06-04T12:00" in refused and "T11:30" not in refused
    assert booked(db) == []


def test_a_booking_is_written_to_the_calendar_moved_there_and_deleted(db, calendar, jobs):
    made = answer(
        db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T13:00", "caller_name": "Jordan Lee"}
    )
    assert made.startswith("Booked: Cleaning")
    (row,) = booked(db)
    (event,) = events(calendar)
    title = event.get("summary") or event.get("subject")
    assert title == "Cleaning — Jordan Lee"
    assert event_start(event) == datetime(2025, 6, 4, 20, 0, tzinfo=UTC)

    # A retried job (or the same change written twice) keeps one event.
    calendar_sync.write_booking(db, tenant_id=row.tenant_id, booking_id=row.id)
    assert len(events(calendar)) == 1

    moved = answer(db, "reschedule_appointment", {"booking_id": row.id, "slot": "2025-06-05T09:00"})
    assert moved.startswith("Moved:")
    (event,) = events(calendar)
    assert event_start(event) == datetime(2025, 6, 5, 16, 0, tzinfo=UTC)

    cancelled = answer(db, "cancel_appointment", {"booking_id": row.id})
    assert cancelled.startswith("Cancelled:")
    assert events(calendar) == []


def test_ava_s_own_event_does_not_block_another_staff_member(db, clinic, calendar, jobs):
    tenant, _assistant, cleaning = clinic
    bookings.add_staff(db, tenant_id=tenant.id, name="Dr. Ray", service_ids=[cleaning.id])
    db.commit()
    answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Ana"})
    assert len(events(calendar)) == 1  # Dr. Kim's booking is in the calendar, busy at 11:00

    # Dr. Ray is still free at 11:00: AVA's own event is not an outside busy time.
    second = answer(
        db,
        "book_appointment",
        {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Ben"},
        caller="+16505550111",
    )
    assert second.startswith("Booked: Cleaning") and "Dr. Ray" in second
    assert len({row.staff_id for row in booked(db)}) == 2
    assert len(events(calendar)) == 2
    # Both staff now busy at 11:00, whatever the calendar says.
    assert "T11:00" not in answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"})


def test_an_owner_event_overlapping_an_ava_booking_still_blocks(db, calendar, jobs):
    answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Ana"})
    # The owner's own appointment 11:30-13:00 merges with AVA's 11:00-12:00 event into one busy block.
    calendar.store.add_busy(calendar.oauth.account, LOCAL_11 + timedelta(minutes=30), LOCAL_11 + timedelta(hours=2))
    offered = answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"})
    assert "T12:00" not in offered and "T12:30" not in offered and "slot 2025-06-04T13:00" in offered


def test_a_revoked_calendar_makes_the_assistant_take_a_message_and_tells_the_admins(db, clinic, calendar, jobs):
    tenant, _assistant, _cleaning = clinic
    make_user(db, tenant=tenant, role="admin")
    calendar.oauth.revoke_all()
    said = answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"})
    assert said.startswith(DOWN) and "take a message" in said
    assert answer(
        db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T13:00", "caller_name": "Jo"}
    ).startswith(DOWN)
    assert booked(db) == []
    db.expire_all()
    connection = db.exec(select(CalendarConnection)).one()
    assert connection.status == "broken"
    alerts = db.exec(select(Outbox).where(Outbox.channel == "email")).all()
    assert len(alerts) == 1  # once, however many calls hit the broken calendar


def test_a_calendar_outage_is_said_and_leaves_the_connection_alone(db, calendar):
    # While a caller waits, two short tries only: a third answer would have been a success.
    calendar.store.fail_next(status=503, times=2)
    said = answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"}, now=LA_WEDNESDAY_10AM)
    assert said.startswith(DOWN)
    assert calendar.store.failures == []
    db.expire_all()
    assert db.exec(select(CalendarConnection)).one().status == "connected"


def test_a_french_call_hears_the_calendar_is_down_in_french(db, calendar, clinic):
    from ava_app.models import Assistant

    _tenant, assistant, _cleaning = clinic
    row = db.get(Assistant, assistant.id)
    row.language = "fr"
    db.add(row)
    db.commit()
    calendar.oauth.revoke_all()
    said = answer(db, "check_availability", {"service": "Cleaning", "date": "2025-06-04"})
    assert said.startswith("L'agenda de l'entreprise ne peut pas être consulté")


def test_a_failed_write_is_retried_without_doubling_the_event(db, clinic, calendar):
    tenant, _assistant, cleaning = clinic
    tenant_id = tenant.id
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    made = bookings.create_booking(
        db,
        tenant_id=tenant_id,
        service_id=cleaning.id,
        start_at=start,
        caller_name="Lou",
        check_rules=False,
        source="owner",
    )
    db.commit()
    calendar.store.fail_next(status=503, times=4)  # every attempt of one request
    with pytest.raises(ProviderUnavailable):
        calendar_sync.write_booking(db, tenant_id=tenant_id, booking_id=made.id)
    assert calendar_sync.write_booking(db, tenant_id=tenant_id, booking_id=made.id) == "written"
    assert calendar_sync.write_booking(db, tenant_id=tenant_id, booking_id=made.id) == "written"
    assert len(events(calendar)) == 1


def test_connecting_a_calendar_writes_the_bookings_to_come(db, clinic, calendar, jobs):
    tenant, _assistant, cleaning = clinic
    tenant_id = tenant.id
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    for hours, name in ((0, "Ana"), (3, "Ben")):
        bookings.create_booking(
            db,
            tenant_id=tenant_id,
            service_id=cleaning.id,
            start_at=soon + timedelta(hours=hours),
            caller_name=name,
            check_rules=False,
            source="owner",
        )
    past = bookings.create_booking(
        db,
        tenant_id=tenant_id,
        service_id=cleaning.id,
        start_at=soon - timedelta(days=10),
        caller_name="Old",
        check_rules=False,
        source="owner",
    )
    db.commit()
    calendar_sync.sync_future_bookings(tenant_id)
    titles = sorted((event.get("summary") or event.get("subject")) for event in events(calendar))
    assert titles == ["Cleaning — Ana", "Cleaning — Ben"]  # not the past one
    assert past.status == "booked"


def test_an_owner_s_change_on_the_bookings_page_reaches_the_calendar(db, clinic, calendar, jobs):
    tenant, _assistant, cleaning = clinic
    owner = make_user(db, tenant=tenant, role="admin")
    principal = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=4)
    made = booking_admin.book(
        db, principal=principal, service_id=cleaning.id, start_at=start, caller_name="Mia", caller_phone=CALLER
    )
    db.commit()
    assert [event_start(event) for event in events(calendar)] == [start]
    booking_admin.cancel(db, principal=principal, booking_id=made.id)
    db.commit()
    assert events(calendar) == []


def test_without_a_calendar_nothing_is_asked_of_any_provider(db, clinic, jobs):
    emulators = start_calendar_emulators()
    try:
        answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T13:00", "caller_name": "Jo"})
        assert emulators.google.store.requests == [] and emulators.microsoft.store.requests == []
    finally:
        stop_calendar_emulators()
    assert [row.status for row in booked(db)] == ["booked"]
