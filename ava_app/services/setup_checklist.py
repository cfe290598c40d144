"""The dashboard's setup checklist: what a new business still has to do before AVA answers its callers well.

Six items, each read from what is stored, never from a flag the page sets: the member's email confirmed, a number,
a test call made, the preset answers reviewed, the member's notifications chosen, and calls reaching AVA (a forwarded
call recognised on one of the numbers, or the owner saying callers dial the AVA number itself). The dashboard shows
the list until every item is done or the member dismisses it; both are remembered here.

Items about the person (email, notifications, dismissal) are the caller's own; the others are the organisation's.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select as select_columns  # any number of columns (sqlmodel's stops at four)
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
    """The caller's checklist in their current organisation: two queries (it shows on every dashboard load)."""
    user_id = principal.require_user()
    tenant_id = principal.require_member()
    numbers = _active_numbers(tenant_id)
    # The membership's row with its user and organisation (foreign keys: there whenever the membership is), and
    # whether a number, a forwarded number and a test call exist, each as the first matching row of an index.
    row = session.execute(
        select_columns(
            col(Membership.notify_chosen_at),
            col(Membership.setup_dismissed_at),
            col(User.email_verified_at),
            col(Tenant.gives_out_ava_number_at),
            numbers.exists(),
            numbers.where(col(PhoneNumber.forwarding_confirmed_at).is_not(None)).exists(),
            select(Call.id).where(Call.tenant_id == tenant_id, Call.call_type == "test").exists(),
        )
        .join(User, col(User.id) == col(Membership.user_id))
        .join(Tenant, col(Tenant.id) == col(Membership.tenant_id))
        .where(col(Membership.user_id) == user_id, col(Membership.tenant_id) == tenant_id)
    ).first()
    if row is None:
        raise NotFound("You are not a member of this organisation.")
    notify_chosen, dismissed_at, email_verified, gives_out_number, has_number, forwarded, test_call = row
    done = {
        "email_verified": email_verified is not None,
        "number": bool(has_number),
        "test_call": bool(test_call),
        "answers_reviewed": not _answers_to_review(session, tenant_id=tenant_id),
        "notifications": notify_chosen is not None,
        "forwarding": gives_out_number is not None or bool(forwarded),
    }
    items = [SetupItem(key=key, done=done[key], href=HREFS[key]) for key in ITEMS]
    count = sum(item.done for item in items)
    complete = count == len(items)
    dismissed = dismissed_at is not None
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


def _answers_to_review(session: Session, *, tenant_id: int) -> bool:
    """Whether any assistant still holds a preset answer the owner has not edited (``"review": True``)."""
    bases = session.exec(select(Assistant.knowledge_base).where(Assistant.tenant_id == tenant_id)).all()
    return any(isinstance(entry, dict) and entry.get("review") is True for base in bases for entry in base or [])
