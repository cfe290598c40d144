"""Making, moving, cancelling and finding bookings in AVA's own calendar.

Two callers who take the same slot at the same moment get exactly one booking; the other gets ``SlotUnavailable``
carrying the next free slots. On PostgreSQL the exclusion constraint of migration 0020 decides (the losing INSERT
fails inside a savepoint, so the caller's transaction goes on); on SQLite the booking first takes the write lock (a
no-op UPDATE of the tenant's rules row: SQLite lets one writer in at a time, the others wait on the busy timeout) and
only then checks the slot, so the second writer sees the first one's booking.

Functions run in the caller's transaction and never commit: the assistant's tools commit with the webhook event,
an owner's page commits itself. Commit (or roll back) soon: on SQLite the lock is held until then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import Booking, BookingService, BookingSettings, BookingStaff, Call, Tenant, as_utc, utcnow
from ava_app.services import phones, regional
from ava_app.services.bookings.availability import (
    Interval,
    Slot,
    find_slots,
    merged_spans,
    overlaps,
    service_staff,
    taken_spans,
)
from ava_app.services.bookings.catalog import booking_rules, ensure_rules_row
from ava_app.services.errors import Conflict, Forbidden, Invalid, NotFound

NEXT_SLOTS = 3
# How far before a call's start and after its end a booking's change still counts as the call's.
CALL_SLACK = timedelta(minutes=2)


class SlotUnavailable(Conflict):
    """This time cannot be booked. ``details['reason']``: ``taken`` (booked meanwhile), ``past``, or ``unavailable``
    (outside hours, notice or horizon, not on the grid); ``details['next_slots']``: the next free ``Slot``s."""

    code = "booking_slot_unavailable"


@dataclass(frozen=True)
class BookingOut:
    """A booking as pages and tools see it: UTC times, names resolved, the caller's number in E.164."""

    id: int
    service_id: int
    service_name: str
    staff_id: int
    staff_name: str
    start_at: datetime
    end_at: datetime
    caller_name: str
    caller_phone: str | None
    notes: str
    price_minor: int | None
    status: str
    source: str
    call_id: int | None
    caller_email: str | None = None
    moved_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def state(self) -> str:
        """``booked``, ``moved`` (its time changed since it was made) or ``cancelled``."""
        if self.status == "cancelled":
            return "cancelled"
        return "moved" if self.moved_at is not None else "booked"


def create_booking(
    session: Session,
    *,
    tenant_id: int,
    service_id: int,
    start_at: datetime,
    caller_name: str,
    caller_phone: str | None = None,
    caller_email: str | None = None,
    staff_id: int | None = None,
    notes: str = "",
    source: str = "assistant",
    call_id: int | None = None,
    now: datetime | None = None,
    check_rules: bool = True,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
    offer_until: date | None = None,
) -> BookingOut:
    """Book ``service_id`` at ``start_at`` (aware) with ``staff_id``, or the first staff member free then.

    ``caller_phone`` is read in the tenant's country and stored in E.164. With ``check_rules`` (the assistant) the
    time must be a free slot under every rule; without (an owner placing a booking by hand) it only has to be free.
    ``busy``/``staff_busy`` block times as in ``find_slots``; ``offer_until`` (a local day) bounds the next slots a
    refusal offers, when the busy times are known only that far. Raises SlotUnavailable (with the next slots),
    NotFound (service or staff not the tenant's) or Invalid.
    """
    now = as_utc(now or utcnow())
    tenant = _tenant(session, tenant_id)
    service = _active_service(session, tenant_id=tenant_id, service_id=service_id)
    start_at = _aware(start_at)
    phone = _phone(caller_phone, tenant)
    _take_turn(session, tenant_id=tenant_id)
    slot = _free_slot(
        session,
        tenant_id=tenant_id,
        service=service,
        staff_id=staff_id,
        start_at=start_at,
        now=now,
        check_rules=check_rules,
        busy=busy,
        staff_busy=staff_busy,
        offer_until=offer_until,
    )
    booking = Booking(
        tenant_id=tenant_id,
        service_id=service_id,
        staff_id=slot.staff_id,
        start_at=slot.start_at,
        end_at=slot.end_at,
        busy_until=slot.end_at + timedelta(minutes=service.buffer_minutes),
        caller_name=" ".join((caller_name or "").split())[:120],
        caller_phone=phone,
        caller_email=(caller_email or "").strip()[:254] or None,
        notes=(notes or "").strip()[:1000],
        price_minor=service.price_minor,
        status="booked",
        source=source if source in ("assistant", "owner") else "owner",
        call_id=call_id,
        created_at=now,
        updated_at=now,
    )
    _write(
        session,
        booking,
        tenant_id=tenant_id,
        service_id=service_id,
        staff_id=staff_id,
        now=now,
        busy=busy,
        staff_busy=staff_busy,
        offer_until=offer_until,
    )
    return _out(session, booking)


