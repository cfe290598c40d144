"""The calendar event a caller gets with a booking confirmation: one ``.ics`` per change of a booking.

The event's UID is stable per booking, so a calendar that holds it replaces it when the booking moves (a higher
SEQUENCE, METHOD:REQUEST) and removes it when the booking is cancelled (METHOD:CANCEL). Times are written in the
business's timezone with a VTIMEZONE, so the caller's calendar shows the time the business means across DST changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar

from ava_app.services.bookings.booking import BookingOut

Change = Literal["booked", "moved", "cancelled"]
PRODID = "-//AVA//Bookings//EN"

SUMMARY = {"en": "{service} at {business}", "fr": "{service} chez {business}"}


def booking_uid(booking_id: int, domain: str = "bookings.ava") -> str:
    """The event's UID: the same for every change of one booking."""
    return f"booking-{booking_id}@{domain}"


def booking_ics(
    booking: BookingOut,
    *,
    business: str,
    timezone: str,
    change: Change,
    sequence: int,
    language: str = "en",
    now: datetime | None = None,
) -> bytes:
    """The ``.ics`` for ``change`` of ``booking``, times in ``timezone`` (the business's)."""
    zone = ZoneInfo(timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if change == "cancelled" else "REQUEST")
    event = icalendar.Event()
    event.add("uid", booking_uid(booking.id))
    event.add("sequence", sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", booking.start_at.astimezone(zone))
    event.add("dtend", booking.end_at.astimezone(zone))
    summary = SUMMARY.get(language, SUMMARY["en"])
    event.add("summary", summary.format(service=booking.service_name, business=business))
    event.add("status", "CANCELLED" if change == "cancelled" else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
