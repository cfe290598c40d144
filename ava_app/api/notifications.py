"""/api/v1/me/notifications: how the caller hears about calls in their current organisation."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import UserDep
from ava_app.api.deps import SessionDep
from ava_app.models import NOTIFY_MODES
from ava_app.services import notification_settings
from ava_app.services.notification_settings import NotificationSettingsOut

router = APIRouter(tags=["notifications"])


class NotificationSettingsIn(BaseModel):
    mode: str = Field(max_length=10, description=" | ".join(NOTIFY_MODES))


@router.get("/me/notifications")
def get_notifications(principal: UserDep, session: SessionDep) -> NotificationSettingsOut:
    """The caller's call-email mode: every, action (only calls needing action), digest (daily) or never."""
    return notification_settings.get_notification_settings(session, principal=principal)


@router.put("/me/notifications")
def put_notifications(
    principal: UserDep,
    session: SessionDep,
    body: NotificationSettingsIn,
) -> NotificationSettingsOut:
    """Change the caller's call-email mode in their current organisation."""
    return notification_settings.set_notification_settings(session, principal=principal, mode=body.mode)
