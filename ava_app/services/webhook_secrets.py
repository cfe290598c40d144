"""An organisation's own Vapi webhook secret, as its admins see and rotate it from /settings/integrations.

The secret itself never leaves the server: the page shows whether there is one, since when, and until when a replaced
one is still accepted. Rotating makes a new random secret (``credentials.rotate_tenant_webhook_secret``), keeps the old
one accepted for ``credentials.WEBHOOK_SECRET_GRACE`` and queues the push of every assistant and number of the
organisation at Vapi, which carry the secret, through the usual sync jobs.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from ava_app.services import audit, credentials
from ava_app.services.assistants import enqueue_vapi_resync
from ava_app.services.errors import Conflict
from ava_app.services.principal import Principal


class WebhookSecretStatus(BaseModel):
    """What the settings page shows of the organisation's webhook secret (never the secret): since when the current
    one is in use (None without one), and until when a replaced one is still accepted (None when none is)."""

    since: datetime | None = None
    previous_until: datetime | None = None


def webhook_secret_status(session: Session, *, principal: Principal) -> WebhookSecretStatus:
    """The dates of the organisation's webhook secret (it has one on its own Vapi account). Admins only."""
    tenant_id = principal.require_admin()
    status = credentials.webhook_secret_status(session, tenant_id=tenant_id)
    return WebhookSecretStatus(since=status["since"], previous_until=status["previous_until"])


def rotate_webhook_secret(session: Session, *, principal: Principal) -> WebhookSecretStatus:
    """Replace the organisation's webhook secret and push the new one to its assistants and numbers at Vapi.

    Admins only. Conflict when the organisation is on the platform's Vapi account (whose secret is the platform's).
    """
    tenant_id = principal.require_admin()
    if not credentials.has_credential(session, tenant_id=tenant_id, provider="vapi"):
        raise Conflict(
            "Only an organisation on its own Vapi account has a webhook secret of its own.", code="no_own_vapi_account"
        )
    until = credentials.rotate_tenant_webhook_secret(session, tenant_id=tenant_id)
    audit.record(
        session,
        action="webhook_secret_rotated",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"previous_until": until.isoformat(timespec="seconds")},
    )
    session.commit()
    # Queued once committed, so each push reads the new secret.
    enqueue_vapi_resync(session, tenant_id=tenant_id)
    return webhook_secret_status(session, principal=principal)
