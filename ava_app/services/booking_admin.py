"""The owner's side of bookings: what the /bookings page reads and does, for the signed-in caller's organisation.

Each function takes the ``Principal`` and reads the tenant from it, never from an id the page sends: any member
reads, viewers are refused any change (``require_writer``). Booking ids the page sends are looked up in the
caller's tenant only, so another organisation's booking is NotFound. Functions flush; the page's session commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from ava_app import routes
from ava_app.models import Tenant, as_utc, utcnow
from ava_app.services import assistants, bookings, phone_input, regional, webhooks_out
from ava_app.services.bookings import BookingOut, ServiceOut, Slot, StaffOut
from ava_app.services.bookings.calendar_sync import sync_after_commit
from ava_app.services.bookings.confirmations import checked_email, email_caller
from ava_app.services.bookings.texts import text_caller
from ava_app.services.business_hours import TimeRangeIn
from ava_app.services.errors import Invalid, NotFound
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


@dataclass(frozen=True)
class BookingFacts:
    """One booking as the owner reads it, in the business's timezone, language and currency: what a call's page and
    its summary email show. ``state`` is ``booked``, ``moved`` or ``cancelled``; ``path`` opens it on /bookings."""

    id: int
    service: str
    when: str
    staff: str
    price: str
    state: str
    path: str


def booking_page(booking_id: int) -> str:
    """The Bookings page opened on one booking (its week, the booking shown on top)."""
    return routes.with_query(routes.BOOKINGS, booking=booking_id)


def facts(booking: BookingOut, *, tenant: Tenant, language: str) -> BookingFacts:
    """``booking`` written as the business reads it: its time in its timezone and its country's clock (12-hour in
    the US and Canada), its price in its currency."""
    price = ""
    if booking.price_minor is not None:
        price = regional.format_money(booking.price_minor / 100, tenant.currency or "USD", language)
    return BookingFacts(
        id=booking.id,
        service=booking.service_name,
        when=regional.format_datetime(
            booking.start_at, timezone=tenant.timezone, language=language, country=tenant.country
        ),
        staff=booking.staff_name,
        price=price,
        state=booking.state,
        path=booking_page(booking.id),
    )


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation does not exist.", code="not_found")
    return tenant


def local_week_start(day: date, first_weekday: int = 0) -> date:
    """The first day of ``day``'s week, for weeks starting on ``first_weekday`` (0 Monday … 6 Sunday, as
    ``regional.first_weekday`` gives for the business's country)."""
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


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
    caller_email: str = "",
) -> BookingOut:
    """An owner's booking by hand: the time must be free (the assistant's rules do not bind the owner). The caller
    gets a text (``bookings.texts``) and, with an address, an email with the .ics, as for every change the owner
    makes."""
    tenant_id = principal.require_writer()
    email = checked_email(caller_email)
    if caller_email.strip() and email is None:
        raise Invalid("This is not an email address.", code="booking_email_invalid")
    booking = bookings.create_booking(
        session,
        tenant_id=tenant_id,
        service_id=service_id,
        start_at=start_at,
        caller_name=caller_name,
        caller_phone=caller_phone or None,
        caller_email=email,
        staff_id=staff_id,
        notes=notes,
        source="owner",
        check_rules=False,
    )
    sync_after_commit(session, tenant_id=tenant_id, booking_id=booking.id)
    webhooks_out.emit_booking(session, tenant_id=tenant_id, booking=booking, change="booked")
    text_caller(session, tenant_id=tenant_id, booking=booking, change="booked")
    email_caller(session, tenant_id=tenant_id, booking=booking, change="booked")
    return booking


def move(
    session: Session, *, principal: Principal, booking_id: int, start_at: datetime, staff_id: int | None = None
) -> BookingOut:
    """Move one of the organisation's bookings to a free time; the caller is texted the new time."""
    tenant_id = principal.require_writer()
    moved = bookings.reschedule_booking(
        session, tenant_id=tenant_id, booking_id=booking_id, start_at=start_at, staff_id=staff_id, check_rules=False
    )
    sync_after_commit(session, tenant_id=tenant_id, booking_id=moved.id)
    webhooks_out.emit_booking(session, tenant_id=tenant_id, booking=moved, change="moved")
    text_caller(session, tenant_id=tenant_id, booking=moved, change="moved")
    email_caller(session, tenant_id=tenant_id, booking=moved, change="moved")
    return moved


