"""The owner's /bookings events: the week and the list, creating from a free slot, moving, cancelling, the message
with the next free times when a slot was taken meanwhile, and viewers who only read."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest

from ava_app.models import Tenant, utcnow
from ava_app.services import accounts, bookings
from ava_app.services.passwords import hash_password
from ava_app.state.bookings import BookingsState
from tests.factories import make_phone_number, make_user
from tests.unit.test_state_tenant_isolation import Organisation, open_page, run, state_of

PASSWORD = "tulip-garage-42"
ALWAYS_OPEN = {day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


def _organisation(auth: accounts.AuthResult) -> Organisation:
    return Organisation(
        tenant_id=auth.tenant_id, admin=auth, user_ids=[], session_ids=[], assistant_id=0, versions=[], number_ids=[],
        call_ids=[],
    )  # fmt: skip


@pytest.fixture()
def salon(db, jobs):
    owner = accounts.signup(
        db,
        name="Sam Owner",
        email="owner@salon.example",
        password=PASSWORD,
        organisation_name="Salon",
        industry="salon",
    )
    tenant_id = owner.tenant_id
    make_phone_number(db, tenant=db.get(Tenant, tenant_id), business_hours=ALWAYS_OPEN)
    bookings.save_booking_rules(
        db, tenant_id=tenant_id, enabled=True, min_notice_minutes=0, horizon_days=30, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    service = bookings.add_service(
        db, tenant_id=tenant_id, name="Haircut", duration_minutes=30, price_minor=2500, buffer_minutes=0
    )
    bookings.add_staff(db, tenant_id=tenant_id, name="Alex", service_ids=[service.id])
    db.commit()
    return owner, service


async def test_owner_creates_edits_and_cancels_a_booking_from_free_slots(db, salon):
    owner, service = salon
    state = state_of(BookingsState, _organisation(owner))
    assert await run(state, "load_bookings") == []
    assert len(state.days) == 7 and sum(day["today"] for day in state.days) == 1
    assert state.rows == [] and state.enabled and state.service_options[0]["name"] == "Haircut"

    await run(state, "open_create")
    assert state.form_open, state.form_error  # today may have no time left: the test books tomorrow
    # Tomorrow, so every time of the day is still to come.
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    await run(state, "set_form_day", tomorrow)
    first, second = state.slots[0]["value"], state.slots[1]["value"]
    assert await run(state, "save_booking", {"caller_name": "Jordan"}) == []
    assert state.form_error  # no time picked yet
    await run(state, "pick_slot", first)
    events = await run(state, "save_booking", {"caller_name": "Jordan", "caller_phone": "+33612345678"})
    assert events == ["toast:success"], (events, state.form_error)
    assert not state.form_open
    await run(state, "set_view", "list")
    [row] = state.rows
    assert row["caller"] == "Jordan" and row["tel"] == "tel:+33612345678" and row["service"] == "Haircut"
    assert "25" in row["price"] and row["staff"] == "Alex" and row["call_href"] == ""

    # A second booking at the same time: refused with the next free times, the form stays open.
    await run(state, "open_create")
    await run(state, "set_form_day", tomorrow)
    assert first not in [slot["value"] for slot in state.slots]
    state.form_slot = first
    await run(state, "save_booking", {"caller_name": "Robin"})
    assert state.form_open and "no longer free" in state.form_error and "Next free times" in state.form_error
    await run(state, "close_form")

    await run(state, "open_edit", row["id"])
    assert state.form_mode == "edit" and state.form_slot == first and state.form_fields["caller_name"] == "Jordan"
    await run(state, "set_form_day", tomorrow)
    await run(state, "pick_slot", second)
    form = {"caller_name": "Jordan", "caller_phone": state.form_fields["caller_phone"]}
    assert await run(state, "save_booking", form) == ["toast:success"], state.form_error
    [moved] = bookings.list_bookings(
        db, tenant_id=owner.tenant_id, start=utcnow() - timedelta(days=1), end=utcnow() + timedelta(days=30)
    )
    assert moved.start_at.isoformat() == second

    await run(state, "ask_cancel", row["id"])
    assert state.cancel_label
    assert await run(state, "confirm_cancel") == ["toast:success"]
    assert state.rows == []
    assert bookings.get_booking(db, tenant_id=owner.tenant_id, booking_id=row["id"]).status == "cancelled"


async def test_a_viewer_sees_bookings_but_cannot_change_them(db, salon):
    owner, service = salon
    start = bookings.find_slots(db, tenant_id=owner.tenant_id, service_id=service.id, now=utcnow(), limit=1)[0]
    booking = bookings.create_booking(
        db, tenant_id=owner.tenant_id, service_id=service.id, start_at=start.start_at, caller_name="Jordan"
    )

    make_user(
        db, tenant=db.get(Tenant, owner.tenant_id), role="viewer", email="viewer@salon.example",
        password_hash=hash_password(PASSWORD), email_verified=True,
    )  # fmt: skip
    db.commit()
    viewer = accounts.login(db, email="viewer@salon.example", password=PASSWORD, user_agent="viewer")
    state = state_of(BookingsState, _organisation(viewer))
    await run(state, "set_view", "list")
    assert [row["id"] for row in state.rows] == [booking.id]
    await run(state, "open_create")
    assert state.slots == [] and state.form_error
    await run(state, "ask_cancel", booking.id)
    assert await run(state, "confirm_cancel") == ["toast:error"]
    assert bookings.get_booking(db, tenant_id=owner.tenant_id, booking_id=booking.id).status == "booked"


async def test_settings_keep_bad_input_and_name_the_field(db, salon):
    owner, service = salon
    state = state_of(BookingsState, _organisation(owner))
    await run(state, "load_bookings")
    await run(state, "toggle_settings")
    assert state.rules_form["enabled"] == "on" and [row["name"] for row in state.services] == ["Haircut"]
    bad = {"enabled": "on", "min_notice_minutes": "soon", "horizon_days": "10", "granularity_minutes": "7"}
    assert await run(state, "save_rules", bad) == []
    assert set(state.settings_errors) == {"min_notice_minutes"} and state.rules_form["min_notice_minutes"] == "soon"
    bad["min_notice_minutes"] = "30"
    assert await run(state, "save_rules", bad) == []
    assert set(state.settings_errors) == {"granularity_minutes"}
    assert bookings.booking_rules(db, tenant_id=owner.tenant_id).granularity_minutes == 30  # nothing saved

    assert await run(state, "add_service", {"name": "", "duration": "2"}) == []
    assert set(state.settings_errors) == {"service_name", "service_duration"}
    assert await run(state, "add_service", {"name": "Colour", "duration": "60", "price": "49,90"}) == ["toast:success"]
    colour = next(row for row in state.services if row["name"] == "Colour")
    assert colour["price"] == "49.90"
    # Added after the staff member, the service is theirs too: it has free slots.
    assert bookings.find_slots(db, tenant_id=owner.tenant_id, service_id=colour["id"], now=utcnow(), limit=1)
    assert await run(state, "deactivate_service", service.id) == ["toast:success"]
    assert [row["name"] for row in state.services] == ["Colour"]


async def test_a_link_opens_the_list_a_week_or_the_settings(db, salon):
    from tests.unit.test_state_tenant_isolation import open_page

    owner, _ = salon
    state = state_of(BookingsState, _organisation(owner))
    state.business_country = "FR"  # a French business's weeks start on Monday
    open_page(state, "/bookings?week=2026-06-03&settings=1", "/bookings")
    assert await run(state, "load_bookings") == []
    assert state.week_start == "2026-06-01" and state.settings_open and state.services
    state.business_country = "US"  # an American one's on Sunday
    await run(state, "load_bookings")
    assert state.week_start == "2026-05-31" and [day["name"] for day in state.days][:2] == ["Sun", "Mon"]
    state.business_country = "FR"
    open_page(state, "/bookings?view=list&week=nonsense", "/bookings")
    await run(state, "load_bookings")
    assert state.view == "list" and not state.settings_open
    # A booking link with an id no booking can have, or none at all: the page as usual, nothing on top.
    for wanted in ("99999999999", "-3", "first"):
        open_page(state, f"/bookings?booking={wanted}", "/bookings")
        assert await run(state, "load_bookings") == [] and state.focus == {}, wanted
    open_page(state, "/bookings?booking=424242", "/bookings")
    assert await run(state, "load_bookings") == ["toast:error"] and state.focus == {}


async def test_an_address_typed_by_the_owner_is_checked_and_gets_the_confirmation(db, salon):
    from sqlmodel import select

    from ava_app.models import Booking, Outbox

    owner, _service = salon
    state = state_of(BookingsState, _organisation(owner))
    await run(state, "load_bookings")
    await run(state, "open_create")
    await run(state, "set_form_day", (utcnow() + timedelta(days=1)).date().isoformat())
    await run(state, "pick_slot", state.slots[0]["value"])
    form = {"caller_name": "Jordan", "caller_phone": "+33612345678", "caller_email": "jordan@"}
    assert await run(state, "save_booking", form) == []
    assert state.form_open and state.form_error == "This email address is not valid. Correct it, or leave it empty."
    assert db.exec(select(Booking)).all() == []

    assert await run(state, "save_booking", {**form, "caller_email": "jordan@example.org"}) == ["toast:success"]
    db.expire_all()
    [booking] = db.exec(select(Booking)).all()
    assert booking.caller_email == "jordan@example.org"
    [mail] = db.exec(select(Outbox).where(Outbox.channel == "email", Outbox.to == "jordan@example.org")).all()
    assert mail.subject.startswith("Salon: your Haircut is booked for")


async def test_the_staff_and_service_filters_narrow_the_week_and_the_list(db, salon):
    owner, haircut = salon
    tenant_id = owner.tenant_id
    colour = bookings.add_service(db, tenant_id=tenant_id, name="Colour", duration_minutes=30)
    alex = bookings.list_staff(db, tenant_id=tenant_id)[0]
    robin = bookings.add_staff(db, tenant_id=tenant_id, name="Robin", service_ids=[haircut.id, colour.id])
    bookings.update_staff(
        db, tenant_id=tenant_id, staff_id=alex.id, name="Alex", service_ids=[haircut.id, colour.id],
        working_hours=alex.working_hours,
    )  # fmt: skip
    day = (utcnow() + timedelta(days=1)).date()
    made = {}
    for service, member, caller in ((haircut, alex, "Ann"), (colour, alex, "Bea"), (haircut, robin, "Cy")):
        slot = bookings.find_slots(
            db, tenant_id=tenant_id, service_id=service.id, staff_id=member.id, now=utcnow(), first_day=day, limit=1
        )[0]
        made[caller] = bookings.create_booking(
            db, tenant_id=tenant_id, service_id=service.id, staff_id=member.id, start_at=slot.start_at,
            caller_name=caller, check_rules=False,
        )  # fmt: skip
    db.commit()
    state = state_of(BookingsState, _organisation(owner))
    open_page(state, f"/bookings?week={day.isoformat()}", "/bookings")
    await run(state, "load_bookings")

    def week() -> list[str]:
        return sorted(item["caller"] for column in state.days for item in column["items"])

    assert week() == ["Ann", "Bea", "Cy"]
    await run(state, "set_filter_staff", str(robin.id))
    assert week() == ["Cy"] and [row["caller"] for row in state.rows] == ["Cy"]
    await run(state, "set_filter_staff", "all")
    await run(state, "set_filter_service", str(colour.id))
    assert week() == ["Bea"]
    await run(state, "set_filter_staff", str(alex.id))
    assert week() == ["Bea"]
    await run(state, "set_filter_service", str(haircut.id))
    assert week() == ["Ann"]
    await run(state, "set_view", "list")
    assert [row["caller"] for row in state.rows] == ["Ann"]
    await run(state, "set_filter_staff", "all")
    assert sorted(row["caller"] for row in state.rows) == ["Ann", "Cy"]
    await run(state, "set_filter_service", "all")
    assert sorted(row["caller"] for row in state.rows) == ["Ann", "Bea", "Cy"]


async def test_the_edit_changes_every_field_and_keeps_what_was_typed_when_refused(db, salon, monkeypatch):
    from sqlmodel import select

    from ava_app.models import Booking, Outbox, PhoneNumber
    from ava_app.services import booking_admin

    owner, haircut = salon
    tenant_id = owner.tenant_id
    tenant = db.get(Tenant, tenant_id)
    tenant.country = "FR"
    db.add(tenant)
    for number in db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant_id)).all():
        number.twilio_sid = "PN" + "1" * 32  # a Twilio number: the business's texts go from it
        db.add(number)
    colour = bookings.add_service(db, tenant_id=tenant_id, name="Colour", duration_minutes=60, price_minor=4900)
    alex = bookings.list_staff(db, tenant_id=tenant_id)[0]
    bookings.update_staff(
        db, tenant_id=tenant_id, staff_id=alex.id, name="Alex", service_ids=[haircut.id, colour.id],
        working_hours=alex.working_hours,
    )  # fmt: skip
    robin = bookings.add_staff(db, tenant_id=tenant_id, name="Robin", service_ids=[haircut.id, colour.id])
    day = (utcnow() + timedelta(days=2)).date()
    free = bookings.find_slots(
        db, tenant_id=tenant_id, service_id=haircut.id, staff_id=alex.id, now=utcnow(), first_day=day, limit=8
    )
    mine = bookings.create_booking(
        db, tenant_id=tenant_id, service_id=haircut.id, staff_id=alex.id, start_at=free[0].start_at,
        caller_name="Jordan", caller_phone="+33612345678", source="assistant",
    )  # fmt: skip
    # Robin is busy at the third free time of the day: moving there with Robin is refused.
    other = bookings.create_booking(
        db, tenant_id=tenant_id, service_id=haircut.id, staff_id=robin.id, start_at=free[4].start_at,
        caller_name="Taken",
    )  # fmt: skip
    db.commit()
    synced: list[int] = []
    real_sync = booking_admin.sync_after_commit
    monkeypatch.setattr(
        booking_admin, "sync_after_commit", lambda s, **kw: (synced.append(kw["booking_id"]), real_sync(s, **kw))
    )
    state = state_of(BookingsState, _organisation(owner))
    open_page(state, f"/bookings?week={day.isoformat()}", "/bookings")
    state.business_country = "FR"  # what the page's on-load guard reads for this business
    await run(state, "load_bookings")
    await run(state, "open_edit", mine.id)
    assert (state.form_service, state.form_staff, state.form_slot) == (
        str(haircut.id),
        str(alex.id),
        free[0].start_at.isoformat(),
    )
    assert state.form_fields == {"caller_name": "Jordan", "caller_phone": "06 12 34 56 78", "caller_email": "",
                                 "notes": ""}  # fmt: skip
    assert state.form_current_label.startswith("Now booked for ")

    # Only the caller's details: saved, nobody is texted about a time that did not change.
    typed = {"caller_name": "Jordan Lee", "caller_phone": "07 98 76 54 32", "caller_email": "", "notes": "Allergic"}
    assert await run(state, "save_booking", typed) == ["toast:success"], state.form_error
    db.expire_all()
    saved = db.get(Booking, mine.id)
    assert (saved.caller_name, saved.caller_phone, saved.notes) == ("Jordan Lee", "+33798765432", "Allergic")
    assert saved.moved_at is None and synced == [mine.id]
    assert db.exec(select(Outbox).where(Outbox.channel == "sms")).all() == []

    # Robin at a time Robin is busy, with a new service, a bad number and a bad address: each refusal says why and
    # the form keeps every field as typed.
    await run(state, "open_edit", mine.id)
    await run(state, "set_form_service", str(colour.id))
    await run(state, "set_form_staff", str(robin.id))
    bad = {"caller_name": "Jordan Lee", "caller_phone": "12", "caller_email": "jordan@", "notes": "Allergic"}
    state.form_slot = free[4].start_at.isoformat()
    assert await run(state, "save_booking", bad) == []
    assert state.form_error == "This email address is not valid. Correct it, or leave it empty."
    assert state.form_open and state.form_fields == bad
    bad["caller_email"] = "jordan@example.org"
    state.form_slot = free[4].start_at.isoformat()
    assert await run(state, "save_booking", bad) == []
    assert "e.g. 06 12 34 56 78" in state.form_field_errors["caller_phone"] and state.form_fields == bad
    bad["caller_phone"] = "+33612345678"
    state.form_slot = free[4].start_at.isoformat()
    assert await run(state, "save_booking", bad) == []
    assert "no longer free" in state.form_error and "Next free times" in state.form_error
    assert state.form_open and state.form_fields == bad and state.form_service == str(colour.id)
    db.expire_all()
    assert db.get(Booking, mine.id).service_id == haircut.id  # nothing changed

    # A free time: the service, staff and time change, the price follows the service, the caller is told.
    await run(state, "pick_slot", free[6].start_at.isoformat())
    assert await run(state, "save_booking", bad) == ["toast:success"], state.form_error
    db.expire_all()
    saved = db.get(Booking, mine.id)
    assert (saved.service_id, saved.staff_id, saved.price_minor) == (colour.id, robin.id, 4900)
    assert saved.start_at.replace(tzinfo=None) == free[6].start_at.replace(tzinfo=None)
    assert saved.caller_email == "jordan@example.org" and saved.moved_at is not None
    assert synced == [mine.id, mine.id] and db.get(Booking, other.id).status == "booked"
    [mail] = db.exec(select(Outbox).where(Outbox.channel == "email", Outbox.to == "jordan@example.org")).all()
    assert "Colour" in mail.subject and "moved" in mail.subject
    [text] = db.exec(select(Outbox).where(Outbox.channel == "sms")).all()
    assert text.to == "+33612345678" and text.body_text.startswith("Salon: your Colour has moved to ")
    assert "with Robin" in text.body_text
    assert state.rows and any(row["status"] == "Moved" for row in state.rows)
