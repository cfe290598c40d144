"""The emulator's runtime: its store, accepted keys, where it is reachable, and the simulated calls it is running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from starlette.concurrency import run_in_threadpool

from ava_app.services.providers.vapi_sandbox.contract import INVALID_KEY_MESSAGE, VapiHttpError, org_id_for_key
from ava_app.services.providers.vapi_sandbox.store import SandboxStore

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class VapiSandbox:
    """State shared by the emulator's routes and its call runner.

    ``public_base_url`` is where the emulator itself is reachable (recording and web-call URLs point there);
    ``webhook_transport`` lets tests deliver webhooks to an in-process app instead of over the network.
    """

    store: SandboxStore
    api_keys: frozenset[str]
    public_base_url: str
    recordings_dir: Path
    webhook_transport: httpx.AsyncBaseTransport | None = None
    auto_simulate: bool = True
    default_intent: str = "question"
    call_speed: float = 1.0
    use_speech: bool = True
    tasks: set[asyncio.Task] = field(default_factory=set)

    def org_for(self, authorization: str | None) -> str:
        """The org of a request's ``Authorization: Bearer <key>``; 401 with Vapi's body otherwise."""
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() not in self.api_keys:
            raise VapiHttpError(401, INVALID_KEY_MESSAGE)
        return org_id_for_key(key.strip())

    async def db(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store operation in a worker thread so the event loop keeps serving."""
        return await run_in_threadpool(operation, *args, **kwargs)

    def start(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run a simulated call in the background, keeping a reference so it is not garbage-collected."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sandbox call simulation failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for every running simulated call to finish (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    def webhook_client(self, *, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.webhook_transport, timeout=timeout)
