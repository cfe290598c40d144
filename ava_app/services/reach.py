"""How calls reach AVA: the organisation's AVA number, the existing line forwarded to it, and the proof it works.

An owner keeps the number their customers know and forwards it to AVA (``services.forwarding`` has the codes). They
type that line once (``forwarded_from``, E.164). Twilio says a call was forwarded in ``ForwardedFrom`` on the voice
webhook; a call answered by Vapi carries the telephony provider's parameters in ``call.phoneCallProviderDetails``
(docs/contracts/vapi.md, section 3.3).

Whoever calls an AVA number chooses what ``ForwardedFrom`` says (a SIP Diversion header is set by the calling side),
so that header alone proves nothing. The owner starts a check first ("I am calling my usual number now"), which opens
a short window on their number (``forwarding_check_until``); only a call forwarded from the saved line during that
window, by a caller other than that line itself, sets ``forwarding_confirmed_at``, and it closes the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app.models import PhoneNumber, Tenant, utcnow
from ava_app.services import audit, phones
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal

# How long a check the owner starts stays open for the forwarded call to arrive.
CHECK_WINDOW = timedelta(minutes=10)


class ReachOut(BaseModel):
    """What the "How calls reach AVA" step and the dashboard card show."""

    country: str
    number_id: int | None
    e164: str | None
    display: str
    tel: str
    forwarded_from: str | None
    forwarded_display: str
    forwarding_confirmed_at: datetime | None
    # The end of the open check (None when there is none, or it has ended).
    check_until: datetime | None = None
    live: bool


class SandboxCallTarget(BaseModel):
    """The emulator's id of the organisation's number, and the line a simulated call is forwarded from."""

    provider_number_id: str
    forwarded_from: str | None


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation no longer exists.")
    return tenant


def main_number(session: Session, *, tenant_id: int) -> PhoneNumber | None:
    """The organisation's first active number with an E.164 (the one its customers are given)."""
    return session.exec(
        select(PhoneNumber)
        .where(PhoneNumber.tenant_id == tenant_id, col(PhoneNumber.released_at).is_(None), PhoneNumber.e164 != "")
        .order_by(col(PhoneNumber.id))
    ).first()


def open_check_until(number: PhoneNumber | None, *, now: datetime | None = None) -> datetime | None:
    """The end of the number's open forwarding check; None when there is none or it has ended."""
    until = number.forwarding_check_until if number else None
    return until if until is not None and until > (now or utcnow()) else None


def _out(tenant: Tenant, number: PhoneNumber | None) -> ReachOut:
    return ReachOut(
        country=tenant.country,
        number_id=number.id if number else None,
        e164=number.e164 if number else None,
        display=phones.display(number.e164, tenant.country) if number else "",
        tel=phones.tel_link(number.e164) if number else "",
        forwarded_from=number.forwarded_from if number else None,
        forwarded_display=phones.display(number.forwarded_from, tenant.country) if number else "",
        forwarding_confirmed_at=number.forwarding_confirmed_at if number else None,
        check_until=open_check_until(number),
        live=tenant.onboarding_completed_at is not None,
    )


def get_reach(session: Session, *, principal: Principal) -> ReachOut:
    """The AVA number and its forwarding status (any member)."""
    tenant_id = principal.require_member()
    return _out(_tenant(session, tenant_id), main_number(session, tenant_id=tenant_id))


def set_forwarded_from(session: Session, *, principal: Principal, text: str) -> ReachOut:
    """Save the existing line the owner forwards to AVA, read in the business's country (writers).

    A different line than before is not confirmed yet: the next forwarded call from it confirms it. An empty
    ``text`` forgets the line.
    """
    tenant_id = principal.require_writer()
    tenant = _tenant(session, tenant_id)
    number = main_number(session, tenant_id=tenant_id)
    if number is None:
        raise Invalid(
            "Get an AVA number first.", code="no_number", fields={"forwarded_from": "Get an AVA number first"}
        )
    e164 = phones.parse(text, tenant.country) if (text or "").strip() else None
    if (text or "").strip() and e164 is None:
        example = phones.example(tenant.country)
        raise Invalid(
            f"Enter your existing phone number, for example {example}.",
            code="forwarded_line_invalid",
            fields={"forwarded_from": f"A phone number, e.g. {example}"},
            example=example,
        )
    if e164 is not None and e164 == number.e164:
        raise Invalid(
            "Enter the line your customers call today, not your AVA number.",
            code="forwarded_line_is_ava",
            fields={"forwarded_from": "This is your AVA number"},
        )
    if e164 != number.forwarded_from:
        number.forwarded_from = e164
        number.forwarding_confirmed_at = None
        number.forwarding_check_until = None
        session.add(number)
        session.commit()
        session.refresh(number)
    return _out(tenant, number)