def booking(session: Session, *, principal: Principal, booking_id: int) -> BookingOut:
    """One of the organisation's bookings, live or cancelled (a link from a call or an email opens it)."""
    return bookings.get_booking(session, tenant_id=principal.require_member(), booking_id=booking_id)


def edit(
    session: Session,
    *,
    principal: Principal,
    booking_id: int,
    service_id: int,
    start_at: datetime,
    caller_name: str,
    caller_phone: str,
    caller_email: str,
    notes: str,
    staff_id: int | None = None,
) -> BookingOut:
    """The owner's edit of one of the organisation's bookings: service, staff, time and the caller's details.

    The number is read in the business's country (``phone_input``), the address checked as for a new booking; a new
    time, service or staff member must be free, as for a move. When one of those changed the caller is told as for a
    move (text, and email with the .ics); the calendar sync and the ``booking.updated`` webhook follow every edit.
    """
    tenant_id = principal.require_writer()
    email = checked_email(caller_email)
    if caller_email.strip() and email is None:
        raise Invalid("This is not an email address.", code="booking_email_invalid")
    phone = None
    if caller_phone.strip():
        country = phone_input.caller_country(session, principal=principal)
        phone = phone_input.read(caller_phone, country, field="caller_phone")
    edited, changed = bookings.update_booking(
        session,
        tenant_id=tenant_id,
        booking_id=booking_id,
        service_id=service_id,
        start_at=start_at,
        staff_id=staff_id,
        caller_name=caller_name,
        caller_phone=phone,
        caller_email=email,
        notes=notes,
    )
    sync_after_commit(session, tenant_id=tenant_id, booking_id=edited.id)
    webhooks_out.emit_booking(session, tenant_id=tenant_id, booking=edited, change="moved")
    if changed:
        text_caller(session, tenant_id=tenant_id, booking=edited, change="moved")
        email_caller(session, tenant_id=tenant_id, booking=edited, change="moved")
    return edited


def of_call(session: Session, *, principal: Principal, call_id: int, language: str) -> list[BookingFacts]:
    """The bookings one of the organisation's calls made, moved or cancelled, as they stand now, written for the
    owner in ``language`` (another organisation's call has none)."""
    tenant_id = principal.require_member()
    tenant = _tenant(session, tenant_id)
    found = bookings.bookings_of_call(session, tenant_id=tenant_id, call_id=call_id)
    return [facts(item, tenant=tenant, language=language) for item in found]


def cancel(session: Session, *, principal: Principal, booking_id: int) -> BookingOut:
    """Cancel one of the organisation's bookings; the caller is texted that it is cancelled."""
    tenant_id = principal.require_writer()
    cancelled = bookings.cancel_booking(session, tenant_id=tenant_id, booking_id=booking_id)
    sync_after_commit(session, tenant_id=tenant_id, booking_id=cancelled.id)
    webhooks_out.emit_booking(session, tenant_id=tenant_id, booking=cancelled, change="cancelled")
    text_caller(session, tenant_id=tenant_id, booking=cancelled, change="cancelled")
    email_caller(session, tenant_id=tenant_id, booking=cancelled, change="cancelled")
    return cancelled


# --- settings: rules and services (admins) ----------------------------------------------------------------------


def rules(session: Session, *, principal: Principal) -> bookings.BookingRules:
    """The organisation's booking rules (defaults, booking off, until saved)."""
    return bookings.booking_rules(session, tenant_id=principal.require_member())


def save_rules(
    session: Session,
    *,
    principal: Principal,
    enabled: bool,
    min_notice_minutes: int,
    horizon_days: int,
    granularity_minutes: int,
    max_per_day: int | None,
    remind_day_before: bool | None = None,
) -> bookings.BookingRules:
    """Check and store the rules, then queue the assistants' push (their booking tools follow ``enabled``)."""
    tenant_id = principal.require_admin()
    saved = bookings.save_booking_rules(
        session,
        tenant_id=tenant_id,
        enabled=enabled,
        min_notice_minutes=min_notice_minutes,
        horizon_days=horizon_days,
        granularity_minutes=granularity_minutes,
        max_per_day=max_per_day,
        remind_day_before=remind_day_before,
    )
    assistants.enqueue_vapi_resync(session, tenant_id=tenant_id)
    return saved


