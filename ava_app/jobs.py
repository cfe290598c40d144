"""The durable job queue (huey): SQLite storage in the data dir by default, Redis when AVA_REDIS_URL is set.

Tasks are thin: each opens a session and calls a service. ``./scripts/run`` runs the consumer inside the app
process (``start_embedded_worker``); production runs ``huey_consumer ava_app.jobs.huey`` as separate workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer
from huey.exceptions import RetryTask

from ava_app.settings import get_settings

log = logging.getLogger(__name__)


def make_huey() -> Huey:
    """The queue for the configured storage."""
    settings = get_settings()
    if settings.redis_url:
        return RedisHuey("ava", url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("ava", filename=str(settings.data_dir / "jobs.db"))


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


@lru_cache(maxsize=1)
def _huey() -> Huey:
    queue = make_huey()
    for declared in _declared_tasks:
        declared.register(queue)
    return queue


huey = _LazyHuey()

_consumer: Consumer | None = None


def start_embedded_worker(workers: int = 2) -> None:
    """Run the consumer in background threads of this process (single-process deployments)."""
    global _consumer
    if _consumer is not None:
        return
    _consumer = _huey().create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
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
EMAIL_RETRY_BASE_SECONDS = 60
EMAIL_RETRY_MAX_SECONDS = 30 * 60


def email_retry_delay(attempts: int) -> int:
    """Seconds to wait before the next delivery attempt, after ``attempts`` failed ones."""
    return min(EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), EMAIL_RETRY_MAX_SECONDS)


# huey's own retries only cover unexpected errors (database unreachable...): the backoff for SMTP failures is driven
# by the attempts stored on the outbox row, which survive a restart and are visible in the UI.
@task(retries=3, retry_delay=60, retry_backoff=2)
def deliver_outbox_message(outbox_id: int) -> None:
    """Deliver one outbox email; on a temporary failure, come back later with a growing delay."""
    from ava_app.db import session_scope
    from ava_app.services import email
    from ava_app.services.errors import NotFound, ProviderError, ProviderUnavailable

    try:
        with session_scope() as session:
            email.deliver(session, outbox_id=outbox_id)
    except ProviderUnavailable as exc:
        # RetryTask does not consume huey's retry budget; the attempt cap lives in email.deliver.
        raise RetryTask(delay=email_retry_delay(int(exc.details.get("attempts", 1)))) from exc
    except (ProviderError, NotFound) as exc:
        # Final: the row says failed (or is gone with its tenant); retrying the job would change nothing.
        log.warning("outbox %s not delivered: %s", outbox_id, exc.message)
