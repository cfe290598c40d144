"""Per-tenant provider credentials: encrypted at rest, masked in listings, isolated per tenant, safe on key rotation."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ava_app.models import ProviderCredential
from ava_app.services import credentials
from ava_app.services.credentials import CredentialUnreadable
from ava_app.services.errors import Invalid
from ava_app.settings import get_settings
from tests.factories import make_tenant

TWILIO = {"account_sid": "AC1234567890abcdef1234567890cd56", "auth_token": "f" * 32}


@pytest.fixture()
def secret_key(engine, monkeypatch):
    """Choose AVA_SECRET_KEY for a test; settings are re-read before and after."""

    def use(value: str) -> None:
        monkeypatch.setenv("AVA_SECRET_KEY", value)
        get_settings.cache_clear()

    use("k" * 48)
    yield use
    get_settings.cache_clear()


def test_saved_secret_round_trips_and_is_encrypted_at_rest(db, secret_key):
    tenant = make_tenant(db)

    saved = credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)

    assert saved["provider"] == "twilio"
    assert saved["hint"] == "AC12…cd56"
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="twilio") == TWILIO
    stored = db.exec(select(ProviderCredential)).one()
    assert TWILIO["account_sid"] not in stored.secret_encrypted
    assert TWILIO["auth_token"] not in stored.secret_encrypted


def test_listing_shows_provider_and_hint_only(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)
    credentials.save_credential(
        db, tenant_id=tenant.id, provider="openai", secret={"api_key": "sk-proj-abcdefghijkl9876"}
    )

    listed = credentials.list_credentials(db, tenant_id=tenant.id)

    assert [(item["provider"], item["hint"], item["readable"]) for item in listed] == [
        ("openai", "sk-p…9876", True),
        ("twilio", "AC12…cd56", True),
    ]
    flat = repr(listed)
    assert TWILIO["auth_token"] not in flat
    assert TWILIO["account_sid"] not in flat
    assert "sk-proj-abcdefghijkl9876" not in flat


def test_saving_again_replaces_the_secret(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "old-key-0000000000000"})
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "new-key-1111111111111"})

    assert credentials.get_credential(db, tenant_id=tenant.id, provider="vapi") == {"api_key": "new-key-1111111111111"}
    assert len(credentials.list_credentials(db, tenant_id=tenant.id)) == 1


def test_tenants_do_not_see_each_other(db, secret_key):
    mine, theirs = make_tenant(db), make_tenant(db)
    credentials.save_credential(db, tenant_id=theirs.id, provider="twilio", secret=TWILIO)

    assert credentials.get_credential(db, tenant_id=mine.id, provider="twilio") is None
    assert credentials.list_credentials(db, tenant_id=mine.id) == []
    assert credentials.delete_credential(db, tenant_id=mine.id, provider="twilio") is False
    assert credentials.get_credential(db, tenant_id=theirs.id, provider="twilio") == TWILIO


def test_delete(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="openai", secret={"api_key": "sk-0123456789abcdef"})

    assert credentials.delete_credential(db, tenant_id=tenant.id, provider="openai") is True
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="openai") is None


def test_rotated_secret_key_is_a_domain_error_not_a_crash(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)

    secret_key("r" * 48)

    with pytest.raises(CredentialUnreadable) as error:
        credentials.get_credential(db, tenant_id=tenant.id, provider="twilio")
    assert error.value.code == "credential_unreadable"
    assert error.value.details == {"provider": "twilio"}
    [listed] = credentials.list_credentials(db, tenant_id=tenant.id)
    assert (listed["hint"], listed["readable"]) == ("AC12…cd56", False)
    # Entering it again under the new key makes it usable.
    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="twilio") == TWILIO


@pytest.mark.parametrize(
    ("provider", "secret", "field"),
    [
        ("stripe", {"api_key": "x"}, "provider"),
        ("twilio", {"account_sid": "AC123"}, "auth_token"),
        ("vapi", {"api_key": "  "}, "api_key"),
        ("smtp", {"host": "smtp.example.com", "username": "u"}, "password"),
        ("openai", {"api_key": ["not", "text"]}, "secret"),
    ],
)
def test_invalid_input_names_the_field(db, secret_key, provider, secret, field):
    tenant = make_tenant(db)
    with pytest.raises(Invalid) as error:
        credentials.save_credential(db, tenant_id=tenant.id, provider=provider, secret=secret)
    assert field in error.value.details["fields"]


@pytest.mark.parametrize(
    ("value", "hint"),
    [("AC1234567890abcdef1234567890cd56", "AC12…cd56"), ("abcdefgh12", "…12"), ("short", "…")],
)
def test_mask_never_reveals_most_of_the_value(value, hint):
    assert credentials.mask(value) == hint


# --- the tenant's own webhook secret ------------------------------------------------------------------------------


def _hash_of(db, tenant_id: int) -> str | None:
    from ava_app.models import Tenant

    db.expire_all()
    return db.get(Tenant, tenant_id).webhook_secret_hash


def test_tenant_webhook_secret_is_derived_per_tenant_and_from_the_server_key(db, secret_key):
    first, second = make_tenant(db), make_tenant(db)

    mine = credentials.tenant_webhook_secret(tenant_id=first.id)

    assert mine == credentials.tenant_webhook_secret(tenant_id=first.id), "deterministic: nothing to store"
    assert mine != credentials.tenant_webhook_secret(tenant_id=second.id)
    assert mine.startswith("whsec_t_") and mine != get_settings().vapi_webhook_secret
    secret_key("z" * 48)
    assert credentials.tenant_webhook_secret(tenant_id=first.id) != mine


def test_saving_a_vapi_key_records_the_secrets_hash_and_removing_it_clears_it(db, secret_key):
    from ava_app.services.call_ingest import tenant_for_webhook_secret

    tenant, other = make_tenant(db), make_tenant(db)
    secret = credentials.tenant_webhook_secret(tenant_id=tenant.id)

    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)
    assert _hash_of(db, tenant.id) is None, "only a Vapi account of its own needs a secret of its own"
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})

    assert _hash_of(db, tenant.id) == credentials.webhook_secret_hash(secret)
    assert secret not in (_hash_of(db, tenant.id) or "")
    assert tenant_for_webhook_secret(db, secret=secret) == tenant.id
    assert tenant_for_webhook_secret(db, secret=credentials.tenant_webhook_secret(tenant_id=other.id)) is None

    credentials.delete_credential(db, tenant_id=tenant.id, provider="vapi")
    assert _hash_of(db, tenant.id) is None
    assert tenant_for_webhook_secret(db, secret=secret) is None


def test_a_missing_or_stale_hash_is_repaired_before_a_push(db, secret_key):
    tenant = make_tenant(db, webhook_secret_hash="stale")

    secret = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id)

    assert _hash_of(db, tenant.id) == credentials.webhook_secret_hash(secret)


# --- which OpenAI key -----------------------------------------------------------------------------------------------


def test_openai_key_resolves_tenant_then_platform_then_local(db, secret_key, monkeypatch):
    tenant, other = make_tenant(db), make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="openai", secret={"api_key": "sk-tenant-own-1234"})
    monkeypatch.setenv("AVA_OPENAI_API_KEY", "")
    get_settings.cache_clear()

    own = credentials.openai_access_for(db, tenant_id=tenant.id)
    assert (own.owner, own.api_key) == ("tenant", "sk-tenant-own-1234")
    assert "sk-tenant-own-1234" not in repr(own)
    assert credentials.openai_access_for(db, tenant_id=other.id) is None, "no key anywhere: the local fallback"

    monkeypatch.setenv("AVA_OPENAI_API_KEY", "sk-platform-5678")
    secret_key("k" * 48)
    platform = credentials.openai_access_for(db, tenant_id=other.id)
    assert (platform.owner, platform.api_key) == ("platform", "sk-platform-5678")
    assert credentials.openai_access_for(db, tenant_id=tenant.id).owner == "tenant"


def test_an_unreadable_tenant_openai_key_falls_back_to_the_platforms(db, secret_key, monkeypatch):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="openai", secret={"api_key": "sk-tenant-own-1234"})
    monkeypatch.setenv("AVA_OPENAI_API_KEY", "sk-platform-5678")
    secret_key("another-server-key-" + "q" * 40)

    assert credentials.openai_access_for(db, tenant_id=tenant.id).owner == "platform"


def test_smtp_port_and_security_are_checked(db, secret_key):
    tenant = make_tenant(db)
    account = {"host": "mail.example.com", "username": "owner", "password": "pw-1234567"}
    secret = {**account, "port": "99999", "tls": "maybe"}
    with pytest.raises(Invalid) as refused:
        credentials.save_credential(db, tenant_id=tenant.id, provider="smtp", secret=secret)
    assert refused.value.details["fields"] == {"port": "port", "tls": "tls"}
    saved = credentials.save_credential(
        db, tenant_id=tenant.id, provider="smtp", secret={**secret, "port": "465", "tls": "ssl"}
    )
    assert saved["provider"] == "smtp"
