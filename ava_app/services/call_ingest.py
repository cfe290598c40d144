"""Vapi webhook ingestion: keep every event as received, then apply it to its call, idempotently and in any order.

Every event is committed to ``WebhookEvent`` under a dedupe key before it is interpreted, so a redelivery is a no-op
and an event whose handling failed keeps its payload and error for a later retry. Calls are keyed by Vapi's call id;
their status only moves forward (an ended call stays ended) and the end-of-call report is authoritative for everything
it carries, so any order of a call's events ends in the same state. Slow post-call work (summary, email) is not done
here: the caller is told through ``IngestResult.call_ended`` / ``on_call_ended`` and enqueues it.

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
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, delete, func, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import Assistant, Call, CallMessage, PhoneNumber, Tenant, WebhookEvent, WebhookSecret, utcnow
from ava_app.services.db_races import run_with_race_retries
from ava_app.services.ended_reasons import outcome_for_ended_reason
from ava_app.services.errors import DomainError, Forbidden
from ava_app.services.providers.vapi import BUILTIN_TOOLS

log = logging.getLogger(__name__)

PROVIDER = "vapi"
# Forward-only lifecycle; "not-found" and "deletion-failed" are not positions in it and never change a call.
STATUS_ORDER = ("scheduled", "queued", "ringing", "in-progress", "forwarding", "ended")
# Vapi waits for a meaningful body from these, so they are answered again even when redelivered.
RESPONSE_TYPES = frozenset({"tool-calls", "assistant-request"})
# Applied by a job after the request is answered: the report is the one big event (13 KB, every line of the call) and
# nothing waits for its effects. Status and transcript events stay inline (one small statement each) so the live call
# view is current, and RESPONSE_TYPES must be inline because Vapi waits for their answer.
DEFERRED_TYPES = frozenset({"end-of-call-report"})
# A message's fields land in the call's JSON data: bounded, whatever the model sends.
_MESSAGE_MAX_FIELDS = 40
_MESSAGE_MAX_CHARS = 2000
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Unique-key races and SQLite's "database is locked" resolve on a second try; more than a few means a real fault.
# A stored event never marked processed is retried on redelivery only once it is clearly not still in flight.
IN_FLIGHT_GRACE = timedelta(minutes=2)
_CENT_FRACTION = Decimal("0.0001")
_NOT_IN_SERVICE = "Sorry, this number is not in service. Goodbye."
_UNAVAILABLE = "Sorry, we cannot take your call right now. Please try again later."
_UNRESOLVED = "no tenant matches this call (assistant id, phone number id, phone number or metadata)"


class InvalidPayload(DomainError):
    """The request body is not a Vapi server message."""

    status_code = 400
    code = "invalid_payload"


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


@dataclass(frozen=True)
class HoursStatus:
    """Whether a number is open at a moment, in the tenant's timezone."""

    is_open: bool
    reason: str  # "open", "closed", "holiday" or "no_hours" (nothing configured counts as always open)
    closes_at: time | None = None
    next_open: datetime | None = None
    today: tuple[tuple[time, time | None], ...] = ()


@dataclass
class _Event:
    kind: str
    message: dict
    call: dict
    provider_call_id: str | None
    auth_tenant_id: int | None
    now: datetime


@dataclass(frozen=True)
class _Routing:
    tenant_id: int
    assistant_id: int | None
    phone_number_id: int | None


@dataclass(frozen=True)
class _CallRef:
    id: int
    tenant_id: int
    created: bool


@dataclass
class _Handled:
    response: dict
    tenant_id: int | None = None
    call_id: int | None = None
    call_ended: bool = False
    problem: str | None = None


# --- entry points -------------------------------------------------------------------------------------------------


def parse_vapi_payload(raw: bytes | str) -> dict:
    """The ``message`` object of a webhook body; raises InvalidPayload with a message fit for a 400 answer.

    Text that no database column can hold (a lone UTF-16 surrogate, a NUL) is replaced by U+FFFD, so every string
    of the returned message can be stored; a body nested deeper than ``MAX_JSON_DEPTH`` is refused.
    """
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidPayload(f"Body is not valid JSON ({exc}).") from None
    except RecursionError:
        raise InvalidPayload(f"Body is nested deeper than {MAX_JSON_DEPTH} levels.") from None
    # JSON can only carry a surrogate or a NUL as a \u escape: without one, only the depth needs checking.
    escaped = ("\\u" in raw) if isinstance(raw, str) else (b"\\u" in raw)
    body = storable_json(body, clean=escaped)
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise InvalidPayload('Body must be a JSON object of the form {"message": {"type": ...}}.')
    kind = body["message"].get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise InvalidPayload("message.type is missing or not a string.")
    return body["message"]


def tenant_for_webhook_secret(session: Session, *, secret: str, now: datetime | None = None) -> int | None:
    """The tenant whose webhook secret is ``secret``, or None: its current secret, or one it replaced less than the
    grace period ago (``credentials.rotate_tenant_webhook_secret``) while its assistants are pushed the new one."""
    if not secret:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    # The lookup is by hash, so its timing says nothing about the secret; the final comparison is constant-time anyway.
    row = session.exec(
        select(WebhookSecret.tenant_id, WebhookSecret.secret_hash, WebhookSecret.expires_at).where(
            WebhookSecret.secret_hash == digest
        )
    ).first()
    if row is None or not hmac.compare_digest(row[1].encode(), digest.encode()):
        return None
    expires_at = row[2]
    if expires_at is not None and expires_at.replace(tzinfo=expires_at.tzinfo or UTC) <= (now or utcnow()):
        return None
    return row[0]


