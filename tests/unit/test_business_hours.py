"""Business hours: open or closed at a moment, in the tenant's timezone, holidays, ranges past midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from ava_app.services.business_hours import business_hours_status, describe_hours
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
