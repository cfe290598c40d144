"""The PostgreSQL pool pings a connection only after it sat idle, and replaces one the server closed meanwhile."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from ava_app import db as db_module
from ava_app.db import IDLE_PING_AFTER, make_engine, ping_when_idle


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _counting_pings(engine, monkeypatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_used_recently_is_not_pinged_and_an_idle_one_is(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    ping_when_idle(engine)
    pings = _counting_pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []
    clock = db_module._now
    monkeypatch.setattr(db_module, "_now", lambda: clock() + IDLE_PING_AFTER)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert pings == [1]
    engine.dispose()


def test_a_connection_killed_while_idle_is_replaced_transparently(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating a backend needs PostgreSQL")
    engine = make_engine(database_url)
    killer = make_engine(database_url)
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # pooled: the same connection again
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        clock = db_module._now
        monkeypatch.setattr(db_module, "_now", lambda: clock() + IDLE_PING_AFTER + 1)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            replacement = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert replacement != first
    finally:
        engine.dispose()
        killer.dispose()


def test_the_postgresql_engine_recycles_old_connections(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the SQLite engine keeps its own pool settings")
    engine = make_engine(database_url)
    assert engine.pool._recycle == db_module.POOL_RECYCLE_SECONDS
    assert engine.pool._pre_ping is False
    engine.dispose()
