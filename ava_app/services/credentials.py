"""A tenant's own provider keys (Vapi, Twilio, OpenAI, SMTP), encrypted at rest; the UI only ever sees a masked hint.

Encryption: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from ``AVA_SECRET_KEY`` by HKDF-SHA256. The salt and
info below are fixed and versioned: they separate this use of the secret from any other (session signing...), and the
same secret always yields the same key, so nothing else needs storing. Keys listed in ``AVA_SECRET_KEY_PREVIOUS`` are
tried too (``MultiFernet``: encrypt with the current key, decrypt with any), so the server key can be rotated:
``reencrypt_stored_secrets`` (``python -m ava_app.manage rotate-secret-key``) then moves every stored secret to the
current key, after which the old one can be dropped. A secret no known key opens raises ``CredentialUnreadable``
(the tenant re-enters it) instead of crashing.

A tenant on its own Vapi account gets its own webhook secret (``X-Vapi-Secret``): random, stored encrypted in
``WebhookSecret`` with its sha256 for the webhook route's lookup, made when the Vapi key is saved and forgotten when
it is removed. Rotating it (``rotate_tenant_webhook_secret``) keeps the replaced one accepted for
``WEBHOOK_SECRET_GRACE`` while the assistants are pushed again with the new one. Secrets from before this (derived from
``AVA_SECRET_KEY``, only their hash kept) keep working; their value is recovered and stored on the next push.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from ava_app.models import CalendarConnection, ProviderCredential, WebhookEndpoint, WebhookSecret, utcnow
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
# How tenant webhook secrets were derived before they were random: only to recover the value of such a secret.
_LEGACY_WEBHOOK_CONTEXT = b"ava-vapi-tenant-webhook-secret.v1:"
# How long a replaced tenant webhook secret is still accepted: the assistants' re-sync, retries included, fits in it.
WEBHOOK_SECRET_GRACE = timedelta(hours=24)
_REENCRYPT_BATCH = 500


class CredentialUnreadable(DomainError):
    """This saved credential can no longer be read (the server key changed). Please enter it again."""

    status_code = 409
    code = "credential_unreadable"


def save_credential(session: Session, *, tenant_id: int, provider: str, secret: dict) -> dict:
    """Encrypt and store (or replace) a tenant's credential for ``provider``; returns ``{provider, hint, updated_at}``.

    ``secret`` holds string fields, e.g. ``{"account_sid": ..., "auth_token": ...}`` for Twilio.
    """
    _check(provider, secret)
    encrypted = encrypt_text(json.dumps(secret, sort_keys=True))
    hint = mask(str(secret[PROVIDER_FIELDS[provider][0]]))
    row = _row(session, tenant_id=tenant_id, provider=provider)
    if row is None:
        row = ProviderCredential(tenant_id=tenant_id, provider=provider, secret_encrypted=encrypted, hint=hint)
    else:
        row.secret_encrypted, row.hint, row.updated_at = encrypted, hint, utcnow()
    session.add(row)
    if provider == "vapi":
        _ensure_current_row(session, tenant_id=tenant_id)
    try:
        session.commit()
    except IntegrityError:
        # Two saves raced on the (tenant_id, provider) unique constraint: the other one won, overwrite it.
        session.rollback()
        row = _row(session, tenant_id=tenant_id, provider=provider)
        assert row is not None, "the unique constraint failed on this very row"
        row.secret_encrypted, row.hint, row.updated_at = encrypted, hint, utcnow()
        session.add(row)
        if provider == "vapi":
            _ensure_current_row(session, tenant_id=tenant_id)
        session.commit()
    return _public(row, readable=True)


def get_credential(session: Session, *, tenant_id: int, provider: str) -> dict | None:
    """The decrypted secret, or None when the tenant has none (the caller falls back to the platform's).

    Backend use only: never put the result in UI state, an API response or a log line.
    Raises ``CredentialUnreadable`` when the secret was encrypted under a server key that is no longer known.
    """
    row = _row(session, tenant_id=tenant_id, provider=provider)
    if row is None:
        return None
    try:
        return json.loads(_fernet().decrypt(row.secret_encrypted.encode()))
    except InvalidToken:
        raise CredentialUnreadable(provider=provider) from None


def has_credential(session: Session, *, tenant_id: int, provider: str) -> bool:
    """Whether the tenant saved its own credential for ``provider`` (readable or not)."""
    return _row(session, tenant_id=tenant_id, provider=provider) is not None


def list_credentials(session: Session, *, tenant_id: int) -> list[dict]:
    """The tenant's credentials for the settings page: ``{provider, hint, updated_at, readable}``, never a secret.

    ``readable`` is False for credentials saved under a server key no longer known, so the page asks for them again.
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
        # Back on the platform's Vapi account, whose messages carry the platform secret: the tenant's stop working.
        session.exec(delete(WebhookSecret).where(col(WebhookSecret.tenant_id) == tenant_id))
    session.commit()
    return True


def webhook_secret_hash(secret: str) -> str:
    """How a webhook secret is stored and looked up (``ingest.events.tenant_for_webhook_secret``)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class EnsuredSecret(NamedTuple):
    """The tenant's current webhook secret; ``replaced`` when it had to be made anew (push every assistant again)."""

    secret: str
    replaced: bool


def ensure_tenant_webhook_secret(session: Session, *, tenant_id: int) -> EnsuredSecret:
    """The webhook secret to push for a tenant on its own Vapi account, made first if needed; commits only then.

    A secret from before they were stored (only its hash kept) has its value recovered from ``AVA_SECRET_KEY`` or a
    previous key and stored encrypted: nothing changes at Vapi. When that is impossible (a Vapi key saved before
    tenant secrets existed, a server key gone), a new secret replaces it, the old one accepted for the grace period.
    """
    current = _current_row(session, tenant_id=tenant_id)
    if current is not None and current.secret_encrypted:
        try:
            return EnsuredSecret(_fernet().decrypt(current.secret_encrypted.encode()).decode(), replaced=False)
        except InvalidToken:
            log.warning("tenant %s: its webhook secret cannot be read any more; making a new one", tenant_id)
    elif current is not None:
        recovered = _recover_legacy_secret(tenant_id=tenant_id, secret_hash=current.secret_hash)
        if recovered is not None:
            current.secret_encrypted = encrypt_text(recovered)
            session.add(current)
            session.commit()
            return EnsuredSecret(recovered, replaced=False)
    secret = _install_new_secret(session, tenant_id=tenant_id, now=utcnow())
    session.commit()
    return EnsuredSecret(secret, replaced=True)


def rotate_tenant_webhook_secret(session: Session, *, tenant_id: int, now: datetime | None = None) -> datetime:
    """Give the tenant a new random webhook secret; the replaced ones stay accepted until the returned time.

    Does not commit (the caller records who did it in the same transaction) and pushes nothing: the caller re-syncs.
    """
    now = now or utcnow()
    _install_new_secret(session, tenant_id=tenant_id, now=now)
    return now + WEBHOOK_SECRET_GRACE


def webhook_secret_status(session: Session, *, tenant_id: int, now: datetime | None = None) -> dict:
    """``{active, since, previous_until}`` for the settings page: whether the tenant has a secret of its own, since
    when, and until when a replaced one is still accepted (None when none is). Never the secret."""
    now = now or utcnow()
    rows = session.exec(select(WebhookSecret).where(WebhookSecret.tenant_id == tenant_id)).all()
    current = [row for row in rows if row.expires_at is None]
    grace = [_utc(row.expires_at) for row in rows if row.expires_at is not None and _utc(row.expires_at) > now]
    return {
        "active": bool(current),
        "since": max(_utc(row.created_at) for row in current) if current else None,
        "previous_until": max(grace) if grace else None,
    }


def _current_row(session: Session, *, tenant_id: int) -> WebhookSecret | None:
    return session.exec(
        select(WebhookSecret)
        .where(WebhookSecret.tenant_id == tenant_id, col(WebhookSecret.expires_at).is_(None))
        .order_by(col(WebhookSecret.id).desc())
    ).first()


def _ensure_current_row(session: Session, *, tenant_id: int) -> None:
    """A tenant that just saved its own Vapi key gets a secret unless it has one (saving the key again keeps it)."""
    if _current_row(session, tenant_id=tenant_id) is None:
        _install_new_secret(session, tenant_id=tenant_id, now=utcnow())


def _install_new_secret(session: Session, *, tenant_id: int, now: datetime) -> str:
    """Add a new current secret; the current ones become replaced (accepted for the grace period, value dropped)."""
    session.exec(
        delete(WebhookSecret).where(
            col(WebhookSecret.tenant_id) == tenant_id,
            col(WebhookSecret.expires_at).is_not(None),
            col(WebhookSecret.expires_at) <= now,
        )
    )
    for row in session.exec(
        select(WebhookSecret).where(WebhookSecret.tenant_id == tenant_id, col(WebhookSecret.expires_at).is_(None))
    ).all():
        row.expires_at, row.secret_encrypted = now + WEBHOOK_SECRET_GRACE, None
        session.add(row)
    secret = "whsec_t_" + secrets.token_urlsafe(32)
    session.add(
        WebhookSecret(
            tenant_id=tenant_id,
            secret_hash=webhook_secret_hash(secret),
            secret_encrypted=encrypt_text(secret),
            created_at=now,
        )
    )
    return secret


def legacy_webhook_secret(*, tenant_id: int, secret_key: str) -> str:
    """The secret AVA used to derive for a tenant from a server key (no longer made; recognised to be stored)."""
    digest = hmac.new(secret_key.encode(), _LEGACY_WEBHOOK_CONTEXT + str(tenant_id).encode(), hashlib.sha256)
    return "whsec_t_" + digest.hexdigest()[:40]


def _recover_legacy_secret(*, tenant_id: int, secret_hash: str) -> str | None:
    for key in _server_keys():
        candidate = legacy_webhook_secret(tenant_id=tenant_id, secret_key=key)
        if hmac.compare_digest(webhook_secret_hash(candidate), secret_hash):
            return candidate
    return None


def _utc(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


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


def _decrypts(fernet: MultiFernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def encrypt_text(value: str) -> str:
    """``value`` encrypted under the current server key (a Fernet token)."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(value: str, *, what: str = "secret") -> str:
    """The plain text of an ``encrypt_text`` value (any known server key); ``CredentialUnreadable`` otherwise."""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise CredentialUnreadable(provider=what) from None


class ReencryptReport(NamedTuple):
    """What ``reencrypt_stored_secrets`` did: secrets moved to the current key, old webhook secrets whose value was
    recovered and stored, and secrets no known key opens (left as they are; their tenants enter them again)."""

    reencrypted: int
    recovered: int
    unreadable: list[str]


def reencrypt_stored_secrets(session: Session) -> ReencryptReport:
    """Re-encrypt every stored secret (provider credentials, tenant webhook secrets, calendar tokens, outgoing
    webhook endpoints' signing secrets) under the
    current server key. (A calendar connection under way keeps its PKCE verifier for ten minutes only: not rotated.)

    Run after changing ``AVA_SECRET_KEY`` with the old one in ``AVA_SECRET_KEY_PREVIOUS``; once it reports nothing
    unreadable, the old key can be removed. Safe to run again; commits in batches.
    """
    fernet = _fernet()
    reencrypted, recovered, unreadable = 0, 0, []
    for row, label in _encrypted_rows(session):
        if row.secret_encrypted:
            try:
                row.secret_encrypted = fernet.rotate(row.secret_encrypted.encode()).decode()
            except InvalidToken:
                unreadable.append(label)
                continue
            reencrypted += 1
        elif isinstance(row, WebhookSecret):
            # A webhook secret from before they were stored (a credential's value is never empty): recover and
            # store it while its key is still known.
            value = _recover_legacy_secret(tenant_id=row.tenant_id, secret_hash=row.secret_hash)
            if value is None:
                unreadable.append(label)
                continue
            row.secret_encrypted, recovered = fernet.encrypt(value.encode()).decode(), recovered + 1
        session.add(row)
        if (reencrypted + recovered) % _REENCRYPT_BATCH == 0:
            session.commit()
    for connection in session.exec(select(CalendarConnection).order_by(col(CalendarConnection.id))).all():
        try:
            connection.refresh_token_encrypted = fernet.rotate(connection.refresh_token_encrypted.encode()).decode()
        except InvalidToken:
            unreadable.append(f"tenant {connection.tenant_id}: {connection.provider} calendar connection")
            continue
        # The cached access token is only a cache: one no key opens is dropped and fetched again when needed.
        try:
            if connection.access_token_encrypted:
                connection.access_token_encrypted = fernet.rotate(connection.access_token_encrypted.encode()).decode()
        except InvalidToken:
            connection.access_token_encrypted, connection.access_token_expires_at = None, None
        session.add(connection)
        reencrypted += 1
        if reencrypted % _REENCRYPT_BATCH == 0:
            session.commit()
    for endpoint in session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all():
        try:
            endpoint.secret_encrypted = fernet.rotate(endpoint.secret_encrypted.encode()).decode()
        except InvalidToken:
            unreadable.append(f"tenant {endpoint.tenant_id}: webhook endpoint {endpoint.id}")
            continue
        # The previous secret only signs during a rotation's overlap: one no key opens is dropped.
        try:
            if endpoint.previous_secret_encrypted:
                endpoint.previous_secret_encrypted = fernet.rotate(endpoint.previous_secret_encrypted.encode()).decode()
        except InvalidToken:
            endpoint.previous_secret_encrypted, endpoint.previous_secret_expires_at = None, None
        session.add(endpoint)
        reencrypted += 1
        if reencrypted % _REENCRYPT_BATCH == 0:
            session.commit()
    session.commit()
    return ReencryptReport(reencrypted=reencrypted, recovered=recovered, unreadable=unreadable)


def _encrypted_rows(session: Session) -> Iterable[tuple[ProviderCredential | WebhookSecret, str]]:
    for credential in session.exec(select(ProviderCredential).order_by(col(ProviderCredential.id))).all():
        yield credential, f"tenant {credential.tenant_id}: {credential.provider} credential"
    current = select(WebhookSecret).where(col(WebhookSecret.expires_at).is_(None)).order_by(col(WebhookSecret.id))
    for secret in session.exec(current).all():
        yield secret, f"tenant {secret.tenant_id}: webhook secret"


def _server_keys() -> list[str]:
    settings = get_settings()
    return [settings.secret_key, *settings.previous_secret_keys]


def _fernet() -> MultiFernet:
    """Encrypts under the current server key, decrypts under it or any key of ``AVA_SECRET_KEY_PREVIOUS``."""
    return MultiFernet([_fernet_for(key) for key in _server_keys()])


@lru_cache(maxsize=8)
def _fernet_for(secret_key: str) -> Fernet:
    """Cached per secret so a settings reload (tests, key rotation) derives a new key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, info=_KDF_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))
