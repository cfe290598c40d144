"""Provider credentials per tenant: list (masked), save, remove, test connection. Admins, in person (no API key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from ava_app.api.auth_deps import require_admin_user
from ava_app.api.deps import get_session
from ava_app.services import integrations
from ava_app.services.principal import Principal

router = APIRouter(prefix="/integrations", tags=["integrations"])


@router.get("")
def list_integrations(
    principal: Principal = Depends(require_admin_user), session: Session = Depends(get_session)
) -> list[dict]:
    """Every provider, with a masked hint where the organisation saved its own credential."""
    return integrations.list_integrations(session, principal=principal)


@router.put("/{provider}")
def save_integration(
    provider: str,
    secret: dict[str, Any],
    principal: Principal = Depends(require_admin_user),
    session: Session = Depends(get_session),
) -> dict:
    """Save the organisation's own credential (stored encrypted; only a masked hint comes back)."""
    return integrations.save_integration(session, principal=principal, provider=provider, secret=secret)


@router.delete("/{provider}", status_code=204)
def remove_integration(
    provider: str, principal: Principal = Depends(require_admin_user), session: Session = Depends(get_session)
) -> None:
    """Forget the organisation's credential; the platform's is used again."""
    integrations.remove_integration(session, principal=principal, provider=provider)


@router.post("/{provider}/test")
async def test_integration(
    provider: str,
    secret: dict[str, Any] | None = None,
    principal: Principal = Depends(require_admin_user),
    session: Session = Depends(get_session),
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