def event_dedupe_key(message: dict) -> str:
    """A key equal for redeliveries of one event and different for distinct events of the same call."""
    kind = event_type(message)
    call_id = _provider_call_id(message)
    if kind == "status-update":
        # A call passes through each status once, so the status alone identifies the event even if resent later.
        parts: list[Any] = [message.get("status")]
    elif kind == "transcript":
        parts = [
            message.get("transcriptType"),
            message.get("role"),
            message.get("timestamp"),
            _digest(message.get("transcript")),
        ]
    elif kind in ("end-of-call-report", "assistant-request"):
        parts = []
    elif kind == "tool-calls":
        parts = sorted(str(item.get("id")) for item in _tool_call_items(message))
    elif kind == "speech-update":
        parts = [message.get("status"), message.get("role"), message.get("turn"), message.get("timestamp")]
    else:
        parts = [message.get("timestamp"), _digest(message)]
    if call_id is None or not parts:
        # Without a call id, or for one-per-call types, the content itself must tell events apart.
        parts.append(_digest(message) if call_id is None else "")
    return f"{PROVIDER}:{call_id or '-'}:{kind[:40]}:{_digest(parts)}"


def event_type(message: dict) -> str:
    """The message type, with the filtered-subscription spelling ``transcript[transcriptType="final"]`` folded."""
    kind = str(message.get("type") or "").strip()
    return "transcript" if kind.startswith("transcript[") else kind


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
    row = session.exec(
        select(
            WebhookEvent.payload,
            WebhookEvent.tenant_id,
            WebhookEvent.processed_at,
            WebhookEvent.error,
            WebhookEvent.received_at,
        ).where(WebhookEvent.id == event_id)
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
        now=_aware(received_at) or utcnow(),
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
    call = message.get("call") if isinstance(message.get("call"), dict) else {}
    event = _Event(
        kind=event_type(message),
        message=message,
        call=call,
        provider_call_id=_provider_call_id(message),
        auth_tenant_id=None,
        now=utcnow(),
    )
    if event.provider_call_id:
        owner = session.exec(select(Call.tenant_id).where(Call.provider_call_id == event.provider_call_id)).first()
        if owner is not None:
            return owner
    routing = _resolve_routing(session, event)
    return routing.tenant_id if routing else None


def unapplied_event_ids(session: Session, *, received_before: datetime, limit: int = 200) -> list[int]:
    """Stored events never applied and not failed, received before ``received_before``: jobs that were lost.

    An event whose apply raised keeps its error and is retried on redelivery instead: re-running a handler that
    fails on the same payload every minute would only fill the log.
    """
    return list(
        session.exec(
            select(WebhookEvent.id)
            .where(
                col(WebhookEvent.processed_at).is_(None),
                col(WebhookEvent.error).is_(None),
                col(WebhookEvent.received_at) < received_before,
                col(WebhookEvent.provider) == PROVIDER,
            )
            .order_by(col(WebhookEvent.id))
            .limit(limit)
        ).all()
    )


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
    event = _Event(
        kind=kind,
        message=message,
        call=message.get("call") if isinstance(message.get("call"), dict) else {},
        provider_call_id=_provider_call_id(message),
        auth_tenant_id=auth_tenant_id,
        now=now,
    )
    handler = _HANDLERS.get(kind, _store_only)
    try:
        handled = _handle_with_retries(session, handler=handler, event=event, event_id=event_id, claim=claim)
    except Exception as exc:
        session.rollback()
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.exception("Vapi %s event %s failed", kind, event_id)
        _record_failure(session, event_id=event_id, error=error)
        if claim:
            raise
        return IngestResult(
            event_type=kind, response=_failure_response(event), event_id=event_id, duplicate=duplicate, error=error
        )
    if handled is None:
        # Another copy of the job applied it first; its post-call hook already ran.
        return IngestResult(event_type=kind, response={}, event_id=event_id, duplicate=True)
    if kind not in _HANDLERS:
        log.info("Vapi event type %r stored without handling", kind)
    error = handled.problem
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


# --- raw event store ----------------------------------------------------------------------------------------------


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
        "provider_call_id": _provider_call_id(message),
        "payload": payload,
        "received_at": now,
        "processed_at": None,
        "error": None,
    }
    try:
        event_id = _sql(session).execute(_INSERT_EVENT, row).inserted_primary_key[0]
        session.commit()
        return StoredEvent(event_id=event_id, fresh=True, needs_retry=False)
    except IntegrityError:
        session.rollback()
    existing = session.exec(
        select(WebhookEvent.id, WebhookEvent.processed_at, WebhookEvent.error, WebhookEvent.received_at).where(
            WebhookEvent.dedupe_key == key
        )
    ).one()
    received = _aware(existing[3])
    abandoned = existing[1] is None and received is not None and now - received > IN_FLIGHT_GRACE
    return StoredEvent(event_id=existing[0], fresh=False, needs_retry=existing[2] is not None or abandoned)


def _handle_with_retries(
    session: Session, *, handler, event: _Event, event_id: int, claim: bool = False
) -> _Handled | None:
    """Run a handler and mark the event processed in one transaction, retrying races on the call's unique keys.

    With ``claim`` the mark only succeeds if no one applied the event meanwhile; otherwise everything is rolled back
    and None returned, so two copies of an apply job change the call once.
    """

    def apply() -> _Handled | None:
        # A race on the call's (or a line's) unique keys, or SQLite busy, is retried: the next try sees the other row.
        handled = handler(session, event)
        target = col(WebhookEvent.id) == event_id
        if claim:
            target = target & (col(WebhookEvent.processed_at).is_(None) | col(WebhookEvent.error).is_not(None))
        marked = _sql(session).execute(
            update(WebhookEvent)
            .where(target)
            .values(
                processed_at=utcnow(),
                error=handled.problem[:1000] if handled.problem else None,
                tenant_id=handled.tenant_id if handled.tenant_id is not None else event.auth_tenant_id,
            )
        )
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
        values["attempts"] = WebhookEvent.attempts + 1
    try:
        session.exec(update(WebhookEvent).where(col(WebhookEvent.id) == event_id).values(**values))
        session.commit()
    except Exception:
        session.rollback()
        log.exception("Could not record the error of webhook event %s", event_id)


