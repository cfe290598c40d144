"""Free slots in AVA's own calendar, computed in the business's timezone.

A slot is a start time at which one staff member who does the service is working (their weekly hours within the
business's hours, no holiday), and is free for the service's length plus its buffer: no live booking, no busy time
from outside (a connected calendar, handed in as ``busy`` / ``staff_busy``), after the minimum notice, before the
booking horizon, and under the staff member's daily cap.

Times are generated on the local wall clock (a 09:00 slot is 09:00 whatever the UTC offset that day) and converted to
UTC with the zone's rules: a wall time skipped by a spring-forward change is not offered, a repeated one (autumn) is
offered once, at its first occurrence, and lengths are real minutes (a 60-minute slot at 01:30 on the spring-forward
night ends at 03:30 local time). ``free_slots`` is the pure computation; ``find_slots`` loads what it needs.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from ava_app.models import Booking, BookingService, BookingStaff, BookingStaffService, PhoneNumber, Tenant, as_utc
from ava_app.services import regional
from ava_app.services.bookings.catalog import BookingRules, booking_rules
from ava_app.services.business_hours import WEEKDAY_KEYS, day_key
from ava_app.services.errors import NotFound

Interval = tuple[datetime, datetime]
PartOfDay = Literal["morning", "afternoon", "evening"]
# Local wall-clock bounds of each part of the day, in minutes from midnight.
PARTS_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (0, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 24 * 60),
}
# A business with no hours at all books on weekdays, 09:00-17:00, until it sets its hours (calls are still taken
# at any hour: "no hours" means always open for calls, not for appointments at 3 a.m.).
DEFAULT_WEEK: dict[str, list[dict[str, str]]] = {
    day: ([{"open": "09:00", "close": "17:00"}] if day in WEEKDAY_KEYS[:5] else []) for day in WEEKDAY_KEYS
}
# Bookings are read back this far before a window: the longest service plus its buffer (``catalog`` caps both).
LOOKBACK = timedelta(days=1)
# Days read from the database at once while looking for slots.
CHUNK_DAYS = 7


@dataclass(frozen=True)
class Slot:
    """A bookable start: UTC times (``end_at`` without the buffer) and the staff member it is with."""

    start_at: datetime
    end_at: datetime
    staff_id: int
    staff_name: str


@dataclass(frozen=True)
class StaffHours:
    """A staff member as availability sees them: weekly hours (empty: the business's) and daily cap."""

    id: int
    name: str
    working_hours: dict


def free_slots(
    *,
    timezone: str,
    business_hours: dict,
    holidays: Sequence[object],
    rules: BookingRules,
    duration_minutes: int,
    buffer_minutes: int,
    staff: Sequence[StaffHours],
    taken: Mapping[int, Sequence[Interval]],
    now: datetime,
    first_day: date,
    last_day: date,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
    part_of_day: str | None = None,
    limit: int | None = None,
    distinct_times: bool = True,
    per_day: int | None = None,
) -> list[Slot]:
    """The free slots from ``first_day`` to ``last_day`` (local dates, inclusive), soonest first. Pure function.

    Args:
        taken: per staff id, the spans held by live bookings (start, end plus buffer), UTC.
        busy: spans when no one can be booked (the business's connected calendar); ``staff_busy`` per staff id.
        part_of_day: ``morning`` (before 12:00), ``afternoon`` (12:00-17:00) or ``evening`` (from 17:00), local.
        distinct_times: one slot per start time (the first free staff member, by id); else every staff member's.
        limit: stop after this many slots.
        per_day: at most this many slots on one (local) day, the soonest: spreads an offer over a range of days.
    """
    zone = regional.zone(timezone)
    now = as_utc(now)
    earliest = now + timedelta(minutes=rules.min_notice_minutes)
    latest = now + timedelta(days=rules.horizon_days)
    length = timedelta(minutes=duration_minutes)
    held = timedelta(minutes=duration_minutes + buffer_minutes)
    closed = _holiday_dates(holidays)
    week = business_hours or ({} if any(member.working_hours for member in staff) else DEFAULT_WEEK)
    window = PARTS_OF_DAY.get(part_of_day or "", (0, 24 * 60))
    blocked = {
        member.id: merged_spans([*taken.get(member.id, ()), *(staff_busy or {}).get(member.id, ()), *busy])
        for member in staff
    }
    day_counts = {member.id: _starts_per_day(taken.get(member.id, ()), zone) for member in staff}
    found: list[Slot] = []
    seen: set[datetime] = set()
    day = first_day
    while day <= last_day:
        if day not in closed and datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) <= latest:
            day_slots: list[Slot] = []
            for member in staff:
                if rules.max_per_day is not None and day_counts[member.id].get(day, 0) >= rules.max_per_day:
                    continue
                for start in _starts(day, _member_ranges(week, member.working_hours, day), zone, rules, length):
                    minute = _minute_of_day(start, zone)
                    if not window[0] <= minute < window[1] or start < earliest or start > latest:
                        continue
                    if overlaps(blocked[member.id], start, start + held):
                        continue
                    day_slots.append(
                        Slot(start_at=start, end_at=start + length, staff_id=member.id, staff_name=member.name)
                    )
            kept = 0
            for slot in sorted(day_slots, key=lambda item: (item.start_at, item.staff_id)):
                if distinct_times and slot.start_at in seen:
                    continue
                if per_day is not None and kept >= per_day:
                    break
                seen.add(slot.start_at)
                found.append(slot)
                kept += 1
                if limit is not None and len(found) >= limit:
                    return found
        day += timedelta(days=1)
    return found


