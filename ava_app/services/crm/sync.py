"""After a call's summary: upsert the caller in the organisation's CRM, log the call, add a task when action is
needed. Idempotent per (connection, call): every remote id is stored as soon as the CRM answers, and from the second
attempt on each missing record is looked up by AVA's reference before it is created, so a retried job never makes
two engagements.

Failures: a short 429 waits in the client; a longer one schedules the job after ``Retry-After``; a timeout or 5xx
raises for the queue's retries (``failed`` after the last); another 4xx fails the call's sync for good; a revoked
token marks the connection broken (admins emailed) and leaves the call pending.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ava_app import routes
from ava_app.db import on_commit, session_scope
from ava_app.models import Booking, BookingService, Call, CrmConnection, CrmSyncedBooking, CrmSyncedCall, as_utc, utcnow
from ava_app.services.calls import caller_name
from ava_app.services.crm import BookingForCrm, CallForCrm, CrmAuthRevoked, CrmRateLimited, CrmRejected, connections
from ava_app.services.errors import ProviderUnavailable
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue, task

log = logging.getLogger(__name__)

SYNC_RETRIES = 5
RETRY_DELAY, RETRY_BACKOFF = 10, 2
EMAIL_FIELDS = ("email", "caller_email", "customer_email")


def call_for_crm(call: Call) -> CallForCrm:
    """The CRM's view of a summarised call."""
    assert call.id is not None
    fields = call.data_fields if isinstance(call.data_fields, dict) else {}
    email = next(
        (str(fields[k]).strip() for k in EMAIL_FIELDS if isinstance(fields.get(k), str) and "@" in fields[k]), None
    )
    action = (call.intent or "Follow up with the caller.") if call.action_needed else ""
    return CallForCrm(
        call_id=call.id,
        reference=f"AVA-{call.id}",
        caller_phone=call.caller_number,
        caller_email=email,
        caller_name=caller_name(call.data_fields),
        business_phone=call.called_number,
        started_at=call.started_at or call.created_at,
        duration_seconds=call.duration_seconds or 0,
        outcome=call.outcome or "",
        summary=call.summary or "",
        link=get_settings().public_url + routes.call_page(call.id),
        action_needed=bool(call.action_needed),
        action_text=action,
    )


def queue_call_sync(session: Session, *, tenant_id: int, call_id: int) -> bool:
    """Queue the CRM sync of a call whose summary is committed, when the organisation has a connected CRM."""
    if not connections.has_connection(session, tenant_id=tenant_id):
        return False
    try:
        enqueue("sync_call_to_crm", call_id)
    except Exception:
        log.warning("call %s: CRM sync not queued", call_id, exc_info=True)
        return False
    return True


def sync_call(session: Session, *, call_id: int, final_attempt: bool = True) -> list[CrmSyncedCall]:
    """Sync one summarised call to each connected CRM of its organisation; the rows of what it became.

    Raises ``CrmRateLimited`` (schedule after its ``retry_after``) and ``ProviderUnavailable`` (retry) after storing
    what was done; on ``final_attempt`` an outage marks the row ``failed`` instead.
    """
    call = session.get(Call, call_id)
    if call is None or call.call_type == "test" or call.summary_status != "done":
        return []
    record = call_for_crm(call)
    done = []
    for connection in connections.usable_connections(session, tenant_id=call.tenant_id):
        row = _synced_row(session, connection=connection, call=call)
        if row.status != "pending":
            done.append(row)
            continue
        retry = row.attempts > 0
        row.attempts += 1
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
        try:
            _sync_one(session, connection, row, record, retry=retry)
        except CrmAuthRevoked:
            _save(session, row, last_error="connection_broken", next_attempt_at=None)
        except CrmRejected as refused:
            message = f"{refused.details.get('status', '')} {refused.message}"
            _save(session, row, status="failed", last_error=message, next_attempt_at=None)
        except CrmRateLimited as limited:
            _save(session, row, last_error="rate_limited", next_attempt_at=_after(limited.retry_after + 1))
            raise
        except ProviderUnavailable as down:
            again = None if final_attempt else _after(_retry_delay(row.attempts))
            _save(session, row, status="pending" if again else "failed", last_error=down.code, next_attempt_at=again)
            if not final_attempt:
                raise
        done.append(row)
    return done