def _failure_response(event: _Event) -> dict:
    if event.kind == "tool-calls":
        return {
            "results": [
                {"toolCallId": str(call_id), "name": name, "error": "The tool failed on AVA's side."}
                for call_id, name, _ in (_tool_call_parts(item) for item in _tool_call_items(event.message))
            ]
        }
    if event.kind == "assistant-request":
        return {"error": _UNAVAILABLE}
    return {}


# --- handlers -----------------------------------------------------------------------------------------------------


def _store_only(session: Session, event: _Event) -> _Handled:
    """conversation-update, speech-update, hang and unknown types: the stored event is all AVA keeps."""
    tenant_id = None
    if event.provider_call_id:
        # Only to file the raw event under its tenant; these events never create or change a call.
        tenant_id = session.exec(select(Call.tenant_id).where(Call.provider_call_id == event.provider_call_id)).first()
    return _Handled(response={}, tenant_id=tenant_id)


def _handle_status_update(session: Session, event: _Event) -> _Handled:
    status = event.message.get("status")
    if status not in STATUS_ORDER:
        return _Handled(response={})
    ref = _ensure_call(session, event, status=status)
    if ref is None:
        return _unresolved()
    fills: dict[str, Any] = {"status": _advanced_status(status), "updated_at": event.now}
    started = _parse_time(event.call.get("startedAt"))
    if started is not None:
        fills["started_at"] = func.coalesce(Call.started_at, started)
    if status == "ended":
        # Only fill gaps: the end-of-call report, whenever it lands, is the authority for these fields.
        reason = event.message.get("endedReason") or event.call.get("endedReason")
        ended = _parse_time(event.call.get("endedAt")) or _epoch_ms(event.message.get("timestamp"))
        if reason:
            fills["ended_reason"] = func.coalesce(Call.ended_reason, str(reason)[:120])
            fills["outcome"] = func.coalesce(Call.outcome, outcome_for_ended_reason(reason))
        if ended is not None:
            fills["ended_at"] = func.coalesce(Call.ended_at, ended)
    _sql(session).execute(update(Call).where(col(Call.id) == ref.id).values(**fills))
    return _Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id)


def _handle_transcript(session: Session, event: _Event) -> _Handled:
    text = str(event.message.get("transcript") or "").strip()
    if event.message.get("transcriptType") != "final" or not text:
        return _Handled(response={})  # partials are superseded by the final line; the raw event is kept
    ref = _ensure_call(session, event)
    if ref is None:
        return _unresolved()
    # Touching the row first takes its write lock, so this check cannot interleave with the report's replace.
    analysis, started_at = _touch_call(session, ref, event, Call.provider_analysis, Call.started_at).one()
    if analysis is not None:
        # The report already replaced the live lines with its full transcript; this line is in it.
        return _Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id)
    position = session.exec(
        select(func.coalesce(func.max(CallMessage.position), -1)).where(CallMessage.call_id == ref.id)
    ).one()
    started = _parse_time(event.call.get("startedAt")) or _aware(started_at)
    spoken = _epoch_ms(event.message.get("timestamp"))
    seconds = max((spoken - started).total_seconds(), 0.0) if started and spoken else 0.0
    role = "assistant" if event.message.get("role") in ("assistant", "bot") else "user"
    _sql(session).execute(
        insert(CallMessage).values(
            tenant_id=ref.tenant_id,
            call_id=ref.id,
            position=position + 1,
            role=role,
            text=text,
            seconds_from_start=round(seconds, 3),
        )
    )
    return _Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id)


def _handle_end_of_call_report(session: Session, event: _Event) -> _Handled:
    lines = _report_lines(event.message)
    caller_spoke = None if lines is None else any(role == "user" for role, _, _ in lines)
    values = _report_values(event, has_lines=bool(lines), caller_spoke=caller_spoke)
    # A report for a call AVA has not seen yet (the common case) is one INSERT: no update, no old lines to drop.
    ref = _ensure_call(session, event, status="ended", values=values)
    if ref is None:
        return _unresolved()
    if not ref.created:
        _sql(session).execute(update(Call).where(col(Call.id) == ref.id).values(**values))
    if lines is not None:
        if not ref.created:
            _sql(session).execute(delete(CallMessage).where(col(CallMessage.call_id) == ref.id))
        if lines:
            _sql(session).execute(
                insert(CallMessage),
                [
                    {
                        "tenant_id": ref.tenant_id,
                        "call_id": ref.id,
                        "position": position,
                        "role": role,
                        "text": text,
                        "seconds_from_start": seconds,
                    }
                    for position, (role, text, seconds) in enumerate(lines)
                ],
            )
    return _Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id, call_ended=True)


def _handle_tool_calls(session: Session, event: _Event) -> _Handled:
    context = _ToolContext(session=session, event=event)
    results = [context.run(item) for item in _tool_call_items(event.message)]
    routing = context.resolved_routing()
    return _Handled(
        response={"results": results},
        tenant_id=routing.tenant_id if routing else None,
        call_id=context.call_id,
        problem=_UNRESOLVED if context.needed_routing and routing is None else None,
    )


def _handle_assistant_request(session: Session, event: _Event) -> _Handled:
    number = _find_number(session, event)
    if number is None or (event.auth_tenant_id is not None and number.tenant_id != event.auth_tenant_id):
        return _Handled(response={"error": _NOT_IN_SERVICE}, problem="called number is not registered in AVA")
    tenant = session.get(Tenant, number.tenant_id)
    assistant = session.get(Assistant, number.assistant_id) if number.assistant_id else None
    routing = _Routing(
        tenant_id=number.tenant_id, assistant_id=assistant.id if assistant else None, phone_number_id=number.id
    )
    ref = _ensure_call(session, event, status="ringing", routing=routing)
    if ref is not None and not ref.created:
        _touch_call(session, ref, event)
    hours = business_hours_status(
        business_hours=number.business_hours,
        holidays=number.holidays,
        timezone=tenant.timezone if tenant else "UTC",
        at=event.now,
    )
    response = _inbound_route(number=number, assistant=assistant, tenant=tenant, hours=hours)
    return _Handled(response=response, tenant_id=number.tenant_id, call_id=ref.id if ref else None)


