"""Vapi webhook ingestion: keep every event as received, then apply it to its call, idempotently and in any order.

Every event is committed to ``WebhookEvent`` under a dedupe key before it is interpreted, so a redelivery is a no-op
and an event whose handling failed keeps its payload and error for a later retry. Each event type has its handler
(``_HANDLERS``): the call's live events (``ingest.calls``), the end-of-call report (``ingest.report``), inbound
routing (``ingest.inbound``) and the assistant's tools (``assistant_tools``). Slow post-call work (summary, email)
is not done here: the caller is told through ``IngestResult.call_ended`` / ``on_call_ended`` and enqueues it.

Store and enqueue. ``accept_vapi_event`` (the webhook's entry) applies cheap events inline, but for the heavy ones
(``DEFERRED_TYPES``) it only stores the raw event and hands its id to a job, which calls ``apply_stored_event``. The
job claims the event when it marks it processed, so a second copy of the job changes nothing; an event whose job was
lost (worker killed, queue unreachable) still has ``processed_at`` NULL and is found by ``unapplied_event_ids``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import Call, WebhookEvent, WebhookSecret, utcnow
from ava_app.services import live_updates, webhooks_out
from ava_app.services.assistant_tools import handle_tool_calls
from ava_app.services.db_races import run_with_race_retries
from ava_app.services.ingest.calls import (
    Handled,
    VapiEvent,
    caller_number,
    connection,
    handle_status_update,
    handle_transcript,
    resolve_routing,
)
from ava_app.services.ingest.inbound import UNAVAILABLE, handle_assistant_request
from ava_app.services.ingest.payloads import (
    PROVIDER,
    InvalidPayload,
    aware,
    event_dedupe_key,
    event_type,
    json_object,
    parse_vapi_payload,
    provider_call_id,
    tool_call_items,
    tool_call_parts,
)
from ava_app.services.ingest.report import handle_end_of_call_report
from ava_app.services.privacy_settings import redactor_for

log = logging.getLogger(__name__)

# Vapi waits for a meaningful body from these, so they are answered again even when redelivered.
RESPONSE_TYPES = frozenset({"tool-calls", "assistant-request"})

# Applied by a job after the request is answered: the report is the one big event (13 KB, every line of the call) and
# nothing waits for its effects. Status and transcript events stay inline (one small statement each) so the live call
# view is current, and RESPONSE_TYPES must be inline because Vapi waits for their answer.
DEFERRED_TYPES = frozenset({"end-of-call-report"})

# A final transcript line adds to the conversation only (the call's own page reads it); nothing the dashboard or the
# calls list show changes, so open tabs are not told (a call lasting minutes would refresh them every second).
QUIET_TYPES = frozenset({"transcript"})

# A stored event never marked processed is retried on redelivery only once it is clearly not still in flight.
IN_FLIGHT_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class IngestResult:
    """Outcome of one webhook event: the body to answer Vapi with, and whether post-call work is now due."""

    event_type: str
    response: dict
    event_id: int | None = None
    duplicate: bool = False
    call_id: int | None = None
    call_ended: bool = False
    error: str | None = None


@dataclass(frozen=True)
class StoredEvent:
    """A raw event after ``store_vapi_event``: its id, whether this delivery stored it, whether it must be applied."""

    event_id: int
    fresh: bool
    needs_retry: bool

    @property
    def needs_apply(self) -> bool:
        return self.fresh or self.needs_retry


def tenant_for_webhook_secret(session: Session, *, secret: str, now: datetime | None = None) -> int | None:
    """The tenant whose webhook secret is ``secret``, or None: its current secret, or one it replaced less than the
    grace period ago (``credentials.rotate_tenant_webhook_secret``) while its assistants are pushed the new one."""
    if not secret:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    # The lookup is by hash, so its timing says nothing about the secret; the final comparison is constant-time anyway.
    row = session.exec(
        select(col(WebhookSecret.tenant_id), col(WebhookSecret.secret_hash), col(WebhookSecret.expires_at)).where(
            col(WebhookSecret.secret_hash) == digest
        )
    ).first()
    if row is None or not hmac.compare_digest(row[1].encode(), digest.encode()):
        return None
    expires_at = row[2]
    if expires_at is not None and expires_at.replace(tzinfo=expires_at.tzinfo or UTC) <= (now or utcnow()):
        return None
    return row[0]


def ingest_vapi_event(
    session: Session,
    *,
    message: dict,
    raw: bytes | str,
    tenant_id: int | None = None,
    on_call_ended: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store one Vapi server message, then apply it; never raises for a payload problem.

    Args:
        message: the parsed ``message`` object (see ``parse_vapi_payload``).
        raw: the body exactly as received, stored verbatim.
        tenant_id: set when the request authenticated with a tenant's own secret; the event may then only touch
            that tenant's calls. None means the platform secret (any tenant).
        on_call_ended: called with the Call id once an end-of-call report is committed (enqueue post-call work).
        now: the current time (tests pin it; business hours depend on it).
    Returns:
        IngestResult with the JSON body for Vapi; ``call_ended`` says post-call work is due.
    """
    now = now or utcnow()
    kind = event_type(message)
    stored = store_vapi_event(session, message=message, raw=raw, tenant_id=tenant_id, now=now)
    if not stored.needs_apply and kind not in RESPONSE_TYPES:
        return IngestResult(event_type=kind, response={}, event_id=stored.event_id, duplicate=True)
    return _apply(
        session,
        message=message,
        event_id=stored.event_id,
        auth_tenant_id=tenant_id,
        now=now,
        duplicate=not stored.fresh,
        on_call_ended=on_call_ended,
    )


