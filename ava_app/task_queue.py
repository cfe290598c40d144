"""The durable job queue (huey): SQLite storage in the data dir by default, Redis when AVA_REDIS_URL is set.

Queue plumbing only: the lazily built queue, the task-declaring decorators, webhook back-pressure and the embedded
worker. Task bodies live beside their feature and are declared with ``task``/``periodic_task``; this module imports no
service, so any service may enqueue. ``./scripts/run`` runs the consumer inside the app process
(``start_embedded_worker``); production runs ``huey_consumer ava_app.task_queue.huey`` as separate workers.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import Token
from functools import lru_cache
from typing import Any

from huey import Huey, RedisHuey
from huey import signals as huey_signals
from huey.api import TaskWrapper
from huey.consumer import Consumer
from huey.storage import RedisStorage, SqliteStorage

from ava_app.observability import metrics, tracing
from ava_app.observability.logs import configure_logging
from ava_app.observability.request_ids import (
    bind_request_id,
    current_request_id,
    new_request_id,
    request_id_bound,
    reset_request_id,
)
from ava_app.private_files import private_dir, private_sqlite_file
from ava_app.settings import get_settings

log = logging.getLogger(__name__)


class JobStore(SqliteStorage):
    """huey's SQLite storage with the durability of AVA's own database: WAL with ``synchronous=NORMAL``.

    huey leaves SQLite's default (FULL), which syncs the log to disk on every commit: about 0.5 ms on this kind of
    machine, paid four times per call (two enqueues, two dequeues) under the one lock huey's storage holds per process,
    so webhook requests queued behind the workers. NORMAL survives a crash of AVA unchanged and can only lose the last
    commits on a power cut, which AVA's database (same setting) would lose too; a job lost that way is one whose event
    or call the sweep finds unfinished and re-enqueues.
    """

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


def make_huey() -> Huey:
    """The queue for the configured storage."""
    settings = get_settings()
    if settings.redis_url:
        return RedisHuey("ava", url=settings.redis_url)
    # Job arguments name tenants and calls: the queue file is private like the database.
    private_dir(settings.data_dir)
    jobs_db = private_sqlite_file(settings.data_dir / "jobs.db")
    return Huey("ava", storage_class=JobStore, filename=str(jobs_db))


class _LazyHuey:
    """Builds the queue on first use, so importing this module reads no settings and opens nothing.

    Attribute writes go to the real queue too, so tests can say ``huey.immediate = True``.
    """

    def __getattr__(self, name: str):
        return getattr(_huey(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_huey(), name, value)


class _LazyTask:
    """A task declared at import time and registered when the queue is built.

    ``huey.task()`` needs the queue object, and building it opens the SQLite job store; deferring the registration
    keeps imports free of side effects while every declared task is known to the queue before a worker starts.
    """

    def __init__(self, func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.func = func
        self.options = options
        self.wrapper: TaskWrapper | None = None
        _declared_tasks.append(self)

    def register(self, queue: Huey) -> None:
        self.wrapper = queue.task(**self.options)(_in_job_context(self.func))

    def _task(self) -> TaskWrapper:
        queue = _huey()
        if self.wrapper is None or self.wrapper.huey is not queue:
            # Two request threads enqueueing at once must not both register (huey refuses a second registration).
            with _registry_lock:
                if self.wrapper is None or self.wrapper.huey is not queue:
                    self.register(queue)
        return self.wrapper

    def __call__(self, *args: Any, **kwargs: Any):
        """Enqueue the task (or run it at once when the queue is in immediate mode).

        The job carries the current request id and the time it was enqueued (see ``_in_job_context``).
        """
        return self._task()(*args, **kwargs, **{JOB_CONTEXT_KWARG: job_context()})

    def __getattr__(self, name: str):
        return getattr(self._task(), name)


_declared_tasks: list[_LazyTask] = []

# The keyword argument an enqueued job carries its context in; ``_in_job_context`` takes it out before the task runs.
JOB_CONTEXT_KWARG = "_ava_job"


def job_context() -> dict[str, Any]:
    """What a job enqueued now carries: the request id it was enqueued under, when (for the queue's age) and, while
    tracing is on, the enqueuing span (the job's span is its child)."""
    context: dict[str, Any] = {"request_id": current_request_id(), "enqueued_at": time.time()}
    if carrier := tracing.job_carrier():
        context["trace"] = carrier
    return context


def _in_job_context(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` run under the request id its job was enqueued with (a new one for periodic or untagged jobs).

    The context travels in the job's keyword arguments, so it survives the queue's storage, other processes and
    retries; the task function never sees it. Its log lines, emails and provider calls then log the request's id.
    """

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        context = kwargs.pop(JOB_CONTEXT_KWARG, None) or {}
        # Usually already bound by ``_bind_job_request_id``; a task run with ``call_local`` gets its own.
        with (
            request_id_bound(context.get("request_id") or current_request_id() or new_request_id()),
            tracing.job_span(func.__name__, context.get("trace")),
        ):
            log.info("job %s started", func.__name__)
            return func(*args, **kwargs)

    return run


# The modules that declare tasks, imported when the queue is built so every worker (embedded or ``huey_consumer``)
# and every enqueuer knows all of them. Imported by name: they import this module, never the reverse.
TASK_MODULES = (
    "ava_app.services.assistants",
    "ava_app.services.billing.subscriptions",
    "ava_app.services.billing.usage",
    "ava_app.services.bookings.calendar_sync",
    "ava_app.services.bookings.confirmations",
    "ava_app.services.bookings.reminders",
    "ava_app.services.crm.sync",
    "ava_app.services.data_exports",
    "ava_app.services.messaging.email",
    "ava_app.services.messaging.sms",
    "ava_app.services.organisation_deletion",
    "ava_app.services.ingest.tasks",
    "ava_app.services.phone_numbers",
    "ava_app.services.post_call",
    "ava_app.services.reconcile",
    "ava_app.services.recordings",
    "ava_app.services.redaction_backfill",
    "ava_app.services.retention",
    "ava_app.services.webhooks_out",
)


def enqueue(name: str, *args: Any) -> Any:
    """Enqueue the declared task ``name`` (its function's name): for a service whose feature module imports it back."""
    _huey()
    [declared] = [declared for declared in _declared_tasks if declared.func.__name__ == name]
    return declared(*args)


def task(**options: Any) -> Callable[[Callable[..., Any]], _LazyTask]:
    """Declare a job; ``options`` are huey's (retries, retry_delay, priority...)."""

    def decorator(func: Callable[..., Any]) -> _LazyTask:
        return _LazyTask(func, options)

    return decorator


_registry_lock = threading.RLock()
_built: list[Huey] = []


@lru_cache(maxsize=1)
def _huey() -> Huey:
    # lru_cache does not lock: concurrent first calls would build two queues and register every task twice.
    with _registry_lock:
        if _built:
            return _built[0]
        queue = make_huey()
        for module in TASK_MODULES:
            importlib.import_module(module)
        for declared in _declared_tasks:
            declared.register(queue)
        # Every consumer of this queue, embedded or not, yields to webhook bursts (see RequestsInFlight).
        queue.on_startup(name="mark_worker_thread")(_mark_worker_thread)
        queue.on_startup(name="configure_worker_logs")(_configure_worker_logs)
        queue.pre_execute(name="yield_to_webhooks")(_yield_to_webhooks)
        queue.signal()(_count_job)
        queue.signal()(_bind_job_request_id)
        _built.append(queue)
        return queue


huey = _LazyHuey()


class RequestsInFlight:
    """Provider webhook requests being handled in this process, so an embedded worker can let them go first.

    A worker shares the machine with the webhook route (and, embedded, the interpreter: one thread runs Python at a
    time; on SQLite also the database's one writer). A job costs several times what storing a webhook does (the report
    applied with every line, then the summary), so during a burst of webhooks a worker starts its next job only once
    no webhook has been handled for ``QUIET_SECONDS``, waiting at most ``YIELD_MAX_SECONDS``: the route keeps
    answering within the provider's timeout and the jobs, already durable, catch up as soon as the burst ends. Under
    a sustained flood the wait is bounded, so the workers still make progress. With Redis, the web processes also keep
    a short-lived key alive while they handle webhooks (``SharedWebhookActivity``), which workers in any process wait
    on the same way.
    """

    def __init__(self) -> None:
        self._count = 0
        self._last_seen = float("-inf")
        self._changed = threading.Condition()

    @contextmanager
    def track(self) -> Iterator[None]:
        """Count the enclosed block as one request in flight."""
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._last_seen = time.monotonic()
                if not self._count:
                    self._changed.notify_all()

    def wait_until_quiet(self, *, quiet: float, timeout: float) -> bool:
        """Block until no request is in flight and none ended for ``quiet`` seconds, or ``timeout`` passed.

        Returns True when quiet, False on timeout.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                calm_at = self._last_seen + quiet
                if not self._count and now >= calm_at:
                    return True
                if now >= deadline:
                    return False
                self._changed.wait((deadline if self._count else min(calm_at, deadline)) - now)


class SharedWebhookActivity:
    """Webhook activity across the processes of a Redis deployment: a key that expires ``ttl`` after the last webhook.

    Each web process refreshes it at most every ``refresh`` seconds, so a burst costs one SET per process every 20 ms,
    not one per request; a worker polls it before each job.
    """

    KEY = "ava:webhooks-busy"

    def __init__(self, *, refresh: float = 0.02, ttl: float = 0.05, poll: float = 0.01) -> None:
        self.refresh, self.ttl, self.poll = refresh, ttl, poll
        self._next_refresh = 0.0

    def note(self, client) -> None:
        """A webhook is being handled in this process (blocking: call it from a worker thread, not the event loop)."""
        now = time.monotonic()
        if now < self._next_refresh:
            return
        self._next_refresh = now + self.refresh
        client.set(self.KEY, b"1", px=int(self.ttl * 1000))

    def wait_until_quiet(self, client, *, timeout: float) -> bool:
        """Block while some process handles webhooks, at most ``timeout`` seconds; True when quiet."""
        deadline = time.monotonic() + timeout
        while client.exists(self.KEY):
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll)
        return True


webhooks_in_flight = RequestsInFlight()
shared_webhook_activity = SharedWebhookActivity()

_consumer: Consumer | None = None
_worker_thread = threading.local()
EMBEDDED_MAX_POLL = 0.2  # seconds
QUIET_SECONDS = 0.02
# Measured with bench/ingest.py on SQLite: at 0.1 s the two embedded worker threads still took about a quarter of a
# core during a burst (ratio to the bare endpoint 0.68); at 1 s the route keeps the CPU (0.83).
YIELD_MAX_SECONDS = 1.0


def _redis_client():
    """The queue's Redis client when the queue is on Redis, else None."""
    storage = _huey().storage
    return storage.conn if isinstance(storage, RedisStorage) else None


def note_webhook_activity() -> None:
    """Tell workers in other processes that webhooks are being handled (Redis only; never raises)."""
    try:
        client = _redis_client()
        if client is not None:
            shared_webhook_activity.note(client)
    except Exception:
        # Only a scheduling hint: a webhook must never fail because of it.
        log.debug("could not note webhook activity", exc_info=True)


_job_starts: dict[str, float] = {}
_ENDING_SIGNALS = {
    huey_signals.SIGNAL_COMPLETE,
    huey_signals.SIGNAL_ERROR,
    huey_signals.SIGNAL_TIMEOUT,
    huey_signals.SIGNAL_LOCKED,
    huey_signals.SIGNAL_CANCELED,
    huey_signals.SIGNAL_RATE_LIMITED,
    huey_signals.SIGNAL_INTERRUPTED,
}
# A job that raises RetryTask ends its run with "retrying" alone (no error signal first): what a run holds is let go
# on it too, or the thread would keep the job's request id and the start time would stay behind.
_RUN_RELEASING_SIGNALS = _ENDING_SIGNALS | {huey_signals.SIGNAL_RETRYING}
# Signals that say nothing about a run (the job's own enqueue and schedule) or repeat one (retrying follows error).
_COUNTED_SIGNALS = _ENDING_SIGNALS | {
    huey_signals.SIGNAL_RETRYING,
    huey_signals.SIGNAL_EXPIRED,
    huey_signals.SIGNAL_REVOKED,
}


def _count_job(signal: str, task: Any, *_args: Any) -> None:
    """Signal handler: job runs and failures by task name, with the run time (never raises into huey)."""
    try:
        if signal == huey_signals.SIGNAL_EXECUTING:
            _job_starts[task.id] = time.perf_counter()
            return
        if signal not in _COUNTED_SIGNALS:
            return
        started = _job_starts.pop(task.id, None) if signal in _RUN_RELEASING_SIGNALS else None
        seconds = time.perf_counter() - started if started is not None else None
        metrics.record_job(task=task.name, outcome=signal, seconds=seconds)
    except Exception:
        log.debug("could not count a job signal", exc_info=True)


_job_tokens: dict[str, Token[str | None]] = {}


def _bind_job_request_id(signal: str, task: Any, *_args: Any) -> None:
    """Signal handler: from the moment a job starts until it ends, its thread logs under the job's request id.

    Wider than ``_in_job_context``: huey's own lines about the run ("executed in", an unhandled exception's
    traceback) carry the id too. Signals run in the worker thread, before and after the task, in order.
    """
    try:
        if signal == huey_signals.SIGNAL_EXECUTING:
            context = (task.kwargs or {}).get(JOB_CONTEXT_KWARG) or {}
            _job_tokens[task.id] = bind_request_id(context.get("request_id") or new_request_id())
        elif signal in _RUN_RELEASING_SIGNALS and (token := _job_tokens.pop(task.id, None)) is not None:
            reset_request_id(token)
    except Exception:
        log.debug("could not bind a job's request id", exc_info=True)


def queue_stats() -> dict[str, float | None]:
    """Jobs waiting to run, jobs scheduled for later, and how long the next job to run has waited (seconds).

    Read from the queue's storage at scrape time; the age comes from the context the job was enqueued with, so a
    job enqueued without one (a retry scheduled by huey itself) reports no age.
    """
    queue = _huey()
    age: float | None = None
    head = queue.storage.enqueued_items(limit=1)
    if head:
        context = (queue.serializer.deserialize(head[0]).kwargs or {}).get(JOB_CONTEXT_KWARG) or {}
        enqueued_at = context.get("enqueued_at")
        if isinstance(enqueued_at, int | float):
            age = max(0.0, time.time() - enqueued_at)
    return {"depth": queue.pending_count(), "scheduled": queue.scheduled_count(), "age": age}


def queue_is_reachable() -> bool:
    """True when the queue's storage answers (used by /readyz)."""
    try:
        _huey().pending_count()
        return True
    except Exception:
        log.warning("the job queue is unreachable", exc_info=True)
        return False


_logs_configured = threading.Event()


def _configure_worker_logs() -> None:
    """Startup hook: a consumer's process logs like the web processes (AVA_LOG_FORMAT, a request id on each line)
    and exports its traces as they do (AVA_OTEL_ENDPOINT).

    Once per process. ``huey_consumer`` gives the ``huey`` logger a handler of its own; it is dropped so those lines
    come out once, in AVA's format, through the root logger.
    """
    with _registry_lock:
        if _logs_configured.is_set():
            return
        settings = get_settings()
        huey_logger = logging.getLogger("huey")
        for handler in list(huey_logger.handlers):
            huey_logger.removeHandler(handler)
        configure_logging(log_format=settings.log_format, level=settings.log_level)
        tracing.configure_tracing(endpoint=settings.otel_endpoint, service_name=settings.otel_service_name)
        _logs_configured.set()


def _mark_worker_thread() -> None:
    """Startup hook, run in each worker thread of a consumer (embedded or ``huey_consumer``)."""
    _worker_thread.worker = True


def _yield_to_webhooks(_task: Any) -> None:
    """Pre-execute hook: in a consumer's worker thread, let webhook requests being handled finish first (bounded).

    Only there: a task run inline (huey's immediate mode, in the request's own thread) must not wait for itself.
    """
    if not getattr(_worker_thread, "worker", False):
        return
    try:
        client = _redis_client()
        if client is not None:
            shared_webhook_activity.wait_until_quiet(client, timeout=YIELD_MAX_SECONDS)
            return
    except Exception:
        log.debug("could not read webhook activity", exc_info=True)
    webhooks_in_flight.wait_until_quiet(quiet=QUIET_SECONDS, timeout=YIELD_MAX_SECONDS)


def start_embedded_worker(workers: int = 2) -> None:
    """Run the consumer in background threads of this process (single-process deployments)."""
    global _consumer
    if _consumer is not None:
        return
    queue = _huey()
    # An idle SQLite-queue worker polls; huey's default backoff lets the pause grow to 10 s, which would hold a call's
    # summary email that long. Polling a few times a second costs one indexed SELECT (Redis blocks instead of polling).
    _consumer = queue.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True, max_delay=EMBEDDED_MAX_POLL
    )
    _consumer.start()
    log.info("embedded job worker started with %d threads", workers)


def stop_embedded_worker() -> None:
    """Stop the embedded consumer, letting running tasks finish."""
    global _consumer
    if _consumer is not None:
        _consumer.stop(graceful=True)
        _consumer = None


class _LazyPeriodicTask(_LazyTask):
    """A periodic task (run by a consumer started with ``periodic=True``), registered like the others."""

    def __init__(self, func: Callable[..., Any], validate_datetime: Callable[[Any], bool], options: dict[str, Any]):
        self.validate_datetime = validate_datetime
        super().__init__(func, options)

    def register(self, queue: Huey) -> None:
        self.wrapper = queue.periodic_task(self.validate_datetime, **self.options)(self.func)


def periodic_task(validate_datetime: Callable[[Any], bool], **options: Any) -> Callable[..., _LazyTask]:
    """Declare a periodic job; ``validate_datetime`` is usually ``huey.crontab(...)``."""

    def decorator(func: Callable[..., Any]) -> _LazyTask:
        return _LazyPeriodicTask(func, validate_datetime, options)

    return decorator