_HANDLERS: dict[str, Callable[[Session, _Event], _Handled]] = {
    "status-update": _handle_status_update,
    "transcript": _handle_transcript,
    "end-of-call-report": _handle_end_of_call_report,
    "tool-calls": _handle_tool_calls,
    "assistant-request": _handle_assistant_request,
    "conversation-update": _store_only,
    "speech-update": _store_only,
    "hang": _store_only,
}


def _unresolved() -> _Handled:
    return _Handled(response={}, problem=_UNRESOLVED)


# --- calls --------------------------------------------------------------------------------------------------------


def _ensure_call(
    session: Session,
    event: _Event,
    *,
    status: str | None = None,
    routing: _Routing | None = None,
    values: dict[str, Any] | None = None,
) -> _CallRef | None:
    """The call row for this event, created from the event's call snapshot (plus ``values``) if new.

    Returns None when no tenant owns the call.
    """
    if not event.provider_call_id:
        return None
    row = (
        _sql(session)
        .execute(select(Call.id, Call.tenant_id).where(col(Call.provider_call_id) == event.provider_call_id))
        .first()
    )
    if row is not None:
        if event.auth_tenant_id is not None and row[1] != event.auth_tenant_id:
            raise Forbidden("This call belongs to another tenant than the secret used.")
        return _CallRef(id=row[0], tenant_id=row[1], created=False)
    routing = routing or _resolve_routing(session, event)
    if routing is None:
        return None
    snapshot_status = event.call.get("status")
    call = Call(
        tenant_id=routing.tenant_id,
        provider_call_id=event.provider_call_id,
        assistant_id=routing.assistant_id,
        phone_number_id=routing.phone_number_id,
        status=status or (snapshot_status if snapshot_status in STATUS_ORDER else "queued"),
        started_at=_parse_time(event.call.get("startedAt")),
        created_at=event.now,
        updated_at=event.now,
        **_parties(event),
    )
    columns = {**_columns(call), **(values or {})}
    # A concurrent delivery may insert the same provider_call_id first: IntegrityError here, retried by the caller.
    call_id = _sql(session).execute(_INSERT_CALL, columns).inserted_primary_key[0]
    return _CallRef(id=call_id, tenant_id=routing.tenant_id, created=True)


def _sql(session: Session):
    """The session's connection, for plain Core statements: the ORM's flush machinery costs more than the SQL here."""
    return session.connection()


# Built once and executed with the row as parameters: ``insert(...).values(row)`` turns each value into a bound
# literal and hashes them all into the statement's cache key, which cost more than the INSERT itself on the hot path.
_INSERT_EVENT = insert(WebhookEvent.__table__)
_INSERT_CALL = insert(Call.__table__)


def _columns(row: Any) -> dict[str, Any]:
    """Column values of an unsaved model instance, its defaults included, for a Core INSERT (id left to the DB)."""
    return {key: value for key, value in row.model_dump().items() if key != "id"}


def _advanced_status(status: str) -> Any:
    """SQL for "``status`` if the call is at an earlier stage, else unchanged".

    Evaluated inside the UPDATE, so a late "in-progress" can never overwrite "ended", whatever the interleaving.
    """
    earlier = STATUS_ORDER[: STATUS_ORDER.index(status)]
    return case((col(Call.status).in_(earlier), literal(status)), else_=Call.status)


def _touch_call(session: Session, ref: _CallRef, event: _Event, *returning: Any):
    """Lock the call row (a no-op write) and advance it to the status in the event's call snapshot, if later."""
    values: dict[str, Any] = {"updated_at": event.now}
    snapshot = event.call.get("status")
    if snapshot in STATUS_ORDER:
        values["status"] = _advanced_status(snapshot)
    statement = update(Call).where(col(Call.id) == ref.id).values(**values)
    return _sql(session).execute(statement.returning(*returning) if returning else statement)


def _parties(event: _Event) -> dict[str, Any]:
    kind = event.call.get("type")
    call_type = {"outboundPhoneCall": "outbound", "webCall": "web", "vapi.websocketCall": "web"}.get(kind, "inbound")
    customer = event.call.get("customer") or event.message.get("customer") or {}
    phone = event.message.get("phoneNumber") or event.call.get("phoneNumber") or {}
    ours, theirs = _short(phone.get("number")), _short(customer.get("number"))
    outbound = call_type == "outbound"
    return {
        "call_type": call_type,
        "direction": "outbound" if outbound else "inbound",
        "caller_number": ours if outbound else theirs,
        "called_number": theirs if outbound else ours,
    }


