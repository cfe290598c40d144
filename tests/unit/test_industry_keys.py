"""Signup offers the preset industries: each key gives the organisation that preset; legacy keys still land on one."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from ava_app.components.industry import INDUSTRIES
from ava_app.i18n import CATALOGUES
from ava_app.models import Tenant
from ava_app.services import accounts, assistants, presets, rate_limits
from ava_app.services.errors import Invalid
from ava_app.services.principal import Principal
from tests.conftest import migrate

PASSWORD = "tulip-garage-42"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def _owner(db, industry: str | None, *, email: str = "owner@example.com", locale: str = "en") -> Principal:
    result = accounts.signup(
        db,
        name="Owner",
        email=email,
        password=PASSWORD,
        organisation_name="Maison Test",
        industry=industry,
        locale=locale,
    )
    return Principal(user_id=result.user_id, tenant_id=result.tenant_id, role="admin")


def test_the_signup_choices_are_the_presets_with_their_own_names():
    assert [value for value, _ in INDUSTRIES] == list(presets.INDUSTRIES)
    assert INDUSTRIES[-1][0] == presets.OTHER
    for lang in ("en", "fr"):
        names = {item.key: item.label for item in presets.list_industries(lang)}
        assert {value: CATALOGUES[lang][key] for value, key in INDUSTRIES} == names


@pytest.mark.parametrize("industry", presets.INDUSTRIES)
def test_signing_up_with_an_industry_gives_its_preset(db, industry):
    owner = _owner(db, industry, locale="fr")

    assistant = assistants.get_or_create_assistant(db, principal=owner)

    preset = presets.get_preset(industry, "fr", business_name="Maison Test")
    assert db.get(Tenant, owner.tenant_id).industry == industry
    assert assistant.industry == industry and assistant.first_message == preset.first_message
    assert [(item.question, item.answer) for item in assistant.knowledge_base] == [
        (faq.question, faq.answer) for faq in preset.faqs
    ]


@pytest.mark.parametrize("legacy", ["dental", "medical", " Dental "])
def test_the_old_signup_keys_land_on_the_clinic_preset(db, legacy):
    owner = _owner(db, legacy)
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    assert db.get(Tenant, owner.tenant_id).industry == "clinic"
    assert assistant.first_message == presets.get_preset("clinic", "en", business_name="Maison Test").first_message
    assert assistant.first_message, "not the empty greeting of the Other preset"


def test_no_industry_is_fine_and_an_unknown_one_is_refused(db):
    assert db.get(Tenant, _owner(db, "").tenant_id).industry is None
    with pytest.raises(Invalid) as refused:
        _owner(db, "spaceport", email="other@example.com")
    assert refused.value.details["fields"] == {"industry": "Choose one of the offered industries."}


def test_the_migration_moves_organisations_off_the_legacy_keys(tmp_path, monkeypatch, database_url):
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    monkeypatch.setenv("AVA_DATABASE_URL", database_url)  # put back for the next tests
    migrate(url, "0002")
    engine = create_engine(url)
    with engine.begin() as connection:
        for name, industry in (("Smile", "dental"), ("Doc", "medical"), ("Luigi", "restaurant"), ("Blank", None)):
            connection.execute(
                text(
                    "INSERT INTO tenant (name, industry, locale, timezone, plan, onboarding_step, is_demo, created_at)"
                    " VALUES (:name, :industry, 'en', 'UTC', 'trial', 1, 0, CURRENT_TIMESTAMP)"
                ),
                {"name": name, "industry": industry},
            )
    migrate(url)
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT name, industry FROM tenant")).all())
    engine.dispose()
    assert rows == {"Smile": "clinic", "Doc": "clinic", "Luigi": "restaurant", "Blank": None}