def find_slots(
    session: Session,
    *,
    tenant_id: int,
    service_id: int,
    staff_id: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    now: datetime,
    limit: int | None = 3,
    part_of_day: str | None = None,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
    ignore_booking_id: int | None = None,
    distinct_times: bool = True,
    per_day: int | None = None,
) -> list[Slot]:
    """The tenant's free slots for a service, soonest first, from ``first_day`` (default: today, local) to
    ``last_day`` (default: the horizon). Reads the database a week at a time and stops at ``limit`` slots.

    ``staff_id`` keeps one staff member's slots; ``ignore_booking_id`` leaves that booking out of the taken spans
    (moving a booking may keep its own time). ``busy``/``staff_busy``, ``per_day``: as in ``free_slots``.
    Raises NotFound for a service that is not the tenant's or not active.
    """
    tenant = session.get(Tenant, tenant_id)
    service = session.get(BookingService, service_id)
    if tenant is None or service is None or service.tenant_id != tenant_id or not service.active:
        raise NotFound("This service is not offered.", code="booking_service_not_found")
    rules = booking_rules(session, tenant_id=tenant_id)
    hours, holidays = business_week(session, tenant_id=tenant_id)
    staff = service_staff(session, tenant_id=tenant_id, service_id=service_id, staff_id=staff_id)
    zone = regional.zone(tenant.timezone)
    today = as_utc(now).astimezone(zone).date()
    first = max(first_day or today, today)
    horizon_day = today + timedelta(days=rules.horizon_days)
    last = min(last_day or horizon_day, horizon_day)
    found: list[Slot] = []
    chunk_start = first
    while chunk_start <= last and staff and (limit is None or len(found) < limit):
        chunk_end = min(chunk_start + timedelta(days=CHUNK_DAYS - 1), last)
        window_start, _ = regional.local_day_bounds(chunk_start, tenant.timezone)
        _, window_end = regional.local_day_bounds(chunk_end, tenant.timezone)
        taken = taken_spans(
            session,
            staff_ids=[member.id for member in staff],
            start=window_start,
            end=window_end,
            ignore_booking_id=ignore_booking_id,
        )
        found += free_slots(
            timezone=tenant.timezone,
            business_hours=hours,
            holidays=holidays,
            rules=rules,
            duration_minutes=service.duration_minutes,
            buffer_minutes=service.buffer_minutes,
            staff=staff,
            taken=taken,
            now=now,
            first_day=chunk_start,
            last_day=chunk_end,
            busy=busy,
            staff_busy=staff_busy,
            part_of_day=part_of_day,
            limit=None if limit is None else limit - len(found),
            distinct_times=distinct_times,
            per_day=per_day,
        )
        chunk_start = chunk_end + timedelta(days=1)
    return found


def taken_spans(
    session: Session, *, staff_ids: Sequence[int], start: datetime, end: datetime, ignore_booking_id: int | None = None
) -> dict[int, list[Interval]]:
    """Per staff id, the (start, busy_until) spans of live bookings touching [start, end), sorted: the one query of
    an availability check (``ix_booking_staff_start``; a booking starts at most ``LOOKBACK`` before it ends)."""
    query = select(col(Booking.staff_id), col(Booking.start_at), col(Booking.busy_until)).where(
        col(Booking.staff_id).in_(list(staff_ids)),
        col(Booking.status) == "booked",
        col(Booking.start_at) >= start - LOOKBACK,
        col(Booking.start_at) < end,
        col(Booking.busy_until) > start,
    )
    if ignore_booking_id is not None:
        query = query.where(col(Booking.id) != ignore_booking_id)
    spans: dict[int, list[Interval]] = {staff_id: [] for staff_id in staff_ids}
    for staff_id, starts, until in session.exec(query.order_by(col(Booking.staff_id), col(Booking.start_at))):
        spans[staff_id].append((as_utc(starts), as_utc(until)))
    return spans


