"""A tenant's own provider keys (Vapi, Twilio, OpenAI, SMTP), encrypted at rest; the UI only ever sees a masked hint.

Encryption: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from ``AVA_SECRET_KEY`` by HKDF-SHA256. The salt and
info below are fixed and versioned: they separate this use of the secret from any other (session signing...), and the
same secret always yields the same key, so nothing else needs storing. Consequence: rotating ``AVA_SECRET_KEY`` makes
stored credentials unreadable; reading one then raises ``CredentialUnreadable`` (the tenant re-enters it) instead of
crashing. Supporting rotation without re-entry would mean keeping the previous secret and using ``MultiFernet``.

A tenant on its own Vapi account gets its own webhook secret (``tenant_webhook_secret``): an HMAC of its id under
``AVA_SECRET_KEY``, so nothing is stored in clear; only its sha256 goes into ``Tenant.webhook_secret_hash``, set
when the Vapi key is saved and cleared when it is removed, which is how the webhook route recognises the tenant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import ProviderCredential, Tenant, utcnow
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.providers.llm import OpenAIAccess, openai_access
from ava_app.settings import get_settings

log = logging.getLogger(__name__)

# Fields each provider needs; the first one is the one the masked hint is made from.
PROVIDER_FIELDS: dict[str, tuple[str, ...]] = {
    "vapi": ("api_key",),
    "twilio": ("account_sid", "auth_token"),
    "openai": ("api_key",),
    "smtp": ("host", "username", "password"),
}
# Fields a provider may have besides: Vapi's public key only serves browser test calls (it can start web calls only).
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {"vapi": ("public_key",)}
PROVIDERS = tuple(PROVIDER_FIELDS)

_KDF_SALT = b"ava.provider-credentials"
_KDF_INFO = b"fernet-key.v1"
_TENANT_WEBHOOK_CONTEXT = b"ava-vapi-tenant-webhook-secret.v1:"


class CredentialUnreadable(DomainError):
    """This saved credential can no longer be read (the server key changed). Please enter it again."""

    status_code = 409
    code = "credential_unreadable"


def save_credential(session: Session, *, tenant_id: int, provider: str, secret: dict) -> dict:
    """Encrypt and store (or replace) a tenant's credential for ``provider``; returns ``{provider, hint, updated_at}``.

    ``secret`` holds string fields, e.g. ``{"account_sid": ..., "auth_token": ...}`` for Twilio.
    """
    _check(provider, secret)
    encrypted = _fernet().encrypt(json.dumps(secret, sort_keys=True).encode()).decode()
    hint = mask(str(secret[PROVIDER_FIELDS[provider][0]]))
    row = _row(session, tenant_id=tenant_id, provider=provider)
    if row is None:
        row = ProviderCredential(tenant_id=tenant_id, provider=provider, secret_encrypted=encrypted, hint=hint)
    else:
        row.secret_encrypted, row.hint, row.updated_at = encrypted, hint, utcnow()
    session.add(row)
    if provider == "vapi":
        _set_webhook_secret_hash(session, tenant_id=tenant_id, enabled=True)
    try:
        session.commit()
    except IntegrityError:
        # Two saves raced on the (tenant_id, provider) unique constraint: the other one won, overwrite it.
        session.rollback()
        row = _row(session, tenant_id=tenant_id, provider=provider)
        row.secret_encrypted, row.hint, row.updated_at = encrypted, hint, utcnow()
        session.add(row)
        if provider == "vapi":
            _set_webhook_secret_hash(session, tenant_id=tenant_id, enabled=True)
        session.commit()
    return _public(row, readable=True)


def get_credential(session: Session, *, tenant_id: int, provider: str) -> dict | None:
    """The decrypted secret, or None when the tenant has none (the caller falls back to the platform's).

    Backend use only: never put the result in UI state, an API response or a log line.
    Raises ``CredentialUnreadable`` when the secret was encrypted under another ``AVA_SECRET_KEY``.
    """
    row = _row(session, tenant_id=tenant_id, provider=provider)
    if row is None:
        return None
    try:
        return json.loads(_fernet().decrypt(row.secret_encrypted.encode()))
    except InvalidToken:
        raise CredentialUnreadable(provider=provider) from None


def list_credentials(session: Session, *, tenant_id: int) -> list[dict]:
    """The tenant's credentials for the settings page: ``{provider, hint, updated_at, readable}``, never a secret.

    ``readable`` is False for credentials saved under a previous server key, so the page can ask for them again.
    """
    rows = session.exec(
        select(ProviderCredential)
        .where(ProviderCredential.tenant_id == tenant_id)
        .order_by(col(ProviderCredential.provider))
    ).all()
    fernet = _fernet()
    return [_public(row, readable=_decrypts(fernet, row.secret_encrypted)) for row in rows]


def delete_credential(session: Session, *, tenant_id: int, provider: str) -> bool:
    """Remove a tenant's credential (it falls back to the platform's); False when there was none."""
    row = _row(session, tenant_id=tenant_id, provider=provider)
    if row is None:
        return False
    session.delete(row)
    if provider == "vapi":
        # Back on the platform's Vapi account, whose messages carry the platform secret: the tenant's stops working.
        _set_webhook_secret_hash(session, tenant_id=tenant_id, enabled=False)
    session.commit()
    return True


def tenant_webhook_secret(*, tenant_id: int) -> str:
    """The ``X-Vapi-Secret`` of a tenant on its own Vapi account: derived from ``AVA_SECRET_KEY``, never stored."""
    message = _TENANT_WEBHOOK_CONTEXT + str(tenant_id).encode()
    digest = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()
    return "whsec_t_" + digest[:40]


def webhook_secret_hash(secret: str) -> str:
    """How a webhook secret is stored and looked up (``call_ingest.tenant_for_webhook_secret``)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def ensure_tenant_webhook_secret(session: Session, *, tenant_id: int) -> str:
    """The tenant's webhook secret, recording its hash first if it is missing or stale; commits only then.

    A Vapi key saved before AVA derived tenant secrets, or a changed ``AVA_SECRET_KEY``, leaves a missing or
    stale hash; checking before every push keeps the secret sent to Vapi and the one the route accepts in step.
    """
    secret = tenant_webhook_secret(tenant_id=tenant_id)
    tenant = session.get(Tenant, tenant_id)
    if tenant is not None and tenant.webhook_secret_hash != webhook_secret_hash(secret):
        tenant.webhook_secret_hash = webhook_secret_hash(secret)
        session.add(tenant)
        session.commit()
    return secret


