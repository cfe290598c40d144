"""Liveness (/healthz), readiness (/readyz) and the Prometheus scrape (/metrics)."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from ava_app import routes
from ava_app.db import database_is_reachable
from ava_app.observability import metrics
from ava_app.observability.reflex_events import refresh_instrumented_sessions
from ava_app.settings import get_settings
from ava_app.task_queue import queue_is_reachable, queue_stats

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

# A readiness probe runs every few seconds: a component that has not answered by then counts as down.
CHECK_TIMEOUT_SECONDS = 2.0


@router.get(routes.HEALTHZ)
async def healthz() -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    if await run_in_threadpool(database_is_reachable):
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)


def redis_is_reachable(url: str) -> bool:
    """True when the Redis at ``url`` answers PING within the check's time."""
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except Exception:
        log.warning("Redis is unreachable", exc_info=True)
        return False
    finally:
        client.close()


async def _check(probe: Callable[[], bool]) -> str:
    try:
        reachable = await asyncio.wait_for(run_in_threadpool(probe), CHECK_TIMEOUT_SECONDS + 1)
    except Exception:
        reachable = False
    return "ok" if reachable else "unreachable"


@router.get(routes.READYZ)
async def readyz() -> JSONResponse:
    """200 when every component this process needs answers (database, Redis when configured, the job queue).

    503 otherwise, with each component's state, so a load balancer stops sending traffic while the others still
    show what failed. Liveness stays with /healthz: a process waiting for Redis must not be restarted for it.
    """
    checks: dict[str, Callable[[], bool]] = {"database": database_is_reachable, "queue": queue_is_reachable}
    redis_url = get_settings().redis_url
    if redis_url:
        checks["redis"] = lambda: redis_is_reachable(redis_url)
    results = await asyncio.gather(*(_check(probe) for probe in checks.values()))
    components = dict(zip(checks, results, strict=True))
    failed = sorted(name for name, state in components.items() if state != "ok")
    if failed:
        return JSONResponse({"status": "error", "failed": failed, **components}, status_code=503)
    return JSONResponse({"status": "ok", **components})


def _queue_gauges() -> metrics.GaugesNow:
    try:
        stats = queue_stats()
    except Exception:
        log.warning("could not read the job queue for /metrics", exc_info=True)
        stats = {}
    return metrics.GaugesNow(
        {
            "ava_job_queue_depth": ("Jobs waiting to run.", stats.get("depth")),
            "ava_job_queue_scheduled": ("Jobs scheduled for later (retries, delays).", stats.get("scheduled")),
            "ava_job_queue_age_seconds": ("How long the next job to run has waited.", stats.get("age")),
        }
    )


def _render() -> tuple[bytes, str]:
    refresh_instrumented_sessions()
    return metrics.render([_queue_gauges()])


@router.get(routes.METRICS, include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus exposition of every process's metrics, for ``Authorization: Bearer <AVA_METRICS_TOKEN>`` only.

    404 while AVA_METRICS_TOKEN is unset (nothing reveals the route exists), 401 for a missing or wrong token. Any
    of the comma-separated tokens is accepted, so rotating one is: add the new, move the scrapers, drop the old.
    """
    tokens = get_settings().metrics_tokens
    if not tokens:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    # Every token compared, in constant time each, so the answer's timing tells nothing about any of them.
    matches = [hmac.compare_digest(presented.strip().encode(), token.encode()) for token in tokens]
    if scheme.lower() != "bearer" or not any(matches):
        return JSONResponse(
            {"error": "unauthorized", "message": "A valid metrics token is required."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    body, content_type = await run_in_threadpool(_render)
    return Response(body, media_type=content_type)
