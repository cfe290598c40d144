"""Dead letters: stored provider webhook events whose apply failed, listed for platform admins and retried on demand.

An event whose apply raised keeps its error (and no ``processed_at``) on ``WebhookEvent``; after the job queue's own
retries nothing applies it again until the provider redelivers it, which it may never do. The operators of the
deployment see those events here (never their payloads: those are a tenant's calls) and send them back to the queue.
Only ``Principal.is_platform_admin`` may do either; being an organisation's admin gives no access.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app.models import Tenant, WebhookEvent
from ava_app.services import twilio_voice
from ava_app.services.errors import NotFound
from ava_app.services.ingest import events as vapi_events
from ava_app.services.principal import Principal

MAX_PAGE = 100


class DeadLetter(BaseModel):
    """One failed webhook event as platform admins see it."""

    id: int
    tenant_id: int | None
    tenant_name: str | None
    provider: str
    event_type: str
    provider_call_id: str | None
    error: str
    attempts: int
    received_at: datetime


class DeadLetterPage(BaseModel):
    """Dead letters, newest first; ``next_before_id`` fetches the next page (None on the last one)."""

    items: list[DeadLetter]
    next_before_id: int | None = None


def _is_dead_letter():
    return col(WebhookEvent.error).is_not(None) & col(WebhookEvent.processed_at).is_(None)


def list_dead_letters(
    session: Session, *, principal: Principal, before_id: int | None = None, limit: int = 50
) -> DeadLetterPage:
    """Failed webhook events of every tenant, newest first (platform admins only)."""
    principal.require_platform_admin()
    limit = min(max(limit, 1), MAX_PAGE)
    query = (
        select(WebhookEvent, Tenant.name)
        .join(Tenant, col(Tenant.id) == col(WebhookEvent.tenant_id), isouter=True)
        .where(_is_dead_letter())
        .order_by(col(WebhookEvent.id).desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(col(WebhookEvent.id) < before_id)
    rows = list(session.exec(query).all())
    items = [_dead_letter(event, name) for event, name in rows[:limit]]
    _fill_tenants(session, items, payloads={event.id: event.payload for event, _ in rows[:limit]})
    return DeadLetterPage(items=items, next_before_id=items[-1].id if len(rows) > limit else None)


def _fill_tenants(session: Session, items: list[DeadLetter], *, payloads: dict[int | None, str]) -> None:
    """Name the tenant of events stored before their tenant was known (platform secret, Twilio status callbacks)."""
    found: dict[int, int] = {}
    for item in items:
        if item.tenant_id is None:
            service = twilio_voice if item.provider == twilio_voice.PROVIDER else vapi_events
            tenant_id = service.tenant_of_stored_event(session, payload=payloads[item.id])
            if tenant_id is not None:
                found[item.id] = tenant_id
    if not found:
        return
    names = dict(session.exec(select(Tenant.id, Tenant.name).where(col(Tenant.id).in_(set(found.values())))).all())
    for item in items:
        if item.id in found:
            item.tenant_id, item.tenant_name = found[item.id], names.get(found[item.id])


def retry_dead_letter(
    session: Session, *, principal: Principal, event_id: int, enqueue: Callable[[int], None]
) -> DeadLetter:
    """Send one dead letter back to the job queue (``enqueue`` runs ``reapply_event``); NotFound if it is not one."""
    principal.require_platform_admin()
    row = session.exec(
        select(WebhookEvent, Tenant.name)
        .join(Tenant, col(Tenant.id) == col(WebhookEvent.tenant_id), isouter=True)
        .where(col(WebhookEvent.id) == event_id, _is_dead_letter())
    ).first()
    if row is None:
        raise NotFound("This event is not waiting for a retry (applied, or gone).", code="dead_letter_not_found")
    letter = _dead_letter(*row)
    _fill_tenants(session, [letter], payloads={letter.id: row[0].payload})
    session.rollback()  # end the read before the job (inline in tests) opens its own transaction
    enqueue(event_id)
    return letter


def reapply_event(session: Session, *, event_id: int, on_call_ended: Callable[[int], None]) -> str | None:
    """Apply a stored event again, the way its webhook would have; returns the error if it failed again.

    A Vapi event goes through ``ingest.events.apply_stored_event``; a Twilio request is replayed from its stored form
    (its signature was checked when it was stored), which finds the stored copy and applies it since it failed.
    """
    row = session.exec(
        select(WebhookEvent.provider, WebhookEvent.event_type, WebhookEvent.payload, WebhookEvent.received_at).where(
            col(WebhookEvent.id) == event_id
        )
    ).first()
    if row is None:
        return None
    provider, event_type, payload, received_at = row
    session.rollback()
    if provider != twilio_voice.PROVIDER:
        try:
            result = vapi_events.apply_stored_event(session, event_id=event_id, on_call_ended=on_call_ended)
        except Exception as exc:
            # Recorded on the event by the service (one more attempt); the dead letter stays for the next retry.
            return f"{type(exc).__name__}: {exc}"
        return result.error
    form = twilio_voice.parse_twilio_form(payload.encode())
    now = _utc(received_at)
    if event_type.startswith("voice"):
        return twilio_voice.answer_incoming_call(session, form=form, now=now).error
    status = twilio_voice.apply_call_status(session, form=form, now=now)
    if status.call_ended and status.call_id is not None:
        on_call_ended(status.call_id)
    return status.error


def _dead_letter(event: WebhookEvent, tenant_name: str | None) -> DeadLetter:
    return DeadLetter(
        id=event.id,
        tenant_id=event.tenant_id,
        tenant_name=tenant_name,
        provider=event.provider,
        event_type=event.event_type,
        provider_call_id=event.provider_call_id,
        error=event.error or "",
        attempts=event.attempts,
        received_at=_utc(event.received_at),
    )


def _utc(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; AVA stores UTC everywhere, so naive means UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
