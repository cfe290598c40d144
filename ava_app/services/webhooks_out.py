"""Outgoing webhooks: an organisation's endpoints, the events AVA sends them, signed per Standard Webhooks.

**Endpoints** (admins edit, members read): a URL checked by ``outbound_guard`` when saved and again at every
delivery (connect time), a description, the event types subscribed, enabled or not, and a ``whsec_`` secret (random,
stored encrypted, shown once). Rotating it keeps the previous secret signing beside the new one for
``ROTATION_OVERLAP``: the ``webhook-signature`` header then carries two space-separated ``v1,`` signatures, so a
receiver can switch secrets without losing a message.

**Emitting** (``emit``): one query finds the organisation's enabled endpoints subscribed to the type; with none,
nothing else happens. Each gets one ``WebhookDelivery`` row holding the exact JSON body; the delivery job is enqueued
once the caller's transaction commits (``db.on_commit``). A ``dedupe_key`` makes an event emitted twice (a replayed
provider webhook, a retried job) one delivery per endpoint.

**Delivering** (``deliver_due``, the ``deliver_webhooks`` job): one job at a time per endpoint (a lease on the
endpoint row) sends its pending deliveries oldest first; a later event waits while an earlier one is being retried.
Each attempt is signed afresh (``webhook-timestamp`` is the attempt's time), has ``TIMEOUT_SECONDS``, follows no
redirect, and is logged on the row (time, status, latency, a response excerpt, the error). Any 2xx is a success.
Otherwise the next attempt waits per ``RETRY_SCHEDULE`` (a 429's ``Retry-After`` is honoured when it asks for longer);
after the last one the delivery is ``failed`` and the queue moves on. An endpoint answering 410 Gone is disabled at
once (the receiver says it no longer exists); one failing without a success for ``DISABLE_AFTER`` is disabled too.
Either way its admins are emailed and its pending deliveries are marked failed ("Resend" puts one back in line).
A periodic sweep re-enqueues any endpoint whose due delivery lost its job.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from huey import crontab
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from ava_app import routes
from ava_app.db import on_commit, session_scope
from ava_app.models import Tenant, WebhookDelivery, WebhookEndpoint, as_utc, utcnow
from ava_app.services import audit
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.credentials import decrypt_text, encrypt_text
from ava_app.services.errors import DomainError, Invalid, NotFound
from ava_app.services.outbound_guard import OutboundPolicy, OutboundRefused, check_url, guarded_transport
from ava_app.services.principal import Principal
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue, periodic_task, task

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "call.started",
    "call.ended",
    "call.summarized",
    "message.taken",
    "booking.created",
    "booking.updated",
    "booking.cancelled",
    "test.ping",
)
# The payload's version: bumped when a field changes meaning or goes away (new fields do not bump it).
PAYLOAD_VERSION = 1
# Seconds to wait before each attempt: the first goes at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
RETRY_SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
TIMEOUT_SECONDS = 15.0
DISABLE_AFTER = timedelta(days=5)
ROTATION_OVERLAP = timedelta(hours=24)
# A job holds its endpoint this long per attempt: longer than one attempt's timeout, short enough to recover a crash.
LEASE = timedelta(seconds=60)
RESPONSE_EXCERPT_CHARS = 500
MAX_ENDPOINTS = 20
MAX_URL_CHARS = 2000
LOG_LIMIT = 50

# Test hook: the httpx transport deliveries use instead of the guarded one (the URL is still checked first).
transport_override: Callable[[], httpx.AsyncBaseTransport] | None = None


@dataclass(frozen=True)
class EndpointOut:
    """An endpoint as the settings page and API show it (never its secret)."""

    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    rotating_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class EndpointCreated:
    """A new endpoint or a rotated secret: the ``whsec_`` secret, shown this once."""

    endpoint: EndpointOut
    secret: str


@dataclass(frozen=True)
class DeliveryOut:
    """One delivery as the log shows it: the event, its status and each attempt."""

    id: int
    endpoint_id: int
    message_id: str
    event_type: str
    status: str
    attempt_count: int
    last_status_code: int | None
    last_latency_ms: int | None
    next_attempt_at: datetime | None
    attempts: list[dict]
    created_at: datetime


# --- endpoints (settings) ---------------------------------------------------------------------------------------


def webhook_policy() -> OutboundPolicy:
    """Where endpoints may be: https on public addresses in production; http and local addresses in development."""
    production = get_settings().env == "prod"
    return OutboundPolicy(
        name="webhooks",
        schemes=frozenset({"https"}) if production else frozenset({"http", "https"}),
        allow_private=not production,
    )


def list_endpoints(session: Session, *, principal: Principal) -> list[EndpointOut]:
    """The organisation's endpoints (any member)."""
    tenant_id = principal.require_member()
    rows = session.exec(
        select(WebhookEndpoint).where(col(WebhookEndpoint.tenant_id) == tenant_id).order_by(col(WebhookEndpoint.id))
    ).all()
    return [_endpoint_out(row) for row in rows]


