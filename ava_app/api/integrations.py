"""Provider credentials per tenant: list (masked), save, remove, test connection. Admins, in person (no API key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from ava_app.api.auth_deps import AdminUserDep
from ava_app.api.deps import SessionDep
from ava_app.services import integrations

router = APIRouter(prefix="/integrations", tags=["integrations"])


@router.get("")
def list_integrations(principal: AdminUserDep, session: SessionDep) -> list[dict]:
    """Every provider, with a masked hint where the organisation saved its own credential."""
    return integrations.list_integrations(session, principal=principal)


@router.put("/{provider}")
def save_integration(
    principal: AdminUserDep,
    session: SessionDep,
    provider: str,
    secret: dict[str, Any],
) -> dict:
    """Save the organisation's own credential (stored encrypted; only a masked hint comes back)."""
    return integrations.save_integration(session, principal=principal, provider=provider, secret=secret)


@router.delete("/{provider}", status_code=204)
def remove_integration(provider: str, principal: AdminUserDep, session: SessionDep) -> None:
    """Forget the organisation's credential; the platform's is used again."""
    integrations.remove_integration(session, principal=principal, provider=provider)


@router.post("/{provider}/test")
async def test_integration(
    principal: AdminUserDep,
    session: SessionDep,
    provider: str,
    secret: dict[str, Any] | None = None,
) -> integrations.ConnectionResult:
    """Try the typed (or saved) credential against the provider and say plainly whether it works.

    A saved SMTP password is only used with the server it was saved for (422 on the password field otherwise); every
    SMTP failure has the same message, the audit log says what happened.
    """
    merged = await run_in_threadpool(
        integrations.secret_for_test, session, principal=principal, provider=provider, entered=secret or {}
    )
    result = await integrations.test_connection(provider=provider, secret=merged)
    await run_in_threadpool(
        integrations.record_test, session, principal=principal, provider=provider, secret=merged, result=result
    )
    return result
