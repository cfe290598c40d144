"""Per-tenant provider credentials and webhook secrets: encrypted at rest, masked in listings, isolated per tenant,
rotatable (a tenant's webhook secret alone, or the server key with every stored secret re-encrypted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import CalendarConnection, ProviderCredential, WebhookSecret, utcnow
from ava_app.services import credentials
from ava_app.services.credentials import CredentialUnreadable
from ava_app.services.errors import Invalid
from ava_app.services.ingest.events import tenant_for_webhook_secret
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


def _rows(db, tenant_id: int) -> list[WebhookSecret]:
    db.expire_all()
    return list(db.exec(select(WebhookSecret).where(WebhookSecret.tenant_id == tenant_id)).all())


def test_a_vapi_key_brings_a_random_secret_stored_encrypted_and_removing_it_forgets_it(db, secret_key):
    tenant, other = make_tenant(db), make_tenant(db)

    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)
    assert _rows(db, tenant.id) == [], "only a Vapi account of its own needs a secret of its own"
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    credentials.save_credential(db, tenant_id=other.id, provider="vapi", secret={"api_key": "other-vapi-key"})

    secret, replaced = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id)
    theirs = credentials.ensure_tenant_webhook_secret(db, tenant_id=other.id).secret
    assert not replaced and secret.startswith("whsec_t_") and len(secret) > 40
    assert secret not in (theirs, get_settings().vapi_webhook_secret)
    assert secret != credentials.legacy_webhook_secret(tenant_id=tenant.id, secret_key=get_settings().secret_key)
    [row] = _rows(db, tenant.id)
    assert row.secret_hash == credentials.webhook_secret_hash(secret) and secret not in row.secret_encrypted
    assert tenant_for_webhook_secret(db, secret=secret) == tenant.id
    assert tenant_for_webhook_secret(db, secret=theirs) == other.id
    # Saving the key again keeps the secret Vapi has.
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key-2"})
    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret == secret

    credentials.delete_credential(db, tenant_id=tenant.id, provider="vapi")
    assert _rows(db, tenant.id) == []
    assert tenant_for_webhook_secret(db, secret=secret) is None
    assert tenant_for_webhook_secret(db, secret=theirs) == other.id


def test_a_tenant_secret_does_not_change_with_the_server_key(db, secret_key, monkeypatch):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    secret = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret

    monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", "k" * 48)
    secret_key("n" * 48)

    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id) == (secret, False)
    assert tenant_for_webhook_secret(db, secret=secret) == tenant.id


def test_a_replaced_secret_is_accepted_for_the_grace_period_then_refused(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    old = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret
    now = utcnow()

    until = credentials.rotate_tenant_webhook_secret(db, tenant_id=tenant.id, now=now)
    db.commit()

    new = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret
    assert new != old and until == now + credentials.WEBHOOK_SECRET_GRACE == now + timedelta(hours=24)
    just_before, just_after = until - timedelta(seconds=1), until + timedelta(seconds=1)
    assert tenant_for_webhook_secret(db, secret=old, now=now) == tenant.id
    assert tenant_for_webhook_secret(db, secret=old, now=just_before) == tenant.id
    assert tenant_for_webhook_secret(db, secret=old, now=just_after) is None
    assert tenant_for_webhook_secret(db, secret=new, now=just_after + timedelta(days=30)) == tenant.id
    status = credentials.webhook_secret_status(db, tenant_id=tenant.id, now=now)
    assert status["active"] and status["previous_until"] == until
    assert credentials.webhook_secret_status(db, tenant_id=tenant.id, now=just_after)["previous_until"] is None
    # Only the current secret keeps its value: a replaced one is a hash until it expires.
    assert [row.secret_encrypted is None for row in sorted(_rows(db, tenant.id), key=lambda row: row.id)] == [
        True,
        False,
    ]


def test_rotating_twice_keeps_every_replaced_secret_for_its_own_grace_period(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    first = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret
    now = utcnow()
    credentials.rotate_tenant_webhook_secret(db, tenant_id=tenant.id, now=now)
    db.commit()
    second = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret

    # A second rotation before the first one reached Vapi: what Vapi still has must keep working.
    credentials.rotate_tenant_webhook_secret(db, tenant_id=tenant.id, now=now + timedelta(minutes=1))
    db.commit()

    third = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret
    later = now + timedelta(hours=2)
    assert {tenant_for_webhook_secret(db, secret=s, now=later) for s in (first, second, third)} == {tenant.id}
    # A rotation after the grace period clears the expired rows.
    credentials.rotate_tenant_webhook_secret(db, tenant_id=tenant.id, now=now + timedelta(days=2))
    db.commit()
    assert len(_rows(db, tenant.id)) == 2


def test_a_secret_no_known_key_opens_is_replaced_and_the_old_one_kept_for_the_grace_period(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    old = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret

    secret_key("gone-" + "g" * 48)  # the old key dropped without re-encrypting

    new, replaced = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id)
    assert replaced and new != old
    assert tenant_for_webhook_secret(db, secret=old) == tenant.id
    assert tenant_for_webhook_secret(db, secret=new) == tenant.id


# --- rotating AVA_SECRET_KEY ----------------------------------------------------------------------------------------


def test_previous_keys_still_decrypt_and_reencrypting_moves_everything_to_the_current_key(db, secret_key, monkeypatch):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "tenant-vapi-key"})
    webhook_secret = credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id).secret
    old_tokens = {row.provider: row.secret_encrypted for row in db.exec(select(ProviderCredential)).all()}

    # New key, the old one listed as previous: everything still reads, nothing is re-entered.
    monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", "k" * 48)
    secret_key("new-server-key-" + "n" * 40)
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="twilio") == TWILIO
    assert all(row["readable"] for row in credentials.list_credentials(db, tenant_id=tenant.id))
    # New saves are encrypted under the new key only.
    credentials.save_credential(db, tenant_id=tenant.id, provider="openai", secret={"api_key": "sk-new-key-000001"})

    report = credentials.reencrypt_stored_secrets(db)

    assert (report.reencrypted, report.recovered, report.unreadable) == (4, 0, [])
    db.expire_all()
    assert all(
        row.secret_encrypted != old_tokens.get(row.provider) for row in db.exec(select(ProviderCredential)).all()
    )
    # The old key removed: still readable.
    monkeypatch.delenv("AVA_SECRET_KEY_PREVIOUS")
    secret_key("new-server-key-" + "n" * 40)
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="twilio") == TWILIO
    assert credentials.get_credential(db, tenant_id=tenant.id, provider="openai") == {"api_key": "sk-new-key-000001"}
    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id) == (webhook_secret, False)
    assert all(row["readable"] for row in credentials.list_credentials(db, tenant_id=tenant.id))


def test_without_the_previous_key_old_secrets_are_unreadable_and_reported(db, secret_key):
    tenant = make_tenant(db)
    credentials.save_credential(db, tenant_id=tenant.id, provider="twilio", secret=TWILIO)
    secret_key("new-server-key-" + "n" * 40)

    report = credentials.reencrypt_stored_secrets(db)

    assert report.reencrypted == 0 and report.unreadable == [f"tenant {tenant.id}: twilio credential"]
    with pytest.raises(CredentialUnreadable):
        credentials.get_credential(db, tenant_id=tenant.id, provider="twilio")


def test_reencrypting_stores_the_value_of_a_secret_derived_before_0010(db, secret_key, monkeypatch):
    tenant = make_tenant(db)
    derived = credentials.legacy_webhook_secret(tenant_id=tenant.id, secret_key="k" * 48)
    db.add(WebhookSecret(tenant_id=tenant.id, secret_hash=credentials.webhook_secret_hash(derived)))
    db.commit()
    monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", "k" * 48)
    secret_key("new-server-key-" + "n" * 40)

    report = credentials.reencrypt_stored_secrets(db)

    assert (report.reencrypted, report.recovered, report.unreadable) == (0, 1, [])
    monkeypatch.delenv("AVA_SECRET_KEY_PREVIOUS")
    secret_key("new-server-key-" + "n" * 40)
    assert credentials.ensure_tenant_webhook_secret(db, tenant_id=tenant.id) == (derived, False)


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


def test_calendar_tokens_move_to_the_current_key_and_an_unreadable_access_token_is_dropped(db, secret_key, monkeypatch):
    tenant, other = make_tenant(db), make_tenant(db)
    google = CalendarConnection(
        tenant_id=tenant.id,
        provider="google",
        refresh_token_encrypted=credentials.encrypt_text("refresh-google"),
        access_token_encrypted=credentials.encrypt_text("access-google"),
        access_token_expires_at=utcnow(),
    )
    db.add(google)
    db.commit()
    before = google.refresh_token_encrypted
    monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", "k" * 48)
    secret_key("new-server-key-" + "n" * 40)
    # A connection saved after the change, with an access token no key opens (say, copied from another server).
    microsoft = CalendarConnection(
        tenant_id=other.id,
        provider="microsoft",
        refresh_token_encrypted=credentials.encrypt_text("refresh-microsoft"),
        access_token_encrypted="not-a-fernet-token",
    )
    db.add(microsoft)
    db.commit()

    report = credentials.reencrypt_stored_secrets(db)

    assert (report.reencrypted, report.unreadable) == (2, [])
    monkeypatch.delenv("AVA_SECRET_KEY_PREVIOUS")
    secret_key("new-server-key-" + "n" * 40)
    db.expire_all()
    google, microsoft = db.get(CalendarConnection, google.id), db.get(CalendarConnection, microsoft.id)
    assert google.refresh_token_encrypted != before
    assert credentials.decrypt_text(google.refresh_token_encrypted) == "refresh-google"
    assert credentials.decrypt_text(google.access_token_encrypted) == "access-google"
    assert credentials.decrypt_text(microsoft.refresh_token_encrypted) == "refresh-microsoft"
    assert (microsoft.access_token_encrypted, microsoft.access_token_expires_at) == (None, None)


def test_a_calendar_token_no_key_opens_is_reported(db, secret_key):
    tenant = make_tenant(db)
    db.add(
        CalendarConnection(
            tenant_id=tenant.id, provider="google", refresh_token_encrypted=credentials.encrypt_text("old")
        )
    )
    db.commit()
    secret_key("new-server-key-" + "n" * 40)
    report = credentials.reencrypt_stored_secrets(db)
    assert report.unreadable == [f"tenant {tenant.id}: google calendar connection"]


def test_reencrypting_moves_webhook_endpoint_secrets_to_the_current_key(db, secret_key, monkeypatch):
    from ava_app.models import WebhookEndpoint
    from ava_app.services import webhooks_out
    from ava_app.services.principal import Principal
    from tests.factories import make_user

    tenant = make_tenant(db)
    admin = make_user(db, tenant=tenant, role="admin")
    principal = Principal(user_id=admin.id, tenant_id=tenant.id, role="admin")
    first = webhooks_out.create_endpoint(
        db, principal=principal, url="https://hooks.example.com/a", event_types=["call.ended"]
    )
    second = webhooks_out.rotate_secret(db, principal=principal, endpoint_id=first.endpoint.id)

    monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", "k" * 48)
    secret_key("new-server-key-" + "n" * 40)
    report = credentials.reencrypt_stored_secrets(db)
    assert (report.reencrypted, report.unreadable) == (1, [])

    monkeypatch.delenv("AVA_SECRET_KEY_PREVIOUS")
    secret_key("new-server-key-" + "n" * 40)
    db.expire_all()
    row = db.get(WebhookEndpoint, first.endpoint.id)
    assert credentials.decrypt_text(row.secret_encrypted) == second.secret
    assert credentials.decrypt_text(row.previous_secret_encrypted) == first.secret