def service_staff(
    session: Session, *, tenant_id: int, service_id: int, staff_id: int | None = None
) -> list[StaffHours]:
    """The active staff members of the tenant who do the service (one of them with ``staff_id``), by id."""
    query = (
        select(BookingStaff)
        .join(BookingStaffService, col(BookingStaffService.staff_id) == col(BookingStaff.id))
        .where(
            col(BookingStaff.tenant_id) == tenant_id,
            col(BookingStaffService.tenant_id) == tenant_id,
            col(BookingStaffService.service_id) == service_id,
            col(BookingStaff.active).is_(True),
        )
        .order_by(col(BookingStaff.id))
    )
    if staff_id is not None:
        query = query.where(col(BookingStaff.id) == staff_id)
    return [
        StaffHours(id=row.id, name=row.name, working_hours=dict(row.working_hours or {}))
        for row in session.exec(query)
        if row.id is not None
    ]


def business_week(session: Session, *, tenant_id: int) -> tuple[dict, list]:
    """The business's weekly hours and holidays: those of its first line that has any (as the hours tool does)."""
    lines = session.exec(
        select(col(PhoneNumber.business_hours), col(PhoneNumber.holidays))
        .where(col(PhoneNumber.tenant_id) == tenant_id, col(PhoneNumber.released_at).is_(None))
        .order_by(col(PhoneNumber.id))
    ).all()
    for hours, holidays in lines:
        if hours or holidays:
            return dict(hours or {}), list(holidays or [])
    return {}, []


def day_ranges(week: dict, day: date) -> list[tuple[int, int]]:
    """The opening ranges of ``day``'s weekday in minutes from midnight; one closing at or before it opens (or at
    24:00) runs to midnight. Unreadable ranges are skipped."""
    ranges = next((value for key, value in (week or {}).items() if day_key(key) == WEEKDAY_KEYS[day.weekday()]), None)
    parsed = []
    for item in ranges or []:
        if not isinstance(item, dict):
            continue
        opens, closes = _minutes(item.get("open")), _minutes(item.get("close"))
        if opens is None or closes is None or opens >= 24 * 60:
            continue
        parsed.append((opens, closes if closes > opens else 24 * 60))
    return sorted(parsed)


def _member_ranges(business: dict, own: dict, day: date) -> list[tuple[int, int]]:
    """A staff member's ranges that day: their own hours within the business's (the business's without their own)."""
    base = day_ranges(business, day) if business else []
    if not own:
        return base
    mine = day_ranges(own, day)
    if not business:
        return mine
    return [
        (max(a_open, b_open), min(a_close, b_close))
        for a_open, a_close in base
        for b_open, b_close in mine
        if max(a_open, b_open) < min(a_close, b_close)
    ]


def _starts(
    day: date, ranges: list[tuple[int, int]], zone: ZoneInfo, rules: BookingRules, length: timedelta
) -> list[datetime]:
    """UTC starts every ``granularity`` minutes from each range's opening, the appointment ending by its close."""
    starts = []
    for opens, closes in ranges:
        close_at = _utc_at(day, closes, zone)
        minute = opens
        while minute < closes:
            start = _utc_at(day, minute, zone, strict=True)
            if start is not None and close_at is not None and start + length <= close_at:
                starts.append(start)
            minute += rules.granularity_minutes
    return starts


def _utc_at(day: date, minute: int, zone: ZoneInfo, *, strict: bool = False) -> datetime | None:
    """The UTC moment of wall time ``minute`` on ``day`` (first occurrence when repeated); None when the wall time
    does not exist that day and ``strict`` (a close in a gap is taken as the zone reads it)."""
    if minute >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    moment = wall.astimezone(UTC)
    if strict and moment.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return moment


def _minute_of_day(moment: datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def merged_spans(spans: Sequence[Interval]) -> list[Interval]:
    """Spans sorted and merged, so one bisect finds whether a new span overlaps any."""
    merged: list[list[datetime]] = []
    for start, end in sorted((as_utc(start), as_utc(end)) for start, end in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def overlaps(spans: list[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) meets one of the merged, sorted ``spans`` (each [start, end))."""
    index = bisect.bisect_right(spans, (start, datetime.max.replace(tzinfo=UTC)))
    if index and spans[index - 1][1] > start:
        return True
    return index < len(spans) and spans[index][0] < end


def _starts_per_day(spans: Sequence[Interval], zone: ZoneInfo) -> dict[date, int]:
    counts: dict[date, int] = {}
    for start, _ in spans:
        day = as_utc(start).astimezone(zone).date()
        counts[day] = counts.get(day, 0) + 1
    return counts


def _holiday_dates(holidays: Sequence[object]) -> set[date]:
    days = set()
    for item in holidays or []:
        value = item.get("date") if isinstance(item, dict) else item
        try:
            days.add(date.fromisoformat(str(value)[:10]))
        except ValueError:
            continue
    return days


def _minutes(value: object) -> int | None:
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        total = int(hours) * 60 + int(minutes)
    except (ValueError, AttributeError):
        return None
    return total if 0 <= total <= 24 * 60 else None
