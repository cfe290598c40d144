"""One log of everything AVA sends on a business's behalf: emails and texts from the outbox, webhook deliveries, and
calls logged in the business's CRM.

Each row says what was sent (a call's summary, a daily digest, a member's alert, a caller's text-back, a booking
message or reminder, a notice to the admins, a webhook event), to whom, its status in three words the owner reads
("sent", "waiting", "failed"), how many attempts, the last error, when the next try is due, and the call it is about.
Account emails (sign-in links, invitations, password notices) are a person's own and never listed.

Members read the log (the business's own rows only); admins retry a failed email or text, or resend a webhook
delivery (``webhooks_out.resend_delivery``: the same message id, so a receiver keeps one copy), or sync a call or a
booking to the CRM again (its job looks up what an earlier attempt made before creating anything). A call or booking
held by a CRM connection that broke (its token was revoked) reads "failed" with the reason: reconnecting sends it.
A retried email whose one-time link (the summary's "block this caller") was dropped when it failed goes out with that
link dead.

The sources are read newest first through ``(tenant_id, id)`` indexes, each limited to one page, and merged by
time; ``before`` (the oldest time shown) pages further back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, literal, update
from sqlmodel import Session, col, select

from ava_app.db import on_commit
from ava_app.models import (
    Booking,
    Call,
    CrmConnection,
    CrmSyncedBooking,
    CrmSyncedCall,
    Outbox,
    WebhookDelivery,
    WebhookEndpoint,
    as_utc,
    utcnow,
)
from ava_app.services import webhooks_out
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal
from ava_app.task_queue import enqueue

CHANNELS = ("email", "sms", "webhook", "crm")
STATUSES = ("sent", "waiting", "failed")
PAGE = 50
ERROR_CHARS = 300
# Outbox statuses and webhook delivery statuses as the owner reads them.
OUTBOX_STATUS = {"queued": "waiting", "sent": "sent", "failed": "failed"}
WEBHOOK_STATUS = {"pending": "waiting", "succeeded": "sent", "failed": "failed"}
CRM_STATUS = {"pending": "waiting", "synced": "sent", "failed": "failed"}
CRM_NAMES = {"hubspot": "HubSpot"}
# What a CRM row's ``last_error`` holds when the connection broke under it: it waits for a reconnect.
CONNECTION_BROKEN = "connection_broken"
HIDDEN_PURPOSES = ("account",)
RECENT_FAILURES = timedelta(days=7)


@dataclass(frozen=True)
class DeliveryRow:
    """One message in the log. ``ref`` names it for "Retry": ``outbox:<id>`` or ``webhook:<id>``."""

    ref: str
    channel: str
    purpose: str
    to: str
    subject: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    call_id: int | None
    can_retry: bool


def list_deliveries(
    session: Session,
    *,
    principal: Principal,
    channel: str = "",
    status: str = "",
    call_id: int | None = None,
    before: datetime | None = None,
    limit: int = PAGE,
) -> list[DeliveryRow]:
    """The business's messages, newest first (any member), filtered by channel, status and call."""
    tenant_id = principal.require_member()
    if channel and channel not in CHANNELS:
        raise Invalid("Unknown channel.", fields={"channel": "invalid"})
    if status and status not in STATUSES:
        raise Invalid("Unknown status.", fields={"status": "invalid"})
    limit = max(1, min(limit, 200))
    if call_id is not None and not _own_call(session, tenant_id=tenant_id, call_id=call_id):
        return []
    rows: list[DeliveryRow] = []
    if channel in ("", "email", "sms"):
        rows += _outbox_rows(
            session, tenant_id=tenant_id, channel=channel, status=status, call_id=call_id, before=before, limit=limit
        )
    if channel in ("", "webhook"):
        rows += _webhook_rows(session, tenant_id=tenant_id, status=status, call_id=call_id, before=before, limit=limit)
    if channel in ("", "crm"):
        rows += _crm_rows(session, tenant_id=tenant_id, status=status, call_id=call_id, before=before, limit=limit)
    rows.sort(key=lambda row: row.created_at, reverse=True)
    return rows[:limit]


def recent_failures(session: Session, *, principal: Principal, now: datetime | None = None) -> int:
    """How many messages of the last 7 days failed (any member): the dashboard's warning."""
    tenant_id = principal.require_member()
    since = (now or utcnow()) - RECENT_FAILURES
    return int(session.connection().execute(_RECENT_FAILURES, {"tenant_id": tenant_id, "since": since}).scalar() or 0)


