"""The durable job queue (huey): SQLite storage in the data dir by default, Redis when AVA_REDIS_URL is set.

Tasks are thin: each opens a session and calls a service. ``./scripts/run`` runs the consumer inside the app
process (``start_embedded_worker``); production runs ``huey_consumer ava_app.jobs.huey`` as separate workers.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

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
    """Builds the queue on first use, so importing this module reads no settings and opens nothing."""

    def __getattr__(self, name: str):
        return getattr(_huey(), name)


@lru_cache(maxsize=1)
def _huey() -> Huey:
    return make_huey()


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
