"""Provider credentials per tenant, as the settings page manages them: save, list masked, remove, test connection.

Admins only, logged in as a person (never an API key). Secrets are stored encrypted (``credentials``) and never
returned; a test runs the provider's real client against the real service, or its emulator in sandbox mode, and
answers in one clear sentence.

Vapi, Twilio and OpenAI are reached at the platform's addresses; only SMTP goes where the organisation says, so SMTP
is guarded: a saved password is only used with the server it was saved for (another host, port or TLS mode needs it
typed again), never without TLS, and in production only towards public addresses on mail ports
(``smtp_connection``). Every SMTP failure reads the same to the user, so the test cannot tell a closed port from a
refused password (a port scanner); what happened goes to the audit log.
"""

from __future__ import annotations

from typing import Any

import aiosmtplib
from openai import APIConnectionError, APIStatusError, AsyncOpenAI, AuthenticationError
from pydantic import BaseModel, Field
from sqlmodel import Session

from ava_app.services import audit, credentials
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.messaging.smtp_connection import check_smtp_secret, open_smtp, smtp_target
from ava_app.services.outbound_guard import OutboundRefused
from ava_app.services.principal import Principal
from ava_app.services.providers import twilio
from ava_app.services.providers.vapi import VapiClient, vapi_endpoint
from ava_app.settings import get_settings

SMTP_TEST_TIMEOUT_SECONDS = 10
SMTP_TEST_FAILED = "The connection test failed. Check the host, port, security, username and password."


class ConnectionResult(BaseModel):
    """Outcome of a "Test connection": ``ok`` and a sentence the page shows as is.

    ``message_key`` (a catalogue key for the page's language) and ``reason`` (what happened, for the audit log) stay
    on the server: neither is part of the API's answer.
    """

    provider: str
    ok: bool
    message: str
    message_key: str = Field(default="", exclude=True)
    reason: str = Field(default="", exclude=True)


def _require_admin_in_person(principal: Principal) -> int:
    """The tenant id; Forbidden for an API key (credentials need the person) and for non-admins."""
    principal.require_user()
    return principal.require_admin()


def list_integrations(session: Session, *, principal: Principal) -> list[dict]:
    """Every provider with its masked hint when the tenant saved its own credential (else the platform's is used)."""
    tenant_id = _require_admin_in_person(principal)
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
    """Store (encrypted) the tenant's own credential for ``provider``; returns its masked summary.

    An SMTP credential is refused when it would send its password in clear or, in production, to a port other than
    25/465/587 or to a non-public IP address (``Invalid`` by field).
    """
    tenant_id = _require_admin_in_person(principal)
    if provider == "smtp" and isinstance(secret, dict):
        check_smtp_secret(secret)
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
    tenant_id = _require_admin_in_person(principal)
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
    """What to test or save: the values just typed, completed by the saved credential for fields left blank.

    The saved SMTP password only completes a form aimed at the server it was saved for: another host, port or TLS
    mode without the password typed again is ``Invalid`` (field ``password``: ``retype_password``), and so is a
    username or password with ``tls: none`` (field ``tls``).
    """
    tenant_id = _require_admin_in_person(principal)
    if provider not in credentials.PROVIDER_FIELDS:
        raise Invalid(fields={"provider": "Unknown provider."})
    saved = credentials.get_credential(session, tenant_id=tenant_id, provider=provider) or {}
    typed = {key: value for key, value in entered.items() if value not in (None, "")}
    merged = {**saved, **typed}
    if provider == "smtp":
        if saved.get("password") and "password" not in typed and smtp_target(merged) != smtp_target(saved):
            raise Invalid(
                "Type the password again to use it with another server, port or security mode.",
                fields={"password": "retype_password"},
            )
        check_smtp_secret(merged)
    return merged


def record_test(
    session: Session, *, principal: Principal, provider: str, secret: dict[str, Any], result: ConnectionResult
) -> None:
    """Write a connection test to the audit log: where an SMTP test went and, when it failed, why."""
    tenant_id = _require_admin_in_person(principal)
    detail: dict[str, Any] = {"provider": provider, "ok": result.ok}
    if provider == "smtp":
        target = smtp_target(secret)
        detail |= {"host": target.host[:253], "port": target.port, "tls": target.tls}
    if result.reason:
        detail["reason"] = result.reason
    audit.record(session, action="integration_tested", tenant_id=tenant_id, user_id=principal.user_id, detail=detail)
    session.commit()


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
    except _SmtpTestFailed as failure:
        return ConnectionResult(
            provider=provider,
            ok=False,
            message=SMTP_TEST_FAILED,
            message_key="integrations.smtp_failed",
            reason=failure.reason,
        )
    except DomainError as error:
        return ConnectionResult(provider=provider, ok=False, message=error.message, reason=error.code)
    return ConnectionResult(provider=provider, ok=True, message=message)


async def _test_vapi(secret: dict[str, Any]) -> str:
    endpoint = vapi_endpoint()
    client = VapiClient(base_url=endpoint.base_url, api_key=secret["api_key"], max_attempts=1)
    try:
        assistants = await client.list_assistants(limit=1)
    finally:
        await client.aclose()
    return f"Connected to Vapi ({len(assistants)} assistant{'s' if len(assistants) != 1 else ''} visible)."


async def _test_twilio(secret: dict[str, Any]) -> str:
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
    target = smtp_target(secret)
    if not target.host:
        return _refused("Enter the SMTP host.")
    # The checks of secret_for_test, again: test_connection may be called with a secret built elsewhere.
    try:
        check_smtp_secret(secret)
    except Invalid as error:
        raise _SmtpTestFailed(f"invalid: {sorted(error.details.get('fields', {}))}") from None
    client: aiosmtplib.SMTP | None = None
    try:
        client = await open_smtp(target, timeout=SMTP_TEST_TIMEOUT_SECONDS)
        if secret.get("username"):
            await client.login(str(secret["username"]), str(secret.get("password") or ""))
        else:
            await client.ehlo()
    except OutboundRefused:
        # One reason for a private address, a name that does not resolve and a port that is not allowed: the audit
        # log must not map the inside network either.
        raise _SmtpTestFailed("destination_refused") from None
    except aiosmtplib.SMTPAuthenticationError as error:
        raise _SmtpTestFailed(f"authentication_refused: {error.code}") from None
    except (aiosmtplib.SMTPException, OSError, ValueError) as error:
        raise _SmtpTestFailed(f"connection_failed: {type(error).__name__}") from None
    finally:
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
    return f"Connected to {target.host}:{target.port}."


class _SmtpTestFailed(Exception):
    """An SMTP test that did not get through; ``reason`` is for the audit log, never for the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refused(message: str) -> str:
    raise DomainError(message, code="connection_failed")