def _recent_failures_statement():
    """One statement of four counts, each on its table's partial index of failed rows: the dashboard reads it on every
    load, so it is built once (with bound parameters) rather than per call, and a round trip costs more than a count."""
    tenant_id, since = bindparam("tenant_id"), bindparam("since")
    outbox = (
        select(func.count())
        .select_from(Outbox)
        .where(
            col(Outbox.tenant_id) == tenant_id,
            col(Outbox.status) == "failed",
            col(Outbox.purpose).not_in(HIDDEN_PURPOSES),
            col(Outbox.created_at) >= since,
        )
    )
    webhooks = (
        select(func.count())
        .select_from(WebhookDelivery)
        .where(
            col(WebhookDelivery.tenant_id) == tenant_id,
            col(WebhookDelivery.status) == "failed",
            col(WebhookDelivery.created_at) >= since,
        )
    )
    crm = (
        select(func.count())
        .select_from(CrmSyncedCall)
        .where(
            col(CrmSyncedCall.tenant_id) == tenant_id,
            (col(CrmSyncedCall.status) == "failed") | (col(CrmSyncedCall.last_error) == CONNECTION_BROKEN),
            col(CrmSyncedCall.created_at) >= since,
        )
    )
    meetings = (
        select(func.count())
        .select_from(CrmSyncedBooking)
        .where(
            col(CrmSyncedBooking.tenant_id) == tenant_id,
            col(CrmSyncedBooking.last_error).is_not(None),
            col(CrmSyncedBooking.updated_at) >= since,
        )
    )
    counts = (query.scalar_subquery() for query in (outbox, webhooks, crm, meetings))
    return select(sum(counts, start=literal(0)))


_RECENT_FAILURES = _recent_failures_statement()


def retry(session: Session, *, principal: Principal, ref: str) -> DeliveryRow:
    """Send a failed email or text again, or resend a webhook delivery (admins)."""
    tenant_id = principal.require_admin()
    source, _, raw_id = ref.partition(":")
    row_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 12 else 0
    if source == "webhook":
        webhooks_out.resend_delivery(session, principal=principal, delivery_id=row_id)
        delivery = session.get(WebhookDelivery, row_id)
        assert delivery is not None, "resend_delivery found it"
        return _webhook_row(delivery, _endpoint_labels(session, [delivery.endpoint_id]))
    if source == "crm":
        return _retry_crm(session, tenant_id=tenant_id, row_id=row_id)
    if source == "crm-booking":
        return _retry_crm_booking(session, tenant_id=tenant_id, row_id=row_id)
    message = session.get(Outbox, row_id) if source == "outbox" else None
    if message is None or message.tenant_id != tenant_id or message.purpose in HIDDEN_PURPOSES:
        raise NotFound("This message does not exist.", code="delivery_not_found")
    if message.status != "failed":
        raise Invalid("Only a message that failed can be sent again.", code="delivery_not_failed")
    requeued = session.exec(
        update(Outbox)
        .where(col(Outbox.id) == message.id, col(Outbox.status) == "failed")
        .values(status="queued", attempts=0, next_attempt_at=None, claimed_by=None, claimed_until=None)
    )
    if requeued.rowcount == 1:
        job = "deliver_sms_message" if message.channel == "sms" else "deliver_outbox_message"
        outbox_id = message.id
        on_commit(session, lambda: enqueue(job, outbox_id))
    session.commit()
    session.refresh(message)
    return _outbox_row(message)


def _outbox_rows(
    session: Session,
    *,
    tenant_id: int,
    channel: str,
    status: str,
    call_id: int | None,
    before: datetime | None,
    limit: int,
) -> list[DeliveryRow]:
    # One call's rows are read through its own index (the call was checked to be the business's): filtered by the
    # business too, a database may walk the business's newest rows instead, looking for that call's.
    owner = col(Outbox.call_id) == call_id if call_id is not None else col(Outbox.tenant_id) == tenant_id
    query = select(Outbox).where(owner, col(Outbox.purpose).not_in(HIDDEN_PURPOSES))
    if channel:
        query = query.where(col(Outbox.channel) == channel)
    if status:
        query = query.where(col(Outbox.status).in_([key for key, value in OUTBOX_STATUS.items() if value == status]))
    if before is not None:
        query = query.where(col(Outbox.created_at) < before)
    return [_outbox_row(row) for row in session.exec(query.order_by(col(Outbox.id).desc()).limit(limit)).all()]


def _outbox_row(row: Outbox) -> DeliveryRow:
    status = OUTBOX_STATUS.get(row.status, "waiting")
    return DeliveryRow(
        ref=f"outbox:{row.id}",
        channel=row.channel,
        purpose=row.purpose,
        to=row.to,
        subject=row.subject or row.body_text[:80],
        status=status,
        attempts=row.attempts,
        last_error=(row.last_error or "")[:ERROR_CHARS],
        next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at and status == "waiting" else None,
        created_at=as_utc(row.created_at),
        call_id=row.call_id,
        can_retry=status == "failed",
    )


