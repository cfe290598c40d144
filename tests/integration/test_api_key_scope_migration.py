"""Migration 0032: keys made before scopes get their role's scopes, never expire, and keep working."""

from __future__ import annotations

import json
import os

from sqlalchemy import text
from sqlmodel import Session

from ava_app.db import make_engine
from ava_app.services import api_keys
from ava_app.services.tokens import hash_secret
from tests.conftest import migrate
from tests.integration.test_migrations import scratch_url

__all__ = ["scratch_url"]

KEYS = {"admin": "ava_before_admin_key", "user": "ava_before_user_key", "viewer": "ava_before_viewer_key"}


def test_existing_keys_get_their_roles_scopes(scratch_url, database_url):
    try:
        migrate(scratch_url, "0030")
        engine = make_engine(scratch_url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tenant (id, name, locale, timezone, plan, onboarding_step, is_demo, created_at) "
                    "VALUES (51, 'Before 0032', 'en', 'UTC', 'trial', 1, false, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    'INSERT INTO "user" (id, email, name, locale, is_active, created_at) '
                    "VALUES (61, 'owner-0032@example.com', 'Owner', 'en', true, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO membership (user_id, tenant_id, role, notify_mode, notify_sms, created_at) "
                    "VALUES (61, 51, 'admin', 'every', 'never', CURRENT_TIMESTAMP)"
                )
            )
            for number, (role, key) in enumerate(KEYS.items(), start=71):
                connection.execute(
                    text(
                        "INSERT INTO apikey (id, tenant_id, name, prefix, key_hash, role, created_by_id, created_at) "
                        "VALUES (:id, 51, :name, :prefix, :hash, :role, 61, CURRENT_TIMESTAMP)"
                    ),
                    {"id": number, "name": f"{role} key", "prefix": key[:12], "hash": hash_secret(key), "role": role},
                )
        engine.dispose()

        migrate(scratch_url, "0032")

        engine = make_engine(scratch_url)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT role, scopes, expires_at FROM apikey ORDER BY id")).all()
        found = {
            role: (json.loads(scopes) if isinstance(scopes, str) else scopes, expires) for role, scopes, expires in rows
        }
        assert found == {role: (list(api_keys.ROLE_SCOPES[role]), None) for role in KEYS}
        engine.dispose()

        # The keys still work through today's models (which need every later revision's columns).
        migrate(scratch_url)
        engine = make_engine(scratch_url)
        with Session(engine) as session:
            viewer = api_keys.authenticate_api_key(session, key=KEYS["viewer"])
            assert viewer.scopes == frozenset({"calls:read"}) and viewer.role == "viewer"
            admin = api_keys.authenticate_api_key(session, key=KEYS["admin"])
            assert admin.scopes == frozenset(api_keys.SCOPES)
        engine.dispose()

        migrate(scratch_url, "0030", down=True)
        engine = make_engine(scratch_url)
        with engine.connect() as connection:
            columns = {row[1] for row in connection.execute(text("SELECT * FROM apikey LIMIT 0")).cursor.description}
            count = connection.execute(text("SELECT count(*) FROM apikey")).scalar_one()
        engine.dispose()
        assert count == 3 and not {"scopes", "expires_at"} & columns
    finally:
        os.environ["AVA_DATABASE_URL"] = database_url
        migrate(database_url)