def reschedule_booking(
    session: Session,
    *,
    tenant_id: int,
    booking_id: int,
    start_at: datetime,
    caller_phone: str | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
    check_rules: bool = True,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
    offer_until: date | None = None,
) -> BookingOut:
    """Move a live booking to ``start_at`` (same service; ``staff_id`` or the first staff member free).

    ``caller_phone`` given (a caller asking): it must be the booking's number, else Forbidden. Raises as
    ``create_booking``; the booking keeps its own time if the new one is refused.
    """
    now = as_utc(now or utcnow())
    _take_turn(session, tenant_id=tenant_id)
    booking = _live_booking(session, tenant_id=tenant_id, booking_id=booking_id, caller_phone=caller_phone)
    service = _active_service(session, tenant_id=tenant_id, service_id=booking.service_id)
    slot = _free_slot(
        session,
        tenant_id=tenant_id,
        service=service,
        staff_id=staff_id,
        start_at=_aware(start_at),
        now=now,
        check_rules=check_rules,
        busy=busy,
        staff_busy=staff_busy,
        offer_until=offer_until,
        ignore_booking_id=booking_id,
    )
    if slot.start_at != as_utc(booking.start_at):
        booking.moved_at = now
    booking.staff_id, booking.start_at, booking.end_at = slot.staff_id, slot.start_at, slot.end_at
    booking.busy_until = slot.end_at + timedelta(minutes=service.buffer_minutes)
    booking.updated_at = now
    _write(
        session,
        booking,
        tenant_id=tenant_id,
        service_id=service.id or 0,
        staff_id=staff_id,
        now=now,
        busy=busy,
        staff_busy=staff_busy,
        offer_until=offer_until,
    )
    return _out(session, booking)


def update_booking(
    session: Session,
    *,
    tenant_id: int,
    booking_id: int,
    service_id: int,
    start_at: datetime,
    caller_name: str,
    caller_phone: str | None,
    caller_email: str | None,
    notes: str,
    staff_id: int | None = None,
    now: datetime | None = None,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
) -> tuple[BookingOut, bool]:
    """The owner's edit of a live booking: service, staff (None: the first one free), time, and the caller's name,
    number, address and notes. Returns the booking and whether its service, time or staff changed (the caller is
    then told, as for a move).

    A new service, time or staff member must be free as for an owner's booking (the assistant's rules do not bind
    the owner); unchanged, the booking keeps them even if they would no longer fit. Raises SlotUnavailable with the
    next free times (nothing is changed then), NotFound or Invalid.
    """
    now = as_utc(now or utcnow())
    tenant = _tenant(session, tenant_id)
    phone = _phone(caller_phone, tenant)
    _take_turn(session, tenant_id=tenant_id)
    booking = _live_booking(session, tenant_id=tenant_id, booking_id=booking_id, caller_phone=None)
    start_at = _aware(start_at)
    if service_id == booking.service_id:
        service = session.get(BookingService, service_id)
        assert service is not None, "a booking's service is kept while it has bookings"
    else:
        service = _active_service(session, tenant_id=tenant_id, service_id=service_id)
    same_place = staff_id in (None, booking.staff_id)
    changed = not (service_id == booking.service_id and start_at == as_utc(booking.start_at) and same_place)
    if changed:
        slot = _free_slot(
            session,
            tenant_id=tenant_id,
            service=service,
            staff_id=staff_id,
            start_at=start_at,
            now=now,
            check_rules=False,
            busy=busy,
            staff_busy=staff_busy,
            ignore_booking_id=booking_id,
        )
        if slot.start_at != as_utc(booking.start_at):
            booking.moved_at = now
        if service_id != booking.service_id:
            booking.price_minor = service.price_minor
        booking.service_id, booking.staff_id = service_id, slot.staff_id
        booking.start_at, booking.end_at = slot.start_at, slot.end_at
        booking.busy_until = slot.end_at + timedelta(minutes=service.buffer_minutes)
    booking.caller_name = " ".join((caller_name or "").split())[:120]
    booking.caller_phone = phone
    booking.caller_email = (caller_email or "").strip()[:254] or None
    booking.notes = (notes or "").strip()[:1000]
    booking.updated_at = now
    _write(
        session,
        booking,
        tenant_id=tenant_id,
        service_id=service_id,
        staff_id=staff_id,
        now=now,
        busy=busy,
        staff_busy=staff_busy,
    )
    return _out(session, booking), changed