def _webhook_rows(
    session: Session, *, tenant_id: int, status: str, call_id: int | None, before: datetime | None, limit: int
) -> list[DeliveryRow]:
    owner = (
        col(WebhookDelivery.call_id) == call_id if call_id is not None else col(WebhookDelivery.tenant_id) == tenant_id
    )
    query = select(WebhookDelivery).where(owner)
    if status:
        wanted = [key for key, value in WEBHOOK_STATUS.items() if value == status]
        query = query.where(col(WebhookDelivery.status).in_(wanted))
    if before is not None:
        query = query.where(col(WebhookDelivery.created_at) < before)
    rows = session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all()
    labels = _endpoint_labels(session, list({row.endpoint_id for row in rows}))
    return [_webhook_row(row, labels) for row in rows]


def _endpoint_labels(session: Session, endpoint_ids: list[int]) -> dict[int, str]:
    if not endpoint_ids:
        return {}
    endpoints = session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.id).in_(endpoint_ids))).all()
    return {endpoint.id or 0: endpoint.description or endpoint.url for endpoint in endpoints}


def _webhook_row(row: WebhookDelivery, labels: dict[int, str]) -> DeliveryRow:
    status = WEBHOOK_STATUS.get(row.status, "waiting")
    last = (row.attempts or [{}])[-1] if row.attempts else {}
    error = str(last.get("error") or "")
    if not error and status != "sent" and row.last_status_code:
        error = f"HTTP {row.last_status_code} {str(last.get('response') or '')}".strip()
    return DeliveryRow(
        ref=f"webhook:{row.id}",
        channel="webhook",
        purpose=row.event_type,
        to=labels.get(row.endpoint_id, ""),
        subject=row.event_type,
        status=status,
        attempts=row.attempt_count,
        last_error=error[:ERROR_CHARS],
        next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at and status == "waiting" else None,
        created_at=as_utc(row.created_at),
        call_id=row.call_id,
        can_retry=status != "waiting",
    )


def _retry_crm(session: Session, *, tenant_id: int, row_id: int) -> DeliveryRow:
    """Sync a call to the CRM again: its attempts are kept, so the job looks up what an earlier one made first."""
    synced = session.get(CrmSyncedCall, row_id)
    if synced is None or synced.tenant_id != tenant_id:
        raise NotFound("This message does not exist.", code="delivery_not_found")
    if synced.status != "failed":
        raise Invalid("Only a message that failed can be sent again.", code="delivery_not_failed")
    requeued = session.exec(
        update(CrmSyncedCall)
        .where(col(CrmSyncedCall.id) == synced.id, col(CrmSyncedCall.status) == "failed")
        .values(status="pending", updated_at=utcnow())
    )
    if requeued.rowcount == 1:
        call_id = synced.call_id
        on_commit(session, lambda: enqueue("sync_call_to_crm", call_id))
    session.commit()
    session.refresh(synced)
    return _crm_row(synced, _crm_labels(session, [synced.connection_id]))


def _retry_crm_booking(session: Session, *, tenant_id: int, row_id: int) -> DeliveryRow:
    """Write a booking to the CRM again (its meeting is looked up before one is made)."""
    synced = session.get(CrmSyncedBooking, row_id)
    if synced is None or synced.tenant_id != tenant_id:
        raise NotFound("This message does not exist.", code="delivery_not_found")
    if _booking_status(synced) != "failed" or synced.last_error == CONNECTION_BROKEN:
        raise Invalid("Only a message that failed can be sent again.", code="delivery_not_failed")
    synced.last_error, synced.updated_at = None, utcnow()
    session.add(synced)
    booking_id = synced.booking_id
    on_commit(session, lambda: enqueue("sync_booking_to_crm", booking_id))
    session.commit()
    session.refresh(synced)
    calls = _booking_calls(session, [synced.booking_id])
    return _crm_booking_row(synced, _crm_labels(session, [synced.connection_id]), calls)


def _crm_rows(
    session: Session, *, tenant_id: int, status: str, call_id: int | None, before: datetime | None, limit: int
) -> list[DeliveryRow]:
    if call_id is not None:
        query = select(CrmSyncedCall).where(col(CrmSyncedCall.call_id) == call_id)
    else:
        query = select(CrmSyncedCall).where(col(CrmSyncedCall.tenant_id) == tenant_id)
    broken = col(CrmSyncedCall.last_error) == CONNECTION_BROKEN
    if status == "failed":
        query = query.where((col(CrmSyncedCall.status) == "failed") | broken)
    elif status == "waiting":
        query = query.where(col(CrmSyncedCall.status) == "pending", ~broken)
    elif status:
        query = query.where(col(CrmSyncedCall.status) == "synced")
    if before is not None:
        query = query.where(col(CrmSyncedCall.created_at) < before)
    rows = session.exec(query.order_by(col(CrmSyncedCall.id).desc()).limit(limit)).all()
    meetings = _crm_booking_rows(
        session, tenant_id=tenant_id, status=status, call_id=call_id, before=before, limit=limit
    )
    labels = _crm_labels(session, list({row.connection_id for row in rows} | {row.connection_id for row in meetings}))
    calls = _booking_calls(session, [row.booking_id for row in meetings])
    return [_crm_row(row, labels) for row in rows] + [_crm_booking_row(row, labels, calls) for row in meetings]