def _resolve_routing(session: Session, event: _Event) -> _Routing | None:
    """Which tenant (and assistant, number) a call belongs to, strongest evidence first.

    Order: the Vapi assistant id, then the Vapi phone number id or E.164 number, then the assistant metadata
    ``avaTenantId``.
    With a tenant secret, only that tenant can be the answer.
    """
    phone = event.message.get("phoneNumber") or event.call.get("phoneNumber") or {}
    assistant_ids = [
        value for value in (event.call.get("assistantId"), phone.get("assistantId")) if isinstance(value, str) and value
    ]
    assistants = []
    if assistant_ids:
        rows = (
            _sql(session)
            .execute(
                select(Assistant.id, Assistant.tenant_id, Assistant.provider_assistant_id).where(
                    col(Assistant.provider_assistant_id).in_(assistant_ids)
                )
            )
            .all()
        )
        assistants = sorted(rows, key=lambda row: assistant_ids.index(row[2]))
    number = _find_number(session, event)
    candidates = [row[1] for row in assistants]
    if number is not None:
        candidates.append(number.tenant_id)
    if not candidates:
        metadata_tenant = _metadata_tenant_id(event)
        if metadata_tenant is not None and session.get(Tenant, metadata_tenant) is not None:
            candidates.append(metadata_tenant)
    if event.auth_tenant_id is not None:
        tenant_id = event.auth_tenant_id if event.auth_tenant_id in candidates else None
    else:
        tenant_id = candidates[0] if candidates else None
    if tenant_id is None:
        return None
    assistant_id = next((row[0] for row in assistants if row[1] == tenant_id), None)
    if number is not None and number.tenant_id == tenant_id:
        return _Routing(
            tenant_id=tenant_id, assistant_id=assistant_id or number.assistant_id, phone_number_id=number.id
        )
    return _Routing(tenant_id=tenant_id, assistant_id=assistant_id, phone_number_id=None)


def _find_number(session: Session, event: _Event) -> PhoneNumber | None:
    """Our active number for this call: by Vapi phone number id first, then by the E.164 number."""
    phone = event.message.get("phoneNumber") or event.call.get("phoneNumber") or {}
    provider_id = event.call.get("phoneNumberId") or phone.get("id")
    e164 = phone.get("number")
    conditions = []
    if isinstance(provider_id, str) and provider_id:
        conditions.append(PhoneNumber.provider_number_id == provider_id)
    if isinstance(e164, str) and e164:
        conditions.append(PhoneNumber.e164 == e164)
    if not conditions:
        return None
    rows = session.exec(
        select(PhoneNumber)
        .where(or_(*conditions), col(PhoneNumber.released_at).is_(None))
        .order_by(col(PhoneNumber.id).desc())
    ).all()
    by_id = [row for row in rows if provider_id and row.provider_number_id == provider_id]
    return (by_id or rows or [None])[0]


def _metadata_tenant_id(event: _Event) -> int | None:
    sources = (
        event.message.get("assistant"),
        event.call.get("assistant"),
        event.call.get("assistantOverrides"),
    )
    for source in sources:
        metadata = source.get("metadata") if isinstance(source, dict) else None
        value = metadata.get("avaTenantId") if isinstance(metadata, dict) else None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None


# --- end-of-call report -------------------------------------------------------------------------------------------


def _report_values(event: _Event, *, has_lines: bool, caller_spoke: bool | None = None) -> dict[str, Any]:
    """Every Call column the report carries; artifact/analysis first, legacy top-level names as fallback."""
    message, call = event.message, event.call
    artifact = message.get("artifact") if isinstance(message.get("artifact"), dict) else {}
    analysis = message.get("analysis") if isinstance(message.get("analysis"), dict) else call.get("analysis")
    reason = message.get("endedReason") or call.get("endedReason")
    started = _parse_time(message.get("startedAt")) or _parse_time(call.get("startedAt"))
    ended = _parse_time(message.get("endedAt")) or _parse_time(call.get("endedAt"))
    duration = _duration_seconds(message, started=started, ended=ended)
    values: dict[str, Any] = {
        "status": "ended",
        "ended_reason": str(reason)[:120] if reason else None,
        "outcome": outcome_for_ended_reason(
            reason, had_conversation=has_lines or bool(duration), caller_spoke=caller_spoke
        ),
        "duration_seconds": duration,
        "cost": _money(message.get("cost") if message.get("cost") is not None else call.get("cost")),
        "cost_breakdown": _cost_breakdown(message),
        "recording_url": _recording_url(artifact, message),
        "transcript": str(artifact.get("transcript") or message.get("transcript") or ""),
        # Never None once the report is applied: late live transcripts use it to know they are already included.
        "provider_analysis": analysis if isinstance(analysis, dict) else {},
        "updated_at": event.now,
    }
    if started is not None:
        values["started_at"] = started
    if ended is not None:
        values["ended_at"] = ended
    return values


def _report_lines(message: dict) -> list[tuple[str, str, float]] | None:
    """The conversation as (role, text, seconds from start); None when the report carries no conversation at all."""
    artifact = message.get("artifact") if isinstance(message.get("artifact"), dict) else {}
    items = artifact.get("messages")
    if not isinstance(items, list):
        items = message.get("messages") if isinstance(message.get("messages"), list) else None
    if items is None:
        transcript = artifact.get("transcript") or message.get("transcript")
        return _transcript_lines(transcript) if isinstance(transcript, str) and transcript.strip() else None
    lines = []
    for item in items:
        if not isinstance(item, dict):
            continue
        role = item.get("role")
        seconds = _float(item.get("secondsFromStart"))
        if role == "system":
            continue  # the prompt, not something anyone said
        if role == "tool_calls":
            calls = [_tool_call_parts(call) for call in item.get("toolCalls") or [] if isinstance(call, dict)]
            text = "; ".join(
                f"{name}({args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)})"
                for _, name, args in calls
            )
            lines.append(("tool_call", text, seconds))
        elif role == "tool_call_result":
            lines.append(("tool_result", f"{item.get('name') or 'tool'}: {item.get('result') or ''}", seconds))
        else:
            text = str(item.get("message") or item.get("content") or "").strip()
            if text:
                lines.append(("assistant" if role in ("bot", "assistant") else str(role or "user")[:12], text, seconds))
    return lines


def _transcript_lines(transcript: str) -> list[tuple[str, str, float]]:
    lines = []
    for line in transcript.splitlines():
        speaker, _, text = line.partition(":")
        if text.strip():
            lines.append(("assistant" if speaker.strip().upper() == "AI" else "user", text.strip(), 0.0))
    return lines