def start_check(session: Session, *, principal: Principal, now: datetime | None = None) -> ReachOut:
    """The owner is about to call their usual number (writers): for ``CHECK_WINDOW`` a call forwarded from the saved
    line may confirm the forwarding. Starting again restarts the window; Invalid without a number or a saved line."""
    tenant_id = principal.require_writer()
    tenant = _tenant(session, tenant_id)
    number = main_number(session, tenant_id=tenant_id)
    if number is None:
        raise Invalid("Get an AVA number first.", code="no_number")
    if not number.forwarded_from:
        raise Invalid(
            "Enter the line you forward first.",
            code="forwarded_line_missing",
            fields={"forwarded_from": "Enter the line you forward to AVA"},
        )
    number.forwarding_check_until = (now or utcnow()) + CHECK_WINDOW
    session.add(number)
    audit.record(
        session,
        action="forwarding_check_started",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"phone_number_id": number.id, "forwarded_from": number.forwarded_from},
    )
    session.commit()
    session.refresh(number)
    return _out(tenant, number)


def sandbox_call_target(session: Session, *, principal: Principal, forwarded: bool) -> SandboxCallTarget:
    """Where a sandbox call to the organisation's number goes (writers); with ``forwarded``, the saved line it is
    forwarded from. Invalid when there is no number, or no line to forward from."""
    tenant_id = principal.require_writer()
    number = main_number(session, tenant_id=tenant_id)
    if number is None or not number.provider_number_id:
        raise Invalid("Get an AVA number first.", code="no_number")
    if forwarded and not number.forwarded_from:
        raise Invalid(
            "Enter the line you forward first.",
            code="forwarded_line_missing",
            fields={"forwarded_from": "Enter the line you forward to AVA"},
        )
    return SandboxCallTarget(
        provider_number_id=number.provider_number_id, forwarded_from=number.forwarded_from if forwarded else None
    )


# --- recognising a forwarded call (ingestion: no principal, the number was resolved from the provider's event) ----


def _text(value: Any) -> str | None:
    return value.strip()[:40] if isinstance(value, str) and value.strip() else None


def forwarded_from_of_vapi_call(call: dict[str, Any]) -> str | None:
    """The line a Vapi call was forwarded from, if the telephony provider said (Twilio's ``ForwardedFrom`` among
    the provider's parameters); None otherwise."""
    details = call.get("phoneCallProviderDetails")
    if isinstance(details, dict):
        for key in ("ForwardedFrom", "forwardedFrom", "forwarded_from"):
            found = _text(details.get(key))
            if found:
                return found
    transport = call.get("transport")
    if isinstance(transport, dict):
        return _text(transport.get("forwardedFrom"))
    return None


def note_forwarded_call(
    session: Session,
    *,
    phone_number_id: int,
    forwarded_from: str | None,
    caller: str | None,
    now: datetime | None = None,
) -> bool:
    """A call from ``caller`` to ``phone_number_id`` arrived forwarded from ``forwarded_from``: it confirms the
    forwarding only while the owner's check is open, when ``forwarded_from`` is their saved line and the caller is
    another line (both compared in E.164). The confirmation closes the check and is audited. True when this call
    confirmed it. The caller commits."""
    if not forwarded_from:
        return False
    number = session.get(PhoneNumber, phone_number_id)
    if number is None or not number.forwarded_from or open_check_until(number, now=now) is None:
        return False
    tenant = session.get(Tenant, number.tenant_id)
    country = tenant.country if tenant else None
    if phones.parse(forwarded_from, country) != number.forwarded_from:
        return False
    if caller and phones.parse(caller, country) == number.forwarded_from:
        return False  # the saved line calling AVA directly is not a call forwarded by the carrier
    number.forwarding_confirmed_at = now or utcnow()
    number.forwarding_check_until = None
    session.add(number)
    audit.record(
        session,
        action="forwarding_confirmed",
        tenant_id=number.tenant_id,
        detail={"phone_number_id": number.id, "forwarded_from": number.forwarded_from},
    )
    session.flush()
    return True