def add_service(
    session: Session, *, principal: Principal, name: str, duration_minutes: int, price_minor: int | None, buffer: int
) -> ServiceOut:
    """Add a service, done by every active staff member (a business's first service is bookable at once)."""
    tenant_id = principal.require_admin()
    service = bookings.add_service(
        session,
        tenant_id=tenant_id,
        name=name,
        duration_minutes=duration_minutes,
        price_minor=price_minor,
        buffer_minutes=buffer,
    )
    for member in bookings.list_staff(session, tenant_id=tenant_id):
        bookings.update_staff(
            session,
            tenant_id=tenant_id,
            staff_id=member.id,
            name=member.name,
            service_ids=[*member.service_ids, service.id],
            working_hours=member.working_hours,
        )
    return service


def update_service(
    session: Session,
    *,
    principal: Principal,
    service_id: int,
    name: str,
    duration_minutes: int,
    price_minor: int | None,
) -> ServiceOut:
    """Rename a service or change its duration or price (admins); its buffer stays, its bookings keep their times."""
    tenant_id = principal.require_admin()
    current = bookings.get_service(session, tenant_id=tenant_id, service_id=service_id)
    saved = bookings.update_service(
        session,
        tenant_id=tenant_id,
        service_id=service_id,
        name=name,
        duration_minutes=duration_minutes,
        price_minor=price_minor,
        buffer_minutes=current.buffer_minutes,
        active=current.active,
    )
    assistants.enqueue_vapi_resync(session, tenant_id=tenant_id)
    return saved


def set_booking_enabled(session: Session, *, principal: Principal, enabled: bool) -> bookings.BookingRules:
    """Turn booking on or off (admins), keeping the other rules as they are."""
    current = rules(session, principal=principal)
    return save_rules(
        session,
        principal=principal,
        enabled=enabled,
        min_notice_minutes=current.min_notice_minutes,
        horizon_days=current.horizon_days,
        granularity_minutes=current.granularity_minutes,
        max_per_day=current.max_per_day,
        remind_day_before=current.remind_day_before,
    )


def deactivate_service(session: Session, *, principal: Principal, service_id: int) -> ServiceOut:
    """Stop new bookings of a service (its bookings stay)."""
    tenant_id = principal.require_admin()
    current = bookings.get_service(session, tenant_id=tenant_id, service_id=service_id)
    return bookings.update_service(
        session,
        tenant_id=tenant_id,
        service_id=service_id,
        name=current.name,
        duration_minutes=current.duration_minutes,
        price_minor=current.price_minor,
        buffer_minutes=current.buffer_minutes,
        active=False,
    )


def add_staff(session: Session, *, principal: Principal, name: str) -> StaffOut:
    """Add a staff member doing every active service, in the business's hours."""
    tenant_id = principal.require_admin()
    services = [service.id for service in bookings.list_services(session, tenant_id=tenant_id)]
    return bookings.add_staff(session, tenant_id=tenant_id, name=name, service_ids=services)


def staff_member(session: Session, *, principal: Principal, staff_id: int) -> StaffOut:
    """One of the organisation's staff members, to edit (admins)."""
    tenant_id = principal.require_admin()
    for member in bookings.list_staff(session, tenant_id=tenant_id, include_inactive=True):
        if member.id == staff_id:
            return member
    raise NotFound("This staff member does not exist.", code="booking_staff_not_found")


def save_staff(
    session: Session,
    *,
    principal: Principal,
    staff_id: int,
    name: str,
    service_ids: list[int],
    working_hours: dict | None,
) -> StaffOut:
    """Change a staff member's name, services and own working hours (None or empty: the business's hours; their
    times are always kept within the business's hours). Their bookings stay as they are."""
    tenant_id = principal.require_admin()
    current = staff_member(session, principal=principal, staff_id=staff_id)
    hours = {
        str(day): [item if isinstance(item, TimeRangeIn) else TimeRangeIn(**item) for item in ranges or []]
        for day, ranges in (working_hours or {}).items()
    }
    saved = bookings.update_staff(
        session,
        tenant_id=tenant_id,
        staff_id=staff_id,
        name=name,
        service_ids=service_ids,
        working_hours=hours,
        active=current.active,
    )
    return saved
