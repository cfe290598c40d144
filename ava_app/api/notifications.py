"""/api/v1/me/notifications: how the caller hears about calls in their current organisation."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import UserDep
from ava_app.api.deps import SessionDep
from ava_app.models import NOTIFY_MODES
from ava_app.services import notification_settings
from ava_app.services.errors import Invalid
from ava_app.services.notification_settings import PER_CALL_MODES, NotificationSettingsOut

router = APIRouter(tags=["notifications"])


class NotificationSettingsIn(BaseModel):
    """Either the page's two choices (``per_call`` and/or ``digest``; one left out keeps its value), or the older
    single ``mode``."""

    per_call: str | None = Field(default=None, max_length=10, description=" | ".join(PER_CALL_MODES))
    digest: bool | None = None
    mode: str | None = Field(
        default=None, max_length=10, description="older single choice: " + " | ".join(NOTIFY_MODES)
    )


@router.get("/me/notifications")
def get_notifications(principal: UserDep, session: SessionDep) -> NotificationSettingsOut:
    """The caller's call emails: ``per_call`` (every, action, never), ``digest`` (daily), and the older ``mode``."""
    return notification_settings.get_notification_settings(session, principal=principal)


@router.put("/me/notifications")
def put_notifications(
    principal: UserDep,
    session: SessionDep,
    body: NotificationSettingsIn,
) -> NotificationSettingsOut:
    """Change the caller's call emails in their current organisation: per call, daily digest (or the older mode)."""
    if body.per_call is None and body.digest is None:
        if body.mode is None:
            raise Invalid("Give per_call, digest or mode.", fields={"per_call": "required"})
        return notification_settings.set_notification_settings(session, principal=principal, mode=body.mode)
    current = notification_settings.get_notification_settings(session, principal=principal)
    return notification_settings.save_notification_preferences(
        session,
        principal=principal,
        per_call=body.per_call if body.per_call is not None else current.per_call,
        digest=body.digest if body.digest is not None else current.digest,
    )
