"""Provider credentials per tenant, as the settings page manages them: save, list masked, remove, test connection.

Admins only. Secrets are stored encrypted (``credentials``) and never returned; a test runs the provider's real
client against the real service, or its emulator in sandbox mode, and answers in one clear sentence.
"""

from __future__ import annotations

from typing import Any

import aiosmtplib
from openai import APIConnectionError, APIStatusError, AsyncOpenAI, AuthenticationError
from pydantic import BaseModel
from sqlmodel import Session

from ava_app.services import audit, credentials
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.principal import Principal
from ava_app.settings import get_settings

SMTP_TEST_TIMEOUT_SECONDS = 10


class ConnectionResult(BaseModel):
    """Outcome of a "Test connection": ``ok`` and a sentence the page shows as is."""

    provider: str
    ok: bool
    message: str


def list_integrations(session: Session, *, principal: Principal) -> list[dict]:
    """Every provider with its masked hint when the tenant saved its own credential (else the platform's is used)."""
    tenant_id = principal.require_admin()
    saved = {row["provider"]: row for row in credentials.list_credentials(session, tenant_id=tenant_id)}
    return [
        {
            "provider": provider,
            "fields": [*credentials.PROVIDER_FIELDS[provider], *credentials.OPTIONAL_FIELDS.get(provider, ())],
            "configured": provider in saved,
            "hint": saved.get(provider, {}).get("hint", ""),
            "readable": saved.get(provider, {}).get("readable", True),
        }
        for provider in credentials.PROVIDERS
    ]


def save_integration(session: Session, *, principal: Principal, provider: str, secret: dict[str, Any]) -> dict:
    """Store (encrypted) the tenant's own credential for ``provider``; returns its masked summary."""
    tenant_id = principal.require_admin()
    saved = credentials.save_credential(session, tenant_id=tenant_id, provider=provider, secret=secret)
    audit.record(
        session,
        action="credential_saved",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"provider": provider},
    )
    session.commit()
    return saved


def remove_integration(session: Session, *, principal: Principal, provider: str) -> bool:
    """Forget the tenant's credential: AVA falls back to the platform's (or the sandbox)."""
    tenant_id = principal.require_admin()
    removed = credentials.delete_credential(session, tenant_id=tenant_id, provider=provider)
    if removed:
        audit.record(
            session,
            action="credential_removed",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={"provider": provider},
        )
        session.commit()
    return removed


def secret_for_test(session: Session, *, principal: Principal, provider: str, entered: dict[str, Any]) -> dict:
    """What to test: the values just typed, completed by the saved credential for fields left blank."""
    tenant_id = principal.require_admin()
    if provider not in credentials.PROVIDER_FIELDS:
        raise Invalid(fields={"provider": "Unknown provider."})
    saved = credentials.get_credential(session, tenant_id=tenant_id, provider=provider) or {}
    return {**saved, **{key: value for key, value in entered.items() if value not in (None, "")}}


async def test_connection(*, provider: str, secret: dict[str, Any]) -> ConnectionResult:
    """Try the credential against the provider with its real client; never raises for a provider's refusal."""
    testers = {"vapi": _test_vapi, "twilio": _test_twilio, "openai": _test_openai, "smtp": _test_smtp}
    if provider not in testers:
        raise Invalid(fields={"provider": "Unknown provider."})
    missing = [field for field in credentials.PROVIDER_FIELDS[provider][:2] if not secret.get(field)]
    if provider != "smtp" and missing:
        return ConnectionResult(provider=provider, ok=False, message=f"Enter the {missing[0].replace('_', ' ')}.")
    try:
        message = await testers[provider](secret)
    except DomainError as error:
        return ConnectionResult(provider=provider, ok=False, message=error.message)
    return ConnectionResult(provider=provider, ok=True, message=message)


async def _test_vapi(secret: dict[str, Any]) -> str:
    from ava_app.services.providers.vapi import VapiClient, vapi_endpoint

    endpoint = vapi_endpoint()
    client = VapiClient(base_url=endpoint.base_url, api_key=secret["api_key"], max_attempts=1)
    try:
        assistants = await client.list_assistants(limit=1)
    finally:
        await client.aclose()
    return f"Connected to Vapi ({len(assistants)} assistant{'s' if len(assistants) != 1 else ''} visible)."


async def _test_twilio(secret: dict[str, Any]) -> str:
    from ava_app.services.providers import twilio

    account = await twilio.verify_credentials(account_sid=secret["account_sid"], auth_token=secret["auth_token"])
    return f"Connected to Twilio account {account.get('friendly_name') or account['sid']} ({account.get('status')})."


async def _test_openai(secret: dict[str, Any]) -> str:
    settings = get_settings()
    client = AsyncOpenAI(
        api_key=secret["api_key"], base_url=settings.openai_base_url or None, max_retries=0, timeout=15
    )
    try:
        await client.models.list()
    except AuthenticationError:
        return _refused("OpenAI rejected this API key.")
    except (APIConnectionError, APIStatusError) as error:
        return _refused(f"OpenAI could not be reached ({type(error).__name__}).")
    finally:
        await client.close()
    return "Connected to OpenAI."


async def _test_smtp(secret: dict[str, Any]) -> str:
    host = str(secret.get("host") or "")
    if not host:
        return _refused("Enter the SMTP host.")
    tls = str(secret.get("tls") or "starttls")
    port = int(secret.get("port") or (465 if tls == "ssl" else 587))
    client = aiosmtplib.SMTP(
        hostname=host, port=port, use_tls=tls == "ssl", start_tls=tls == "starttls", timeout=SMTP_TEST_TIMEOUT_SECONDS
    )
    try:
        await client.connect()
        if secret.get("username"):
            await client.login(str(secret["username"]), str(secret.get("password") or ""))
    except aiosmtplib.SMTPAuthenticationError:
        return _refused("The mail server rejected this username or password.")
    except (aiosmtplib.SMTPException, OSError) as error:
        return _refused(f"Could not connect to {host}:{port} ({type(error).__name__}).")
    finally:
        if client.is_connected:
            await client.quit()
    return f"Connected to {host}:{port}."


def _refused(message: str) -> str:
    raise DomainError(message, code="connection_failed")