def create_endpoint(
    session: Session,
    *,
    principal: Principal,
    url: str,
    description: str = "",
    event_types: list[str],
) -> EndpointCreated:
    """Add an endpoint (admins); returns it with its new secret, which is never shown again."""
    tenant_id = principal.require_admin()
    count = len(session.exec(select(WebhookEndpoint.id).where(col(WebhookEndpoint.tenant_id) == tenant_id)).all())
    if count >= MAX_ENDPOINTS:
        raise Invalid(f"An organisation can have at most {MAX_ENDPOINTS} webhook endpoints.", code="webhooks_too_many")
    secret = new_secret()
    row = WebhookEndpoint(
        tenant_id=tenant_id,
        url=_checked_url(url),
        description=(description or "").strip()[:200],
        event_types=_checked_types(event_types),
        secret_encrypted=encrypt_text(secret),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="webhook_endpoint_created",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"endpoint_id": row.id, "url": row.url},
    )
    session.commit()
    return EndpointCreated(endpoint=_endpoint_out(row), secret=secret)


def update_endpoint(
    session: Session,
    *,
    principal: Principal,
    endpoint_id: int,
    url: str | None = None,
    description: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
) -> EndpointOut:
    """Change an endpoint (admins). Enabling it again clears its failure streak and resumes its queue."""
    tenant_id = principal.require_admin()
    row = _own_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    if url is not None:
        row.url = _checked_url(url)
    if description is not None:
        row.description = description.strip()[:200]
    if event_types is not None:
        row.event_types = _checked_types(event_types)
    if enabled is not None and enabled != row.enabled:
        row.enabled = enabled
        row.disabled_reason = None if enabled else "manual"
        row.failing_since = None
        if not enabled:
            _fail_pending(session, endpoint_id=endpoint_id, reason="endpoint disabled")
        else:
            on_commit(session, lambda: deliver_webhooks(endpoint_id))
    row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        action="webhook_endpoint_updated",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"endpoint_id": row.id, "url": row.url, "enabled": row.enabled},
    )
    session.commit()
    return _endpoint_out(row)


