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
from tests.unit.test_state_tenant_isolation import Organisation, run, state_of

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
    assert state.form_open and state.slots, state.form_error
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
    open_page(state, "/bookings?week=2026-06-03&settings=1", "/bookings")
    assert await run(state, "load_bookings") == []
    assert state.week_start == "2026-06-01" and state.settings_open and state.services
    open_page(state, "/bookings?view=list&week=nonsense", "/bookings")
    await run(state, "load_bookings")
    assert state.view == "list" and not state.settings_open


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
