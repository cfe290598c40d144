"""What a business books: its rules, its services and its staff (or resources) with their hours.

Functions take the tenant explicitly and run in the caller's transaction (they flush, the caller commits), so an
owner's page and a job can wrap them the same way. What an owner types is checked here and refused with ``Invalid``
(``details['fields']`` maps each field to a plain English message).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from ava_app.models import BookingService, BookingSettings, BookingStaff, BookingStaffService, utcnow
from ava_app.services.business_hours import TimeRangeIn, validate_business_hours
from ava_app.services.errors import Invalid, NotFound

# Bounds on what an owner may set; availability reads bookings back one day (``availability.LOOKBACK``), so a
# service and its buffer fit in a day.
MAX_DURATION_MINUTES = 12 * 60
MAX_BUFFER_MINUTES = 4 * 60
MAX_NOTICE_MINUTES = 30 * 24 * 60
MAX_HORIZON_DAYS = 366
GRANULARITIES = (5, 10, 15, 20, 30, 45, 60, 90, 120)
MAX_PER_DAY = 200
MAX_PRICE_MINOR = 10**9


@dataclass(frozen=True)
class BookingRules:
    """A business's booking rules (defaults until the owner saves them)."""

    enabled: bool = False
    min_notice_minutes: int = 120
    horizon_days: int = 60
    granularity_minutes: int = 30
    max_per_day: int | None = None
    remind_day_before: bool = True


@dataclass(frozen=True)
class ServiceOut:
    """A bookable service; ``price_minor`` in minor units of the tenant's currency (None: no price given)."""

    id: int
    name: str
    duration_minutes: int
    price_minor: int | None
    buffer_minutes: int
    active: bool


@dataclass(frozen=True)
class StaffOut:
    """A staff member or resource, the services they do and their weekly hours (empty: the business's)."""

    id: int
    name: str
    service_ids: tuple[int, ...]
    working_hours: dict
    active: bool


def booking_rules(session: Session, *, tenant_id: int) -> BookingRules:
    """The tenant's rules; the defaults (booking off) when never saved."""
    row = session.exec(select(BookingSettings).where(col(BookingSettings.tenant_id) == tenant_id)).first()
    if row is None:
        return BookingRules()
    return BookingRules(
        enabled=row.enabled,
        min_notice_minutes=row.min_notice_minutes,
        horizon_days=row.horizon_days,
        granularity_minutes=row.granularity_minutes,
        max_per_day=row.max_per_day,
        remind_day_before=row.remind_day_before,
    )


def booking_enabled(session: Session, *, tenant_id: int) -> bool:
    """Whether the assistant takes bookings for the tenant (its tools and prompt follow this)."""
    return booking_rules(session, tenant_id=tenant_id).enabled


def save_booking_rules(
    session: Session,
    *,
    tenant_id: int,
    enabled: bool,
    min_notice_minutes: int,
    horizon_days: int,
    granularity_minutes: int,
    max_per_day: int | None,
    remind_day_before: bool | None = None,
) -> BookingRules:
    """Check and store the tenant's rules (``remind_day_before`` None: left as it is). The caller commits, then
    re-pushes the assistants (their tools and prompt depend on ``enabled``: ``assistants.enqueue_vapi_resync``)."""
    problems: dict[str, str] = {}
    if not 0 <= min_notice_minutes <= MAX_NOTICE_MINUTES:
        problems["min_notice_minutes"] = f"Between 0 and {MAX_NOTICE_MINUTES} minutes."
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        problems["horizon_days"] = f"Between 1 and {MAX_HORIZON_DAYS} days."
    if granularity_minutes not in GRANULARITIES:
        problems["granularity_minutes"] = "One of " + ", ".join(str(value) for value in GRANULARITIES) + " minutes."
    if max_per_day is not None and not 1 <= max_per_day <= MAX_PER_DAY:
        problems["max_per_day"] = f"Between 1 and {MAX_PER_DAY}, or no limit."
    if problems:
        raise Invalid(fields=problems)
    row = session.exec(select(BookingSettings).where(col(BookingSettings.tenant_id) == tenant_id)).first()
    row = row or BookingSettings(tenant_id=tenant_id)
    row.enabled, row.min_notice_minutes, row.horizon_days = enabled, min_notice_minutes, horizon_days
    row.granularity_minutes, row.max_per_day, row.updated_at = granularity_minutes, max_per_day, utcnow()
    if remind_day_before is not None:
        row.remind_day_before = remind_day_before
    session.add(row)
    session.flush()
    return booking_rules(session, tenant_id=tenant_id)


