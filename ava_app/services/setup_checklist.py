"""The dashboard's setup checklist: what a new business still has to do before AVA answers its callers well.

Six items, each read from what is stored, never from a flag the page sets: the member's email confirmed, a number,
a test call made, the preset answers reviewed, the member's notifications chosen, and calls reaching AVA (a forwarded
call recognised on one of the numbers, or the owner saying callers dial the AVA number itself). The dashboard shows
the list until every item is done or the member dismisses it; both are remembered here.

Items about the person (email, notifications, dismissal) are the caller's own; the others are the organisation's.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app import routes
from ava_app.models import Assistant, Call, Membership, PhoneNumber, Tenant, User, utcnow
from ava_app.services.errors import NotFound
from ava_app.services.principal import Principal

# In the order an owner does them.
ITEMS = ("email_verified", "number", "test_call", "answers_reviewed", "notifications", "forwarding")
HREFS = {
    "email_verified": routes.SETTINGS_PROFILE,
    "number": routes.PHONE_NUMBERS,
    "test_call": routes.with_query(routes.ASSISTANT, tab="test"),
    "answers_reviewed": routes.with_query(routes.ASSISTANT, tab="knowledge"),
    "notifications": routes.SETTINGS_NOTIFICATIONS,
    "forwarding": routes.PHONE_NUMBERS,
}


class SetupItem(BaseModel):
    """One thing to do: its key (the UI names it), whether it is done, and the page where it is done."""

    key: str
    done: bool
    href: str


class SetupChecklist(BaseModel):
    """The six items in order; ``show`` is False once every item is done or the caller dismissed the list."""

    items: list[SetupItem]
    done: int
    total: int
    complete: bool
    dismissed: bool
    show: bool
    # Whether the caller may say "we give out the AVA number" (a change to the organisation: writers only).
    can_choose_reach: bool


def setup_checklist(session: Session, *, principal: Principal) -> SetupChecklist:
    """The caller's checklist in their current organisation."""
    user_id = principal.require_user()
    tenant_id = principal.require_member()
    membership = _membership(session, user_id=user_id, tenant_id=tenant_id)
    tenant = session.get(Tenant, tenant_id)
    user = session.get(User, user_id)
    if tenant is None or user is None:
        raise NotFound("Organisation not found.")
    done = {
        "email_verified": user.email_verified_at is not None,
        "number": _has_number(session, tenant_id=tenant_id),
        "test_call": _has_test_call(session, tenant_id=tenant_id),
        "answers_reviewed": not _answers_to_review(session, tenant_id=tenant_id),
        "notifications": membership.notify_chosen_at is not None,
        "forwarding": tenant.gives_out_ava_number_at is not None or _forwarding_confirmed(session, tenant_id=tenant_id),
    }
    items = [SetupItem(key=key, done=done[key], href=HREFS[key]) for key in ITEMS]
    count = sum(item.done for item in items)
    complete = count == len(items)
    dismissed = membership.setup_dismissed_at is not None
    return SetupChecklist(
        items=items,
        done=count,
        total=len(items),
        complete=complete,
        dismissed=dismissed,
        show=not (complete or dismissed),
        can_choose_reach=principal.can_write,
    )


def dismiss_setup_checklist(session: Session, *, principal: Principal) -> SetupChecklist:
    """Hide the checklist for the caller (their own choice: other members still see theirs)."""
    user_id = principal.require_user()
    membership = _membership(session, user_id=user_id, tenant_id=principal.require_member())
    if membership.setup_dismissed_at is None:
        membership.setup_dismissed_at = utcnow()
        session.add(membership)
        session.commit()
    return setup_checklist(session, principal=principal)


def give_out_ava_number(session: Session, *, principal: Principal) -> SetupChecklist:
    """Record that callers dial the AVA number directly, so no forwarding needs confirming; writers only."""
    tenant_id = principal.require_writer()
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    if tenant.gives_out_ava_number_at is None:
        tenant.gives_out_ava_number_at = utcnow()
        session.add(tenant)
        session.commit()
    return setup_checklist(session, principal=principal)


def _membership(session: Session, *, user_id: int, tenant_id: int) -> Membership:
    membership = session.exec(
        select(Membership).where(Membership.user_id == user_id, Membership.tenant_id == tenant_id)
    ).first()
    if membership is None:
        raise NotFound("You are not a member of this organisation.")
    return membership


def _active_numbers(tenant_id: int):
    return select(PhoneNumber.id).where(PhoneNumber.tenant_id == tenant_id, col(PhoneNumber.released_at).is_(None))


def _has_number(session: Session, *, tenant_id: int) -> bool:
    return session.exec(_active_numbers(tenant_id).limit(1)).first() is not None


def _forwarding_confirmed(session: Session, *, tenant_id: int) -> bool:
    query = _active_numbers(tenant_id).where(col(PhoneNumber.forwarding_confirmed_at).is_not(None)).limit(1)
    return session.exec(query).first() is not None


def _has_test_call(session: Session, *, tenant_id: int) -> bool:
    # One row of the (tenant, call_type, when) index.
    query = select(Call.id).where(Call.tenant_id == tenant_id, Call.call_type == "test").limit(1)
    return session.exec(query).first() is not None


def _answers_to_review(session: Session, *, tenant_id: int) -> bool:
    """Whether any assistant still holds a preset answer the owner has not edited (``"review": True``)."""
    bases = session.exec(select(Assistant.knowledge_base).where(Assistant.tenant_id == tenant_id)).all()
    return any(isinstance(entry, dict) and entry.get("review") is True for base in bases for entry in base or [])
