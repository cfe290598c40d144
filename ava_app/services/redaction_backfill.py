"""Redaction of what was stored before it was turned on: when an admin turns redaction on, or adds a kind of data to
take out, a job applies the business's rules to the calls, conversation lines and raw provider messages it already
holds (``privacy_settings.save_privacy_settings`` queues it).

Rules only ever take text out, and a placeholder ("[card number]") matches no rule, so the job can run again, or
meet calls that were redacted when they arrived, and change nothing twice. It walks the business's rows by id in
batches of ``BATCH``, each batch its own short transaction (webhooks keep landing), writes only the rows whose text
changed, and leaves one audit line with its counts. Turning redaction off never puts anything back: what was taken
out was never kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import Call, CallMessage, WebhookEvent
from ava_app.services import audit
from ava_app.services.privacy_settings import Redactor, redactor_for
from ava_app.task_queue import task

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class BackfillReport:
    calls: int = 0
    lines: int = 0
    payloads: int = 0


def redact_stored(session: Session, *, tenant_id: int) -> BackfillReport:
    """Apply the business's current rules to everything it stored; returns how many rows changed."""
    redactor = redactor_for(session, tenant_id=tenant_id)
    report = BackfillReport()
    if not redactor.active:
        return report
    session.commit()  # the rules were read; each batch below is a transaction of its own
    callers = _redact_calls(session, tenant_id=tenant_id, redactor=redactor, report=report)
    _redact_lines(session, tenant_id=tenant_id, redactor=redactor, callers=callers, report=report)
    _redact_payloads(session, tenant_id=tenant_id, redactor=redactor, report=report)
    if report.calls or report.lines or report.payloads:
        audit.record(
            session,
            action="privacy_redaction_applied",
            tenant_id=tenant_id,
            detail={"calls": report.calls, "lines": report.lines, "payloads": report.payloads},
        )
        session.commit()
    return report


def _redact_calls(session: Session, *, tenant_id: int, redactor: Redactor, report: BackfillReport) -> dict[int, str]:
    """Transcripts, summaries, intents, noted details and the provider's analysis; the callers' numbers by call."""
    callers: dict[int, str] = {}
    for rows in _batches(session, Call, tenant_id=tenant_id):
        for call in rows:
            caller = call.caller_number
            if caller:
                callers[call.id] = caller
            changes = _call_changes(call, redactor, caller)
            if changes:
                session.execute(update(Call).where(col(Call.id) == call.id).values(**changes))
                report.calls += 1
    return callers


def _batches(session: Session, model: Any, *, tenant_id: int) -> Iterator[list[Any]]:
    """The business's rows of ``model`` by id, ``BATCH`` at a time; what the caller wrote for one batch is committed
    before the next is read (each batch its own short transaction)."""
    after = 0
    while True:
        rows = list(
            session.exec(
                select(model)
                .where(col(model.tenant_id) == tenant_id, col(model.id) > after)
                .order_by(col(model.id))
                .limit(BATCH)
            ).all()
        )
        if not rows:
            return
        yield rows
        session.commit()
        after = rows[-1].id or after


def _call_changes(call: Call, redactor: Redactor, caller: str | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("transcript", "summary", "intent"):
        value = getattr(call, name)
        if isinstance(value, str) and value:
            redacted = redactor.text(value, caller_phone=caller)
            if redacted != value:
                changes[name] = redacted[:200] if name == "intent" else redacted
    for name in ("data_fields", "provider_analysis"):
        value = getattr(call, name)
        if value:
            redacted = redactor.data(value, caller_phone=caller)
            if redacted != value:
                changes[name] = redacted
    return changes


def _redact_lines(
    session: Session, *, tenant_id: int, redactor: Redactor, callers: dict[int, str], report: BackfillReport
) -> None:
    for rows in _batches(session, CallMessage, tenant_id=tenant_id):
        for line in rows:
            redacted = redactor.text(line.text, caller_phone=callers.get(line.call_id))
            if redacted != line.text:
                session.execute(update(CallMessage).where(col(CallMessage.id) == line.id).values(text=redacted))
                report.lines += 1


def _redact_payloads(session: Session, *, tenant_id: int, redactor: Redactor, report: BackfillReport) -> None:
    """The raw provider messages kept for replays (30 days at most), as the ingest path redacts new ones."""
    for rows in _batches(session, WebhookEvent, tenant_id=tenant_id):
        for event in rows:
            redacted = _redacted_payload(event.payload, redactor)
            if redacted is not None:
                session.execute(update(WebhookEvent).where(col(WebhookEvent.id) == event.id).values(payload=redacted))
                report.payloads += 1


def _redacted_payload(payload: str, redactor: Redactor) -> str | None:
    """The payload with the caller's words taken out, or None when nothing changed (or it is not JSON)."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return None
    customer = message.get("customer") or (message.get("call") or {}).get("customer") or {}
    caller = customer.get("number") if isinstance(customer, dict) else None
    redacted = redactor.data(message, caller_phone=caller if isinstance(caller, str) else None)
    if redacted == message:
        return None
    return json.dumps({**body, "message": redacted}, ensure_ascii=False, separators=(",", ":"))


@task(retries=2, retry_delay=60)
def redact_stored_job(tenant_id: int) -> None:
    """Job: apply the business's redaction to what it stored before (queued when an admin makes it stricter)."""
    with session_scope() as session:
        report = redact_stored(session, tenant_id=tenant_id)
    log.info(
        "tenant %s: redaction applied to %s calls, %s lines, %s payloads",
        tenant_id,
        report.calls,
        report.lines,
        report.payloads,
    )