def _set_webhook_secret_hash(session: Session, *, tenant_id: int, enabled: bool) -> None:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return
    tenant.webhook_secret_hash = webhook_secret_hash(tenant_webhook_secret(tenant_id=tenant_id)) if enabled else None
    session.add(tenant)


def openai_access_for(session: Session, *, tenant_id: int | None) -> OpenAIAccess | None:
    """The OpenAI key a tenant's AI work uses: its own, else the platform's; None means the local fallback.

    A saved key that can no longer be read (the server key changed) falls back to the platform's with a warning:
    a call summarised on the platform's key beats a summary that fails until someone re-enters the key.
    """
    own = None
    if tenant_id is not None:
        try:
            own = get_credential(session, tenant_id=tenant_id, provider="openai")
        except CredentialUnreadable:
            log.warning("tenant %s: its OpenAI key cannot be read any more; using the platform's", tenant_id)
    return openai_access(tenant_key=str(own["api_key"]) if own and own.get("api_key") else None)


def mask(value: str) -> str:
    """A hint that identifies a key without revealing it: ``AC12…cd56``; short values show even less."""
    value = value.strip()
    if len(value) >= 16:
        return f"{value[:4]}…{value[-4:]}"
    if len(value) >= 8:
        return f"…{value[-2:]}"
    return "…"


SMTP_TLS_MODES = ("none", "starttls", "ssl")


def _check(provider: str, secret: dict) -> None:
    if provider not in PROVIDER_FIELDS:
        raise Invalid(f"Unknown provider {provider!r}.", fields={"provider": "unknown"})
    if not isinstance(secret, dict):
        raise Invalid("The credential must be a set of fields.", fields={"secret": "invalid"})
    if not all(isinstance(value, str | int | bool) or value is None for value in secret.values()):
        raise Invalid("Credential fields must be text or numbers.", fields={"secret": "invalid"})
    problems = {name: "required" for name in PROVIDER_FIELDS[provider] if not str(secret.get(name) or "").strip()}
    if provider == "smtp":
        port, tls = str(secret.get("port") or "").strip(), str(secret.get("tls") or "").strip()
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            problems["port"] = "port"
        if tls and tls not in SMTP_TLS_MODES:
            problems["tls"] = "tls"
    if problems:
        raise Invalid("Some fields are missing or not valid.", fields=problems)


def _row(session: Session, *, tenant_id: int, provider: str) -> ProviderCredential | None:
    return session.exec(
        select(ProviderCredential).where(
            ProviderCredential.tenant_id == tenant_id, ProviderCredential.provider == provider
        )
    ).first()


def _public(row: ProviderCredential, *, readable: bool) -> dict:
    return {
        "provider": row.provider,
        "hint": row.hint,
        "updated_at": row.updated_at.isoformat(timespec="seconds"),
        "readable": readable,
    }


def _decrypts(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _fernet() -> Fernet:
    return _fernet_for(get_settings().secret_key)


@lru_cache(maxsize=4)
def _fernet_for(secret_key: str) -> Fernet:
    """Cached per secret so a settings reload (tests, key rotation) derives a new key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, info=_KDF_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))
