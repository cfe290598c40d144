"""/phone-numbers: change a number's hours (two ranges on a day, a closed day, a holiday), read them in the list."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ava_app.models import PhoneNumber, utcnow
from ava_app.services import phones
from ava_app.services.passwords import hash_password
from tests.factories import make_assistant, make_phone_number, make_tenant, make_user

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-battery-9"


def test_configure_hours_and_see_them_in_the_list(live_server: str, page: Page, db: Session):
    tenant = make_tenant(db, name="Salon Lila", onboarding_completed_at=utcnow())
    user = make_user(
        db, tenant=tenant, email="lila@example.com", password_hash=hash_password(PASSWORD), email_verified_at=utcnow()
    )
    assistant = make_assistant(db, tenant=tenant, name="Lila")
    week = {day: [{"open": "09:00", "close": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    number = make_phone_number(
        db, tenant=tenant, assistant_id=assistant.id, business_hours={**week, "sat": [], "sun": []}
    )

    page.add_init_script("localStorage.setItem('ava_lang', 'en')")
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))

    page.goto(live_server + "/phone-numbers")
    # A US business reads its own numbers the national way.
    shown = phones.display(number.e164, "US")
    card = page.locator(f"[data-number='{number.e164}']")
    expect(card).to_contain_text(shown)
    # ... and its hours as the US writes times.
    expect(card).to_contain_text("Mon–Fri 9:00 AM–6:00 PM · Sat–Sun closed")
    expect(card).to_contain_text("Lila")

    card.get_by_role("button", name=f"Settings {shown}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(shown)
    # Wednesday: morning and afternoon.
    dialog.get_by_role("button", name="Add a range").nth(2).click()
    dialog.get_by_label("Open Wednesday").nth(1).select_option("14:00")
    dialog.get_by_label("to Wednesday").first.select_option("12:00")
    dialog.get_by_label("to Wednesday").nth(1).select_option("19:00")
    # Friday closed, a holiday, voicemail kept.
    dialog.get_by_role("switch", name="Friday").click()
    # Typed as a US business writes days (month first), listed as it writes dates.
    dialog.get_by_label("Holidays and closures").fill("12/25/2030")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog).to_contain_text("Dec 25, 2030")
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(card).to_contain_text(
        "Mon–Tue 9:00 AM–6:00 PM · Wed 9:00 AM–12:00 PM, 2:00 PM–7:00 PM · Thu 9:00 AM–6:00 PM · Fri–Sun closed"
        " · closed 1 day"
    )
    db.expire_all()
    saved = db.get(PhoneNumber, number.id)
    assert saved.business_hours["wed"] == [{"open": "09:00", "close": "12:00"}, {"open": "14:00", "close": "19:00"}]
    assert saved.holidays == ["2030-12-25"]

    # An overlapping range is refused with the day named, and nothing typed is lost.
    card.get_by_role("button", name=f"Settings {shown}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Open Wednesday").nth(1).select_option("11:00")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert").first).to_contain_text("Wednesday")
    expect(dialog.get_by_label("Open Wednesday").nth(1)).to_have_value("11:00")
    assert isinstance(saved.created_at, datetime)
