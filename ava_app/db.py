"""The database engine and sessions. Everything that touches tables gets its Session from here."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from ava_app.private_files import private_dir, private_sqlite_file
from ava_app.settings import get_settings

log = logging.getLogger(__name__)

# A pooled PostgreSQL connection idle this long is pinged before use (a server restart, a failover or an idle
# timeout may have closed it); one used more recently is handed out as it is.
IDLE_PING_AFTER = 30.0
# Connections older than this are replaced on checkout, so none outlives a proxy's or server's connection lifetime.
POOL_RECYCLE_SECONDS = 1800
_LAST_USED = "ava_last_used"
# The clock of the idle check (the tests move it forward).
_now = time.monotonic


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
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=POOL_RECYCLE_SECONDS)
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: Engine, *, idle_after: float = IDLE_PING_AFTER) -> None:
    """Ping a pooled connection on checkout only when it sat idle ``idle_after`` seconds or more.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per page load's session, 7 % of a busy web
    process. A connection returned moments ago is all but certainly alive; one idle for a while is checked, and when
    the ping fails the pool replaces it (``DisconnectionError``) before the caller sees anything.
    """

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record) -> None:
        record.info[_LAST_USED] = _now()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[_LAST_USED] = _now()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        last_used = record.info.get(_LAST_USED)
        if last_used is not None and _now() - last_used < idle_after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("an idle pooled connection failed its ping") from error


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
