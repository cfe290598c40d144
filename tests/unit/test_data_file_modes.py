"""Everything AVA keeps in its data folder is readable by AVA's own user only, whatever the umask says."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from ava_app.db import make_engine
from ava_app.private_files import private_sqlite_file
from ava_app.sandbox.twilio.app import create_twilio_emulator
from ava_app.sandbox.vapi.app import create_vapi_emulator
from ava_app.settings import get_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def open_umask():
    """A permissive umask, as on many servers: the modes must not depend on it."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_app_database_and_its_wal_files_are_private(tmp_path, open_umask):
    data = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data / 'ava.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        written = [data / name for name in ("ava.db", "ava.db-wal", "ava.db-shm") if (data / name).exists()]
        assert len(written) == 3  # WAL mode: SQLite made its side files while the connection is open
        assert {path.name: _mode(path) for path in written} == {path.name: 0o600 for path in written}
    engine.dispose()
    assert _mode(data) == 0o700


def test_an_existing_world_readable_database_is_tightened(tmp_path, open_umask):
    path = tmp_path / "old.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    (tmp_path / "old.db-wal").write_bytes(b"")
    (tmp_path / "old.db-wal").chmod(0o644)
    private_sqlite_file(path)
    assert _mode(path) == 0o600 and _mode(tmp_path / "old.db-wal") == 0o600


def test_the_job_queue_file_is_private(engine, monkeypatch, tmp_path, open_umask):
    from ava_app.task_queue import make_huey

    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("AVA_REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        queue = make_huey()
        queue.storage.enqueue(b"job", 0)
    finally:
        get_settings.cache_clear()
    assert _mode(tmp_path / "data" / "jobs.db") == 0o600
    assert _mode(tmp_path / "data") == 0o700


def test_the_emulators_state_and_recordings_are_private(tmp_path, open_umask):
    create_twilio_emulator(db_path=tmp_path / "data" / "sandbox_twilio.db", accounts={"AC" + "1" * 32: "t" * 32})
    create_vapi_emulator(
        db_path=tmp_path / "data" / "sandbox_vapi.db",
        api_keys={"k"},
        public_keys={},
        public_base_url="http://ava.test/sandbox/vapi",
    )
    assert _mode(tmp_path / "data") == 0o700
    assert _mode(tmp_path / "data" / "sandbox_twilio.db") == 0o600
    assert _mode(tmp_path / "data" / "sandbox_vapi.db") == 0o600
    assert _mode(tmp_path / "data" / "sandbox_vapi_recordings") == 0o700


def test_an_existing_open_data_folder_is_tightened_at_start(monkeypatch, tmp_path, open_umask):
    from ava_app.db import get_engine

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    monkeypatch.setenv("AVA_DATA_DIR", str(data))
    monkeypatch.setenv("AVA_DATABASE_URL", f"sqlite:///{data / 'ava.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        get_engine().dispose()
        assert _mode(data) == 0o700 and _mode(data / "ava.db") == 0o600
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