def bookings_of_call(session: Session, *, tenant_id: int, call_id: int) -> list[BookingOut]:
    """The bookings a call made, moved or cancelled, as they stand now, by start time.

    Made: linked to the call. Moved or cancelled: a booking of the caller's number (or of the number they proved on
    the call) whose last move or cancellation fell while the call went on.
    """
    call = session.get(Call, call_id)
    if call is None or call.tenant_id != tenant_id:
        return []
    found = {row.id: row for row in session.exec(select(Booking).where(col(Booking.call_id) == call_id)).all()}
    numbers = [number for number in (call.caller_number, call.proven_phone) if number]
    start = as_utc(call.started_at or call.created_at)
    if call.ended_at is not None:
        end = as_utc(call.ended_at)
    elif call.duration_seconds:
        end = start + timedelta(seconds=call.duration_seconds)
    else:
        end = utcnow()  # still going on
    if numbers:
        # A tool's answer may be committed a few seconds after the end-of-call report arrived.
        span_start, span_end = as_utc(start) - CALL_SLACK, as_utc(end) + CALL_SLACK
        changed_then = or_(
            col(Booking.moved_at).between(span_start, span_end),
            col(Booking.cancelled_at).between(span_start, span_end),
        )
        rows = session.exec(
            select(Booking).where(
                col(Booking.tenant_id) == tenant_id, col(Booking.caller_phone).in_(numbers), changed_then
            )
        ).all()
        found.update({row.id: row for row in rows})
    ordered = sorted(found.values(), key=lambda row: (as_utc(row.start_at), row.id or 0))
    return [_out(session, row) for row in ordered if row.tenant_id == tenant_id]


def cancel_booking(
    session: Session, *, tenant_id: int, booking_id: int, caller_phone: str | None = None, now: datetime | None = None
) -> BookingOut:
    """Cancel a live booking; ``caller_phone`` given, it must be the booking's number (else Forbidden)."""
    now = as_utc(now or utcnow())
    booking = _live_booking(session, tenant_id=tenant_id, booking_id=booking_id, caller_phone=caller_phone)
    booking.status, booking.cancelled_at, booking.updated_at = "cancelled", now, now
    session.add(booking)
    session.flush()
    return _out(session, booking)


def find_bookings_by_phone(
    session: Session, *, tenant_id: int, phone: str, now: datetime | None = None, limit: int = 5
) -> list[BookingOut]:
    """The live bookings still to come for a caller's number (any way it is written), soonest first."""
    tenant = _tenant(session, tenant_id)
    e164 = phones.parse(phone, tenant.country)
    if not e164:
        return []
    rows = session.exec(
        select(Booking)
        .where(
            col(Booking.tenant_id) == tenant_id,
            col(Booking.caller_phone) == e164,
            col(Booking.status) == "booked",
            col(Booking.end_at) > as_utc(now or utcnow()),
        )
        .order_by(col(Booking.start_at))
        .limit(limit)
    ).all()
    return [_out(session, row) for row in rows]