def _sync_one(
    session: Session, connection: CrmConnection, row: CrmSyncedCall, record: CallForCrm, *, retry: bool
) -> None:
    if row.contact_id is None and (record.caller_phone or record.caller_email):
        upserted = connections.run(
            session,
            connection,
            lambda client: client.upsert_contact(
                phone=record.caller_phone, email=record.caller_email, name=record.caller_name
            ),
        )
        _save(session, row, contact_id=upserted)
    contact_id = row.contact_id
    if row.engagement_id is None:
        found = (
            connections.run(session, connection, lambda client: client.find_logged_call(call=record)) if retry else None
        )
        engagement_id = found or connections.run(
            session, connection, lambda client: client.log_call(contact_id=contact_id, call=record)
        )
        _save(session, row, engagement_id=engagement_id)
    if record.action_needed and row.task_id is None:
        found = connections.run(session, connection, lambda client: client.find_task(call=record)) if retry else None
        task_id = found or connections.run(
            session, connection, lambda client: client.create_task(contact_id=contact_id, call=record)
        )
        _save(session, row, task_id=task_id)
    _save(session, row, status="synced", last_error=None, next_attempt_at=None)


def _synced_row(session: Session, *, connection: CrmConnection, call: Call) -> CrmSyncedCall:
    """The call's row for this connection, made on first sight (two jobs at once: one insert wins)."""
    query = select(CrmSyncedCall).where(CrmSyncedCall.connection_id == connection.id, CrmSyncedCall.call_id == call.id)
    row = session.exec(query).first()
    if row is not None:
        return row
    assert connection.id is not None and call.id is not None
    try:
        row = CrmSyncedCall(tenant_id=call.tenant_id, connection_id=connection.id, call_id=call.id)
        session.add(row)
        session.commit()
        return row
    except IntegrityError:
        session.rollback()
        existing = session.exec(query).one()
        return existing


def _after(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=max(1.0, seconds))


def _retry_delay(attempts: int) -> float:
    """The queue's wait before the next try after ``attempts`` tries (``retry_delay`` doubled each time)."""
    return RETRY_DELAY * RETRY_BACKOFF ** max(0, attempts - 1)


def _save(session: Session, row: CrmSyncedCall | CrmSyncedBooking, **values: object) -> None:
    for key, value in values.items():
        setattr(row, key, value)
    if isinstance(row.last_error, str):
        row.last_error = row.last_error[:300]
    row.updated_at = utcnow()
    session.add(row)
    session.commit()


@task(retries=SYNC_RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF, context=True)
def sync_call_to_crm(call_id: int, task=None) -> None:
    """Job: log one summarised call in the organisation's CRM (idempotent: safe to run twice)."""
    final = task is None or not task.retries
    try:
        with session_scope() as session:
            sync_call(session, call_id=call_id, final_attempt=final)
    except CrmRateLimited as limited:
        # HubSpot said when: come back then, as a new job (the queue's own retry delay would ignore Retry-After).
        log.info("call %s: CRM rate limited, again in %ss", call_id, limited.retry_after)
        sync_call_to_crm.schedule((call_id,), delay=max(1, int(limited.retry_after) + 1))


# --- bookings as meetings ---------------------------------------------------------------------------------------


def booking_for_crm(session: Session, booking: Booking) -> BookingForCrm:
    """The CRM's view of a booking (a meeting on the caller's contact)."""
    assert booking.id is not None
    service = session.get(BookingService, booking.service_id)
    title = f"{service.name if service else 'Booking'} — {booking.caller_name}".strip(" —")
    return BookingForCrm(
        booking_id=booking.id,
        reference=f"AVA-B{booking.id}",
        caller_phone=booking.caller_phone,
        caller_email=booking.caller_email,
        caller_name=booking.caller_name or None,
        title=title[:200],
        start=as_utc(booking.start_at),
        end=as_utc(booking.end_at),
        link=get_settings().public_url + routes.BOOKINGS,
        cancelled=booking.status != "booked",
    )


