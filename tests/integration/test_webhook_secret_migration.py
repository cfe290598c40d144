"""Migration 0010: a tenant's webhook secret derived before it keeps working, moved to the webhooksecret table."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlmodel import Session

from ava_app.db import make_engine
from ava_app.services import credentials
from ava_app.services.ingest.events import tenant_for_webhook_secret
from ava_app.settings import get_settings
from tests.conftest import migrate
from tests.integration.test_migrations import scratch_url

__all__ = ["scratch_url"]


def test_a_derived_secret_moves_to_the_new_table_and_back(scratch_url, database_url):
    try:
        migrate(scratch_url, "0005")
        engine = make_engine(scratch_url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tenant (id, name, locale, timezone, plan, onboarding_step, is_demo, created_at) "
                    "VALUES (41, 'Before 0010', 'en', 'UTC', 'trial', 1, false, CURRENT_TIMESTAMP)"
                )
            )
        derived = credentials.legacy_webhook_secret(tenant_id=41, secret_key=get_settings().secret_key)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE tenant SET webhook_secret_hash = :hash WHERE id = 41"),
                {"hash": credentials.webhook_secret_hash(derived)},
            )
        engine.dispose()

        migrate(scratch_url, "0010")

        engine = make_engine(scratch_url)
        with Session(engine) as session:
            assert tenant_for_webhook_secret(session, secret=derived) == 41
            assert tenant_for_webhook_secret(session, secret="whsec_t_guess") is None
            moved = session.execute(text("SELECT secret_encrypted, expires_at FROM webhooksecret")).all()
            assert [tuple(row) for row in moved] == [(None, None)], "the hash only: the value is not known yet"
            assert session.execute(text("SELECT webhook_secret_hash FROM tenant WHERE id = 41")).one()[0] is None
            # The next push stores its value: nothing changes at Vapi.
            assert credentials.ensure_tenant_webhook_secret(session, tenant_id=41) == (derived, False)
        engine.dispose()

        migrate(scratch_url, "0005", down=True)
        engine = make_engine(scratch_url)
        with engine.connect() as connection:
            back = connection.execute(text("SELECT webhook_secret_hash FROM tenant WHERE id = 41")).scalar_one()
        engine.dispose()
        assert back == credentials.webhook_secret_hash(derived)
    finally:
        os.environ["AVA_DATABASE_URL"] = database_url
        migrate(database_url)
