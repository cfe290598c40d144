"""The emulator's runtime: its store, accepted keys, where it is reachable, and the simulated calls it is running."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from starlette.concurrency import run_in_threadpool

from ava_app.sandbox.vapi.contract import INVALID_KEY_MESSAGE, VapiHttpError, org_id_for_key
from ava_app.sandbox.vapi.store import SandboxStore

log = logging.getLogger(__name__)
T = TypeVar("T")


# What the emulator answers when told to fail: status -> message (the NestJS body adds the reason phrase).
INJECTABLE_ERRORS = {
    429: "ThrottlerException: Too Many Requests",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class InjectedFailure:
    """One scripted error answer: HTTP status and the Retry-After to send (seconds), if any."""

    status: int
    retry_after: float | None = None


@dataclass
class VapiSandbox:
    """State shared by the emulator's routes and its call runner.

    ``api_keys`` are private keys (each one its own org); ``public_keys`` maps a public key to the private key of
    its org, as a Vapi org has one of each. ``public_base_url`` is where the emulator itself is reachable (recording
    and web-call URLs point there); ``webhook_transport`` lets tests deliver webhooks to an in-process app instead of
    over the network. Tests make it fail with ``fail_next(count, status=503)``.

    ``handset`` reads what the phone at a number last received (a text, or the words of a voice call), as the
    scripted caller reads a code they were sent: AVA wires it to its Twilio emulator, and without it the caller
    never gets a code. ``before_tool_call(name, arguments)``, when set, is awaited before each tool call is sent,
    so a test can change the world between two tool calls (another caller takes a slot).
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
    public_keys: Mapping[str, str] = field(default_factory=dict)
    handset: Callable[[str], Awaitable[str | None]] | None = None
    before_tool_call: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None
    tasks: set[asyncio.Task] = field(default_factory=set)
    pending_failures: deque[InjectedFailure] = field(default_factory=deque)
    failures_served: int = 0
    _failure_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def org_for(self, authorization: str | None, *, public: bool = False) -> str:
        """The org of a request's ``Authorization: Bearer <key>``; 401 with Vapi's body otherwise.

        ``public`` routes (``POST /call/web``) take the org's public key and every other route its private key:
        the wrong kind gets the same 401 as an unknown key, as on api.vapi.ai.
        """
        scheme, _, key = (authorization or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer":
            raise VapiHttpError(401, INVALID_KEY_MESSAGE)
        if public:
            private = self.public_keys.get(key)
            if private is None or private not in self.api_keys:
                raise VapiHttpError(401, INVALID_KEY_MESSAGE)
            return org_id_for_key(private)
        if key not in self.api_keys:
            raise VapiHttpError(401, INVALID_KEY_MESSAGE)
        return org_id_for_key(key)

    # --- failure injection

    def fail_next(self, count: int = 1, *, status: int = 503, retry_after: float | None = None) -> None:
        """Answer the next ``count`` API requests with ``status`` (429, 500, 502 or 503) instead of serving them."""
        if status not in INJECTABLE_ERRORS:
            raise ValueError(f"status must be one of {sorted(INJECTABLE_ERRORS)}")
        with self._failure_lock:
            self.pending_failures.extend(InjectedFailure(status, retry_after) for _ in range(count))

    def reset_failures(self) -> None:
        """Forget failures that were scripted but not yet served."""
        with self._failure_lock:
            self.pending_failures.clear()

    def injected_failure(self) -> VapiHttpError | None:
        """The error scripted for this request (served before authentication, like an outage), or None."""
        with self._failure_lock:
            if not self.pending_failures:
                return None
            failure = self.pending_failures.popleft()
            self.failures_served += 1
        headers = {} if failure.retry_after is None else {"Retry-After": str(math.ceil(failure.retry_after))}
        return VapiHttpError(failure.status, INJECTABLE_ERRORS[failure.status], headers=headers)

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
