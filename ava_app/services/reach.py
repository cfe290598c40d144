"""How calls reach AVA: the organisation's AVA number, the existing line forwarded to it, and the proof it works.

An owner keeps the number their customers know and forwards it to AVA (``services.forwarding`` has the codes). They
type that line once (``forwarded_from``, E.164); the first call that arrives *forwarded from it* sets
``forwarding_confirmed_at``. Twilio says so in ``ForwardedFrom`` on the voice webhook; a call answered by Vapi carries
the telephony provider's parameters in ``call.phoneCallProviderDetails`` (docs/contracts/vapi.md, section 3.3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app.models import PhoneNumber, Tenant, utcnow
from ava_app.services import phones
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal


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
        session.add(number)
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


def note_forwarded_call(session: Session, *, phone_number_id: int, forwarded_from: str | None) -> bool:
    """A call to ``phone_number_id`` arrived forwarded from ``forwarded_from``: when that is the owner's saved line,
    the forwarding is confirmed (the first time). True when this call confirmed it. The caller commits."""
    if not forwarded_from:
        return False
    number = session.get(PhoneNumber, phone_number_id)
    if number is None or not number.forwarded_from or number.forwarding_confirmed_at is not None:
        return False
    tenant = session.get(Tenant, number.tenant_id)
    if phones.parse(forwarded_from, tenant.country if tenant else None) != number.forwarded_from:
        return False
    number.forwarding_confirmed_at = utcnow()
    session.add(number)
    session.flush()
    return True
