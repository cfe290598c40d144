"""Migrations: upgrade head → downgrade base → upgrade head, and the models match the migrated schema."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from ava_app.db import make_engine
from tests.conftest import migrate


@pytest.fixture()
def scratch_url(tmp_path, database_url):
    """A database of its own, so going down to base does not disturb the shared test database."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"ava_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_downgrade_upgrade(scratch_url, database_url):
    try:
        migrate(scratch_url)
        migrate(scratch_url, "base", down=True)
        engine = make_engine(scratch_url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        migrate(scratch_url)
        engine = make_engine(scratch_url)
        tables = set(inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        os.environ["AVA_DATABASE_URL"] = database_url
        migrate(database_url)