def _duration_seconds(message: dict, *, started: datetime | None, ended: datetime | None) -> int | None:
    if started is not None and ended is not None:
        return max(round((ended - started).total_seconds()), 0)
    for key, scale in (("durationSeconds", 1), ("durationMs", 0.001), ("durationMinutes", 60)):
        value = _float(message.get(key), default=None)
        if value is not None:
            return max(round(value * scale), 0)
    return None


def _cost_breakdown(message: dict) -> dict | None:
    """Cost per component as exact decimal strings (JSON has no decimal type), plus token and character counts."""
    call = message.get("call") if isinstance(message.get("call"), dict) else {}
    given = call.get("costBreakdown") or message.get("costBreakdown")
    if isinstance(given, dict):
        return {key: _decimal_json(value) for key, value in given.items()}
    costs = message.get("costs") or call.get("costs")
    if not isinstance(costs, list):
        return None
    names = {"transcriber": "stt", "model": "llm", "voice": "tts"}
    totals: dict[str, Decimal] = {}
    for item in costs:
        if isinstance(item, dict) and item.get("type"):
            name = names.get(item["type"], str(item["type"]))
            totals[name] = totals.get(name, Decimal(0)) + (_decimal(item.get("cost")) or Decimal(0))
    breakdown: dict[str, Any] = {name: str(amount) for name, amount in totals.items()}
    breakdown["total"] = str(sum(totals.values(), Decimal(0)))
    return breakdown


def _decimal_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _decimal_json(item) for key, item in value.items()}
    if isinstance(value, float):
        return str(_decimal(value))
    return value


def _recording_url(artifact: dict, message: dict) -> str | None:
    recording = artifact.get("recording") if isinstance(artifact.get("recording"), dict) else {}
    mono = recording.get("mono") if isinstance(recording.get("mono"), dict) else {}
    url = artifact.get("recordingUrl") or mono.get("combinedUrl") or message.get("recordingUrl")
    return str(url)[:1000] if url else None


# --- tools --------------------------------------------------------------------------------------------------------


def _tool_call_items(message: dict) -> list[dict]:
    items = message.get("toolCallList")
    if not isinstance(items, list):
        items = [
            entry.get("toolCall") for entry in message.get("toolWithToolCallList") or [] if isinstance(entry, dict)
        ]
    return [item for item in items if isinstance(item, dict)]


def _tool_call_parts(item: dict) -> tuple[str, str, Any]:
    """(id, name, raw arguments) from the current ``{id, function: {name, arguments}}`` or older flat shape."""
    function = item.get("function") if isinstance(item.get("function"), dict) else {}
    name = function.get("name") or item.get("name") or ""
    arguments = function.get("arguments", item.get("parameters", item.get("arguments")))
    return str(item.get("id") or ""), str(name), arguments


def _tool_arguments(raw: Any) -> dict:
    """Arguments as a dict: Vapi documents a JSON string, but objects are seen in the wild."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ValueError("arguments are not valid JSON") from None
        if isinstance(parsed, dict):
            return parsed
    raise ValueError("arguments must be a JSON object")


class _ToolContext:
    """What the built-in tools of one tool-calls event need, looked up once and only if a tool asks."""

    def __init__(self, *, session: Session, event: _Event) -> None:
        self.session = session
        self.event = event
        self.needed_routing = False
        self.call_id: int | None = None
        self._routing: _Routing | None = None
        self._resolved = False

    @property
    def routing(self) -> _Routing | None:
        if not self._resolved:
            self._resolved = True
            self.needed_routing = True
            self._routing = self._lookup_routing()
        return self._routing

    def resolved_routing(self) -> _Routing | None:
        """The routing if a tool already looked it up (never triggers the lookup)."""
        return self._routing

    def _lookup_routing(self) -> _Routing | None:
        if self.event.provider_call_id:
            row = self.session.exec(
                select(Call.tenant_id, Call.assistant_id, Call.phone_number_id).where(
                    Call.provider_call_id == self.event.provider_call_id
                )
            ).first()
            known = row is not None and row[1] is not None and row[2] is not None
            if known and self.event.auth_tenant_id in (None, row[0]):
                return _Routing(tenant_id=row[0], assistant_id=row[1], phone_number_id=row[2])
        return _resolve_routing(self.session, self.event)

    def run(self, item: dict) -> dict:
        call_id, name, raw_arguments = _tool_call_parts(item)
        result: dict[str, str] = {"toolCallId": call_id, "name": name}
        tool = _TOOLS.get(name)
        if tool is None:
            result["error"] = f"Unknown tool {name!r}. AVA answers: {', '.join(BUILTIN_TOOLS)}."
            return result
        try:
            arguments = _tool_arguments(raw_arguments)
            if self.routing is None:
                raise DomainError("This call does not belong to any AVA business.")
            result["result"] = tool(self, arguments)
        except (ValueError, DomainError) as exc:
            result["error"] = str(getattr(exc, "message", exc))
        return result

    def number(self) -> PhoneNumber | None:
        routing = self.routing
        if routing and routing.phone_number_id:
            return self.session.get(PhoneNumber, routing.phone_number_id)
        return None

    def lines(self) -> list[PhoneNumber]:
        """The call's own number, else the active numbers routed to its assistant (a web call has no number)."""
        number = self.number()
        if number is not None:
            return [number]
        routing = self.routing
        if routing is None or routing.assistant_id is None:
            return []
        return list(
            self.session.exec(
                select(PhoneNumber)
                .where(
                    PhoneNumber.tenant_id == routing.tenant_id,
                    PhoneNumber.assistant_id == routing.assistant_id,
                    col(PhoneNumber.released_at).is_(None),
                )
                .order_by(col(PhoneNumber.id))
            ).all()
        )

    def assistant(self) -> Assistant | None:
        routing = self.routing
        if routing and routing.assistant_id:
            return self.session.get(Assistant, routing.assistant_id)
        number = self.number()
        return self.session.get(Assistant, number.assistant_id) if number and number.assistant_id else None

    def tenant(self) -> Tenant | None:
        return self.session.get(Tenant, self.routing.tenant_id) if self.routing else None


