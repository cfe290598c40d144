"""How a member hears about calls in their current organisation: an email per call (every call, only those needing
action, or none) and, apart from it, a daily digest.

``Membership.notify_mode`` holds the per-call choice and ``Membership.notify_digest`` the digest. The older single
choice ``notify_mode == "digest"`` (no per-call email, a digest) is still read and still accepted by the API, so a
member who picked it keeps getting what they asked for. Saving the preferences page also stamps
``notify_chosen_at``, which the setup checklist reads as "notifications chosen".
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, select

from ava_app.models import NOTIFY_MODES, Membership, utcnow
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal

# The per-call email choices of the preferences page (the digest is a separate switch there).
PER_CALL_MODES = ("every", "action", "never")


class NotificationSettingsOut(BaseModel):
    """The caller's choices in their current organisation, and the modes there are."""

    mode: str
    modes: list[str]
    per_call: str = "every"
    digest: bool = False
    chosen: bool = False


def get_notification_settings(session: Session, *, principal: Principal) -> NotificationSettingsOut:
    """The caller's call-email choices in their current organisation."""
    return _out(_membership(session, principal=principal))


def set_notification_settings(session: Session, *, principal: Principal, mode: str) -> NotificationSettingsOut:
    """Change the caller's call-email mode (one of NOTIFY_MODES); any member may, viewers included.

    ``digest`` means no per-call email and a daily digest; the other modes leave the digest switch as it is.
    """
    if mode not in NOTIFY_MODES:
        raise Invalid("Choose one of: " + ", ".join(NOTIFY_MODES) + ".", fields={"mode": "invalid"})
    membership = _membership(session, principal=principal)
    membership.notify_mode = mode
    if mode == "digest":
        membership.notify_digest = True
    session.add(membership)
    session.commit()
    return _out(membership)


def save_notification_preferences(
    session: Session, *, principal: Principal, per_call: str, digest: bool
) -> NotificationSettingsOut:
    """Save the preferences page: the per-call email (one of PER_CALL_MODES) and the daily digest, for the caller only.

    Any member may, viewers included: it is about their own inbox. Marks the choice as made (the setup checklist).
    """
    if per_call not in PER_CALL_MODES:
        raise Invalid("Choose one of: " + ", ".join(PER_CALL_MODES) + ".", fields={"per_call": "invalid"})
    membership = _membership(session, principal=principal)
    membership.notify_mode = per_call
    membership.notify_digest = bool(digest)
    membership.notify_chosen_at = utcnow()
    session.add(membership)
    session.commit()
    return _out(membership)


def _out(membership: Membership) -> NotificationSettingsOut:
    legacy_digest = membership.notify_mode == "digest"
    return NotificationSettingsOut(
        mode=membership.notify_mode,
        modes=list(NOTIFY_MODES),
        per_call="never" if legacy_digest else membership.notify_mode,
        digest=legacy_digest or bool(membership.notify_digest),
        chosen=membership.notify_chosen_at is not None,
    )


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
