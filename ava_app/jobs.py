"""The durable job queue (huey): SQLite storage in the data dir by default, Redis when AVA_REDIS_URL is set.

Tasks are thin: each opens a session and calls a service. ``./scripts/run`` runs the consumer inside the app
process (``start_embedded_worker``); production runs ``huey_consumer ava_app.jobs.huey`` as separate workers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from huey import Huey, RedisHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from huey.exceptions import RetryTask
from huey.storage import RedisStorage, SqliteStorage

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
        self.wrapper = queue.task(**self.options)(self.func)

    def _task(self) -> TaskWrapper:
        queue = _huey()
        if self.wrapper is None or self.wrapper.huey is not queue:
            # Two request threads enqueueing at once must not both register (huey refuses a second registration).
            with _registry_lock:
                if self.wrapper is None or self.wrapper.huey is not queue:
                    self.register(queue)
        return self.wrapper

    def __call__(self, *args: Any, **kwargs: Any):
        """Enqueue the task (or run it at once when the queue is in immediate mode)."""
        return self._task()(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._task(), name)


_declared_tasks: list[_LazyTask] = []


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
        for declared in _declared_tasks:
            declared.register(queue)
        # Every consumer of this queue, embedded or not, yields to webhook bursts (see RequestsInFlight).
        queue.on_startup(name="mark_worker_thread")(_mark_worker_thread)
        queue.pre_execute(name="yield_to_webhooks")(_yield_to_webhooks)
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


# --- tasks ------------------------------------------------------------------------------------------------------

# Email delivery backs off exponentially (1, 2, 4, 8, 16 minutes, then every 30 minutes); the number of attempts is
# capped by the service (email.MAX_ATTEMPTS), which marks the row failed after the last one.


def email_retry_delay(attempts: int) -> int:
    """Seconds to wait before the next delivery attempt, after ``attempts`` failed ones (the service's schedule)."""
    from ava_app.services.messaging import email

    return email.retry_delay(attempts)


# huey's own retries only cover unexpected errors (database unreachable...): the backoff for SMTP failures is driven
# by the attempts stored on the outbox row, which survive a restart and are visible in the UI. A job lost for good
# (worker killed, retries spent) leaves its row queued, and the outbox sweep (sweep_outbox) enqueues it again.
@task(retries=3, retry_delay=60, retry_backoff=2)
def deliver_outbox_message(outbox_id: int) -> None:
    """Deliver one outbox email; on a temporary failure, come back later with a growing delay."""
    from ava_app.db import session_scope
    from ava_app.services.errors import NotFound, ProviderError, ProviderUnavailable
    from ava_app.services.messaging import email

    try:
        with session_scope() as session:
            email.deliver(session, outbox_id=outbox_id)
    except ProviderUnavailable as exc:
        # RetryTask does not consume huey's retry budget; the attempt cap lives in email.deliver. The delay is the one
        # stored on the row as its next attempt, which the sweep waits for too.
        delay = exc.details.get("retry_in") or email_retry_delay(int(exc.details.get("attempts", 1)))
        raise RetryTask(delay=int(delay)) from exc
    except (ProviderError, NotFound) as exc:
        # Final: the row says failed (or is gone with its tenant); retrying the job would change nothing.
        log.warning("outbox %s not delivered: %s", outbox_id, exc.message)


# --- the call pipeline ------------------------------------------------------------------------------------------


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


# Applying a stored report retries quickly (2 s doubling to about 4 minutes, 8.5 minutes in all): its failures are
# database hiccups. One that still fails keeps its error on the event (shown to admins, retried on redelivery).
@task(retries=8, retry_delay=2, retry_backoff=2)
def apply_webhook_event(event_id: int) -> None:
    """Apply one stored Vapi event (store-and-enqueue's second half), then enqueue the call's post-call job."""
    from ava_app.db import session_scope
    from ava_app.services.ingest import events as vapi_events

    with session_scope() as session:
        vapi_events.apply_stored_event(session, event_id=event_id, on_call_ended=run_post_call)


# A platform admin's retry of a dead letter is one attempt: failing again, the event stays listed with one more.
@task(retries=0)
def reapply_webhook_event(event_id: int) -> None:
    """Apply a failed stored webhook event (Vapi or Twilio) again, then enqueue its call's post-call job if it ended."""
    from ava_app.db import session_scope
    from ava_app.services import dead_letters

    with session_scope() as session:
        error = dead_letters.reapply_event(session, event_id=event_id, on_call_ended=run_post_call)
    if error:
        log.warning("webhook event %s failed again on retry: %s", event_id, error)


# Summary and email: 5 s doubling to 160 s (about 5 minutes in all) on top of the OpenAI SDK's own two retries; after
# the last one the call shows summary_status (and, if never queued, email_status) "failed".
POST_CALL_RETRIES = 6


@task(retries=POST_CALL_RETRIES, retry_delay=5, retry_backoff=2, context=True)
def run_post_call(call_id: int, task=None) -> None:
    """Summarise one ended call and email its summary to whoever asked (idempotent: safe to run twice)."""
    from ava_app.db import session_scope
    from ava_app.services import post_call

    final = task is None or not task.retries
    _enqueue_recording_copy(call_id)
    try:
        with session_scope() as session:
            post_call.process_call(session, call_id=call_id, final_attempt=final)
    except Exception:
        if final:
            with session_scope() as session:
                post_call.mark_failed(session, call_id=call_id)
        raise


# Copying a recording into AVA's own store: the provider's storage may be slow to have it (30 s doubling, about
# 15 minutes in all); the service caps the fetches it counts (recordings.MAX_ATTEMPTS). First playback copies too.
@task(retries=5, retry_delay=30, retry_backoff=2)
def copy_call_recording(call_id: int) -> None:
    """Copy an ended call's recording from the provider into AVA's store, once (idempotent)."""
    from ava_app.services import recordings

    recordings.copy_recording(call_id=call_id)


def _enqueue_recording_copy(call_id: int) -> None:
    """After the end-of-call report: queue the recording copy beside the summary (its failure never stops them)."""
    from ava_app.db import session_scope
    from ava_app.services import recordings

    try:
        with session_scope() as session:
            due = recordings.copy_is_due(session, call_id=call_id)
        if due:
            copy_call_recording(call_id)
    except Exception:
        log.exception("could not enqueue the recording copy of call %s; the first playback will copy it", call_id)


def sweep_pipeline_once(*, event_grace: Any = None, now: Any = None) -> dict[str, list[int]]:
    """Re-enqueue what a lost job left behind; returns the event and call ids re-enqueued.

    huey has no acknowledgement: a task taken by a worker that dies is gone. The database says what is unfinished:
    stored events still unapplied after ``event_grace`` (default: the events' in-flight grace), and ended calls whose
    post-call work is pending and untouched for post_call.STALE_AFTER. Both jobs are idempotent, so re-enqueueing one
    that is in fact still queued only costs a no-op run. ``now`` is for tests that let time pass.
    """
    from ava_app.db import session_scope
    from ava_app.models import utcnow
    from ava_app.services import post_call
    from ava_app.services.ingest import events as vapi_events

    now = now or utcnow()
    grace = vapi_events.IN_FLIGHT_GRACE if event_grace is None else event_grace
    with session_scope() as session:
        events = vapi_events.unapplied_event_ids(session, received_before=now - grace)
        calls = post_call.calls_needing_work(session, now=now)
    for event_id in events:
        apply_webhook_event(event_id)
    for call_id in calls:
        run_post_call(call_id)
    if events or calls:
        log.warning("sweep re-enqueued %d stored event(s) and %d call(s)", len(events), len(calls))
    return {"events": events, "calls": calls}


@periodic_task(crontab(minute="*"))
def sweep_pipeline() -> None:
    """Every minute: recover webhook events and post-call jobs lost with a worker, settle email statuses."""
    sweep_pipeline_once()


@periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: enqueue again the queued emails whose delivery job was lost (see email.stale_queued_ids)."""
    from ava_app.db import session_scope
    from ava_app.services.messaging import email

    with session_scope() as session:
        stale = email.stale_queued_ids(session)
    for outbox_id in stale:
        deliver_outbox_message(outbox_id)
    if stale:
        log.warning("outbox sweep re-enqueued %d email(s): %s", len(stale), stale[:20])


@periodic_task(crontab(minute="5"))
def send_daily_digests() -> None:
    """Hourly: send the daily digest to members whose local morning has come (once per member and day)."""
    from ava_app.db import session_scope
    from ava_app.services import post_call

    with session_scope() as session:
        post_call.send_daily_digests(session)


# Provider sync of an assistant or a number: huey retries ProviderUnavailable with exponential backoff (30 s, 1, 2, 4,
# 8, 16 minutes); the row already says "failed" with the reason meanwhile, and a successful retry marks it synced.
SYNC_RETRIES = 6
SYNC_RETRY_DELAY_SECONDS = 30


@task(retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY_SECONDS, retry_backoff=2)
def sync_assistant_job(tenant_id: int, assistant_id: int) -> None:
    """Push a tenant's assistant to Vapi (create or update)."""
    from ava_app.db import session_scope
    from ava_app.services import assistants
    from ava_app.services.errors import NotFound

    try:
        with session_scope() as session:
            assistants.sync_assistant(session, tenant_id=tenant_id, assistant_id=assistant_id)
    except NotFound:
        # Deleted with its tenant before the job ran: nothing left to push.
        log.info("assistant %s is gone; sync skipped", assistant_id)


@task(retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY_SECONDS, retry_backoff=2)
def sync_phone_number_job(tenant_id: int, number_id: int) -> None:
    """Push a number's routing (assistant, fallback, server) to Vapi, importing it first if that never happened."""
    from ava_app.db import session_scope
    from ava_app.services import phone_numbers
    from ava_app.services.errors import NotFound

    try:
        with session_scope() as session:
            phone_numbers.sync_number(session, tenant_id=tenant_id, number_id=number_id)
    except NotFound:
        log.info("phone number %s is gone; sync skipped", number_id)
