"""The owner's bookings page in the browser: a booking made from a free slot shows in the week, is moved to another
free time, then cancelled after the confirmation; a booking the assistant made on a call shows on the call's page,
opens on the Bookings page from there, and the owner's edit of its time texts the caller the new time."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from ava_app.models import Booking, PhoneNumber, utcnow
from ava_app.services import bookings, regional
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.e2e.test_text_back import CALLER, texts_to_the_caller, twilio_number_through_the_api
from tests.factories import make_call, make_phone_number

pytestmark = pytest.mark.e2e
ALWAYS_OPEN = {day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_owner_books_a_free_slot_sees_it_in_the_week_moves_and_cancels_it(live_server: str, page: Page, db: Session):
    tenant = make_business(db, name="Salon Booking E2E")
    owner = make_member(db, tenant=tenant)
    make_phone_number(db, tenant=tenant, business_hours=ALWAYS_OPEN)
    bookings.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=0, horizon_days=30, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    service = bookings.add_service(db, tenant_id=tenant.id, name="Beard trim", duration_minutes=30, price_minor=1500)
    bookings.add_staff(db, tenant_id=tenant.id, name="Morgan", service_ids=[service.id])
    db.commit()
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    # The day field reads days as the business writes them (a US business: month first), when it is left.
    typed = regional.format_date_input(date.fromisoformat(tomorrow), language="en", country=tenant.country)

    log_in(page, live_server, owner.email)
    page.goto(f"{live_server}/bookings?week={tomorrow}")
    expect(page.get_by_role("heading", name="Bookings")).to_be_visible()

    page.get_by_role("button", name="New booking").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Day").fill(typed)
    dialog.get_by_label("Day").press("Tab")
    # The times of the day typed, not those the dialog showed before the change reached the server (near midnight
    # they are today's, and a booking made today is not in tomorrow's week when tomorrow is a Monday).
    slots = dialog.locator(f'.booking-slot[data-start^="{tomorrow}"]')
    expect(slots.first).to_be_visible()
    first_time = slots.first.inner_text().split(" · ")[0]
    slots.first.click()
    dialog.get_by_label("Caller's name").fill("Jordan Weekview")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Booking created.")).to_be_visible()
    block = page.locator(".booking-block").filter(has_text="Jordan Weekview")
    expect(block).to_be_visible()
    expect(block).to_contain_text(first_time)
    expect(block).to_contain_text("Beard trim")

    block.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Day").fill(typed)
    dialog.get_by_label("Day").press("Tab")
    later = dialog.locator(f'.booking-slot[data-start^="{tomorrow}"]').nth(2)
    expect(later).to_be_visible()
    later_time = later.inner_text().split(" · ")[0]
    later.click()
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Booking saved.")).to_be_visible()
    expect(block).to_contain_text(later_time)

    block.get_by_role("button", name="Cancel").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_text("Booking cancelled.")).to_be_visible()
    expect(page.locator(".booking-block").filter(has_text="Jordan Weekview")).to_have_count(0)
    [cancelled] = bookings.list_bookings(
        db, tenant_id=tenant.id, start=utcnow(), end=utcnow() + timedelta(days=3), include_cancelled=True
    )
    assert cancelled.status == "cancelled"


def test_owner_edits_a_booking_the_assistant_made_and_the_caller_is_texted_the_new_time(
    live_server: str, live_sandbox_keys, page: Page, db: Session
):
    tenant = make_business(db, name="Brooklyn Barbers E2E")
    tenant.country, tenant.timezone, tenant.currency, tenant.locale = "US", "America/New_York", "USD", "en"
    db.add(tenant)
    owner = make_member(db, tenant=tenant, name="Owen Edit")
    db.commit()
    twilio_number_through_the_api(live_server, owner.email)  # the business's texts go from its Twilio number
    number = db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == tenant.id)).one()
    number.business_hours = ALWAYS_OPEN
    db.add(number)
    bookings.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=0, horizon_days=30, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    service = bookings.add_service(db, tenant_id=tenant.id, name="Skin fade", duration_minutes=30, price_minor=3500)
    bookings.add_staff(db, tenant_id=tenant.id, name="Rico", service_ids=[service.id])
    # The call on which the assistant booked, and its booking (as the booking tool makes it).
    call = make_call(db, tenant=tenant, caller_number=CALLER, summary="Booked a skin fade.", summary_status="done")
    tomorrow = regional.to_local(utcnow(), tenant.timezone).date() + timedelta(days=1)
    free = bookings.find_slots(
        db, tenant_id=tenant.id, service_id=service.id, now=utcnow(), first_day=tomorrow, last_day=tomorrow, limit=40
    )
    booking = bookings.create_booking(
        db, tenant_id=tenant.id, service_id=service.id, start_at=free[18].start_at, caller_name="Jordan Caller",
        caller_phone=CALLER, source="assistant", call_id=call.id,
    )  # fmt: skip
    db.commit()

    log_in(page, live_server, owner.email)
    page.goto(f"{live_server}/calls/{call.id}")
    card = page.locator("#call-booking")
    expect(card).to_contain_text("Skin fade")
    expect(card).to_contain_text("Rico")
    expect(card).to_contain_text("$35.00")
    expect(card).to_contain_text("9:00 AM")  # the 19th half hour of the day, New York time, 12-hour clock
    expect(card).to_contain_text("Booked")
    card.get_by_role("link", name="Open on the Bookings page").click()
    expect(page).to_have_url(re.compile(rf"/bookings\?booking={booking.id}$"))
    focus = page.locator("#booking-focus")
    expect(focus).to_contain_text("Jordan Caller")
    expect(focus.get_by_role("link", name="Call")).to_have_attribute("href", f"/calls/{call.id}")

    focus.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Caller's name")).to_have_value("Jordan Caller")
    expect(dialog.get_by_label("Caller's phone (optional)")).to_have_value("(650) 555-0187")
    expect(dialog.locator("#booking-current")).to_contain_text("9:00")
    later = dialog.locator(f'.booking-slot[data-start="{free[22].start_at.isoformat()}"]')
    expect(later).to_be_visible()
    new_time = later.inner_text().split(" · ")[0]
    later.click()
    dialog.get_by_label("Notes (optional)").fill("Prefers the window chair")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Booking saved.")).to_be_visible()
    expect(focus).to_contain_text(new_time)
    expect(focus).to_contain_text("Moved")

    # The caller's text about the change, as the sandbox Twilio account sent it, carries the new time.
    deadline, texts = time.monotonic() + 30, []
    while not texts:
        assert time.monotonic() < deadline, "no text about the change reached the caller"
        time.sleep(0.5)
        sent = texts_to_the_caller(live_server, live_sandbox_keys.twilio_auth_token)
        texts = [text for text in sent if text.startswith("Brooklyn Barbers E2E") and "moved" in text]
    (text,) = texts
    plain = new_time.replace("\u202f", " ")
    assert text.startswith("Brooklyn Barbers E2E: your Skin fade has moved to ") and plain in text, (text, plain)
    db.expire_all()
    saved = db.get(Booking, booking.id)
    assert saved.notes == "Prefers the window chair" and saved.moved_at is not None and saved.call_id == call.id

    # The call's card says it moved; the pages in both languages, both themes, a phone and a desktop.
    page.goto(f"{live_server}/calls/{call.id}")
    expect(page.locator("#call-booking")).to_contain_text("Moved")
    capture_looks(page, live_server, call_id=call.id, booking_id=booking.id)


def capture_looks(page: Page, base_url: str, *, call_id: int, booking_id: int) -> None:
    """Screenshots of the call's Booking card and the edit dialog: FR/EN, light/dark, 390/1440 px, in a browser on
    Tokyo time with a French or US locale (the server runs on UTC, the business on New York time)."""
    ARTIFACTS.mkdir(exist_ok=True)
    cookies = page.context.cookies()
    browser = page.context.browser
    assert browser is not None
    for lang, locale in (("en", "en-US"), ("fr", "fr-FR")):
        for theme in ("light", "dark"):
            for width, height in ((390, 844), (1440, 900)):
                context = browser.new_context(
                    viewport={"width": width, "height": height}, color_scheme=theme, locale=locale,
                    timezone_id="Asia/Tokyo",
                )  # fmt: skip
                context.add_cookies(cookies)
                context.add_init_script(
                    f"localStorage.setItem('ava_lang', '{lang}'); localStorage.setItem('theme', '{theme}');"
                )
                look = context.new_page()
                name = f"{lang}-{theme}-{width}"
                look.goto(f"{base_url}/calls/{call_id}")
                expect(look.locator("#call-booking")).to_be_visible()
                look.wait_for_timeout(400)
                look.screenshot(path=str(ARTIFACTS / f"call-booking-card-{name}.png"), full_page=True)
                look.goto(f"{base_url}/bookings?booking={booking_id}")
                look.locator("#booking-focus").get_by_role(
                    "button", name="Edit" if lang == "en" else "Modifier"
                ).click()
                expect(look.get_by_role("dialog")).to_be_visible()
                look.wait_for_timeout(400)
                look.screenshot(path=str(ARTIFACTS / f"booking-edit-dialog-{name}.png"), full_page=True)
                # The caller's details and the buttons, further down the dialog.
                look.locator("#booking_notes").scroll_into_view_if_needed()
                look.wait_for_timeout(200)
                look.screenshot(path=str(ARTIFACTS / f"booking-edit-dialog-{name}-details.png"))
                context.close()