def queue_booking_sync(session: Session, *, tenant_id: int, booking_id: int) -> None:
    """Once this transaction commits, have the booking written to the organisation's CRM as a meeting (nothing
    without a connected CRM). Never raises: the booking itself stands."""
    try:
        if connections.has_connection(session, tenant_id=tenant_id):
            on_commit(session, lambda: enqueue("sync_booking_to_crm", booking_id))
    except Exception:
        log.warning("booking %s: the CRM write could not be queued", booking_id, exc_info=True)


def sync_booking(session: Session, *, booking_id: int) -> list[CrmSyncedBooking]:
    """Write one booking's current state to each connected CRM: the meeting is made once, then updated (moved,
    cancelled). Raises ``CrmRateLimited`` / ``ProviderUnavailable`` for the job to come back."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        return []
    record = booking_for_crm(session, booking)
    done = []
    for connection in connections.usable_connections(session, tenant_id=booking.tenant_id):
        assert connection.id is not None
        query = select(CrmSyncedBooking).where(
            CrmSyncedBooking.connection_id == connection.id, CrmSyncedBooking.booking_id == booking_id
        )
        row = session.exec(query).first()
        if row is None:
            try:
                row = CrmSyncedBooking(tenant_id=booking.tenant_id, connection_id=connection.id, booking_id=booking_id)
                session.add(row)
                session.commit()
            except IntegrityError:
                session.rollback()
                row = session.exec(query).one()
        retry = row.attempts > 0 and row.meeting_id is None
        row.attempts += 1
        _save(session, row)
        try:
            _write_meeting(session, connection, row, record, retry=retry)
        except CrmAuthRevoked:
            _save(session, row, last_error="connection_broken", next_attempt_at=None)
        except CrmRejected as refused:
            message = f"{refused.details.get('status', '')} {refused.message}"
            _save(session, row, last_error=message, next_attempt_at=None)
        except CrmRateLimited as limited:
            _save(session, row, next_attempt_at=_after(limited.retry_after + 1))
            raise
        except ProviderUnavailable:
            _save(session, row, next_attempt_at=_after(_retry_delay(row.attempts)))
            raise
        done.append(row)
    return done


def _write_meeting(
    session: Session, connection: CrmConnection, row: CrmSyncedBooking, record: BookingForCrm, *, retry: bool
) -> None:
    if row.meeting_id is not None:
        meeting_id = row.meeting_id
        connections.run(
            session, connection, lambda client: client.update_meeting(meeting_id=meeting_id, booking=record)
        )
        _save(session, row, last_error=None, next_attempt_at=None)
        return
    if record.cancelled:
        return  # cancelled before it ever reached the CRM: nothing to show there
    if row.contact_id is None and (record.caller_phone or record.caller_email):
        upserted = connections.run(
            session,
            connection,
            lambda client: client.upsert_contact(
                phone=record.caller_phone, email=record.caller_email, name=record.caller_name
            ),
        )
        _save(session, row, contact_id=upserted)
    contact_id = row.contact_id
    found = connections.run(session, connection, lambda client: client.find_meeting(booking=record)) if retry else None
    meeting_id = found or connections.run(
        session, connection, lambda client: client.create_meeting(contact_id=contact_id, booking=record)
    )
    _save(session, row, meeting_id=meeting_id, last_error=None, next_attempt_at=None)


@task(retries=SYNC_RETRIES, retry_delay=RETRY_DELAY, retry_backoff=RETRY_BACKOFF)
def sync_booking_to_crm(booking_id: int) -> None:
    """Job: write one booking to the organisation's CRM as a meeting (idempotent)."""
    try:
        with session_scope() as session:
            sync_booking(session, booking_id=booking_id)
    except CrmRateLimited as limited:
        sync_booking_to_crm.schedule((booking_id,), delay=max(1, int(limited.retry_after) + 1))
