"""Alembic environment: AVA's own engine and SQLModel metadata."""

from logging.config import fileConfig

from alembic import context
from sqlmodel import SQLModel

import ava_app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from ava_app.db import make_engine
from ava_app.settings import get_settings

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    """Run migrations online against AVA_DATABASE_URL (or a connection handed in by tests)."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
