"""A business that takes bookings, for the booking service, tool and bench tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ava_app.models import Tenant
from ava_app.services import bookings
from ava_app.services.bookings import ServiceOut, StaffOut
from tests.factories import make_phone_number, make_tenant

WEEKDAYS_9_TO_5 = {day: [{"open": "09:00", "close": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
EVERY_HOUR = {day: [{"open": "00:00", "close": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@dataclass
class BookingBusiness:
    tenant: Tenant
    haircut: ServiceOut
    colour: ServiceOut
    staff: list[StaffOut]


def setup_booking_business(
    db: Session,
    *,
    timezone: str = "Europe/Paris",
    country: str = "FR",
    hours: dict | None = None,
    holidays: list[str] | None = None,
    staff_names: tuple[str, ...] = ("Sam", "Alex"),
    min_notice_minutes: int = 60,
    horizon_days: int = 60,
    granularity_minutes: int = 30,
    max_per_day: int | None = None,
    **tenant_fields,
) -> BookingBusiness:
    """A salon: a 30-minute haircut with a 10-minute buffer (25.00) and a 90-minute colour, done by every staff
    member, open ``hours`` (weekdays 9-5 by default) on its one line, bookings on."""
    tenant = make_tenant(
        db, timezone=timezone, country=country, locale="fr" if country == "FR" else "en", **tenant_fields
    )
    assert tenant.id is not None
    make_phone_number(
        db, tenant=tenant, business_hours=WEEKDAYS_9_TO_5 if hours is None else hours, holidays=holidays or []
    )
    bookings.save_booking_rules(
        db,
        tenant_id=tenant.id,
        enabled=True,
        min_notice_minutes=min_notice_minutes,
        horizon_days=horizon_days,
        granularity_minutes=granularity_minutes,
        max_per_day=max_per_day,
    )
    haircut = bookings.add_service(
        db, tenant_id=tenant.id, name="Haircut", duration_minutes=30, price_minor=2500, buffer_minutes=10
    )
    colour = bookings.add_service(db, tenant_id=tenant.id, name="Colour", duration_minutes=90, price_minor=6000)
    staff = [
        bookings.add_staff(db, tenant_id=tenant.id, name=name, service_ids=[haircut.id, colour.id])
        for name in staff_names
    ]
    db.commit()
    return BookingBusiness(tenant=tenant, haircut=haircut, colour=colour, staff=staff)
