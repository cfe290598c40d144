"""Provider webhooks: ``POST /api/v1/webhooks/vapi`` receives every server message Vapi sends about AVA's calls."""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from ava_app import routes
from ava_app.api.auth_deps import client_ip
from ava_app.db import get_engine
from ava_app.observability import metrics
from ava_app.services import rate_limits
from ava_app.services.errors import RateLimited
from ava_app.services.ingest.events import IngestResult, accept_vapi_event, tenant_for_webhook_secret
from ava_app.services.ingest.payloads import InvalidPayload, parse_vapi_payload
from ava_app.settings import get_settings

log = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])
T = TypeVar("T")

MAX_BODY_BYTES = 1024 * 1024
_SECRET_HEADER = "x-vapi-secret"


class WebhookCounters:
    """In-process counts of refused webhook requests (nothing of a refused request is stored), for tests and metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


counters = WebhookCounters()
# SQLite takes one writer at a time: there every provider webhook's blocking work runs on this one thread, so a burst
# queues on the event loop instead of parking a thread per request on the database lock (measured: a third less CPU
# per request at 16 concurrent webhooks). PostgreSQL takes concurrent writers, through the shared thread pool.
_sqlite_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ava-webhook-writer")


def enqueue_post_call(call_id: int) -> None:
    """Post-call hook: enqueue the summary and email job for a call whose report was just applied."""
    from ava_app.services.post_call import run_post_call

    run_post_call(call_id)


def enqueue_apply(event_id: int) -> None:
    """Enqueue the job that applies a stored heavy event (the end-of-call report)."""
    from ava_app.services.ingest.tasks import apply_webhook_event

    apply_webhook_event(event_id)


# The two dependencies below are async only because FastAPI runs a plain ``def`` dependency in its thread pool: two
# thread hops per webhook for returning a constant.


async def get_on_call_ended() -> Callable[[int], None]:
    """What to run once an end-of-call report is applied inline (FastAPI dependency; the deferred job uses the same)."""
    return enqueue_post_call


async def get_enqueue_apply() -> Callable[[int], None]:
    """How a stored heavy event reaches its apply job (FastAPI dependency; tests override it to apply inline)."""
    return enqueue_apply


def _presented_secret(request: Request) -> str:
    secret = request.headers.get(_SECRET_HEADER, "")
    if secret:
        return secret
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _refuse(status_code: int, counter: str, message: str) -> JSONResponse:
    counters.add(counter)
    metrics.record_webhook(provider="vapi", outcome="refused", reason=counter)
    return JSONResponse({"error": counter, "message": message}, status_code=status_code)


REFUSED_RULE = "webhook_refused_ip"


def refusal_limit(ip: str) -> RateLimited | None:
    """Count one webhook refused for its credentials from ``ip``; the refusal to send instead once over the limit.

    Only requests that failed their secret or signature are counted, so a provider's valid webhooks are never
    limited, while a scanner guessing secrets from one address soon gets 429 instead of an answer to each guess.
    Blocking (Redis when configured): call it from a worker thread.
    """
    try:
        rate_limits.hit(REFUSED_RULE, ip or "unknown")
    except RateLimited as exc:
        return exc
    return None


def rate_limited(exc: RateLimited) -> JSONResponse:
    """The 429 answer to a caller over ``refusal_limit``."""
    retry_after = int(exc.details.get("retry_after", 60))
    return JSONResponse(
        {"error": "rate_limited", "message": exc.message}, status_code=429, headers={"Retry-After": str(retry_after)}
    )


async def _refuse_secret(request: Request, message: str) -> JSONResponse:
    limited = await run_in_threadpool(refusal_limit, client_ip(request))
    if limited is not None:
        counters.add("rate_limited")
        metrics.record_webhook(provider="vapi", outcome="refused", reason="rate_limited")
        return rate_limited(limited)
    return _refuse(401, "unauthorized", message)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None once it exceeds MAX_BODY_BYTES (a missing or lying Content-Length does not get past this)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def run_webhook_work(function: Callable[..., T], **kwargs) -> T:
    """Run a provider webhook's blocking work (Vapi or Twilio): on the SQLite writer thread, else in the thread pool.

    Counted as a webhook in flight while it runs, so job workers let the burst go first (``ava_app.task_queue``).
    """
    from ava_app.task_queue import note_webhook_activity, webhooks_in_flight

    def work() -> T:
        note_webhook_activity()
        return function(**kwargs)

    with webhooks_in_flight.track():
        if get_settings().is_sqlite:
            # An executor does not carry context variables over by itself: the request id must reach the jobs and
            # log lines of this work.
            context = contextvars.copy_context()
            return await asyncio.get_running_loop().run_in_executor(_sqlite_writer, context.run, work)
        return await run_in_threadpool(work)


def _tenant_for_secret(secret: str) -> int | None:
    with Session(get_engine()) as session:
        return tenant_for_webhook_secret(session, secret=secret)


def _ingest(
    *,
    message: dict,
    raw: bytes,
    tenant_id: int | None,
    on_call_ended: Callable[[int], None],
    enqueue: Callable[[int], None],
) -> IngestResult:
    # One worker thread and one session for all the blocking work of a request.
    deferred: list[int] = []
    with Session(get_engine(), expire_on_commit=False) as session:
        result = accept_vapi_event(
            session,
            message=message,
            raw=raw,
            tenant_id=tenant_id,
            on_call_ended=on_call_ended,
            enqueue_apply=deferred.append,
        )
    # Enqueued once the event is committed and the database lock released; if the queue is unreachable the stored
    # event is applied by the sweep (services.ingest.tasks), so Vapi still gets its 200.
    for event_id in deferred:
        try:
            enqueue(event_id)
        except Exception:
            log.exception("Could not enqueue stored Vapi event %s; the sweep will apply it", event_id)
    return result


@router.post(routes.VAPI_WEBHOOK, response_model=None)
async def vapi_webhook(
    request: Request,
    on_call_ended: Callable[[int], None] = Depends(get_on_call_ended),
    enqueue: Callable[[int], None] = Depends(get_enqueue_apply),
) -> JSONResponse:
    """Store one Vapi server message and apply it, inline or (the end-of-call report) through a job.

    Tool-calls and assistant-request are answered with Vapi's bare shapes.

    Auth: ``X-Vapi-Secret: <secret>`` or ``Authorization: Bearer <secret>``, the platform secret or a tenant's own.
    401 unknown secret, 413 body over 1 MiB, 400 not a Vapi message; any other problem is stored with the event and
    answered 200, so Vapi never sees a 500 because of a payload. 429 once one address sent too many requests with a
    missing or unknown secret (``webhook_refused_ip``; valid requests are never limited).
    """
    secret = _presented_secret(request)
    if not secret:
        return await _refuse_secret(request, "Missing X-Vapi-Secret or Authorization: Bearer header.")
    platform_secret = get_settings().vapi_webhook_secret
    tenant_id = None
    if not (platform_secret and hmac.compare_digest(secret.encode(), platform_secret.encode())):
        # Only a tenant's own secret costs a database lookup; the platform secret is the hot path.
        tenant_id = await run_in_threadpool(_tenant_for_secret, secret)
        if tenant_id is None:
            return await _refuse_secret(request, "Unknown webhook secret.")
    declared = request.headers.get("content-length", "")
    if declared and not declared.isdigit():
        return _refuse(400, "bad_request", "Content-Length is not a number.")
    if declared and int(declared) > MAX_BODY_BYTES:
        return _refuse(413, "too_large", f"Body larger than {MAX_BODY_BYTES} bytes.")
    raw = await _read_body(request)
    if raw is None:
        return _refuse(413, "too_large", f"Body larger than {MAX_BODY_BYTES} bytes.")
    try:
        message = parse_vapi_payload(raw)
    except InvalidPayload as exc:
        return _refuse(400, "invalid_payload", exc.message)
    try:
        result = await run_webhook_work(
            _ingest, message=message, raw=raw, tenant_id=tenant_id, on_call_ended=on_call_ended, enqueue=enqueue
        )
    except Exception:
        # The service records handler errors itself; reaching here means the event could not even be stored.
        log.exception("Could not store a Vapi webhook")
        return _refuse(503, "unavailable", "AVA could not store this event; please retry.")
    metrics.record_webhook(provider="vapi", outcome="accepted")
    return JSONResponse(result.response)
