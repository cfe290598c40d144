"""The owner's bookings page in the browser: a booking made from a free slot shows in the week, is moved to another
free time, then cancelled after the confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ava_app.models import utcnow
from ava_app.services import bookings
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_phone_number

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

    log_in(page, live_server, owner.email)
    page.goto(f"{live_server}/bookings?week={tomorrow}")
    expect(page.get_by_role("heading", name="Bookings")).to_be_visible()

    page.get_by_role("button", name="New booking").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Day").fill(tomorrow)
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

    block.get_by_role("button", name="Move").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Day").fill(tomorrow)
    later = dialog.locator(f'.booking-slot[data-start^="{tomorrow}"]').nth(2)
    expect(later).to_be_visible()
    later_time = later.inner_text().split(" · ")[0]
    later.click()
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Booking moved.")).to_be_visible()
    expect(block).to_contain_text(later_time)

    block.get_by_role("button", name="Cancel").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel the booking").click()
    expect(page.get_by_text("Booking cancelled.")).to_be_visible()
    expect(page.locator(".booking-block").filter(has_text="Jordan Weekview")).to_have_count(0)
    [cancelled] = bookings.list_bookings(
        db, tenant_id=tenant.id, start=utcnow(), end=utcnow() + timedelta(days=3), include_cancelled=True
    )
    assert cancelled.status == "cancelled"