def _tool_check_business_hours(context: _ToolContext, arguments: dict) -> str:
    # A web call has no number of its own: the hours of the assistant's line are the business's hours.
    lines = context.lines()
    number = next((line for line in lines if line.business_hours or line.holidays), lines[0] if lines else None)
    tenant = context.tenant()
    hours = business_hours_status(
        business_hours=number.business_hours if number else {},
        holidays=number.holidays if number else [],
        timezone=tenant.timezone if tenant else "UTC",
        at=context.event.now,
    )
    return describe_hours(hours)


def _tool_take_message(context: _ToolContext, arguments: dict) -> str:
    fields = {
        str(key)[:64]: value.strip()[:_MESSAGE_MAX_CHARS] if isinstance(value, str) else value
        for key, value in list(arguments.items())[:_MESSAGE_MAX_FIELDS]
        if value not in (None, "") and (not isinstance(value, str) or value.strip())
    }
    if not fields:
        raise ValueError("take_message needs at least one field (for example caller_name, message).")
    ref = _ensure_call(context.session, context.event, routing=context.routing)
    if ref is None:
        raise DomainError("This tool needs a call id.")
    context.call_id = ref.id
    # Lock the row before reading, so two messages taken at once are both kept.
    existing = _touch_call(context.session, ref, context.event, Call.data_fields).scalar_one()
    merged = {**(existing if isinstance(existing, dict) else {}), **fields}
    context.session.exec(update(Call).where(col(Call.id) == ref.id).values(data_fields=merged, action_needed=True))
    return "Message saved for the team. Tell the caller the team will call them back as soon as possible."


def _tool_transfer_to_human(context: _ToolContext, arguments: dict) -> str:
    # Only reached when Vapi had no forwarding number to transfer to itself (AVA then declares transferCall).
    forward_to = next((line.forwarding_number for line in context.lines() if line.forwarding_number), None)
    if not forward_to:
        raise DomainError("No forwarding number is set, so no one can take the call now. Offer to take a message.")
    return f"Transfer the caller to {forward_to}."


def _tool_lookup_faq(context: _ToolContext, arguments: dict) -> str:
    question = str(arguments.get("question") or arguments.get("query") or arguments.get("topic") or "").strip()
    if not question:
        raise ValueError("lookup_faq needs a 'question'.")
    assistant = context.assistant()
    entry = best_faq_match(assistant.knowledge_base if assistant else [], question=question)
    if entry is None:
        return "No answer in the knowledge base. Offer to take a message so the team can follow up."
    return str(entry.get("answer") or "")


