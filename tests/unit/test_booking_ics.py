from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from ava_app.services.bookings.booking import BookingOut
from ava_app.services.bookings.confirmations import booking_ics, booking_uid


def _booking(start: datetime) -> BookingOut:
    return BookingOut(
        id=42,
        service_id=1,
        service_name="Coupe",
        staff_id=1,
        staff_name="Léa",
        start_at=start,
        end_at=start + timedelta(minutes=30),
        caller_name="Camille",
        caller_phone="+33612345678",
        notes="",
        price_minor=None,
        status="confirmed",
        source="call",
        call_id=None,
    )


def _event(ics: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(ics)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return cal, events[0]


def test_dtstart_is_paris_wall_time_on_both_sides_of_dst() -> None:
    paris = ZoneInfo("Europe/Paris")
    # 14:30 in Paris the Saturday before and the Monday after the switch to summer time (29 March 2026).
    for start_utc in (datetime(2026, 3, 28, 13, 30, tzinfo=UTC), datetime(2026, 3, 30, 12, 30, tzinfo=UTC)):
        ics = booking_ics(_booking(start_utc), business="Salon", timezone="Europe/Paris", change="booked", sequence=0)
        cal, event = _event(ics)
        start = event.decoded("dtstart")
        assert (start.hour, start.minute) == (14, 30)
        assert event["dtstart"].params["TZID"] == "Europe/Paris"
        assert start.astimezone(UTC) == start_utc
        assert start.utcoffset() == start_utc.astimezone(paris).utcoffset()
        assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]


def test_uid_sequence_and_method_follow_the_booking() -> None:
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    made = _event(booking_ics(_booking(start), business="Salon", timezone="Europe/Paris", change="booked", sequence=0))
    moved = _event(
        booking_ics(
            _booking(start + timedelta(days=1)), business="Salon", timezone="Europe/Paris", change="moved", sequence=1
        )
    )
    gone = _event(
        booking_ics(_booking(start), business="Salon", timezone="Europe/Paris", change="cancelled", sequence=2)
    )
    assert {str(e["uid"]) for _, e in (made, moved, gone)} == {booking_uid(42)}
    assert [e.decoded("sequence") for _, e in (made, moved, gone)] == [0, 1, 2]
    assert [str(c["method"]) for c, _ in (made, moved, gone)] == ["REQUEST", "REQUEST", "CANCEL"]
    assert str(gone[1]["status"]) == "CANCELLED"


def test_summary_in_french_for_a_french_call() -> None:
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    _, event = _event(
        booking_ics(
            _booking(start), business="Salon", timezone="Europe/Paris", change="booked", sequence=0, language="fr"
        )
    )
    assert str(event["summary"]) == "Coupe chez Salon"