def _crm_booking_rows(
    session: Session, *, tenant_id: int, status: str, call_id: int | None, before: datetime | None, limit: int
) -> list[CrmSyncedBooking]:
    """Bookings written to the CRM as meetings: their status is read from what the row holds."""
    query = select(CrmSyncedBooking).where(col(CrmSyncedBooking.tenant_id) == tenant_id)
    if call_id is not None:
        booked = select(col(Booking.id)).where(col(Booking.tenant_id) == tenant_id, col(Booking.call_id) == call_id)
        query = query.where(col(CrmSyncedBooking.booking_id).in_(booked))
    if status == "failed":
        query = query.where(col(CrmSyncedBooking.last_error).is_not(None))
    elif status == "waiting":
        query = query.where(col(CrmSyncedBooking.last_error).is_(None), col(CrmSyncedBooking.meeting_id).is_(None))
    elif status:
        query = query.where(col(CrmSyncedBooking.last_error).is_(None), col(CrmSyncedBooking.meeting_id).is_not(None))
    if before is not None:
        query = query.where(col(CrmSyncedBooking.created_at) < before)
    return list(session.exec(query.order_by(col(CrmSyncedBooking.id).desc()).limit(limit)).all())


def _booking_calls(session: Session, booking_ids: list[int]) -> dict[int, int | None]:
    if not booking_ids:
        return {}
    found = session.exec(select(col(Booking.id), col(Booking.call_id)).where(col(Booking.id).in_(booking_ids))).all()
    return {booking_id or 0: call_id for booking_id, call_id in found}


def _booking_status(row: CrmSyncedBooking) -> str:
    if row.last_error:
        return "failed"
    return "sent" if row.meeting_id else "waiting"


def _crm_booking_row(row: CrmSyncedBooking, labels: dict[int, str], calls: dict[int, int | None]) -> DeliveryRow:
    return _crm_delivery(
        row, ref=f"crm-booking:{row.id}", purpose="crm_booking", status=_booking_status(row), labels=labels,
        call_id=calls.get(row.booking_id),
    )  # fmt: skip


def _crm_labels(session: Session, connection_ids: list[int]) -> dict[int, str]:
    if not connection_ids:
        return {}
    found = session.exec(select(CrmConnection).where(col(CrmConnection.id).in_(connection_ids))).all()
    return {
        row.id or 0: " · ".join(part for part in (CRM_NAMES.get(row.provider, row.provider), row.account) if part)
        for row in found
    }


def _crm_row(row: CrmSyncedCall, labels: dict[int, str]) -> DeliveryRow:
    broken = row.status == "pending" and row.last_error == CONNECTION_BROKEN
    status = "failed" if broken else CRM_STATUS.get(row.status, "waiting")
    return _crm_delivery(
        row, ref=f"crm:{row.id}", purpose="crm_call", status=status, labels=labels, call_id=row.call_id
    )


def _crm_delivery(
    row: CrmSyncedCall | CrmSyncedBooking,
    *,
    ref: str,
    purpose: str,
    status: str,
    labels: dict[int, str],
    call_id: int | None,
) -> DeliveryRow:
    """A call or booking written to the CRM, as the log shows it."""
    return DeliveryRow(
        ref=ref,
        channel="crm",
        purpose=purpose,
        to=labels.get(row.connection_id, ""),
        subject="",
        status=status,
        attempts=row.attempts,
        last_error=(row.last_error or "")[:ERROR_CHARS],
        next_attempt_at=as_utc(row.next_attempt_at) if status == "waiting" and row.next_attempt_at else None,
        created_at=as_utc(row.created_at),
        call_id=call_id,
        # A broken connection is mended by reconnecting (which sends what waited), not by sending again.
        can_retry=status == "failed" and row.last_error != CONNECTION_BROKEN,
    )


def _own_call(session: Session, *, tenant_id: int, call_id: int) -> bool:
    """Whether the call is the business's (rows of another business's call are never read)."""
    found = session.exec(select(col(Call.tenant_id)).where(col(Call.id) == call_id)).first()
    return found == tenant_id