def get_booking(session: Session, *, tenant_id: int, booking_id: int) -> BookingOut:
    """One of the tenant's bookings; NotFound for another tenant's."""
    row = session.get(Booking, booking_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("This booking does not exist.", code="booking_not_found")
    return _out(session, row)


def list_bookings(
    session: Session,
    *,
    tenant_id: int,
    start: datetime,
    end: datetime,
    staff_id: int | None = None,
    service_id: int | None = None,
    include_cancelled: bool = False,
    limit: int = 500,
) -> list[BookingOut]:
    """The tenant's bookings starting in [start, end), by start time (a week view, a list), optionally filtered."""
    query = select(Booking).where(
        col(Booking.tenant_id) == tenant_id, col(Booking.start_at) >= as_utc(start), col(Booking.start_at) < as_utc(end)
    )
    if staff_id is not None:
        query = query.where(col(Booking.staff_id) == staff_id)
    if service_id is not None:
        query = query.where(col(Booking.service_id) == service_id)
    if not include_cancelled:
        query = query.where(col(Booking.status) == "booked")
    rows = session.exec(query.order_by(col(Booking.start_at), col(Booking.id)).limit(limit)).all()
    return [_out(session, row) for row in rows]


def same_number(first: str | None, second: str | None, *, country: str | None) -> bool:
    """Whether two phone numbers are the same line once both are read in ``country`` (False when either is not one)."""
    a, b = phones.parse(first or "", country), phones.parse(second or "", country)
    return bool(a) and a == b


# --- inside


def _take_turn(session: Session, *, tenant_id: int) -> None:
    """Make concurrent bookings of the tenant check the calendar one after another where the database needs it.

    SQLite: take the write lock first (a no-op UPDATE), so the check reads every committed booking. PostgreSQL: the
    exclusion constraint settles overlaps by itself; only a daily cap needs turns (the rules row locked).
    """
    if session.get_bind().dialect.name == "sqlite":
        ensure_rules_row(session, tenant_id=tenant_id)
        session.exec(
            update(BookingSettings)
            .where(col(BookingSettings.tenant_id) == tenant_id)
            .values(updated_at=BookingSettings.updated_at)
        )
    elif booking_rules(session, tenant_id=tenant_id).max_per_day is not None:
        session.exec(select(BookingSettings.id).where(col(BookingSettings.tenant_id) == tenant_id).with_for_update())


def _free_slot(
    session: Session,
    *,
    tenant_id: int,
    service: BookingService,
    staff_id: int | None,
    start_at: datetime,
    now: datetime,
    check_rules: bool,
    busy: Sequence[Interval],
    staff_busy: Mapping[int, Sequence[Interval]] | None,
    offer_until: date | None = None,
    ignore_booking_id: int | None = None,
) -> Slot:
    """The slot at ``start_at`` (the first staff member free then), or SlotUnavailable with the next ones."""
    assert service.id is not None
    tenant = _tenant(session, tenant_id)
    if staff_id is not None:
        member = session.get(BookingStaff, staff_id)
        if member is None or member.tenant_id != tenant_id:
            raise NotFound("This staff member does not exist.", code="booking_staff_not_found")
    if check_rules and start_at <= now:
        raise _unavailable(
            session,
            tenant_id=tenant_id,
            service_id=service.id,
            staff_id=staff_id,
            now=now,
            reason="past",
            busy=busy,
            staff_busy=staff_busy,
            offer_until=offer_until,
        )
    day = regional.to_local(start_at, tenant.timezone).date()
    candidates = (
        find_slots(
            session,
            tenant_id=tenant_id,
            service_id=service.id,
            staff_id=staff_id,
            first_day=day,
            last_day=day,
            now=now,
            limit=None,
            busy=busy,
            staff_busy=staff_busy,
            ignore_booking_id=ignore_booking_id,
            distinct_times=False,
        )
        if check_rules
        else _unchecked_candidates(
            session,
            tenant_id=tenant_id,
            service=service,
            staff_id=staff_id,
            start_at=start_at,
            busy=busy,
            staff_busy=staff_busy,
            ignore_booking_id=ignore_booking_id,
        )
    )
    for slot in candidates:
        if slot.start_at == start_at:
            return slot
    raise _unavailable(
        session,
        tenant_id=tenant_id,
        service_id=service.id,
        staff_id=staff_id,
        now=now,
        reason="unavailable",
        after=start_at,
        busy=busy,
        staff_busy=staff_busy,
        offer_until=offer_until,
    )


def _unchecked_candidates(
    session: Session,
    *,
    tenant_id: int,
    service: BookingService,
    staff_id: int | None,
    start_at: datetime,
    busy: Sequence[Interval],
    staff_busy: Mapping[int, Sequence[Interval]] | None,
    ignore_booking_id: int | None,
) -> list[Slot]:
    """Staff members free at ``start_at`` for the service and its buffer, whatever the hours and rules (owner)."""
    assert service.id is not None
    staff = service_staff(session, tenant_id=tenant_id, service_id=service.id, staff_id=staff_id)
    end_at = start_at + timedelta(minutes=service.duration_minutes)
    held_until = end_at + timedelta(minutes=service.buffer_minutes)
    taken = taken_spans(
        session,
        staff_ids=[member.id for member in staff],
        start=start_at,
        end=held_until,
        ignore_booking_id=ignore_booking_id,
    )
    return [
        Slot(start_at=start_at, end_at=end_at, staff_id=member.id, staff_name=member.name)
        for member in staff
        if not overlaps(
            merged_spans([*taken[member.id], *(staff_busy or {}).get(member.id, ()), *busy]), start_at, held_until
        )
    ]


def _write(
    session: Session,
    booking: Booking,
    *,
    tenant_id: int,
    service_id: int,
    staff_id: int | None,
    now: datetime,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
    offer_until: date | None = None,
) -> None:
    """Insert or update the booking; on PostgreSQL a concurrent one that won the slot fails it in a savepoint."""
    try:
        with session.begin_nested():
            session.add(booking)
    except IntegrityError:
        raise _unavailable(
            session,
            tenant_id=tenant_id,
            service_id=service_id,
            staff_id=staff_id,
            now=now,
            reason="taken",
            after=as_utc(booking.start_at),
            busy=busy,
            staff_busy=staff_busy,
            offer_until=offer_until,
        ) from None


def _unavailable(
    session: Session,
    *,
    tenant_id: int,
    service_id: int,
    staff_id: int | None,
    now: datetime,
    reason: str,
    after: datetime | None = None,
    busy: Sequence[Interval] = (),
    staff_busy: Mapping[int, Sequence[Interval]] | None = None,
    offer_until: date | None = None,
) -> SlotUnavailable:
    """SlotUnavailable with the next free slots (outside ``busy`` times, no later than ``offer_until``): after the
    asked time on its day and later, else from now."""
    tenant = _tenant(session, tenant_id)

    def search(first_day: date | None, limit: int) -> list[Slot]:
        return find_slots(
            session,
            tenant_id=tenant_id,
            service_id=service_id,
            staff_id=staff_id,
            now=now,
            first_day=first_day,
            last_day=offer_until,
            limit=limit,
            busy=busy,
            staff_busy=staff_busy,
        )

    slots: list[Slot] = []
    if after is not None and after > now:
        slots = search(regional.to_local(after, tenant.timezone).date(), NEXT_SLOTS * 8)
        slots = [slot for slot in slots if slot.start_at > after][:NEXT_SLOTS]
    if not slots:
        slots = search(None, NEXT_SLOTS)
    message = {
        "taken": "Someone else has just booked this time.",
        "past": "This time has already passed.",
    }.get(reason, "This time is not available.")
    return SlotUnavailable(message, reason=reason, next_slots=slots)


def _live_booking(session: Session, *, tenant_id: int, booking_id: int, caller_phone: str | None) -> Booking:
    query = select(Booking).where(col(Booking.id) == booking_id, col(Booking.tenant_id) == tenant_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    booking = session.exec(query.execution_options(populate_existing=True)).first()
    if booking is None or booking.status != "booked":
        raise NotFound("This booking does not exist.", code="booking_not_found")
    if caller_phone is not None:
        tenant = _tenant(session, tenant_id)
        if not same_number(caller_phone, booking.caller_phone, country=tenant.country):
            raise Forbidden("This booking was made from another number.", code="booking_other_number")
    return booking


def _active_service(session: Session, *, tenant_id: int, service_id: int) -> BookingService:
    service = session.get(BookingService, service_id)
    if service is None or service.tenant_id != tenant_id or not service.active:
        raise NotFound("This service is not offered.", code="booking_service_not_found")
    return service


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This business does not exist.")
    return tenant


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise Invalid("A booking time needs its timezone.", fields={"start_at": "Give the time with its UTC offset."})
    return as_utc(value)


def _phone(value: str | None, tenant: Tenant) -> str | None:
    if not (value or "").strip():
        return None
    e164 = phones.parse(value or "", tenant.country)
    if e164 is None:
        raise Invalid("This is not a phone number.", fields={"caller_phone": "Enter a phone number."})
    return e164


def _out(session: Session, booking: Booking) -> BookingOut:
    assert booking.id is not None
    service = session.get(BookingService, booking.service_id)
    staff = session.get(BookingStaff, booking.staff_id)
    return BookingOut(
        id=booking.id,
        service_id=booking.service_id,
        service_name=service.name if service else "",
        staff_id=booking.staff_id,
        staff_name=staff.name if staff else "",
        start_at=as_utc(booking.start_at),
        end_at=as_utc(booking.end_at),
        caller_name=booking.caller_name,
        caller_phone=booking.caller_phone,
        notes=booking.notes,
        price_minor=booking.price_minor,
        status=booking.status,
        source=booking.source,
        call_id=booking.call_id,
        caller_email=booking.caller_email,
        moved_at=as_utc(booking.moved_at) if booking.moved_at else None,
        cancelled_at=as_utc(booking.cancelled_at) if booking.cancelled_at else None,
    )
