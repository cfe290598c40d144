"""Date and time fields read as the page's language and the business's country, not the browser's.

A French business seen in an American browser (en-US, New York) and an American business seen in a French browser
(fr-FR, Tokyo): the closed days, the opening hours and the calls' date filters show and take days and times as the
business writes them (07/12/2026 and 24-hour times in France, 12/07/2026 and AM/PM in the US), and their calendars
speak the page's language and start the week on the business's first day (Monday in France, Sunday in the US), not
the browser's. Each case runs light and dark, at 390 and 1440 px, with screenshots under
test-artifacts/date-time-fields/.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import Session

from ava_app.models import utcnow
from ava_app.services import bookings, regional
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import PASSWORD, make_member, until_on_dashboard
from tests.factories import make_assistant, make_phone_number, make_tenant

pytestmark = pytest.mark.e2e
SHOTS = ARTIFACTS / "date-time-fields"
WEEK = {day: [{"open": "09:00", "close": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
# (business country, timezone, UI language, browser locale, browser timezone), then what the page must show.
CASES = {
    "fr": {
        "business": ("FR", "Europe/Paris", "fr"),
        "browser": ("en-US", "America/New_York"),
        "placeholder": "jj/mm/aaaa",
        "typed_holiday": "25/12/2030",
        "listed_holiday": "25 déc. 2030",
        "open_label": "Ouvert Lundi",
        "open_text": "09:00",
        "from_label": "Du",
        "typed_from": "01/12/2026",
        "holidays_label": "Jours fériés et fermetures",
        "add": "Ajouter",
        "settings": "Réglages",
        "filters": "Filtres",
        "new_booking": "Nouveau rendez-vous",
        "day": "Jour",
        "pick": "Choisir dans un calendrier",
        "month": "décembre 2026",
        "first_weekday": "lundi",
        "picked_from": "03/12/2026",
        "keyed_from": "2026-12-04",
    },
    "en": {
        "business": ("US", "America/New_York", "en"),
        "browser": ("fr-FR", "Asia/Tokyo"),
        "placeholder": "mm/dd/yyyy",
        "typed_holiday": "12/25/2030",
        "listed_holiday": "Dec 25, 2030",
        "open_label": "Open Monday",
        "open_text": "9:00 AM",
        "from_label": "From",
        "typed_from": "12/01/2026",
        "holidays_label": "Holidays and closures",
        "add": "Add",
        "settings": "Settings",
        "filters": "Filters",
        "new_booking": "New booking",
        "day": "Day",
        "pick": "Choose on a calendar",
        "month": "December 2026",
        "first_weekday": "Sunday",
        "picked_from": "12/03/2026",
        "keyed_from": "2026-12-04",
    },
}


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    until_on_dashboard(page, lambda: page.locator("#login-password").press("Enter"))


def _open_calendar(page: Page, field: Locator, case: dict, *, month: str | None = "") -> Locator:
    """Open the calendar beside the date ``field`` and check its language and week; returns its popover. ``month``
    is the caption expected (the case's by default, None for any)."""
    field.locator("xpath=..").get_by_role("button", name=case["pick"]).click()
    grid = page.get_by_role("grid")
    expect(grid).to_be_visible()
    if month is not None:
        expect(grid).to_have_accessible_name(month or case["month"])
    # The weekday headings are hidden from screen readers (each day's own name says it): read their labels.
    assert grid.locator("th").first.get_attribute("aria-label") == case["first_weekday"]
    return page.locator(".ava-calendar-popover")


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_days_and_times_follow_the_business_not_the_browser(
    live_server: str, browser: Browser, db: Session, lang: str, theme: str, width: int
):
    case = CASES[lang]
    country, timezone, language = case["business"]
    tenant = make_tenant(
        db,
        name=f"Date fields {lang} {theme} {width}",
        country=country,
        timezone=timezone,
        locale=language,
        currency="EUR" if country == "FR" else "USD",
        onboarding_completed_at=utcnow(),
    )
    owner = make_member(db, tenant=tenant)
    assistant = make_assistant(db, tenant=tenant, name="Ava")
    number = make_phone_number(
        db, tenant=tenant, assistant_id=assistant.id, business_hours={**WEEK, "sat": [], "sun": []}
    )
    bookings.save_booking_rules(
        db, tenant_id=tenant.id, enabled=True, min_notice_minutes=0, horizon_days=30, granularity_minutes=30,
        max_per_day=None,
    )  # fmt: skip
    bookings.add_service(db, tenant_id=tenant.id, name="Consultation", duration_minutes=30, price_minor=3000)
    db.commit()
    locale, browser_zone = case["browser"]
    context = browser.new_context(
        locale=locale,
        timezone_id=browser_zone,
        viewport={"width": width, "height": 900},
        color_scheme=theme,
    )
    context.add_init_script(f"localStorage.setItem('theme', '{theme}'); localStorage.setItem('ava_lang', '{lang}')")
    context.set_default_timeout(15_000)
    page = context.new_page()
    name = f"{lang}-{theme}-{width}"
    try:
        _log_in(page, live_server, owner.email)

        # Closed days and opening hours of the number.
        page.goto(live_server + "/phone-numbers")
        card = page.locator(f"[data-number='{number.e164}']")
        card.get_by_role("button", name=re.compile(f"^{case['settings']} ")).click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label(case["open_label"])).to_be_visible()
        assert dialog.get_by_label(case["open_label"]).evaluate("s => s.selectedOptions[0].text") == case["open_text"]
        day = dialog.get_by_label(case["holidays_label"])
        expect(day).to_have_attribute("placeholder", case["placeholder"])
        day.fill(case["typed_holiday"])
        dialog.get_by_role("button", name=case["add"], exact=True).click()
        expect(dialog).to_contain_text(case["listed_holiday"])
        # Something that is no day is refused with the layout expected.
        day.fill("31/31/2030")
        day.press("Tab")
        expect(page.get_by_text(re.compile(re.escape(case["placeholder"])))).to_be_visible()
        day.scroll_into_view_if_needed()
        _shot(page, f"{name}-closed-days")
        # Its calendar offers no day before the business's today: a closure is planned ahead.
        today = regional.to_local(utcnow(), timezone).date()
        calendar = _open_calendar(page, day, case, month=None)
        expect(calendar.locator(f"[data-day='{today.isoformat()}'] button")).to_be_enabled()
        expect(calendar.locator(f"[data-day='{(today - timedelta(days=1)).isoformat()}'] button")).to_be_disabled()
        _shot(page, f"{name}-closed-days-calendar")
        page.keyboard.press("Escape")
        expect(calendar).to_be_hidden()
        dialog.get_by_label(case["open_label"]).scroll_into_view_if_needed()
        _shot(page, f"{name}-hours")
        page.keyboard.press("Escape")

        # The calls' date filter: typed in the reader's order, kept as ISO in the URL, shown back the same way.
        page.goto(live_server + "/calls")
        if width < 768:
            page.get_by_role("button", name=case["filters"]).click()
        since = page.get_by_label(case["from_label"], exact=True)
        expect(since).to_have_attribute("placeholder", case["placeholder"])
        since.fill(case["typed_from"])
        since.press("Tab")
        expect(page).to_have_url(re.compile(r"date_from=2026-12-01"))
        expect(page.get_by_label(case["from_label"], exact=True)).to_have_value(case["typed_from"])
        _shot(page, f"{name}-calls-filter")
        assert date(2026, 12, 1).isoformat() in page.url

        # Its calendar: the page's month and day names, the business's week, the day picked written as typed ones.
        calendar = _open_calendar(page, page.locator("#filter-date_from"), case)
        _shot(page, f"{name}-calls-calendar")
        # No calls lie ahead: days after the business's today are not offered.
        after_today = regional.to_local(utcnow(), timezone).date() + timedelta(days=1)
        if after_today.month == 12 and after_today.year == 2026:
            expect(calendar.locator(f"[data-day='{after_today.isoformat()}'] button")).to_be_disabled()
        calendar.locator("[data-day='2026-12-03'] button").click()
        expect(calendar).to_be_hidden()
        expect(page).to_have_url(re.compile(r"date_from=2026-12-03"))
        expect(page.get_by_label(case["from_label"], exact=True)).to_have_value(case["picked_from"])
        # By keyboard: the button is in the tab order, the chosen day has the focus, arrows move it, Enter picks.
        page.locator("#filter-date_from").locator("xpath=..").get_by_role("button", name=case["pick"]).focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("grid")).to_be_visible()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile("date_from=" + case["keyed_from"]))

        # A new booking's day: today in the business's zone, written as the business writes days.
        page.goto(live_server + "/bookings")
        page.get_by_role("button", name=case["new_booking"]).click()
        dialog = page.get_by_role("dialog")
        today = regional.to_local(utcnow(), timezone).date()
        shown = regional.format_date_input(today, language=language, country=country)
        expect(dialog.get_by_label(case["day"], exact=True)).to_have_value(shown)
        _shot(page, f"{name}-booking-day")
        calendar = _open_calendar(page, dialog.get_by_label(case["day"], exact=True), case, month=None)
        expect(calendar.locator(".rdp-selected")).to_have_text(str(today.day))
        # Today is the business's, not the browser's (a day apart for part of every day in both cases).
        expect(calendar.locator(".rdp-today")).to_have_text(str(today.day))
        # No booking in the past: the days before today are not offered.
        expect(calendar.locator(f"[data-day='{(today - timedelta(days=1)).isoformat()}'] button")).to_be_disabled()
        _shot(page, f"{name}-booking-calendar")
        page.keyboard.press("Escape")  # closes the calendar, not the booking form
        expect(calendar).to_be_hidden()
        expect(dialog.get_by_label(case["day"], exact=True)).to_be_visible()
    finally:
        context.close()
