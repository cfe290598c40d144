"""How a member hears about calls in their current organisation: every call, only those needing action, a daily
digest, or never (``Membership.notify_mode``)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, select

from ava_app.models import NOTIFY_MODES, Membership
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal


class NotificationSettingsOut(BaseModel):
    """The caller's mode in their current organisation, and the modes there are."""

    mode: str
    modes: list[str]


def get_notification_settings(session: Session, *, principal: Principal) -> NotificationSettingsOut:
    """The caller's call-email mode in their current organisation."""
    membership = _membership(session, principal=principal)
    return NotificationSettingsOut(mode=membership.notify_mode, modes=list(NOTIFY_MODES))


def set_notification_settings(session: Session, *, principal: Principal, mode: str) -> NotificationSettingsOut:
    """Change the caller's call-email mode (one of NOTIFY_MODES); any member may, viewers included."""
    if mode not in NOTIFY_MODES:
        raise Invalid("Choose one of: " + ", ".join(NOTIFY_MODES) + ".", fields={"mode": "invalid"})
    membership = _membership(session, principal=principal)
    membership.notify_mode = mode
    session.add(membership)
    session.commit()
    return NotificationSettingsOut(mode=mode, modes=list(NOTIFY_MODES))


def _membership(session: Session, *, principal: Principal) -> Membership:
    # A person, not an API key: the setting is about where that person's inbox gets mail.
    user_id = principal.require_user()
    tenant_id = principal.require_member()
    membership = session.exec(
        select(Membership).where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
    ).first()
    if membership is None:
        raise NotFound("You are not a member of this organisation.")
    return membership