def delete_endpoint(session: Session, *, principal: Principal, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log (admins)."""
    tenant_id = principal.require_admin()
    row = _own_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    for delivery in session.exec(select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == row.id)).all():
        session.delete(delivery)
    session.delete(row)
    audit.record(
        session,
        action="webhook_endpoint_deleted",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"endpoint_id": endpoint_id, "url": row.url},
    )
    session.commit()


def rotate_secret(
    session: Session, *, principal: Principal, endpoint_id: int, overlap: timedelta = ROTATION_OVERLAP
) -> EndpointCreated:
    """A new secret for the endpoint (admins), shown once; the previous one also signs for ``overlap``."""
    tenant_id = principal.require_admin()
    row = _own_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    secret = new_secret()
    row.previous_secret_encrypted = row.secret_encrypted
    row.previous_secret_expires_at = utcnow() + overlap
    row.secret_encrypted = encrypt_text(secret)
    row.updated_at = utcnow()
    session.add(row)
    audit.record(
        session,
        action="webhook_endpoint_secret_rotated",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"endpoint_id": row.id},
    )
    session.commit()
    return EndpointCreated(endpoint=_endpoint_out(row), secret=secret)


def send_test_event(session: Session, *, principal: Principal, endpoint_id: int) -> DeliveryOut:
    """Queue a ``test.ping`` for one endpoint (admins), whatever it subscribes to."""
    tenant_id = principal.require_admin()
    row = _own_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    if not row.enabled:
        raise Invalid("Enable this endpoint before sending it a test event.", code="webhooks_endpoint_disabled")
    delivery = _add_delivery(
        session, endpoint=row, event_type="test.ping", data={"message": "A test event from AVA."}, dedupe_key=None
    )
    on_commit(session, lambda: deliver_webhooks(endpoint_id))
    session.commit()
    return _delivery_out(delivery)


def list_deliveries(
    session: Session, *, principal: Principal, endpoint_id: int, limit: int = LOG_LIMIT
) -> list[DeliveryOut]:
    """The endpoint's latest deliveries, newest first (any member)."""
    tenant_id = principal.require_member()
    _own_endpoint(session, tenant_id=tenant_id, endpoint_id=endpoint_id)
    rows = session.exec(
        select(WebhookDelivery)
        .where(col(WebhookDelivery.tenant_id) == tenant_id, col(WebhookDelivery.endpoint_id) == endpoint_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    return [_delivery_out(row) for row in rows]


def resend_delivery(session: Session, *, principal: Principal, delivery_id: int) -> DeliveryOut:
    """Send a delivery again (admins): the same message id and body, in its own place in the endpoint's line. One
    waiting for its next retry is tried now instead (its attempts so far stay in its log)."""
    tenant_id = principal.require_admin()
    original = session.get(WebhookDelivery, delivery_id)
    if original is None or original.tenant_id != tenant_id:
        raise NotFound("This delivery does not exist.", code="webhook_delivery_not_found")
    endpoint = _own_endpoint(session, tenant_id=tenant_id, endpoint_id=original.endpoint_id)
    if not endpoint.enabled:
        raise Invalid("Enable this endpoint before resending to it.", code="webhooks_endpoint_disabled")
    if original.status == "pending":
        due = original.next_attempt_at
        if original.attempt_count and due is not None and as_utc(due) > utcnow():
            original.next_attempt_at = utcnow()
            original.updated_at = utcnow()
            session.add(original)
            on_commit(session, lambda: deliver_webhooks(endpoint.id))
            session.commit()
        return _delivery_out(original)
    # A receiver deduplicates on webhook-id: a resend is the same message, so it keeps it.
    original.status = "pending"
    original.attempt_count = 0
    original.next_attempt_at = utcnow()
    original.updated_at = utcnow()
    session.add(original)
    on_commit(session, lambda: deliver_webhooks(endpoint.id))
    session.commit()
    return _delivery_out(original)


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes, base64 (the form Standard Webhooks libraries read)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- emitting ---------------------------------------------------------------------------------------------------


EventData = dict[str, Any] | Callable[[], dict[str, Any]]


def emit(
    session: Session,
    *,
    tenant_id: int,
    event_type: str,
    data: EventData,
    dedupe_key: str | None = None,
    call_id: int | None = None,
) -> int:
    """Queue ``event_type`` for the organisation's subscribed endpoints, sent once the caller commits.

    ``data`` may be a function, called only when some endpoint subscribes. ``call_id``: the call the event is about,
    so the call's page lists the delivery. One query when none does (most
    organisations); returns the number of deliveries added. Never raises: the event's own work (a call, a booking)
    stands whatever happens here.
    """
    assert event_type in EVENT_TYPES, event_type
    try:
        endpoints = [
            endpoint
            for endpoint in session.exec(
                select(WebhookEndpoint).where(
                    col(WebhookEndpoint.tenant_id) == tenant_id, col(WebhookEndpoint.enabled).is_(True)
                )
            ).all()
            if event_type in (endpoint.event_types or [])
        ]
        if not endpoints:
            return 0
        if dedupe_key is not None:
            done = set(
                session.exec(
                    select(WebhookDelivery.endpoint_id).where(
                        col(WebhookDelivery.endpoint_id).in_([endpoint.id for endpoint in endpoints]),
                        col(WebhookDelivery.dedupe_key) == dedupe_key,
                    )
                ).all()
            )
            endpoints = [endpoint for endpoint in endpoints if endpoint.id not in done]
        if not endpoints:
            return 0
        values = data() if callable(data) else data
        for endpoint in endpoints:
            _add_delivery(
                session, endpoint=endpoint, event_type=event_type, data=values, dedupe_key=dedupe_key, call_id=call_id
            )
            on_commit(session, _delivery_job(endpoint.id or 0))
        return len(endpoints)
    except IntegrityError:
        raise  # a twin job's delivery: ``emit_committed`` rolls back
    except Exception:
        log.warning("tenant %s: webhook %s could not be queued", tenant_id, event_type, exc_info=True)
        return 0


def emit_committed(
    session: Session,
    *,
    tenant_id: int,
    event_type: str,
    data: EventData,
    dedupe_key: str | None = None,
    call_id: int | None = None,
) -> int:
    """``emit`` for a caller whose own work is already committed: commits the deliveries itself.

    Two copies of one job racing on a ``dedupe_key`` make one delivery: the loser's insert is rolled back.
    """
    try:
        added = emit(
            session, tenant_id=tenant_id, event_type=event_type, data=data, dedupe_key=dedupe_key, call_id=call_id
        )
        if added:
            session.commit()
        return added
    except IntegrityError:
        session.rollback()
        return 0
    except Exception:
        session.rollback()
        log.warning("tenant %s: webhook %s could not be queued", tenant_id, event_type, exc_info=True)
        return 0


def envelope(*, event_type: str, data: dict[str, Any], at: datetime | None = None) -> str:
    """The JSON body of an event: ``{"type", "timestamp", "version", "data"}`` (see docs/webhooks.md)."""
    return json.dumps(
        {
            "type": event_type,
            "timestamp": _iso(at or utcnow()),
            "version": PAYLOAD_VERSION,
            "data": data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        default=_json_default,
    )


def call_data(call: Any) -> dict[str, Any]:
    """A call as webhooks describe it (``call.*`` events)."""
    data = {
        "call_id": call.id,
        "call_type": call.call_type,
        "direction": call.direction,
        "caller_number": call.caller_number,
        "called_number": call.called_number,
        "status": call.status,
        "started_at": call.started_at,
        "ended_at": call.ended_at,
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome,
        "ended_reason": call.ended_reason,
        "url": get_settings().public_url + routes.call_page(call.id) if call.id else None,
    }
    return data


def summary_data(call: Any) -> dict[str, Any]:
    """``call.summarized``: the call plus its summary, intent, topics, sentiment and the fields captured."""
    return {
        **call_data(call),
        "summary": call.summary,
        "intent": call.intent,
        "topics": list(call.topics or []),
        "sentiment": call.sentiment,
        "action_needed": bool(call.action_needed),
        "data_fields": call.data_fields or {},
    }


def booking_data(booking: Any) -> dict[str, Any]:
    """``booking.*`` events: a ``BookingOut``."""
    return {
        "booking_id": booking.id,
        "status": booking.status,
        "service": booking.service_name,
        "staff": booking.staff_name,
        "start_at": booking.start_at,
        "end_at": booking.end_at,
        "caller_name": booking.caller_name,
        "caller_number": booking.caller_phone,
        "notes": booking.notes,
        "price_minor": booking.price_minor,
        "source": booking.source,
        "call_id": booking.call_id,
    }


def emit_call(session: Session, *, tenant_id: int, call_id: int, event_type: str) -> int:
    """``call.started`` / ``call.ended`` / ``call.summarized`` for a committed call, once per call and type."""
    from ava_app.models import Call

    def data() -> dict[str, Any]:
        call = session.get(Call, call_id, populate_existing=True)
        return (summary_data if event_type == "call.summarized" else call_data)(call) if call else {"call_id": call_id}

    return emit_committed(
        session,
        tenant_id=tenant_id,
        event_type=event_type,
        data=data,
        dedupe_key=f"{event_type}:{call_id}",
        call_id=call_id,
    )


BOOKING_EVENTS = {"booked": "booking.created", "moved": "booking.updated", "cancelled": "booking.cancelled"}


def emit_booking(session: Session, *, tenant_id: int, booking: Any, change: str) -> int:
    """``booking.created/updated/cancelled`` for a booking of the caller's transaction (sent after its commit)."""
    return emit(
        session,
        tenant_id=tenant_id,
        event_type=BOOKING_EVENTS[change],
        data=lambda: booking_data(booking),
        call_id=getattr(booking, "call_id", None),
    )


# --- delivering -------------------------------------------------------------------------------------------------


def signature_header(*, secrets_: list[str], message_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,<base64>`` per live secret, space-separated."""
    return " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_)


def deliver_due(session: Session, *, endpoint_id: int, now: Callable[[], datetime] = utcnow) -> str:
    """Send the endpoint's due deliveries in order, while this job holds its lease.

    Returns ``"busy"`` (another job holds the endpoint), ``"idle"`` (nothing pending), ``"waiting"`` (the head of
    the line is due later; a job is scheduled for then) or ``"disabled"``.
    """
    if not _claim(session, endpoint_id=endpoint_id, now=now()):
        return "busy"
    try:
        while True:
            endpoint = session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
            if endpoint is None:
                return "idle"
            if not endpoint.enabled:
                _fail_pending(session, endpoint_id=endpoint_id, reason="endpoint disabled")
                session.commit()
                return "disabled"
            head = session.exec(
                select(WebhookDelivery)
                .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == "pending")
                .order_by(col(WebhookDelivery.id))
                .limit(1)
            ).first()
            if head is None:
                return "idle"
            due = as_utc(head.next_attempt_at) if head.next_attempt_at else now()
            if due > now():
                delay = max(1, int((due - now()).total_seconds()) + 1)
                deliver_webhooks.schedule((endpoint_id,), delay=delay)
                return "waiting"
            _extend(session, endpoint_id=endpoint_id, now=now())
            _attempt(session, endpoint=endpoint, delivery=head, now=now)
    finally:
        _release(session, endpoint_id=endpoint_id)


def _attempt(session: Session, *, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now) -> None:
    """One signed POST of ``delivery``, logged on it; settles the delivery and the endpoint's health."""
    started_at = now()
    status_code: int | None = None
    excerpt, error, retry_after = "", None, None
    started = time.perf_counter()
    try:
        check_url(endpoint.url, webhook_policy())
        status_code, excerpt, retry_after = run_coroutine_sync(_post(endpoint, delivery, at=started_at))
    except DomainError as exc:  # refused by the guard, or a secret no server key opens
        error = exc.message
    except httpx.TimeoutException:
        error = f"No answer within {int(TIMEOUT_SECONDS)} s."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
    latency = int((time.perf_counter() - started) * 1000)
    delivery.attempts = [
        *(delivery.attempts or []),
        {
            "at": _iso(started_at),
            "status_code": status_code,
            "latency_ms": latency,
            "response": excerpt,
            "error": error,
        },
    ]
    delivery.attempt_count += 1
    delivery.last_status_code = status_code
    delivery.last_latency_ms = latency
    delivery.updated_at = now()
    succeeded = status_code is not None and 200 <= status_code < 300
    if succeeded:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        endpoint.failing_since = None
    else:
        if delivery.attempt_count >= len(RETRY_SCHEDULE):
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            wait = RETRY_SCHEDULE[delivery.attempt_count]
            if status_code == 429 and retry_after:
                wait = max(wait, min(retry_after, RETRY_SCHEDULE[-1]))
            delivery.next_attempt_at = started_at + timedelta(seconds=wait)
        endpoint.failing_since = endpoint.failing_since or started_at
        if status_code == 410:
            _disable(session, endpoint, reason="gone")
        elif started_at - as_utc(endpoint.failing_since) >= DISABLE_AFTER:
            _disable(session, endpoint, reason="failing")
    session.add(delivery)
    session.add(endpoint)
    session.commit()
    log.info(
        "webhook %s to endpoint %s: attempt %s, status %s, %s ms",
        delivery.message_id,
        endpoint.id,
        delivery.attempt_count,
        status_code,
        latency,
    )


async def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery, *, at: datetime) -> tuple[int, str, int | None]:
    """POST the delivery's body, signed with every live secret; (status, response excerpt, Retry-After seconds)."""
    live = [decrypt_text(endpoint.secret_encrypted, what="webhook")]
    if (
        endpoint.previous_secret_encrypted
        and endpoint.previous_secret_expires_at
        and as_utc(endpoint.previous_secret_expires_at) > at
    ):
        live.append(decrypt_text(endpoint.previous_secret_encrypted, what="webhook"))
    headers = {
        "content-type": "application/json",
        "user-agent": "AVA-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(
            secrets_=live, message_id=delivery.message_id, timestamp=at, body=delivery.payload
        ),
    }
    transport = transport_override() if transport_override is not None else guarded_transport(webhook_policy())
    async with httpx.AsyncClient(
        transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
    ) as client:
        response = await client.post(endpoint.url, content=delivery.payload.encode(), headers=headers)
        text = (await response.aread()).decode("utf-8", errors="replace")
    return response.status_code, text[:RESPONSE_EXCERPT_CHARS], _retry_after(response)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() else None


def _disable(session: Session, endpoint: WebhookEndpoint, *, reason: str) -> None:
    """Turn the endpoint off after a 410 or five days of failures, fail what waits for it, and tell the admins."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    session.flush()
    _fail_pending(session, endpoint_id=endpoint.id or 0, reason="endpoint disabled")
    audit.record(
        session,
        action="webhook_endpoint_disabled",
        tenant_id=endpoint.tenant_id,
        detail={"endpoint_id": endpoint.id, "url": endpoint.url, "reason": reason},
    )
    _email_admins(session, endpoint, reason=reason)
    log.warning("webhook endpoint %s of tenant %s disabled (%s)", endpoint.id, endpoint.tenant_id, reason)


_DISABLED_EMAIL = {
    "en": (
        "A webhook endpoint of {business} was turned off",
        "Hello,\n\nAVA stopped sending events to {url} for {business}: {why}.\n\nCheck the receiver, then turn "
        "the endpoint back on and resend what it missed here: {link}\n",
    ),
    "fr": (
        "Un webhook de {business} a été désactivé",
        "Bonjour,\n\nAVA n'envoie plus d'événements à {url} pour {business} : {why}.\n\nVérifiez le récepteur, "
        "puis réactivez le webhook et renvoyez ce qu'il a manqué ici : {link}\n",
    ),
}
_DISABLED_WHY = {
    "en": {"gone": "it answered 410 Gone", "failing": "every delivery failed for five days"},
    "fr": {"gone": "il a répondu 410 Gone", "failing": "toutes les livraisons ont échoué pendant cinq jours"},
}


def _email_admins(session: Session, endpoint: WebhookEndpoint, *, reason: str) -> None:
    """Tell each admin, in their language, that the endpoint was turned off (once per disabling)."""
    from ava_app.services.messaging.email import email_admins

    tenant = session.get(Tenant, endpoint.tenant_id)
    values = {
        "business": tenant.name if tenant else "",
        "url": endpoint.url,
        "link": get_settings().public_url + routes.SETTINGS_WEBHOOKS,
    }
    # The reason is the one value in the reader's language: one text per language, with its reason filled in.
    texts = {
        language: (subject, body.replace("{why}", _DISABLED_WHY[language][reason]))
        for language, (subject, body) in _DISABLED_EMAIL.items()
    }
    stamp = int(as_utc(endpoint.updated_at).timestamp())
    email_admins(
        session,
        tenant_id=endpoint.tenant_id,
        texts=texts,
        values=values,
        dedupe_key=f"webhook-disabled:{endpoint.id}:{stamp}",
    )


@task(retries=0)
def deliver_webhooks(endpoint_id: int) -> None:
    """Job: send one endpoint's due deliveries in order (retries are scheduled by ``deliver_due`` itself)."""
    with session_scope() as session:
        outcome = deliver_due(session, endpoint_id=endpoint_id)
        # An event queued while this job was finishing found the endpoint held (its job gave up): look once more
        # after letting go, so it does not wait for the sweep.
        while outcome == "idle" and _has_due(session, endpoint_id=endpoint_id):
            outcome = deliver_due(session, endpoint_id=endpoint_id)
    log.info("webhook endpoint %s: %s", endpoint_id, outcome)


@periodic_task(crontab(minute="*"), retries=0)
def sweep_webhook_deliveries() -> None:
    """Every minute: enqueue each endpoint whose due delivery has no live job (lost on a restart or a crash)."""
    now = utcnow()
    with session_scope() as session:
        ids = session.exec(
            select(WebhookEndpoint.id)
            .where(
                col(WebhookEndpoint.enabled).is_(True),
                or_(col(WebhookEndpoint.lease_until).is_(None), col(WebhookEndpoint.lease_until) < now),
                col(WebhookEndpoint.id).in_(
                    select(WebhookDelivery.endpoint_id).where(
                        col(WebhookDelivery.status) == "pending",
                        col(WebhookDelivery.next_attempt_at) <= now - timedelta(minutes=1),
                    )
                ),
            )
            .limit(500)
        ).all()
    for endpoint_id in ids:
        enqueue("deliver_webhooks", endpoint_id)


# --- inside -----------------------------------------------------------------------------------------------------


def _claim(session: Session, *, endpoint_id: int, now: datetime) -> bool:
    claimed = session.exec(
        update(WebhookEndpoint)
        .where(
            col(WebhookEndpoint.id) == endpoint_id,
            or_(col(WebhookEndpoint.lease_until).is_(None), col(WebhookEndpoint.lease_until) < now),
        )
        .values(lease_until=now + LEASE)
    )
    session.commit()
    return claimed.rowcount == 1


def _extend(session: Session, *, endpoint_id: int, now: datetime) -> None:
    session.exec(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id).values(lease_until=now + LEASE))
    session.commit()


def _release(session: Session, *, endpoint_id: int) -> None:
    session.rollback()
    session.exec(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id).values(lease_until=None))
    session.commit()


def _delivery_job(endpoint_id: int) -> Callable[[], object]:
    """The work that enqueues the endpoint's delivery job (bound now, run after the commit)."""
    return lambda: deliver_webhooks(endpoint_id)


def _has_due(session: Session, *, endpoint_id: int) -> bool:
    return (
        session.exec(
            select(WebhookDelivery.id)
            .where(
                col(WebhookDelivery.endpoint_id) == endpoint_id,
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= utcnow(),
            )
            .limit(1)
        ).first()
        is not None
    )


def _fail_pending(session: Session, *, endpoint_id: int, reason: str) -> None:
    for row in session.exec(
        select(WebhookDelivery).where(
            col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == "pending"
        )
    ).all():
        row.status, row.next_attempt_at, row.updated_at = "failed", None, utcnow()
        row.attempts = [
            *(row.attempts or []),
            {"at": _iso(utcnow()), "status_code": None, "latency_ms": None, "response": "", "error": reason},
        ]
        session.add(row)


def _add_delivery(
    session: Session,
    *,
    endpoint: WebhookEndpoint,
    event_type: str,
    data: dict[str, Any],
    dedupe_key: str | None,
    call_id: int | None = None,
) -> WebhookDelivery:
    now = utcnow()
    delivery = WebhookDelivery(
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id or 0,
        message_id="msg_" + secrets.token_urlsafe(18),
        event_type=event_type,
        dedupe_key=dedupe_key,
        payload=envelope(event_type=event_type, data=data, at=now),
        next_attempt_at=now,
        call_id=call_id,
    )
    session.add(delivery)
    session.flush()
    return delivery


def _own_endpoint(session: Session, *, tenant_id: int, endpoint_id: int) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("This webhook endpoint does not exist.", code="webhook_endpoint_not_found")
    return row


def _checked_url(url: str) -> str:
    value = (url or "").strip()
    if not value or len(value) > MAX_URL_CHARS or any(char.isspace() for char in value):
        raise Invalid("Enter the endpoint's full URL, starting with https://.", code="webhooks_url_invalid")
    check_url(value, webhook_policy())
    if get_settings().env == "prod":
        _refuse_private_host(value)
    return value


def _refuse_private_host(url: str) -> None:
    """At save time in production: a host that already resolves to a private address is refused (checked again at
    every connection, since DNS can change)."""
    from urllib.parse import urlsplit

    from ava_app.services.outbound_guard import resolve_checked

    parts = urlsplit(url)
    try:
        run_coroutine_sync(resolve_checked(parts.hostname or "", parts.port or 443, webhook_policy()))
    except OutboundRefused as exc:
        if exc.code != "outbound_unresolved":
            raise


def _checked_types(event_types: list[str]) -> list[str]:
    chosen = [event_type for event_type in EVENT_TYPES if event_type in set(event_types or [])]
    unknown = set(event_types or []) - set(EVENT_TYPES)
    if unknown or not chosen:
        raise Invalid("Choose at least one event from the list.", code="webhooks_events_invalid")
    return chosen


def _endpoint_out(row: WebhookEndpoint) -> EndpointOut:
    rotating = as_utc(row.previous_secret_expires_at) if row.previous_secret_expires_at else None
    return EndpointOut(
        id=row.id or 0,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types or []),
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        failing_since=as_utc(row.failing_since) if row.failing_since else None,
        rotating_until=rotating if rotating and rotating > utcnow() else None,
        created_at=as_utc(row.created_at),
    )


def _delivery_out(row: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id or 0,
        endpoint_id=row.endpoint_id,
        message_id=row.message_id,
        event_type=row.event_type,
        status=row.status,
        attempt_count=row.attempt_count,
        last_status_code=row.last_status_code,
        last_latency_ms=row.last_latency_ms,
        next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        attempts=list(row.attempts or []),
        created_at=as_utc(row.created_at),
    )


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
