"""The database engine and sessions. Everything that touches tables gets its Session from here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from ava_app.private_files import private_dir, private_sqlite_file
from ava_app.settings import get_settings

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """An engine tuned for AVA: SQLite in WAL mode with a busy timeout, PostgreSQL with a small pool."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:" and not path.startswith("file:"):
            # The database holds every tenant's calls and credentials: only AVA's own user may read it.
            private_sqlite_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine for AVA_DATABASE_URL."""
    settings = get_settings()
    if settings.is_sqlite:
        private_dir(settings.data_dir)
    return make_engine(settings.database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def database_is_reachable() -> bool:
    """True when a trivial query succeeds (used by /healthz)."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def on_commit(session: Session, work: Callable[[], object]) -> None:
    """Run ``work`` once the session's transaction commits, never if it rolls back (a job about a row that was not
    kept, or one racing the row's own write, is worse than none). An error in ``work`` is logged, not raised: the
    commit has happened."""
    settled = False

    def committed(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            try:
                work()
            except Exception:
                log.warning("work after a commit failed", exc_info=True)

    def rolled_back(_session: Session) -> None:
        nonlocal settled
        settled = True

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)
