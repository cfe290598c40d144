"""The day-before reminder: a text (and an email when the caller gave an address) about a day before each booking.

A periodic job looks every ten minutes for live bookings starting within ``REMIND_AHEAD`` whose business keeps
reminders on (the default) and that were made well before (``BOOKED_AHEAD``: someone who booked this morning for
tonight needs no reminder). Each booking is claimed by setting ``reminded_at`` where it is still empty, so two workers,
or a job run twice, remind once. The text and email go through the same outbox paths as the confirmations: STOP and
duplicates are honoured there.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from huey import crontab
from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import Booking, BookingSettings, as_utc, utcnow
from ava_app.services.bookings.booking import get_booking
from ava_app.services.bookings.confirmations import email_caller
from ava_app.services.bookings.texts import text_caller
from ava_app.task_queue import periodic_task

log = logging.getLogger(__name__)

REMIND_AHEAD = timedelta(hours=24)
# Only bookings made at least this long before they start get a reminder.
BOOKED_AHEAD = timedelta(hours=20)
BATCH = 200


def due_reminders(session: Session, *, now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Ids of the live bookings whose reminder is due, soonest first.

    The "made well before" rule is applied here rather than in SQL (date arithmetic differs between the two
    databases); the rows looked at are only those starting within a day and not yet reminded.
    """
    now = now or utcnow()
    rows = session.exec(
        select(Booking.id, Booking.start_at, Booking.created_at)
        .join(BookingSettings, col(BookingSettings.tenant_id) == col(Booking.tenant_id), isouter=True)
        .where(
            col(Booking.status) == "booked",
            col(Booking.reminded_at).is_(None),
            col(Booking.start_at) > now,
            col(Booking.start_at) <= now + REMIND_AHEAD,
            or_(col(BookingSettings.id).is_(None), col(BookingSettings.remind_day_before).is_(True)),
        )
        .order_by(col(Booking.start_at))
        .limit(limit * 5)
    ).all()
    due = [
        booking_id
        for booking_id, start_at, created_at in rows
        if booking_id is not None and as_utc(created_at) <= as_utc(start_at) - BOOKED_AHEAD
    ]
    return due[:limit]


def remind(session: Session, *, booking_id: int, now: datetime | None = None) -> bool:
    """Claim one booking's reminder and queue its text and email; False when another run already did."""
    now = now or utcnow()
    claimed = session.exec(
        update(Booking)
        .where(and_(col(Booking.id) == booking_id, col(Booking.reminded_at).is_(None)))
        .values(reminded_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        return False
    row = session.get(Booking, booking_id)
    assert row is not None
    booking = get_booking(session, tenant_id=row.tenant_id, booking_id=booking_id)
    text_caller(session, tenant_id=row.tenant_id, booking=booking, change="reminder")
    email_caller(session, tenant_id=row.tenant_id, booking=booking, change="reminder")
    session.commit()
    return True


@periodic_task(crontab(minute="*/10"))
def send_booking_reminders() -> None:
    """Every ten minutes: remind the callers whose appointment is about a day away."""
    with session_scope() as session:
        due = due_reminders(session)
    sent = 0
    for booking_id in due:
        with session_scope() as session:
            sent += remind(session, booking_id=booking_id)
    if sent:
        log.info("%d booking reminders queued", sent)
