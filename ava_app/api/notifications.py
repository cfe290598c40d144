"""/api/v1/me/notifications: how the caller hears about calls in their current organisation."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlmodel import Session

from ava_app.api.auth_deps import current_user
from ava_app.api.deps import get_session
from ava_app.models import NOTIFY_MODES
from ava_app.services import notification_settings
from ava_app.services.notification_settings import NotificationSettingsOut
from ava_app.services.principal import Principal

router = APIRouter(tags=["notifications"])


class NotificationSettingsIn(BaseModel):
    mode: str = Field(max_length=10, description=" | ".join(NOTIFY_MODES))


@router.get("/me/notifications")
def get_notifications(
    principal: Principal = Depends(current_user), session: Session = Depends(get_session)
) -> NotificationSettingsOut:
    """The caller's call-email mode: every, action (only calls needing action), digest (daily) or never."""
    return notification_settings.get_notification_settings(session, principal=principal)


@router.put("/me/notifications")
def put_notifications(
    body: NotificationSettingsIn,
    principal: Principal = Depends(current_user),
    session: Session = Depends(get_session),
) -> NotificationSettingsOut:
    """Change the caller's call-email mode in their current organisation."""
    return notification_settings.set_notification_settings(session, principal=principal, mode=body.mode)