def seed_services(
    session: Session, *, tenant_id: int, services: Sequence[tuple[str, int, int]], staff_name: str
) -> list[ServiceOut]:
    """A new business's first services (an industry's defaults) and one staff member doing them all, named after
    the business, so its Bookings page starts filled in. Nothing when it already has a service. Booking stays off."""
    if not services or session.exec(select(BookingService.id).where(BookingService.tenant_id == tenant_id)).first():
        return []
    added = [
        add_service(session, tenant_id=tenant_id, name=name, duration_minutes=minutes, buffer_minutes=buffer)
        for name, minutes, buffer in services
    ]
    if not session.exec(select(BookingStaff.id).where(BookingStaff.tenant_id == tenant_id)).first():
        add_staff(session, tenant_id=tenant_id, name=staff_name[:120], service_ids=[service.id for service in added])
    return added


def ensure_rules_row(session: Session, *, tenant_id: int) -> None:
    """Create the tenant's rules row if missing (bookings lock it on SQLite to take turns)."""
    exists = session.exec(select(col(BookingSettings.id)).where(col(BookingSettings.tenant_id) == tenant_id)).first()
    if exists is None:
        session.add(BookingSettings(tenant_id=tenant_id))
        session.flush()


# --- services


def list_services(session: Session, *, tenant_id: int, include_inactive: bool = False) -> list[ServiceOut]:
    """The tenant's services by name."""
    query = select(BookingService).where(col(BookingService.tenant_id) == tenant_id)
    if not include_inactive:
        query = query.where(col(BookingService.active).is_(True))
    return [_service_out(row) for row in session.exec(query.order_by(col(BookingService.name), col(BookingService.id)))]


def get_service(session: Session, *, tenant_id: int, service_id: int) -> ServiceOut:
    """One of the tenant's services; NotFound for another tenant's."""
    return _service_out(_service_row(session, tenant_id=tenant_id, service_id=service_id))


def add_service(
    session: Session,
    *,
    tenant_id: int,
    name: str,
    duration_minutes: int,
    price_minor: int | None = None,
    buffer_minutes: int = 0,
) -> ServiceOut:
    """Add a service to the tenant's catalogue."""
    values = _checked_service(name=name, duration=duration_minutes, price=price_minor, buffer=buffer_minutes)
    row = BookingService(tenant_id=tenant_id, **values)
    session.add(row)
    session.flush()
    return _service_out(row)


def update_service(
    session: Session,
    *,
    tenant_id: int,
    service_id: int,
    name: str,
    duration_minutes: int,
    price_minor: int | None,
    buffer_minutes: int,
    active: bool = True,
) -> ServiceOut:
    """Change a service (existing bookings keep their times and price); ``active=False`` stops new bookings."""
    row = _service_row(session, tenant_id=tenant_id, service_id=service_id)
    values = _checked_service(name=name, duration=duration_minutes, price=price_minor, buffer=buffer_minutes)
    for key, value in {**values, "active": active}.items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return _service_out(row)


def match_service(services: Sequence[ServiceOut], name: str) -> ServiceOut | None:
    """The service a caller (or the model) named: same name ignoring case and accents, else the only one whose name
    contains the words given or is contained in them; None when none or several match."""
    wanted = _folded(name)
    if not wanted:
        return None
    exact = [service for service in services if _folded(service.name) == wanted]
    if exact:
        return exact[0]
    partial = [service for service in services if wanted in _folded(service.name) or _folded(service.name) in wanted]
    return partial[0] if len(partial) == 1 else None


def _checked_service(*, name: str, duration: int, price: int | None, buffer: int) -> dict:
    problems: dict[str, str] = {}
    clean = " ".join((name or "").split())
    if not clean or len(clean) > 120:
        problems["name"] = "A name of 1 to 120 characters."
    if not 5 <= duration <= MAX_DURATION_MINUTES:
        problems["duration_minutes"] = f"Between 5 and {MAX_DURATION_MINUTES} minutes."
    if price is not None and not 0 <= price <= MAX_PRICE_MINOR:
        problems["price_minor"] = "A price of zero or more."
    if not 0 <= buffer <= MAX_BUFFER_MINUTES:
        problems["buffer_minutes"] = f"Between 0 and {MAX_BUFFER_MINUTES} minutes."
    if problems:
        raise Invalid(fields=problems)
    return {"name": clean, "duration_minutes": duration, "price_minor": price, "buffer_minutes": buffer}


