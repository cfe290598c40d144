"""The bookings of a call, for the owner: the one the assistant made on the call is linked to it, shows on the call's
page ("Booking" card, with its state as it now stands and its link to the Bookings page) and in the call's summary
email (English and French, a US business's 12-hour clock, its currency), and the Bookings page links back."""

from __future__ import annotations

import importlib
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from ava_app.models import Booking, Call, Outbox, utcnow
from ava_app.services import accounts, booking_admin, bookings, post_call, regional
from ava_app.services.principal import Principal
from ava_app.state.bookings import BookingsState
from ava_app.state.call_detail import CallDetailState
from tests.factories import make_call, make_tenant, make_user
from tests.unit.test_booking_tools import answer, booked, clinic
from tests.unit.test_sms import emulator
from tests.unit.test_state_tenant_isolation import PASSWORD, open_page, run, state_of
from tests.unit.vapi_messages import calls

__all__ = ["clinic", "emulator"]

CALLER = "+16505550199"
SLOT = {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Jordan Lee"}


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


class Member:
    """What ``state_of`` needs: a signed-in member's tokens."""

    def __init__(self, admin: accounts.AuthResult) -> None:
        self.admin = admin


def _signed_in_owner(db, tenant) -> Member:
    from ava_app.services.passwords import hash_password

    make_user(
        db, tenant=tenant, email="owner@brightsmile.example", password_hash=hash_password(PASSWORD),
        email_verified=True, locale="en",
    )  # fmt: skip
    db.commit()
    return Member(accounts.login(db, email="owner@brightsmile.example", password=PASSWORD, user_agent="test"))


def _booked_on_a_call(db, *, notes: str = "") -> tuple[Booking, Call]:
    answer(db, "book_appointment", {**SLOT, "notes": notes} if notes else SLOT)
    (booking,) = booked(db)
    (call,) = calls(db)
    return booking, call


def _summary_mails(db, call_id: int) -> dict[str, Outbox]:
    rows = db.exec(
        select(Outbox).where(col(Outbox.dedupe_key).startswith(f"{post_call.SUMMARY_KEY_PREFIX}:{call_id}:"))
    ).all()
    return {row.to: row for row in rows}


def test_the_summary_email_shows_the_booking_made_on_the_call_in_english_and_french(db, clinic):
    tenant, _assistant, _service = clinic
    tenant.country, tenant.currency = "US", "USD"
    db.add(tenant)
    make_user(db, tenant=tenant, email="owner@brightsmile.example", locale="en")
    make_user(db, tenant=tenant, email="associee@brightsmile.example", locale="fr")
    db.commit()
    booking, call = _booked_on_a_call(db, notes="card 4111 1111 1111 1111")
    assert booking.call_id == call.id

    post_call._send_summary_emails(db, call=db.get(Call, call.id))
    mails = _summary_mails(db, call.id)
    english, french = mails["owner@brightsmile.example"], mails["associee@brightsmile.example"]
    link = f"/bookings?booking={booking.id}"

    # English, a US business: its own timezone (11:00 in San Francisco, 18:00 UTC) on a 12-hour clock, dollars.
    text = english.body_text
    assert "Booking:\nService: Cleaning\nWhen: Jun 4, 2025, 11:00 AM\nWith: Dr. Kim\nPrice: $120.00\n" in text
    assert "Status: Booked on this call\nSee it on the Bookings page: http" in text
    assert text.count(link) == 1 and text.index("Summary:") < text.index("Booking:") < text.index("View the call")
    assert "11:00 AM" in english.body_html and "$120.00" in english.body_html and "Dr. Kim" in english.body_html
    assert f'{link}" style=' in english.body_html and "Booked on this call" in english.body_html

    # French, for the member who reads AVA in French: French words and clock (as every French page of AVA writes
    # a US business's times), the business's timezone and currency.
    text = french.body_text
    assert "Rendez-vous :\nPrestation : Cleaning\nDate : 4 juin 2025 à 11:00\nAvec : Dr. Kim\n" in text
    assert "Prix : 120,00\u00a0$US\nStatut : Réservé pendant l'appel\n" in text
    assert "Le voir sur la page Rendez-vous : http" in text and link in french.body_html

    # Only what the business set and the time: the caller's name and notes (what they said) stay out.
    for mail in (english, french):
        assert "4111" not in mail.body_text + mail.body_html and "Jordan" not in mail.body_text + mail.body_html


def test_a_call_without_a_booking_has_no_booking_section(db, clinic):
    tenant, *_ = clinic
    make_user(db, tenant=tenant, email="owner@brightsmile.example", locale="en")
    call = make_call(db, tenant=tenant, summary="Asked where the clinic is.", summary_status="done")
    post_call._send_summary_emails(db, call=call)
    (mail,) = _summary_mails(db, call.id).values()
    assert "Booking" not in mail.body_text and "/bookings" not in mail.body_html


async def test_the_call_page_shows_the_booking_and_its_state_as_it_now_stands(db, clinic):
    tenant, _assistant, service = clinic
    owner = _signed_in_owner(db, tenant)
    booking, call = _booked_on_a_call(db)
    state = state_of(CallDetailState, owner)
    open_page(state, f"/calls/{call.id}", "/calls/[id]", {"id": str(call.id)})
    assert await run(state, "load_call") == []
    [row] = state.booking_rows
    assert row["service"] == "Cleaning" and row["staff"] == "Dr. Kim" and row["price"] == "$120.00"
    assert row["when"] == "Jun 4, 2025, 11:00 AM" and row["state"] == "Booked"
    assert row["href"] == f"/bookings?booking={booking.id}"

    # The owner moves it later on the Bookings page: the call's card says so (and in French, for a French reader).
    principal = Principal(user_id=owner.admin.user_id, tenant_id=tenant.id, role="admin")
    later = bookings.find_slots(db, tenant_id=tenant.id, service_id=service.id, now=utcnow(), limit=1)[0]
    booking_admin.edit(
        db, principal=principal, booking_id=booking.id, service_id=service.id, start_at=later.start_at,
        caller_name="Jordan Lee", caller_phone=CALLER, caller_email="", notes="",
    )  # fmt: skip
    db.commit()
    state.lang = "fr"
    await run(state, "load_call")
    [row] = state.booking_rows
    assert row["state"] == "Déplacé" and row["price"] == "120,00\u00a0$US"
    booking_admin.cancel(db, principal=principal, booking_id=booking.id)
    db.commit()
    await run(state, "load_call")
    assert [row["state"] for row in state.booking_rows] == ["Annulé"]

    # The Bookings page opened by that link shows it on top, cancelled, with its link back to the call.
    page = state_of(BookingsState, owner)
    page.business_country = "US"  # what the page's on-load guard reads for this business
    open_page(page, f"/bookings?booking={booking.id}", "/bookings")
    assert await run(page, "load_bookings") == []
    assert page.focus["id"] == booking.id and page.focus["status"] == "Cancelled" and not page.focus["live"]
    assert page.focus["call_href"] == f"/calls/{call.id}"
    local_day = regional.to_local(later.start_at, tenant.timezone).date()  # the week of its time is open
    # A US business's weeks start on Sunday, as its date fields' calendar shows them.
    assert page.week_start == booking_admin.local_week_start(local_day, 6).isoformat()
    assert date.fromisoformat(page.week_start).weekday() == 6


def test_a_booking_moved_on_a_later_call_is_that_calls_too(db, clinic):
    tenant, _assistant, service = clinic
    booking, first_call = _booked_on_a_call(db)
    second = make_call(db, tenant=tenant, minutes_ago=1, duration=60, caller_number=CALLER)
    later = bookings.find_slots(db, tenant_id=tenant.id, service_id=service.id, now=utcnow(), limit=1)[0]
    bookings.reschedule_booking(
        db, tenant_id=tenant.id, booking_id=booking.id, start_at=later.start_at, caller_phone=CALLER,
        now=second.started_at + timedelta(seconds=30),
    )  # fmt: skip
    db.commit()
    [moved] = bookings.bookings_of_call(db, tenant_id=tenant.id, call_id=second.id)
    assert moved.id == booking.id and moved.state == "moved"
    # Still the first call's booking (it made it), now moved; another business's call sees none of it.
    assert [item.state for item in bookings.bookings_of_call(db, tenant_id=tenant.id, call_id=first_call.id)] == [
        "moved"
    ]
    other = make_tenant(db, name="Other clinic")
    theirs = make_call(db, tenant=other, minutes_ago=1, duration=60, caller_number=CALLER)
    assert bookings.bookings_of_call(db, tenant_id=other.id, call_id=theirs.id) == []
    assert bookings.bookings_of_call(db, tenant_id=other.id, call_id=second.id) == []
