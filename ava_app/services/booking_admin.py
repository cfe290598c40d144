"""The owner's side of bookings: what the /bookings page reads and does, for the signed-in caller's organisation.

Each function takes the ``Principal`` and reads the tenant from it, never from an id the page sends: any member
reads, viewers are refused any change (``require_writer``). Booking ids the page sends are looked up in the
caller's tenant only, so another organisation's booking is NotFound. Functions flush; the page's session commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from ava_app.models import Tenant, as_utc, utcnow
from ava_app.services import bookings, regional
from ava_app.services.bookings import BookingOut, ServiceOut, Slot, StaffOut
from ava_app.services.errors import NotFound
from ava_app.services.principal import Principal

SLOT_LIMIT = 40


@dataclass(frozen=True)
class Overview:
    """The organisation's bookings in a span, its services and staff, and its regional settings."""

    bookings: list[BookingOut]
    services: list[ServiceOut]
    staff: list[StaffOut]
    enabled: bool
    timezone: str
    currency: str


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation does not exist.", code="not_found")
    return tenant


def local_week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def today_local(session: Session, *, principal: Principal, now: datetime | None = None) -> date:
    """Today in the business's timezone."""
    tenant = _tenant(session, principal.require_member())
    return regional.to_local(as_utc(now or utcnow()), tenant.timezone).date()


def overview(
    session: Session,
    *,
    principal: Principal,
    first_day: date,
    days: int,
    staff_id: int | None = None,
    service_id: int | None = None,
) -> Overview:
    """The live bookings starting on ``days`` local days from ``first_day``, optionally of one staff or service."""
    tenant_id = principal.require_member()
    tenant = _tenant(session, tenant_id)
    zone = regional.zone(tenant.timezone)
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=zone).astimezone(UTC)
    rows = bookings.list_bookings(
        session, tenant_id=tenant_id, start=start, end=end, staff_id=staff_id, service_id=service_id
    )
    return Overview(
        bookings=rows,
        services=bookings.list_services(session, tenant_id=tenant_id),
        staff=bookings.list_staff(session, tenant_id=tenant_id),
        enabled=bookings.booking_enabled(session, tenant_id=tenant_id),
        timezone=tenant.timezone or "UTC",
        currency=tenant.currency or "USD",
    )


def open_slots(
    session: Session,
    *,
    principal: Principal,
    service_id: int,
    day: date,
    staff_id: int | None = None,
    booking_id: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """The free slots of one local day for a service (``booking_id``: the booking being moved is left out)."""
    tenant_id = principal.require_writer()
    if booking_id is not None:
        bookings.get_booking(session, tenant_id=tenant_id, booking_id=booking_id)
    return bookings.find_slots(
        session,
        tenant_id=tenant_id,
        service_id=service_id,
        staff_id=staff_id,
        first_day=day,
        last_day=day,
        now=as_utc(now or utcnow()),
        limit=SLOT_LIMIT,
        ignore_booking_id=booking_id,
    )


def book(
    session: Session,
    *,
    principal: Principal,
    service_id: int,
    start_at: datetime,
    caller_name: str,
    caller_phone: str | None,
    notes: str = "",
    staff_id: int | None = None,
) -> BookingOut:
    """An owner's booking by hand: the time must be free (the assistant's rules do not bind the owner)."""
    return bookings.create_booking(
        session,
        tenant_id=principal.require_writer(),
        service_id=service_id,
        start_at=start_at,
        caller_name=caller_name,
        caller_phone=caller_phone or None,
        staff_id=staff_id,
        notes=notes,
        source="owner",
        check_rules=False,
    )


def move(
    session: Session, *, principal: Principal, booking_id: int, start_at: datetime, staff_id: int | None = None
) -> BookingOut:
    """Move one of the organisation's bookings to a free time."""
    return bookings.reschedule_booking(
        session,
        tenant_id=principal.require_writer(),
        booking_id=booking_id,
        start_at=start_at,
        staff_id=staff_id,
        check_rules=False,
    )


def cancel(session: Session, *, principal: Principal, booking_id: int) -> BookingOut:
    """Cancel one of the organisation's bookings."""
    return bookings.cancel_booking(session, tenant_id=principal.require_writer(), booking_id=booking_id)
