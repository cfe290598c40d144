"""Shared fixtures: a migrated temp database (SQLite, or PostgreSQL when AVA_DATABASE_URL says so) and sessions."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Tests never use the project's own data directory: an AVA started with ./scripts/run works there, and its job
# worker would take the tests' jobs from the shared queue file.
os.environ.setdefault("AVA_DATA_DIR", tempfile.mkdtemp(prefix="ava-tests-"))
# AVA defaults to prod; the tests run the dev sandbox (emulators, dev outbox) unless a test says otherwise.
os.environ.setdefault("AVA_ENV", "dev")
# One server key for the run, shared with the live servers the browser tests start (each with a data folder of its
# own): a test reads the one-time links those servers sealed into the outbox.
os.environ.setdefault("AVA_SECRET_KEY", secrets.token_urlsafe(48))
# Run in parallel (pytest-xdist, ./scripts/test), each worker process gets data of its own: its temp folders already,
# and here a Redis database of its own (the job queue, rate limits and tabs' state of one worker must not be another's)
# and, in ``database_url``, a PostgreSQL database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER and os.environ.get("AVA_REDIS_URL"):
    import redis as _redis

    _parts = urlsplit(os.environ["AVA_REDIS_URL"])
    # Databases 10 and up: the browser tests' servers number theirs from 1.
    os.environ["AVA_REDIS_URL"] = urlunsplit(_parts._replace(path=f"/{10 + int(WORKER.removeprefix('gw'))}"))
    _client = _redis.Redis.from_url(os.environ["AVA_REDIS_URL"])
    _client.flushdb()
    _client.close()


def _clear_caches() -> None:
    from ava_app.db import get_engine
    from ava_app.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()


def migrate(url: str, revision: str = "head", *, down: bool = False) -> None:
    """Run Alembic against ``url`` the same way ./scripts/run does."""
    os.environ["AVA_DATABASE_URL"] = url
    _clear_caches()
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    if down:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


def _own_postgres_database(url: str, worker: str) -> str:
    """``url`` with the database named after the xdist ``worker`` ("test_gw1"), created if it is not there yet."""
    from sqlalchemy import create_engine

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{worker}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return urlunsplit(parts._replace(path=f"/{name}"))


def _empty_postgres_schema(url: str) -> None:
    """Start from an empty schema: the database may hold tables of any revision, even one this checkout lacks."""
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole run: SQLite in a temp dir unless AVA_DATABASE_URL names PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("ava-data")
    os.environ["AVA_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("AVA_PUBLIC_URL", "http://testserver")
    url = os.environ.get("AVA_TEST_DATABASE_URL") or os.environ.get("AVA_DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        url = f"sqlite:///{data_dir / 'test.db'}"
    os.environ["AVA_TEST_DATABASE_URL"] = url
    if url.startswith("postgresql") and WORKER and not url.rsplit("/", 1)[-1].endswith(WORKER):
        url = _own_postgres_database(url, WORKER)
    if url.startswith("postgresql"):
        _empty_postgres_schema(url)
    migrate(url)
    yield url
    _clear_caches()


@pytest.fixture()
def engine(database_url: str):
    """The app's engine for the test database; every table is emptied after each test."""
    from ava_app.db import get_engine

    os.environ["AVA_DATABASE_URL"] = database_url
    _clear_caches()
    engine = get_engine()
    yield engine
    # A live server's job worker may still be finishing the test's last jobs: on PostgreSQL the TRUNCATE can then
    # deadlock with it (the database aborts one side) and, on SQLite, find the database busy. Both pass on a retry.
    for attempt in Retrying(
        retry=retry_if_exception_type(OperationalError), stop=stop_after_attempt(5), wait=wait_fixed(0.5), reraise=True
    ):
        with attempt:
            _empty_tables(engine)
    # The next test builds a new engine: close this one's pooled connections now rather than when it is collected
    # (handlers query from worker threads, so each engine may pool several; PostgreSQL allows 100 in all).
    engine.dispose()


def _empty_tables(engine) -> None:
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture()
def db(engine) -> Iterator[Session]:
    """A session on the test database."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture()
def smtp_env(engine, monkeypatch):
    """Set AVA_SMTP_* variables for one test (empty host = sandbox); settings are re-read before and after."""

    from ava_app.settings import get_settings

    def configure(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"AVA_SMTP_{name.upper()}", str(value))
        get_settings.cache_clear()

    configure(host="")
    yield configure
    get_settings.cache_clear()


@pytest.fixture()
def jobs():
    """The job queue in immediate mode: enqueued tasks run in the test, retries land in an in-memory schedule."""
    from ava_app.task_queue import huey

    huey.immediate = True
    yield huey
    huey.immediate = False
