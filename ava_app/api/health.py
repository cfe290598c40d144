"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ava_app import routes
from ava_app.db import database_is_reachable

router = APIRouter(tags=["health"])


@router.get(routes.HEALTHZ)
async def healthz() -> JSONResponse:
    """200 when the database answers, 503 otherwise."""
    if await run_in_threadpool(database_is_reachable):
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
