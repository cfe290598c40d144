"""A business's connected Google or Microsoft calendar inside booking: its busy times block slots, and every booking
AVA makes, moves or cancels is written to it.

**Reading** (``calendar_busy``, during a call): the connected calendars' busy blocks, less the blocks that are only
AVA's own bookings (those are already in AVA's calendar, per staff member; left in, one staff member's booking would
block every other one). A block that mixes an AVA booking with the owner's own event stays busy whole: a doubtful
time is never offered. The blocks apply to every staff member: the connected calendar is the business's.

**Writing** (``sync_after_commit``): once the booking's transaction commits, a job writes the booking's current
state: created or updated while it is booked, deleted once it is cancelled. Writes are idempotent (the event is
keyed by the booking id, ``providers.calendars``), so a retried job, two quick changes or a reconnect never make a
second event. An outage is retried with a growing delay; a broken connection stops the job (the admins were
emailed), and connecting a calendar again writes every booking still to come (``sync_future_bookings``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ava_app.db import on_commit, session_scope
from ava_app.models import Booking, BookingService, Tenant, as_utc, utcnow
from ava_app.services import calendar_connections, regional
from ava_app.services.bookings.availability import Interval, merged_spans
from ava_app.services.calendar_connections import CalendarBroken
from ava_app.services.crm import sync as crm_sync
from ava_app.task_queue import enqueue, task

log = logging.getLogger(__name__)

# How far one reading of a connected calendar reaches: a booking search with a calendar stops there.
CALENDAR_WINDOW_DAYS = 31
# Bookings still to come written to a calendar just connected, at most.
FUTURE_BOOKINGS_LIMIT = 1000

EVENT_TEXTS = {
    "en": {"phone": "Phone", "notes": "Notes", "booked_by": "Booked by AVA (booking {id}).", "staff": "With"},
    "fr": {"phone": "Téléphone", "notes": "Notes", "booked_by": "Réservé par AVA (réservation {id}).", "staff": "Avec"},
}


def calendar_busy(
    session: Session, *, tenant_id: int, start: datetime, end: datetime, during_call: bool = True
) -> list[Interval] | None:
    """Busy blocks of the business's connected calendars in ``[start, end)`` that are not AVA's own bookings.

    None when no calendar is connected (one query, no request). Raises ``CalendarBroken`` (reconnect needed) and
    ``ProviderUnavailable`` / ``ProviderError`` (the provider is down or refused): the caller takes a message.
    """
    if not calendar_connections.has_calendar(session, tenant_id=tenant_id):
        return None
    blocks = calendar_connections.busy_intervals(
        session, tenant_id=tenant_id, start=start, end=end, during_call=during_call
    )
    if not blocks:
        return []
    own = merged_spans(
        [
            (as_utc(start_at), as_utc(end_at))
            for start_at, end_at in session.exec(
                select(Booking.start_at, Booking.end_at).where(
                    col(Booking.tenant_id) == tenant_id,
                    col(Booking.status) == "booked",
                    col(Booking.start_at) < end,
                    col(Booking.end_at) > start,
                )
            ).all()
        ]
    )
    return [block for block in blocks if not _inside(block, own)]


def _inside(block: Interval, spans: Sequence[Interval]) -> bool:
    """Whether ``block`` lies within one of ``spans`` (merged, so a block they cover together lies within one)."""
    return any(start <= block[0] and block[1] <= end for start, end in spans)


def sync_after_commit(session: Session, *, tenant_id: int, booking_id: int) -> None:
    """Have the booking written to the business's connected calendars (and CRM, as a meeting) once this transaction
    commits (nothing when none is connected). Never raises: the booking itself stands."""
    try:
        if calendar_connections.has_calendar(session, tenant_id=tenant_id):
            on_commit(session, lambda: enqueue("sync_booking_calendars", tenant_id, booking_id))
    except Exception:
        log.warning("booking %s: the calendar write could not be queued", booking_id, exc_info=True)
    crm_sync.queue_booking_sync(session, tenant_id=tenant_id, booking_id=booking_id)


def write_booking(session: Session, *, tenant_id: int, booking_id: int) -> str:
    """Write one booking's current state to the connected calendars: ``"written"``, ``"deleted"``, or ``"none"``
    (no calendar). Raises ``CalendarBroken`` and ``ProviderUnavailable`` as the calendar calls do."""
    if not calendar_connections.has_calendar(session, tenant_id=tenant_id):
        return "none"
    booking = session.get(Booking, booking_id)
    if booking is None or booking.tenant_id != tenant_id or booking.status != "booked":
        calendar_connections.delete_event(session, tenant_id=tenant_id, booking_id=booking_id)
        return "deleted"
    summary, description = event_text(session, booking)
    calendar_connections.upsert_event(
        session,
        tenant_id=tenant_id,
        booking_id=booking_id,
        start=as_utc(booking.start_at),
        end=as_utc(booking.end_at),
        summary=summary,
        description=description,
    )
    return "written"


def event_text(session: Session, booking: Booking) -> tuple[str, str]:
    """The event's title ("Cleaning — Ana Lima") and description, in the business's language."""
    tenant = session.get(Tenant, booking.tenant_id)
    language = regional.language_of(tenant.locale) if tenant else "en"
    words = EVENT_TEXTS.get(language, EVENT_TEXTS["en"])
    service = session.get(BookingService, booking.service_id)
    title = f"{service.name if service else ''} — {booking.caller_name}".strip(" —")
    lines = []
    if booking.caller_phone:
        lines.append(f"{words['phone']}: {booking.caller_phone}")
    if booking.notes:
        lines.append(f"{words['notes']}: {booking.notes}")
    lines.append(words["booked_by"].format(id=booking.id))
    return title[:250], "\n".join(lines)


@task(retries=6, retry_delay=30, retry_backoff=2)
def sync_booking_calendars(tenant_id: int, booking_id: int) -> None:
    """Job: write one booking to the connected calendars. An outage raises, so the queue retries (30 s, 1, 2, 4...
    minutes); a broken connection ends the job, the admins having been told."""
    with session_scope() as session:
        try:
            outcome = write_booking(session, tenant_id=tenant_id, booking_id=booking_id)
        except CalendarBroken:
            log.info("booking %s: calendar of tenant %s needs reconnecting; not written", booking_id, tenant_id)
            return
    log.info("booking %s: calendar %s", booking_id, outcome)


@task(retries=0)
def sync_future_bookings(tenant_id: int) -> None:
    """Job, after a calendar is connected: write every live booking still to come, one job each."""
    with session_scope() as session:
        ids = session.exec(
            select(Booking.id)
            .where(
                col(Booking.tenant_id) == tenant_id,
                col(Booking.status) == "booked",
                col(Booking.end_at) > utcnow() - timedelta(minutes=1),
            )
            .order_by(col(Booking.start_at))
            .limit(FUTURE_BOOKINGS_LIMIT)
        ).all()
    for booking_id in ids:
        if booking_id is not None:
            sync_booking_calendars(tenant_id, booking_id)