def _service_row(session: Session, *, tenant_id: int, service_id: int) -> BookingService:
    row = session.get(BookingService, service_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("This service does not exist.", code="booking_service_not_found")
    return row


def _service_out(row: BookingService) -> ServiceOut:
    assert row.id is not None
    return ServiceOut(
        id=row.id,
        name=row.name,
        duration_minutes=row.duration_minutes,
        price_minor=row.price_minor,
        buffer_minutes=row.buffer_minutes,
        active=row.active,
    )


# --- staff


def list_staff(session: Session, *, tenant_id: int, include_inactive: bool = False) -> list[StaffOut]:
    """The tenant's staff members and resources, by name, with the services each does."""
    query = select(BookingStaff).where(col(BookingStaff.tenant_id) == tenant_id)
    if not include_inactive:
        query = query.where(col(BookingStaff.active).is_(True))
    rows = list(session.exec(query.order_by(col(BookingStaff.name), col(BookingStaff.id))))
    links = session.exec(
        select(col(BookingStaffService.staff_id), col(BookingStaffService.service_id)).where(
            col(BookingStaffService.tenant_id) == tenant_id
        )
    ).all()
    services: dict[int, list[int]] = {}
    for staff_id, service_id in links:
        services.setdefault(staff_id, []).append(service_id)
    return [_staff_out(row, services.get(row.id or 0, [])) for row in rows]


def add_staff(
    session: Session,
    *,
    tenant_id: int,
    name: str,
    service_ids: Sequence[int],
    working_hours: dict[str, list[TimeRangeIn]] | None = None,
) -> StaffOut:
    """Add a staff member (or resource) doing ``service_ids``; ``working_hours`` as the business hours editor sends
    them (empty: the business's hours)."""
    clean, hours = _checked_staff(name=name, working_hours=working_hours or {})
    row = BookingStaff(tenant_id=tenant_id, name=clean, working_hours=hours)
    session.add(row)
    session.flush()
    assert row.id is not None
    _link_services(session, tenant_id=tenant_id, staff_id=row.id, service_ids=service_ids)
    return _staff_out(row, list(dict.fromkeys(service_ids)))


def update_staff(
    session: Session,
    *,
    tenant_id: int,
    staff_id: int,
    name: str,
    service_ids: Sequence[int],
    working_hours: dict[str, list[TimeRangeIn]] | None = None,
    active: bool = True,
) -> StaffOut:
    """Change a staff member; their existing bookings stay (cancel or move them from the bookings list)."""
    row = session.get(BookingStaff, staff_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("This staff member does not exist.", code="booking_staff_not_found")
    row.name, row.working_hours = _checked_staff(name=name, working_hours=working_hours or {})
    row.active = active
    session.add(row)
    session.exec(delete(BookingStaffService).where(col(BookingStaffService.staff_id) == staff_id))
    _link_services(session, tenant_id=tenant_id, staff_id=staff_id, service_ids=service_ids)
    return _staff_out(row, list(dict.fromkeys(service_ids)))


def _checked_staff(*, name: str, working_hours: dict[str, list[TimeRangeIn]]) -> tuple[str, dict]:
    problems: dict[str, str] = {}
    clean = " ".join((name or "").split())
    if not clean or len(clean) > 120:
        problems["name"] = "A name of 1 to 120 characters."
    hours = validate_business_hours(working_hours, problems)
    if problems:
        raise Invalid(fields={key.replace("business_hours", "working_hours"): text for key, text in problems.items()})
    return clean, hours


def _link_services(session: Session, *, tenant_id: int, staff_id: int, service_ids: Sequence[int]) -> None:
    wanted = list(dict.fromkeys(service_ids))
    if wanted:
        owned = set(
            session.exec(
                select(col(BookingService.id)).where(
                    col(BookingService.tenant_id) == tenant_id, col(BookingService.id).in_(wanted)
                )
            ).all()
        )
        if owned != set(wanted):
            raise Invalid(fields={"service_ids": "Choose services of this business."})
    for service_id in wanted:
        session.add(BookingStaffService(staff_id=staff_id, service_id=service_id, tenant_id=tenant_id))
    session.flush()


def _staff_out(row: BookingStaff, service_ids: Sequence[int]) -> StaffOut:
    assert row.id is not None
    return StaffOut(
        id=row.id,
        name=row.name,
        service_ids=tuple(sorted(service_ids)),
        working_hours=dict(row.working_hours or {}),
        active=row.active,
    )


def _folded(text: str) -> str:
    lowered = unicodedata.normalize("NFKD", (text or "").casefold())
    return " ".join("".join(c for c in lowered if not unicodedata.combining(c)).split())