_TOOLS: dict[str, Callable[[_ToolContext, dict], str]] = {
    "check_business_hours": _tool_check_business_hours,
    "take_message": _tool_take_message,
    "transfer_to_human": _tool_transfer_to_human,
    "lookup_faq": _tool_lookup_faq,
}

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about which FAQ entry is meant.
_STOPWORD_TEXT = (
    "a an and are as at be can do does for from have how i in is it me my of on or our the to we what when where "
    "which who why will with you your"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


def best_faq_match(knowledge_base: list, *, question: str) -> dict | None:
    """The knowledge-base entry ({"question", "answer"}) sharing most words with ``question``, or None if none does.

    Words of the entry's question count double: callers ask the way the owner wrote the question.
    """
    asked = _words(question)
    best, best_score = None, 0.0
    for entry in knowledge_base or []:
        if not isinstance(entry, dict) or not entry.get("answer"):
            continue
        entry_question, answer = _words(str(entry.get("question") or "")), _words(str(entry["answer"]))
        overlap = 2 * len(asked & entry_question) + len(asked & (answer - entry_question))
        if overlap == 0:
            continue
        # Normalising by size keeps a long catch-all entry from winning every question.
        score = overlap / (len(entry_question | answer) ** 0.5)
        if score > best_score:
            best, best_score = entry, score
    return best


# --- business hours and inbound routing ----------------------------------------------------------------------------


def business_hours_status(*, business_hours: dict, holidays: list, timezone: str, at: datetime) -> HoursStatus:
    """Open or closed at ``at`` given weekday ranges ({"open": "09:00", "close": "17:00"}) and ISO holiday dates.

    Weekday keys are English day names or their 3-letter forms, any case. A range closing at or before it opens runs
    past midnight; "24:00" means end of day. No hours at all means always open (nothing was configured).
    """
    if not business_hours:
        return HoursStatus(is_open=True, reason="no_hours")
    zone = _zone(timezone)
    local = _aware(at).astimezone(zone)
    today, now = local.date(), local.time().replace(tzinfo=None)
    closed_days = _holiday_dates(holidays)
    ranges_today = _day_ranges(business_hours, today.weekday())
    if today not in closed_days:
        for opens, closes in ranges_today:
            if opens <= now and (closes is None or closes <= opens or now < closes):
                return HoursStatus(is_open=True, reason="open", closes_at=closes, today=tuple(ranges_today))
    yesterday = today - timedelta(days=1)
    if yesterday not in closed_days:
        for opens, closes in _day_ranges(business_hours, yesterday.weekday()):
            if closes is not None and closes <= opens and now < closes:
                return HoursStatus(is_open=True, reason="open", closes_at=closes, today=tuple(ranges_today))
    return HoursStatus(
        is_open=False,
        reason="holiday" if today in closed_days else "closed",
        next_open=_next_opening(business_hours, closed_days, local),
        today=() if today in closed_days else tuple(ranges_today),
    )


def describe_hours(hours: HoursStatus) -> str:
    """A sentence the assistant can say about ``hours``."""
    if hours.reason == "no_hours":
        return "Open: no business hours are set, so calls are taken at any time."
    today = ", ".join(f"{_hhmm(opens)}-{_hhmm(closes)}" for opens, closes in hours.today) or "closed"
    if hours.is_open:
        until = f" until {_hhmm(hours.closes_at)}" if hours.closes_at else ""
        return f"Open now{until}. Hours today: {today}."
    why = "Closed today for a holiday." if hours.reason == "holiday" else f"Closed now. Hours today: {today}."
    if hours.next_open is not None:
        return f"{why} Next opening: {hours.next_open.strftime('%A')} at {hours.next_open.strftime('%H:%M')}."
    return why


def _inbound_route(
    *, number: PhoneNumber, assistant: Assistant | None, tenant: Tenant | None, hours: HoursStatus
) -> dict:
    """The assistant-request answer: the AI, the AI taking a voicemail, or a plain forward, as the owner configured."""
    business = tenant.name if tenant else ""
    forward = {"type": "number", "number": number.forwarding_number, "message": "Please hold while I connect you."}
    provider_id = assistant.provider_assistant_id if assistant else None
    if not provider_id:
        # No AI to hand the call to: a forward is better than a dead line.
        return {"destination": forward} if number.forwarding_number else {"error": _UNAVAILABLE}
    variables = {"businessName": business, "isOpen": "yes" if hours.is_open else "no"}
    action = number.after_hours_action
    if hours.is_open or action == "ai":
        return {"assistantId": provider_id, "assistantOverrides": {"variableValues": variables}}
    if action == "forward" and number.forwarding_number:
        return {"destination": forward}
    voicemail = (
        number.voicemail_message
        or (assistant.voicemail_message if assistant else "")
        or f"Thanks for calling{' ' + business if business else ''}. We are closed right now. "
        "Please leave your name, number and a short message, and we will call you back."
    )
    return {
        "assistantId": provider_id,
        "assistantOverrides": {"firstMessage": voicemail, "voicemailMessage": voicemail, "variableValues": variables},
    }


def _day_ranges(business_hours: dict, weekday: int) -> list[tuple[time, time | None]]:
    name = WEEKDAYS[weekday]
    ranges = None
    for key, value in business_hours.items():
        if str(key).strip().lower() in (name, name[:3]):
            ranges = value
            break
    parsed = []
    for item in ranges or []:
        if not isinstance(item, dict):
            continue
        opens, closes = _clock(item.get("open")), _clock(item.get("close"))
        if opens is not None and (closes is not None or str(item.get("close")).strip() == "24:00"):
            parsed.append((opens, closes))
    return sorted(parsed, key=lambda pair: pair[0])


def _next_opening(business_hours: dict, closed_days: set[date], local: datetime) -> datetime | None:
    for offset in range(0, 8):
        day = local.date() + timedelta(days=offset)
        if day in closed_days:
            continue
        for opens, _closes in _day_ranges(business_hours, day.weekday()):
            candidate = datetime.combine(day, opens, tzinfo=local.tzinfo)
            if candidate > local:
                return candidate
    return None


def _holiday_dates(holidays: list) -> set[date]:
    days = set()
    for item in holidays or []:
        value = item.get("date") if isinstance(item, dict) else item
        try:
            days.add(date.fromisoformat(str(value)[:10]))
        except ValueError:
            log.warning("Ignoring holiday %r: not an ISO date", value)
    return days


def _clock(value: Any) -> time | None:
    """'09:00' -> time(9, 0); '24:00' and anything unparsable -> None."""
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return None


def _hhmm(value: time | None) -> str:
    return "24:00" if value is None else value.strftime("%H:%M")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Unknown timezone %r, using UTC", name)
        return ZoneInfo("UTC")


# --- small parsers ------------------------------------------------------------------------------------------------

# Deeper than any provider message; past it a body is refused rather than risking recursion in what stores it.
MAX_JSON_DEPTH = 64
# Lone UTF-16 surrogates cannot be encoded to UTF-8 (SQLite and PostgreSQL refuse them); PostgreSQL text has no NUL.
_UNSTORABLE = re.compile("[\\ud800-\\udfff\\x00]")


def storable_text(value: str) -> str:
    """``value`` with every lone surrogate and NUL replaced by U+FFFD (the replacement character)."""
    return _UNSTORABLE.sub("\ufffd", value)


def storable_json(value: Any, *, clean: bool = True, depth: int = 0) -> Any:
    """Parsed JSON with its strings (keys too) made storable; InvalidPayload when nested past ``MAX_JSON_DEPTH``."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidPayload(f"Body is nested deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        cleaned = [storable_json(item, clean=clean, depth=depth + 1) for item in items]
        if not clean:
            return value  # the depth was all there was to check
        if isinstance(value, list):
            return cleaned
        return {storable_text(key): item for key, item in zip(value, cleaned, strict=True)}
    if clean and isinstance(value, str):
        return storable_text(value)
    return value


def _provider_call_id(message: dict) -> str | None:
    call = message.get("call") if isinstance(message.get("call"), dict) else {}
    value = call.get("id") or message.get("callId")
    return str(value)[:64] if value else None


def _digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    # surrogatepass: a key must never be what makes an event unstorable.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _epoch_ms(value: Any) -> datetime | None:
    number = _float(value, default=None)
    return datetime.fromtimestamp(number / 1000, tz=UTC) if number else None


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; AVA stores UTC everywhere, so naive means UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _float(value: Any, default: float | None = 0.0) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else default
    except (TypeError, ValueError):
        return default


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        # Through str so 0.2146 stays 0.2146 instead of the float's binary expansion.
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _money(value: Any) -> Decimal | None:
    amount = _decimal(value)
    return amount.quantize(_CENT_FRACTION, rounding=ROUND_HALF_UP) if amount is not None else None


def _short(value: Any) -> str | None:
    return str(value)[:20] if value else None
