"""The ASGI middleware at AVA's edge: gives each HTTP request its id and counts it by route template and status.

A plain ASGI class rather than Starlette's ``BaseHTTPMiddleware``: it adds no task or stream per request, only a
header on the way out, a context variable and two metric updates.
"""

from __future__ import annotations

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
        status = 500  # if the app raises before answering, the server answers 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        token = bind_request_id(request_id)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_id(token)
            metrics.record_http(
                method=scope.get("method", ""),
                route=route_template(scope),
                status=status,
                seconds=time.perf_counter() - start,
            )
