"""AVA's own booking calendar: free slots under every rule and across DST changes, booking, moving, cancelling,
and two callers taking one slot at the same moment (SQLite here; PostgreSQL with AVA_TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ava_app.models import Booking
from ava_app.services import bookings
from ava_app.services.bookings import SlotUnavailable
from ava_app.services.errors import Forbidden, Invalid, NotFound
from tests.unit.booking_setup import EVERY_HOUR, setup_booking_business

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 1 June 2026, 09:00 in Paris (CEST, UTC+2).
MONDAY_9AM_PARIS = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


def local_times(slots, zone=PARIS) -> list[str]:
    return [slot.start_at.astimezone(zone).strftime("%a %d %H:%M") for slot in slots]


def slots_for(db, business, **options):
    options.setdefault("now", MONDAY_9AM_PARIS)
    options.setdefault("service_id", business.haircut.id)
    return bookings.find_slots(db, tenant_id=business.tenant.id, **options)


def book(db, business, start_at, **options):
    options.setdefault("service_id", business.haircut.id)
    options.setdefault("caller_name", "Jordan Lee")
    options.setdefault("caller_phone", "06 12 34 56 78")
    options.setdefault("now", MONDAY_9AM_PARIS)
    booking = bookings.create_booking(db, tenant_id=business.tenant.id, start_at=start_at, **options)
    db.commit()
    return booking


# --- availability ---------------------------------------------------------------------------------------------------


def test_slots_start_after_the_notice_on_the_grid_and_end_within_the_hours(db):
    business = setup_booking_business(db)
    assert local_times(slots_for(db, business, limit=3)) == ["Mon 01 10:00", "Mon 01 10:30", "Mon 01 11:00"]
    day = slots_for(db, business, first_day=date(2026, 6, 2), last_day=date(2026, 6, 2), limit=None)
    assert local_times(day)[0] == "Tue 02 09:00" and local_times(day)[-1] == "Tue 02 16:30"
    colour = slots_for(
        db, business, service_id=business.colour.id, first_day=date(2026, 6, 2), last_day=date(2026, 6, 2), limit=None
    )
    assert local_times(colour)[-1] == "Tue 02 15:30"
    assert colour[0].end_at - colour[0].start_at == timedelta(minutes=90)


def test_a_booking_holds_its_staff_member_for_the_service_and_its_buffer(db):
    business = setup_booking_business(db)
    sam, alex = business.staff
    book(db, business, paris(2026, 6, 2, 10, 0), staff_id=sam.id)
    both = slots_for(db, business, first_day=date(2026, 6, 2), last_day=date(2026, 6, 2), limit=2)
    assert [(local, slot.staff_name) for local, slot in zip(local_times(both), both, strict=True)] == [
        ("Tue 02 09:00", "Sam"),
        ("Tue 02 09:30", "Alex"),  # Sam's 09:30 haircut and its buffer would run into the 10:00 booking
    ]
    only_sam = slots_for(
        db, business, staff_id=sam.id, first_day=date(2026, 6, 2), last_day=date(2026, 6, 2), limit=None
    )
    # 09:30 would run into the booking with its own buffer, 10:30 into the booking's 10-minute buffer.
    assert {"Tue 02 09:30", "Tue 02 10:00", "Tue 02 10:30"}.isdisjoint(local_times(only_sam))
    assert "Tue 02 11:00" in local_times(only_sam)
    at_ten = [
        slot
        for slot in slots_for(db, business, first_day=date(2026, 6, 2), limit=None)
        if slot.start_at == paris(2026, 6, 2, 10, 0)
    ]
    assert [slot.staff_name for slot in at_ten] == ["Alex"]


def test_part_of_day_holidays_horizon_and_daily_cap(db):
    business = setup_booking_business(db, holidays=["2026-06-02"], horizon_days=3, max_per_day=1)
    afternoon = slots_for(db, business, part_of_day="afternoon", limit=1)
    assert local_times(afternoon) == ["Mon 01 12:00"]
    days = {slot.start_at.astimezone(PARIS).date() for slot in slots_for(db, business, limit=None)}
    # Tuesday is a holiday; the horizon ends three days from now; the weekend is closed.
    assert days == {date(2026, 6, 1), date(2026, 6, 3), date(2026, 6, 4)}
    sam, alex = business.staff
    book(db, business, paris(2026, 6, 3, 9, 0), staff_id=sam.id)
    wednesday = slots_for(
        db, business, first_day=date(2026, 6, 3), last_day=date(2026, 6, 3), limit=None, distinct_times=False
    )
    assert {slot.staff_name for slot in wednesday} == {"Alex"}


def test_staff_hours_are_kept_within_the_business_hours(db):
    business = setup_booking_business(db, staff_names=("Sam",))
    (sam,) = business.staff
    bookings.update_staff(
        db,
        tenant_id=business.tenant.id,
        staff_id=sam.id,
        name="Sam",
        service_ids=[business.haircut.id],
        working_hours={"tue": [bookings_range("07:00", "11:00"), bookings_range("15:00", "20:00")]},
    )
    db.commit()
    tuesday = slots_for(db, business, first_day=date(2026, 6, 2), last_day=date(2026, 6, 2), limit=None)
    times = local_times(tuesday)
    assert times[0] == "Tue 02 09:00" and "Tue 02 10:30" in times and "Tue 02 11:00" not in times
    assert times[-1] == "Tue 02 16:30" and "Tue 02 15:00" in times
    assert slots_for(db, business, first_day=date(2026, 6, 3), last_day=date(2026, 6, 3), limit=None) == []


def bookings_range(opens: str, closes: str):
    from ava_app.services.business_hours import TimeRangeIn

    return TimeRangeIn(open=opens, close=closes)


def test_outside_busy_times_block_slots_for_everyone_or_one_staff_member(db):
    business = setup_booking_business(db)
    sam, alex = business.staff
    morning = (paris(2026, 6, 2, 9, 0), paris(2026, 6, 2, 12, 0))
    first = slots_for(db, business, first_day=date(2026, 6, 2), busy=[morning], limit=1)
    assert local_times(first) == ["Tue 02 12:00"]
    first = slots_for(db, business, first_day=date(2026, 6, 2), staff_busy={sam.id: [morning]}, limit=1)
    assert [(slot.staff_name, local_times([slot])[0]) for slot in first] == [("Alex", "Tue 02 09:00")]


def test_a_business_without_hours_books_weekdays_nine_to_five(db):
    business = setup_booking_business(db, hours={})
    assert local_times(slots_for(db, business, first_day=date(2026, 6, 6), limit=1)) == ["Mon 08 09:00"]


# --- DST ------------------------------------------------------------------------------------------------------------


def test_paris_spring_forward_keeps_wall_clock_slots_and_skips_the_missing_hour(db):
    business = setup_booking_business(db, hours=EVERY_HOUR, min_notice_minutes=0, granularity_minutes=60)
    now = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    saturday, monday = (
        slots_for(db, business, now=now, first_day=day, last_day=day, limit=None)
        for day in (date(2026, 3, 28), date(2026, 3, 30))
    )
    nine = [slot for slot in saturday if slot.start_at.astimezone(PARIS).hour == 9][0]
    assert nine.start_at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # CET, UTC+1
    nine = [slot for slot in monday if slot.start_at.astimezone(PARIS).hour == 9][0]
    assert nine.start_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    sunday = slots_for(
        db,
        business,
        service_id=business.colour.id,
        now=now,
        first_day=date(2026, 3, 29),
        last_day=date(2026, 3, 29),
        limit=None,
    )
    hours = [slot.start_at.astimezone(PARIS).hour for slot in sunday]
    assert 2 not in hours and len(sunday) == 23 - 1  # 02:00 does not exist; 23:00 + 90 min runs past midnight
    one_am = sunday[1]
    assert one_am.start_at.astimezone(PARIS).strftime("%H:%M") == "01:00"
    # Ninety real minutes: 01:00 CET to 03:30 CEST.
    assert one_am.end_at.astimezone(PARIS).strftime("%H:%M") == "03:30"


def test_paris_fall_back_offers_the_repeated_hour_once(db):
    business = setup_booking_business(db, hours=EVERY_HOUR, min_notice_minutes=0, granularity_minutes=60)
    now = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
    sunday = slots_for(db, business, now=now, first_day=date(2026, 10, 25), last_day=date(2026, 10, 25), limit=None)
    walls = [slot.start_at.astimezone(PARIS).strftime("%H:%M") for slot in sunday]
    assert walls.count("02:00") == 1 and len(walls) == 24
    two = sunday[2]
    assert two.start_at == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # the first 02:00, still CEST
    booked = book(db, business, two.start_at, service_id=business.colour.id, now=now)
    assert booked.end_at.astimezone(PARIS).strftime("%H:%M") == "02:30"  # 90 real minutes, clocks went back


@pytest.mark.parametrize(
    ("before", "after", "before_utc_hour", "after_utc_hour"),
    [
        (date(2026, 3, 6), date(2026, 3, 9), 14, 13),  # EST (UTC-5) then EDT (UTC-4), changed Sunday 8 March
        (date(2026, 10, 30), date(2026, 11, 2), 13, 14),  # EDT then EST, changed Sunday 1 November
    ],
)
def test_new_york_slots_follow_the_us_change_dates(db, before, after, before_utc_hour, after_utc_hour):
    business = setup_booking_business(db, timezone="America/New_York", country="US")
    now = datetime.combine(before - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    for day, utc_hour in ((before, before_utc_hour), (after, after_utc_hour)):
        (first,) = slots_for(db, business, now=now, first_day=day, last_day=day, limit=1)
        assert first.start_at.astimezone(NEW_YORK).strftime("%H:%M") == "09:00"
        assert first.start_at.hour == utc_hour


def test_a_booking_made_before_the_change_is_held_at_its_wall_clock_time_after_it(db):
    business = setup_booking_business(db, timezone="America/New_York", country="US")
    now = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
    monday_9am = datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK)
    booking = book(db, business, monday_9am, now=now, caller_phone="(212) 555-0199", staff_id=business.staff[0].id)
    assert booking.start_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC) and booking.caller_phone == "+12125550199"
    taken = slots_for(db, business, now=now, staff_id=business.staff[0].id, first_day=date(2026, 3, 9), limit=1)
    assert taken[0].start_at.astimezone(NEW_YORK).strftime("%H:%M") == "10:00"  # 09:00 + 30 min + 10 min buffer


# --- booking, moving, cancelling ------------------------------------------------------------------------------------


def test_a_booking_is_stored_in_utc_with_the_number_in_e164_and_the_price_then(db):
    business = setup_booking_business(db)
    booking = book(db, business, paris(2026, 6, 2, 10, 0), notes="  first visit ")
    assert booking.start_at == datetime(2026, 6, 2, 8, 0, tzinfo=UTC) and booking.end_at == datetime(
        2026, 6, 2, 8, 30, tzinfo=UTC
    )
    assert booking.caller_phone == "+33612345678" and booking.price_minor == 2500 and booking.notes == "first visit"
    assert booking.staff_name == "Sam" and booking.service_name == "Haircut" and booking.status == "booked"
    row = db.get(Booking, booking.id)
    assert row.busy_until.replace(tzinfo=UTC) == datetime(2026, 6, 2, 8, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (paris(2026, 6, 1, 8, 30), "past"),
        (paris(2026, 6, 1, 9, 30), "unavailable"),  # inside the hour of notice
        (paris(2026, 6, 2, 18, 0), "unavailable"),  # after closing
        (paris(2026, 6, 2, 10, 15), "unavailable"),  # off the half-hour grid
        (paris(2026, 6, 6, 10, 0), "unavailable"),  # Saturday, closed
        (paris(2026, 9, 1, 10, 0), "unavailable"),  # beyond the 60-day horizon
    ],
)
def test_a_time_that_breaks_a_rule_is_refused_with_the_next_free_slots(db, start, reason):
    business = setup_booking_business(db)
    with pytest.raises(SlotUnavailable) as refused:
        book(db, business, start)
    assert refused.value.details["reason"] == reason
    assert refused.value.details["next_slots"] and all(
        slot.start_at > MONDAY_9AM_PARIS for slot in refused.value.details["next_slots"]
    )
    assert db.exec(select(Booking)).all() == []


def test_a_taken_time_is_refused_and_the_next_slots_come_after_it(db):
    business = setup_booking_business(db, staff_names=("Sam",))
    book(db, business, paris(2026, 6, 2, 10, 0))
    with pytest.raises(SlotUnavailable) as refused:
        book(db, business, paris(2026, 6, 2, 10, 0), caller_phone="+33699999999")
    assert local_times(refused.value.details["next_slots"]) == ["Tue 02 11:00", "Tue 02 11:30", "Tue 02 12:00"]


def test_owner_bookings_skip_the_rules_but_never_overlap(db):
    business = setup_booking_business(db, staff_names=("Sam",))
    late = book(db, business, paris(2026, 6, 2, 19, 0), check_rules=False, source="owner", caller_phone=None)
    assert late.source == "owner" and late.caller_phone is None
    with pytest.raises(SlotUnavailable):
        book(db, business, paris(2026, 6, 2, 19, 20), check_rules=False, source="owner")


def test_reschedule_may_overlap_its_own_old_time_and_checks_the_callers_number(db):
    business = setup_booking_business(db, staff_names=("Sam",))
    booking = book(db, business, paris(2026, 6, 2, 10, 0))
    with pytest.raises(Forbidden):
        bookings.reschedule_booking(
            db,
            tenant_id=business.tenant.id,
            booking_id=booking.id,
            start_at=paris(2026, 6, 2, 10, 30),
            caller_phone="+33700000000",
            now=MONDAY_9AM_PARIS,
        )
    moved = bookings.reschedule_booking(
        db,
        tenant_id=business.tenant.id,
        booking_id=booking.id,
        start_at=paris(2026, 6, 2, 10, 30),
        caller_phone="+33 6 12 34 56 78",
        now=MONDAY_9AM_PARIS,
    )
    db.commit()
    assert moved.id == booking.id and moved.start_at == paris(2026, 6, 2, 10, 30)
    times = local_times(slots_for(db, business, first_day=date(2026, 6, 2), limit=None))
    # 09:30 (with its buffer) now ends before the moved booking; 10:30 is the booking's own time.
    assert "Tue 02 09:30" in times and "Tue 02 10:30" not in times


def test_cancel_frees_the_time_and_find_by_phone_reads_any_spelling(db):
    business = setup_booking_business(db, staff_names=("Sam",))
    booking = book(db, business, paris(2026, 6, 2, 10, 0))
    found = bookings.find_bookings_by_phone(
        db, tenant_id=business.tenant.id, phone="+33612345678", now=MONDAY_9AM_PARIS
    )
    assert [item.id for item in found] == [booking.id]
    assert (
        bookings.find_bookings_by_phone(db, tenant_id=business.tenant.id, phone="0700000000", now=MONDAY_9AM_PARIS)
        == []
    )
    with pytest.raises(Forbidden):
        bookings.cancel_booking(db, tenant_id=business.tenant.id, booking_id=booking.id, caller_phone="0700000000")
    cancelled = bookings.cancel_booking(
        db, tenant_id=business.tenant.id, booking_id=booking.id, caller_phone="0612345678"
    )
    db.commit()
    assert cancelled.status == "cancelled"
    assert (
        bookings.find_bookings_by_phone(db, tenant_id=business.tenant.id, phone="0612345678", now=MONDAY_9AM_PARIS)
        == []
    )
    again = book(db, business, paris(2026, 6, 2, 10, 0))
    assert again.id != booking.id
    with pytest.raises(NotFound):
        bookings.cancel_booking(db, tenant_id=business.tenant.id, booking_id=booking.id)


def test_another_tenants_services_staff_and_bookings_are_out_of_reach(db):
    mine, theirs = setup_booking_business(db), setup_booking_business(db)
    booking = book(db, theirs, paris(2026, 6, 2, 10, 0))
    with pytest.raises(NotFound):
        bookings.find_slots(db, tenant_id=mine.tenant.id, service_id=theirs.haircut.id, now=MONDAY_9AM_PARIS)
    with pytest.raises(NotFound):
        book(db, mine, paris(2026, 6, 2, 11, 0), staff_id=theirs.staff[0].id)
    with pytest.raises(NotFound):
        bookings.get_booking(db, tenant_id=mine.tenant.id, booking_id=booking.id)
    with pytest.raises(NotFound):
        bookings.cancel_booking(db, tenant_id=mine.tenant.id, booking_id=booking.id)
    with pytest.raises(Invalid):
        bookings.add_staff(db, tenant_id=mine.tenant.id, name="Kim", service_ids=[theirs.haircut.id])


def test_owner_input_is_checked(db):
    business = setup_booking_business(db)
    with pytest.raises(Invalid) as problems:
        bookings.add_service(db, tenant_id=business.tenant.id, name=" ", duration_minutes=0, buffer_minutes=-1)
    assert set(problems.value.details["fields"]) == {"name", "duration_minutes", "buffer_minutes"}
    with pytest.raises(Invalid) as problems:
        bookings.save_booking_rules(
            db,
            tenant_id=business.tenant.id,
            enabled=True,
            min_notice_minutes=-5,
            horizon_days=0,
            granularity_minutes=7,
            max_per_day=0,
        )
    assert len(problems.value.details["fields"]) == 4
    with pytest.raises(Invalid):
        book(db, business, datetime(2026, 6, 2, 10, 0))  # no timezone
    with pytest.raises(Invalid):
        book(db, business, paris(2026, 6, 2, 10, 0), caller_phone="call me maybe")


# --- two callers, one slot ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("callers", [2, 6])
def test_concurrent_callers_for_one_slot_get_exactly_one_booking(engine, db, callers):
    business = setup_booking_business(db, staff_names=("Sam",))
    start = paris(2026, 6, 2, 10, 0)
    barrier = threading.Barrier(callers)
    outcomes: list[object] = []
    lock = threading.Lock()

    def caller(index: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                booking = bookings.create_booking(
                    session,
                    tenant_id=business.tenant.id,
                    service_id=business.haircut.id,
                    start_at=start,
                    caller_name=f"Caller {index}",
                    caller_phone=f"+3361234560{index}",
                    now=MONDAY_9AM_PARIS,
                )
                session.commit()
                result: object = booking
            except SlotUnavailable as exc:
                session.rollback()
                result = exc
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=caller, args=(index,)) for index in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    won = [item for item in outcomes if isinstance(item, bookings.BookingOut)]
    lost = [item for item in outcomes if isinstance(item, SlotUnavailable)]
    assert len(won) == 1 and len(lost) == callers - 1
    for refusal in lost:
        assert refusal.details["reason"] in ("taken", "unavailable")
        assert local_times(refusal.details["next_slots"])[0] == "Tue 02 11:00"
    db.expire_all()
    assert len(db.exec(select(Booking).where(Booking.status == "booked")).all()) == 1


def test_postgresql_refuses_overlapping_rows_written_around_the_service(db):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    business = setup_booking_business(db, staff_names=("Sam",))
    first = book(db, business, paris(2026, 6, 2, 10, 0))

    def copy(**changes) -> Booking:
        values = dict(
            tenant_id=business.tenant.id,
            service_id=first.service_id,
            staff_id=first.staff_id,
            start_at=first.start_at,
            end_at=first.end_at,
            busy_until=first.end_at + timedelta(minutes=10),
        )
        return Booking(**{**values, **changes})

    db.add(
        copy(start_at=paris(2026, 6, 2, 10, 20), end_at=paris(2026, 6, 2, 10, 50), busy_until=paris(2026, 6, 2, 11, 0))
    )
    with pytest.raises(IntegrityError) as refused:
        db.commit()
    assert "booking_staff_no_overlap" in str(refused.value)
    db.rollback()
    db.add(copy(status="cancelled"))
    db.add(
        copy(start_at=paris(2026, 6, 2, 10, 40), end_at=paris(2026, 6, 2, 11, 10), busy_until=paris(2026, 6, 2, 11, 20))
    )
    db.commit()  # a cancelled booking holds no time, and one may start when the last one's buffer ends


def test_a_new_business_that_books_starts_with_its_trades_services_and_booking_off(db):
    from ava_app.services import accounts, assistants
    from ava_app.services.principal import Principal

    def first_visit(name: str, industry: str, locale: str = "en"):
        owner = accounts.signup(
            db, name=f"{name} Owner", email=f"owner@{industry}.example", password="tulip-garage-42",
            organisation_name=name, industry=industry, locale=locale,
        )  # fmt: skip
        principal = Principal(user_id=owner.user_id, tenant_id=owner.tenant_id, role="admin")
        assistants.get_or_create_assistant(db, principal=principal)
        assistants.get_or_create_assistant(db, principal=principal)  # a second visit adds nothing
        return owner.tenant_id

    salon = first_visit("Salon Lumière", "salon", "fr")
    services = bookings.list_services(db, tenant_id=salon)
    assert sorted((s.name, s.duration_minutes, s.buffer_minutes, s.price_minor) for s in services) == [
        ("Brushing", 30, 0, None), ("Couleur", 90, 15, None), ("Coupe", 30, 10, None),
    ]  # fmt: skip
    (staff,) = bookings.list_staff(db, tenant_id=salon)
    assert staff.name == "Salon Lumière" and set(staff.service_ids) == {s.id for s in services}
    assert bookings.booking_rules(db, tenant_id=salon).enabled is False

    law = first_visit("Doe & Partners", "law_firm")
    assert bookings.list_services(db, tenant_id=law) == [] and bookings.list_staff(db, tenant_id=law) == []


def test_an_admin_gives_a_staff_member_own_hours_and_services_and_slots_follow(db):
    from ava_app.services import booking_admin
    from ava_app.services.errors import Forbidden, NotFound
    from ava_app.services.principal import Principal
    from tests.unit.booking_setup import setup_booking_business

    salon = setup_booking_business(db, staff_names=("Sam",))
    (sam,) = salon.staff
    admin = Principal(user_id=None, tenant_id=salon.tenant.id, role="admin")
    viewer = Principal(user_id=None, tenant_id=salon.tenant.id, role="viewer")
    mornings = {"mon": [{"open": "09:00", "close": "12:00"}]}
    with pytest.raises(Forbidden):
        booking_admin.save_staff(
            db, principal=viewer, staff_id=sam.id, name="Sam", service_ids=[salon.haircut.id], working_hours=mornings
        )
    saved = booking_admin.save_staff(
        db, principal=admin, staff_id=sam.id, name="Sam", service_ids=[salon.haircut.id], working_hours=mornings
    )
    assert saved.service_ids == (salon.haircut.id,)
    assert saved.working_hours["mon"] == [{"open": "09:00", "close": "12:00"}] and saved.working_hours["tue"] == []
    db.commit()
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
    slots = bookings.find_slots(
        db, tenant_id=salon.tenant.id, service_id=salon.haircut.id, now=monday, limit=None,
        first_day=date(2026, 12, 7), last_day=date(2026, 12, 11),
    )  # fmt: skip
    local = [slot.start_at.astimezone(ZoneInfo("Europe/Paris")) for slot in slots]
    assert local and all(moment.weekday() == 0 and 9 <= moment.hour < 12 for moment in local)
    # The colour is no longer Sam's: nobody does it.
    assert bookings.find_slots(db, tenant_id=salon.tenant.id, service_id=salon.colour.id, now=monday) == []
    other = setup_booking_business(db, staff_names=("Lou",))
    with pytest.raises(NotFound):
        booking_admin.staff_member(db, principal=admin, staff_id=other.staff[0].id)
