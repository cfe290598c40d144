"""The ASGI middleware at AVA's edge: gives each HTTP request its id and counts it by route template and status.

A plain ASGI class rather than Starlette's ``BaseHTTPMiddleware``: it adds no task or stream per request, only a
header on the way out, a context variable and two metric updates.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from ava_app.observability import metrics
from ava_app.observability.request_ids import (
    HEADER,
    accepted_request_id,
    bind_request_id,
    new_request_id,
    reset_request_id,
)

_HEADER_KEY = HEADER.lower().encode()
UNMATCHED = "unmatched"

logger = logging.getLogger(__name__)


def route_template(scope: dict[str, Any]) -> str:
    """The template of the route that handled the request (``/api/v1/calls/{call_id}``), never the raw path."""
    # FastAPI keeps an included router's route as declared (without the router's prefix) and notes the full
    # template beside it; a plain Starlette route of a mounted app (an emulator) is relative to its mount point.
    included = (scope.get("fastapi") or {}).get("effective_route_context")
    full = getattr(included, "path_format", None)
    if isinstance(full, str):
        return full
    path = getattr(scope.get("route"), "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    return (scope.get("root_path") or "") + path or "/"


def _presented_id(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == _HEADER_KEY:
            return accepted_request_id(value.decode("latin-1"))
    return None


class EdgeMiddleware:
    """Request id in (``X-Request-ID`` or a new one), the same id out on the response, HTTP metrics recorded."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _presented_id(scope) or new_request_id()
        header = (_HEADER_KEY, request_id.encode())
        status = 500  # if the app raises before answering, the answer is a 500
        started = False

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        token = bind_request_id(request_id)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's error middleware sits outside this one and would answer 500 without the id: answer here,
            # so the person reporting the error has the id that finds its log line, then let the server see it.
            logger.exception("unhandled error in %s %s", scope.get("method", ""), route_template(scope))
            if not started:
                await _send_server_error(send, header=header, request_id=request_id)
            raise
        finally:
            reset_request_id(token)
            metrics.record_http(
                method=scope.get("method", ""),
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - start,
            )


async def _send_server_error(send: Any, *, header: tuple[bytes, bytes], request_id: str) -> None:
    body = json.dumps({"detail": "Internal Server Error", "request_id": request_id}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), header]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
