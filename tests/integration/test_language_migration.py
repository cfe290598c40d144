"""Migration 0019: Spanish, no longer offered, moves to English or to the organisation's language."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlmodel import Session, select

from ava_app.db import make_engine
from ava_app.models import Assistant, User
from tests.conftest import migrate
from tests.integration.test_migrations import scratch_url

__all__ = ["scratch_url"]


def old_tenant(session: Session, name: str, locale: str) -> int:
    """An organisation row in the 0018 schema; returns its id."""
    return session.execute(
        text(
            "INSERT INTO tenant (name, locale, timezone, country, currency, plan, onboarding_step, is_demo, created_at)"
            " VALUES (:name, :locale, 'UTC', 'US', 'USD', 'trial', 1, false, CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"name": name, "locale": locale},
    ).scalar_one()


def test_stored_spanish_becomes_english_or_the_business_language(scratch_url, database_url):
    try:
        migrate(scratch_url, "0018")
        engine = make_engine(scratch_url)
        with Session(engine) as session:
            # The tenant table as it was at 0018 (the model has columns added since): written and read by name.
            spanish_id, french_id = (
                old_tenant(session, name, locale) for name, locale in (("Clínica", "es"), ("Cabinet", "fr"))
            )
            session.add_all([User(email="ana@example.com", locale="es-MX"), User(email="zoe@example.com", locale="fr")])
            session.flush()
            session.add_all(
                [
                    Assistant(
                        tenant_id=spanish_id, language="es", voice_provider="azure", voice_id="es-ES-ElviraNeural"
                    ),
                    Assistant(tenant_id=french_id, language="es", voice_provider="azure", voice_id="es-MX-DaliaNeural"),
                    Assistant(
                        tenant_id=french_id, language="en", voice_provider="11labs", voice_id="EXAVITQu4vr4xnSDxMaL"
                    ),
                ]
            )
            session.commit()
        engine.dispose()

        migrate(scratch_url, "0019")

        engine = make_engine(scratch_url)
        with Session(engine) as session:
            assert dict(session.execute(text("SELECT name, locale FROM tenant")).all()) == {
                "Clínica": "en",
                "Cabinet": "fr",
            }
            assert {u.email: u.locale for u in session.exec(select(User))} == {
                "ana@example.com": "en",
                "zoe@example.com": "fr",
            }
            assistants = [
                (a.language, a.voice_provider, a.voice_id)
                for a in session.exec(select(Assistant).order_by(Assistant.id))
            ]
            assert assistants == [
                ("en", "vapi", "Elliot"),
                ("fr", "azure", "fr-FR-DeniseNeural"),
                ("en", "11labs", "EXAVITQu4vr4xnSDxMaL"),
            ]
        engine.dispose()

        # Going back changes nothing: English and French were valid before too.
        migrate(scratch_url, "0018", down=True)
        engine = make_engine(scratch_url)
        with Session(engine) as session:
            assert sorted(session.execute(text("SELECT locale FROM tenant")).scalars()) == ["en", "fr"]
        engine.dispose()
    finally:
        os.environ["AVA_DATABASE_URL"] = database_url
        migrate(database_url)