def accept_vapi_event(
    session: Session,
    *,
    message: dict,
    raw: bytes | str,
    enqueue_apply: Callable[[int], None],
    tenant_id: int | None = None,
    on_call_ended: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """The webhook's entry: store every event; apply cheap ones now and hand heavy ones to ``enqueue_apply``.

    Args as for ``ingest_vapi_event``; ``enqueue_apply`` is called with the stored event's id once it is committed
    (for an event of ``DEFERRED_TYPES`` that still needs applying) and must eventually run ``apply_stored_event``.
    If it raises, the event stays stored and unapplied for the sweep, and the error is returned, not raised.
    """
    kind = event_type(message)
    if kind not in DEFERRED_TYPES:
        return ingest_vapi_event(
            session, message=message, raw=raw, tenant_id=tenant_id, on_call_ended=on_call_ended, now=now
        )
    stored = store_vapi_event(session, message=message, raw=raw, tenant_id=tenant_id, now=now)
    error = None
    if stored.needs_apply:
        try:
            enqueue_apply(stored.event_id)
        except Exception as exc:
            # Stored is what matters to Vapi; the sweep applies it once the queue is back.
            log.exception("Could not enqueue Vapi %s event %s", kind, stored.event_id)
            error = f"enqueue failed: {type(exc).__name__}: {exc}"[:1000]
    return IngestResult(event_type=kind, response={}, event_id=stored.event_id, duplicate=not stored.fresh, error=error)


def apply_stored_event(
    session: Session, *, event_id: int, on_call_ended: Callable[[int], None] | None = None
) -> IngestResult:
    """Apply one stored event (the job half of store-and-enqueue); a no-op once it was applied without error.

    The event's own ``tenant_id`` is the authenticating tenant (it is only rewritten when applied). Raises on a
    handler or database failure after recording it, so the job queue retries with backoff.
    """
    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    row = session.execute(
        sqlalchemy.select(
            col(WebhookEvent.payload),
            col(WebhookEvent.tenant_id),
            col(WebhookEvent.processed_at),
            col(WebhookEvent.error),
            col(WebhookEvent.received_at),
        ).where(col(WebhookEvent.id) == event_id)
    ).first()
    if row is None:
        log.warning("Webhook event %s is gone (its tenant was deleted?); nothing to apply", event_id)
        return IngestResult(event_type="", response={}, event_id=event_id, duplicate=True)
    payload, auth_tenant_id, processed_at, stored_error, received_at = row
    session.rollback()  # end the read, so the apply transaction starts fresh
    try:
        message = parse_vapi_payload(payload)
    except InvalidPayload as exc:
        _record_failure(session, event_id=event_id, error=exc.message)
        return IngestResult(event_type="", response={}, event_id=event_id, error=exc.message)
    kind = event_type(message)
    if processed_at is not None and stored_error is None:
        return IngestResult(event_type=kind, response={}, event_id=event_id, duplicate=True)
    return _apply(
        session,
        message=message,
        event_id=event_id,
        auth_tenant_id=auth_tenant_id,
        now=aware(received_at) or utcnow(),
        duplicate=False,
        on_call_ended=on_call_ended,
        claim=True,
    )


def tenant_of_stored_event(session: Session, *, payload: str) -> int | None:
    """The tenant a stored event is about (its call's, else the one its routing points to), read only; None if none.

    For an event stored under the platform secret that never applied: its own ``tenant_id`` is still None.
    """
    try:
        message = parse_vapi_payload(payload)
    except InvalidPayload:
        return None
    event = VapiEvent(
        kind=event_type(message),
        message=message,
        call=json_object(message, "call"),
        provider_call_id=provider_call_id(message),
        auth_tenant_id=None,
        now=utcnow(),
    )
    if event.provider_call_id:
        owner = session.exec(
            select(col(Call.tenant_id)).where(col(Call.provider_call_id) == event.provider_call_id)
        ).first()
        if owner is not None:
            return owner
    routing = resolve_routing(session, event)
    return routing.tenant_id if routing else None


def unapplied_event_ids(session: Session, *, received_before: datetime, limit: int = 200) -> list[int]:
    """Stored events never applied and not failed, received before ``received_before``: jobs that were lost.

    An event whose apply raised keeps its error and is retried on redelivery instead: re-running a handler that
    fails on the same payload every minute would only fill the log.
    """
    event_ids = session.exec(
        select(col(WebhookEvent.id))
        .where(
            col(WebhookEvent.processed_at).is_(None),
            col(WebhookEvent.error).is_(None),
            col(WebhookEvent.received_at) < received_before,
            col(WebhookEvent.provider) == PROVIDER,
        )
        .order_by(col(WebhookEvent.id))
        .limit(limit)
    ).all()
    return [event_id for event_id in event_ids if event_id is not None]


def _apply(
    session: Session,
    *,
    message: dict,
    event_id: int,
    auth_tenant_id: int | None,
    now: datetime,
    duplicate: bool,
    on_call_ended: Callable[[int], None] | None,
    claim: bool = False,
) -> IngestResult:
    """Run the event's handler and mark it processed; with ``claim``, raise on failure and skip if applied meanwhile."""
    kind = event_type(message)
    event = VapiEvent(
        kind=kind,
        message=message,
        call=json_object(message, "call"),
        provider_call_id=provider_call_id(message),
        auth_tenant_id=auth_tenant_id,
        now=now,
    )
    handler = _HANDLERS.get(kind, _store_only)
    try:
        handled = _handle_with_retries(session, handler=handler, event=event, event_id=event_id, claim=claim)
    except Exception as exc:
        session.rollback()
        failure = f"{type(exc).__name__}: {exc}"[:1000]
        log.exception("Vapi %s event %s failed", kind, event_id)
        _record_failure(session, event_id=event_id, error=failure)
        if claim:
            raise
        return IngestResult(
            event_type=kind, response=_failure_response(event), event_id=event_id, duplicate=duplicate, error=failure
        )
    if handled is None:
        # Another copy of the job applied it first; its post-call hook already ran.
        return IngestResult(event_type=kind, response={}, event_id=event_id, duplicate=True)
    if kind not in _HANDLERS:
        log.info("Vapi event type %r stored without handling", kind)
    if handled.call_id is not None and kind not in QUIET_TYPES:
        # Committed: the organisation's open dashboards and calls lists show the change.
        live_updates.publish_calls_changed(handled.tenant_id)
    error = handled.problem
    if handled.call_id is not None and handled.tenant_id is not None:
        _emit_call_webhooks(session, kind=kind, message=message, handled=handled)
    if handled.call_ended and handled.call_id is not None and on_call_ended is not None:
        try:
            on_call_ended(handled.call_id)
        except Exception as exc:
            # The call itself is safe; the error on the event marks it for a sweep that re-enqueues post-call work.
            log.exception("Post-call hook failed for call %s", handled.call_id)
            error = f"on_call_ended failed: {type(exc).__name__}: {exc}"[:1000]
            _record_failure(session, event_id=event_id, error=error, failed_apply=False)
    return IngestResult(
        event_type=kind,
        response=handled.response,
        event_id=event_id,
        duplicate=duplicate,
        call_id=handled.call_id,
        call_ended=handled.call_ended,
        error=error,
    )


def store_vapi_event(
    session: Session, *, message: dict, raw: bytes | str, tenant_id: int | None = None, now: datetime | None = None
) -> StoredEvent:
    """Commit the raw event under its dedupe key (one INSERT); a redelivery finds the first copy instead.

    ``needs_retry`` is set when the first copy failed, or was never applied and is older than the in-flight grace.
    """
    now = now or utcnow()
    key = event_dedupe_key(message)
    payload = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    row = {
        "tenant_id": tenant_id,
        "provider": PROVIDER,
        "event_type": event_type(message)[:60],
        "dedupe_key": key,
        "provider_call_id": provider_call_id(message),
        "payload": payload,
        "received_at": now,
        "processed_at": None,
        "error": None,
    }
    try:
        event_id = connection(session).execute(_INSERT_EVENT, row).inserted_primary_key[0]
        session.commit()
        return StoredEvent(event_id=event_id, fresh=True, needs_retry=False)
    except IntegrityError:
        session.rollback()
    existing_id, processed_at, error, received_at = session.exec(
        select(
            col(WebhookEvent.id), col(WebhookEvent.processed_at), col(WebhookEvent.error), col(WebhookEvent.received_at)
        ).where(col(WebhookEvent.dedupe_key) == key)
    ).one()
    assert existing_id is not None, "a stored event has an id"
    received = aware(received_at)
    abandoned = processed_at is None and received is not None and now - received > IN_FLIGHT_GRACE
    return StoredEvent(event_id=existing_id, fresh=False, needs_retry=error is not None or abandoned)


def _emit_call_webhooks(session: Session, *, kind: str, message: dict, handled: Handled) -> None:
    """``call.started`` when the call goes live, ``call.ended`` once its report is in (once each per call: a
    replayed event finds its delivery already there). One query when the organisation has no endpoint."""
    if kind == "status-update" and message.get("status") == "in-progress":
        event_type = "call.started"
    elif handled.call_ended:
        event_type = "call.ended"
    else:
        return
    assert handled.call_id is not None and handled.tenant_id is not None
    webhooks_out.emit_call(session, tenant_id=handled.tenant_id, call_id=handled.call_id, event_type=event_type)


# Built once and executed with the row as parameters: ``insert(...).values(row)`` turns each value into a bound
# literal and hashes them all into the statement's cache key, which cost more than the INSERT itself on the hot path.
_INSERT_EVENT = insert(WebhookEvent)


def _handle_with_retries(
    session: Session, *, handler, event: VapiEvent, event_id: int, claim: bool = False
) -> Handled | None:
    """Run a handler and mark the event processed in one transaction, retrying races on the call's unique keys.

    With ``claim`` the mark only succeeds if no one applied the event meanwhile; otherwise everything is rolled back
    and None returned, so two copies of an apply job change the call once.
    """

    def apply() -> Handled | None:
        # A race on the call's (or a line's) unique keys, or SQLite busy, is retried: the next try sees the other row.
        handled = handler(session, event)
        target = col(WebhookEvent.id) == event_id
        if claim:
            target = target & (col(WebhookEvent.processed_at).is_(None) | col(WebhookEvent.error).is_not(None))
        tenant_id = handled.tenant_id if handled.tenant_id is not None else event.auth_tenant_id
        values: dict[str, Any] = {
            "processed_at": utcnow(),
            "error": handled.problem[:1000] if handled.problem else None,
            "tenant_id": tenant_id,
        }
        redactor = redactor_for(session, tenant_id=tenant_id)
        if redactor.active:
            # The raw body is kept for replays and support; what the caller said goes the way of the transcript.
            message = redactor.data(event.message, caller_phone=caller_number(event))
            if message != event.message:  # most calls hold nothing to take out: the body stays as received
                values["payload"] = json.dumps({"message": message}, ensure_ascii=False, separators=(",", ":"))
        marked = connection(session).execute(update(WebhookEvent).where(target).values(**values))
        if claim and marked.rowcount == 0:
            session.rollback()
            return None
        session.commit()
        return handled

    return run_with_race_retries(session, apply)


def _record_failure(session: Session, *, event_id: int, error: str, failed_apply: bool = True) -> None:
    """Keep ``error`` on the event; ``failed_apply`` counts one more failed attempt (shown on the dead letters)."""
    values: dict[str, Any] = {"error": error}
    if failed_apply:
        values["attempts"] = col(WebhookEvent.attempts) + 1
    try:
        session.exec(update(WebhookEvent).where(col(WebhookEvent.id) == event_id).values(**values))
        session.commit()
    except Exception:
        session.rollback()
        log.exception("Could not record the error of webhook event %s", event_id)


def _failure_response(event: VapiEvent) -> dict:
    if event.kind == "tool-calls":
        return {
            "results": [
                {"toolCallId": str(call_id), "name": name, "error": "The tool failed on AVA's side."}
                for call_id, name, _ in (tool_call_parts(item) for item in tool_call_items(event.message))
            ]
        }
    if event.kind == "assistant-request":
        return {"error": UNAVAILABLE}
    return {}


def _store_only(session: Session, event: VapiEvent) -> Handled:
    """conversation-update, speech-update, hang and unknown types: the stored event is all AVA keeps."""
    tenant_id = None
    if event.provider_call_id:
        # Only to file the raw event under its tenant; these events never create or change a call.
        tenant_id = session.exec(
            select(col(Call.tenant_id)).where(col(Call.provider_call_id) == event.provider_call_id)
        ).first()
    return Handled(response={}, tenant_id=tenant_id)


_HANDLERS: dict[str, Callable[[Session, VapiEvent], Handled]] = {
    "status-update": handle_status_update,
    "transcript": handle_transcript,
    "end-of-call-report": handle_end_of_call_report,
    "tool-calls": handle_tool_calls,
    "assistant-request": handle_assistant_request,
    "conversation-update": _store_only,
    "speech-update": _store_only,
    "hang": _store_only,
}
