"""How a member hears about calls in their current organisation: an email per call (every call, only those needing
action, or none), apart from it a daily digest, and a text to their confirmed mobile (every call, those needing
action, or none) outside their quiet hours (``member_alerts`` sends those).

``Membership.notify_mode`` holds the per-call choice and ``Membership.notify_digest`` the digest. The older single
choice ``notify_mode == "digest"`` (no per-call email, a digest) is still read and still accepted by the API, so a
member who picked it keeps getting what they asked for. Saving the preferences page also stamps
``notify_chosen_at``, which the setup checklist reads as "notifications chosen".
"""

from __future__ import annotations

import re

from pydantic import BaseModel
from sqlmodel import Session, select

from ava_app.models import NOTIFY_MODES, Membership, Tenant, User, utcnow
from ava_app.services import phones
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal

# The per-call email choices of the preferences page (the digest is a separate switch there).
PER_CALL_MODES = ("every", "action", "never")
SMS_MODES = ("never", "action", "every")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class NotificationSettingsOut(BaseModel):
    """The caller's choices in their current organisation, and the modes there are."""

    mode: str
    modes: list[str]
    per_call: str = "every"
    digest: bool = False
    chosen: bool = False
    sms: str = "never"
    quiet_from: str = ""
    quiet_until: str = ""
    # The member's confirmed mobile as the business's country writes it ("" when none is confirmed yet).
    phone: str = ""


def get_notification_settings(session: Session, *, principal: Principal) -> NotificationSettingsOut:
    """The caller's call-email choices in their current organisation."""
    return _out(_membership(session, principal=principal), session=session)


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
    session: Session,
    *,
    principal: Principal,
    per_call: str,
    digest: bool,
    sms: str | None = None,
    quiet_from: str | None = None,
    quiet_until: str | None = None,
) -> NotificationSettingsOut:
    """Save the preferences page: the per-call email (one of PER_CALL_MODES), the daily digest and, when ``sms`` is
    given, the text alerts (one of SMS_MODES; a confirmed mobile needed) with their quiet hours ("HH:MM" both, or
    neither), for the caller only.

    Any member may, viewers included: it is about their own inbox. Marks the choice as made (the setup checklist).
    """
    if per_call not in PER_CALL_MODES:
        raise Invalid("Choose one of: " + ", ".join(PER_CALL_MODES) + ".", fields={"per_call": "invalid"})
    membership = _membership(session, principal=principal)
    if sms is not None:
        _check_sms(session, membership=membership, sms=sms, quiet=(quiet_from or "", quiet_until or ""))
        membership.notify_sms = sms
        membership.quiet_from, membership.quiet_until = (quiet_from or None), (quiet_until or None)
    membership.notify_mode = per_call
    membership.notify_digest = bool(digest)
    membership.notify_chosen_at = utcnow()
    session.add(membership)
    session.commit()
    return _out(membership, session=session)


def _check_sms(session: Session, *, membership: Membership, sms: str, quiet: tuple[str, str]) -> None:
    if sms not in SMS_MODES:
        raise Invalid("Choose one of: " + ", ".join(SMS_MODES) + ".", fields={"sms": "invalid"})
    user = session.get(User, membership.user_id)
    if sms != "never" and (user is None or not user.phone or user.phone_verified_at is None):
        raise Invalid("Confirm your mobile number in your profile first.", code="notify_sms_no_phone")
    start, end = quiet
    if (
        bool(start) != bool(end)
        or any(value and not _CLOCK.match(value) for value in quiet)
        or (start and start == end)
    ):
        raise Invalid("Give both times of your quiet hours, or neither.", code="notify_quiet_hours")


def _out(membership: Membership, *, session: Session | None = None) -> NotificationSettingsOut:
    legacy_digest = membership.notify_mode == "digest"
    phone = ""
    if session is not None:
        user, tenant = session.get(User, membership.user_id), session.get(Tenant, membership.tenant_id)
        if user is not None and user.phone and user.phone_verified_at is not None:
            phone = phones.display(user.phone, tenant.country if tenant else None)
    return NotificationSettingsOut(
        mode=membership.notify_mode,
        modes=list(NOTIFY_MODES),
        per_call="never" if legacy_digest else membership.notify_mode,
        digest=legacy_digest or bool(membership.notify_digest),
        chosen=membership.notify_chosen_at is not None,
        sms=membership.notify_sms or "never",
        quiet_from=membership.quiet_from or "",
        quiet_until=membership.quiet_until or "",
        phone=phone,
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
