"""Deleting one's own account: confirmed with the password (or the e-mail address for an account without one).

Refused while it would leave an organisation without an admin: the person hands over first (makes someone else an
admin), or, alone in an organisation, deletes that organisation first (Settings › Privacy) — an organisation already
scheduled for deletion does not hold them back. Their API keys are revoked, their sessions end, and each of their
organisations keeps an audit line; the user row goes with its memberships and sessions.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from ava_app.models import Membership, Tenant, User
from ava_app.services import api_keys, audit, rate_limits
from ava_app.services.errors import Conflict, Invalid, NotFound
from ava_app.services.passwords import verify_password
from ava_app.services.principal import Principal


def confirmation_kind(session: Session, *, principal: Principal) -> str:
    """What confirms a deletion for this person: ``password``, or ``email`` for an account without a password."""
    user = session.get(User, principal.require_user())
    if user is None:
        raise NotFound("Account not found.")
    return "password" if user.password_hash else "email"


def blockers(session: Session, *, user_id: int) -> list[tuple[str, str]]:
    """The organisations that keep the account from being deleted, with why: ``hand_over`` or ``alone``."""
    found = []
    memberships = session.exec(
        select(Membership, Tenant).join(Tenant, col(Tenant.id) == col(Membership.tenant_id)).where(
            col(Membership.user_id) == user_id
        )
    ).all()  # fmt: skip
    for membership, tenant in memberships:
        if membership.role != "admin" or tenant.deletion_due_at is not None:
            continue
        admins = _count(session, tenant_id=membership.tenant_id, admins_only=True)
        if admins > 1:
            continue
        others = _count(session, tenant_id=membership.tenant_id) - 1
        found.append((tenant.name, "hand_over" if others else "alone"))
    return found


def delete_own_account(session: Session, *, principal: Principal, confirmation: str) -> None:
    """Delete the signed-in person's account, after checking ``confirmation`` and that no organisation is left
    without an admin."""
    user_id = principal.require_user()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Account not found.")
    # A wrong confirmation counts like a failed login: a stolen session cannot guess the password here.
    rate_limits.hit("login_account", user.email.lower())
    confirmed = (
        verify_password(confirmation, user.password_hash)
        if user.password_hash
        else confirmation.strip().lower() == user.email.lower()
    )
    if not confirmed:
        raise Invalid("That does not confirm it is you.", fields={"confirmation": "not_confirmed"})
    held = blockers(session, user_id=user_id)
    if held:
        name, why = held[0]
        raise Conflict(f"{name} would be left without an admin.", code=f"account_{why}", organisation=name)
    tenant_ids = session.exec(select(col(Membership.tenant_id)).where(col(Membership.user_id) == user_id)).all()
    api_keys.revoke_member_keys(session, user_id=user_id, reason="account_deleted")
    for tenant_id in tenant_ids:
        audit.record(session, action="account_deleted", tenant_id=tenant_id, detail={"member_id": user_id})
    session.exec(delete(User).where(col(User.id) == user_id))
    session.commit()


def _count(session: Session, *, tenant_id: int, admins_only: bool = False) -> int:
    query = select(func.count()).select_from(Membership).where(col(Membership.tenant_id) == tenant_id)
    if admins_only:
        query = query.where(col(Membership.role) == "admin")
    return int(session.exec(query).one())
