"""Business hours: open or closed at a moment, in the tenant's timezone, holidays, ranges past midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from ava_app.services.business_hours import (
    WEEKDAY_KEYS,
    TimeRangeIn,
    business_hours_status,
    day_key,
    describe_hours,
    validate_business_hours,
    validate_holidays,
)
from tests.unit.vapi_messages import WEEKDAY_HOURS

# --- business hours -------------------------------------------------------------------------------------------------


def test_hours_rules():
    def status(hours, at, holidays=(), timezone="UTC"):
        return business_hours_status(business_hours=hours, holidays=list(holidays), timezone=timezone, at=at)

    wednesday = datetime(2025, 6, 4, 12, 30, tzinfo=UTC)
    assert status({}, wednesday).reason == "no_hours" and status({}, wednesday).is_open
    assert "no business hours" in describe_hours(status({}, wednesday))
    assert status({"WED": [{"open": "12:00", "close": "24:00"}]}, wednesday).is_open
    friday = datetime(2025, 6, 6, 12, 30, tzinfo=UTC)
    lunch = status(WEEKDAY_HOURS, friday)
    assert not lunch.is_open and lunch.next_open.time() == time(13, 0)
    night = {"friday": [{"open": "22:00", "close": "02:00"}]}
    assert status(night, datetime(2025, 6, 6, 23, 0, tzinfo=UTC)).is_open
    assert status(night, datetime(2025, 6, 7, 1, 30, tzinfo=UTC)).is_open
    assert not status(night, datetime(2025, 6, 7, 2, 30, tzinfo=UTC)).is_open
    holiday = status(WEEKDAY_HOURS, wednesday, holidays=["2025-06-04", {"date": "2025-06-05"}, "garbage"])
    assert holiday.reason == "holiday" and holiday.next_open.date() == date(2025, 6, 6)
    assert status(WEEKDAY_HOURS, wednesday, timezone="Not/AZone").is_open  # falls back to UTC


def test_day_names_and_keys_read_the_same_everywhere():
    assert [day_key(name) for name in ("Monday", " tue ", "SUN", "sat")] == ["mon", "tue", "sun", "sat"]
    assert day_key("someday") is None
    assert status_open({"Monday": [{"open": "09:00", "close": "17:00"}]}) == status_open(
        {"mon": [{"open": "09:00", "close": "17:00"}]}
    )


def test_holidays_are_iso_dates_deduplicated_and_sorted():
    problems: dict[str, str] = {}
    assert validate_holidays(["2025-12-25", " 2025-01-01", "2025-12-25"], problems) == ["2025-01-01", "2025-12-25"]
    assert problems == {}
    validate_holidays(["25/12/2025"], problems)
    assert "holidays.0" in problems


def test_hours_are_normalised_to_every_weekday_key():
    problems: dict[str, str] = {}
    week = validate_business_hours({"Monday": [TimeRangeIn(open="09:00", close="17:00")]}, problems)
    assert problems == {} and tuple(week) == WEEKDAY_KEYS and week["mon"] == [{"open": "09:00", "close": "17:00"}]
    validate_business_hours({"mon": [TimeRangeIn(open="9h", close="17:00")], "funday": []}, problems)
    assert set(problems) == {"business_hours.mon.0", "business_hours.funday"}


def status_open(hours: dict) -> bool:
    # Monday 2025-06-02 10:00 UTC.
    return business_hours_status(
        business_hours=hours, holidays=[], timezone="UTC", at=datetime(2025, 6, 2, 10, tzinfo=UTC)
    ).is_open
