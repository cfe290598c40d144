"""Organisations and their teams: members and roles, invitations, leaving, switching the current organisation.

The tenant always comes from the caller's Principal; an id that belongs to another organisation is NotFound.
An organisation never loses its last admin. An account whose email is not verified yet may create organisations of
its own but cannot join or open anyone else's: whoever signed up may not own the address (account pre-hijacking).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from ava_app import routes
from ava_app.models import ROLES, AuthSession, Invite, Membership, Tenant, User, as_utc, utcnow
from ava_app.services import api_keys, audit, rate_limits, regional
from ava_app.services.accounts import (
    AuthResult,
    check_email,
    find_user_by_email,
    normalize_industry,
    prove_mailbox,
    public_link,
    role_in,
    start_session,
)
from ava_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from ava_app.services.messaging.account_emails import send_account_email
from ava_app.services.passwords import check_password_policy, hash_password
from ava_app.services.principal import Principal
from ava_app.services.tokens import hash_secret, new_secret

INVITE_TTL = timedelta(days=7)
UNVERIFIED_MESSAGE = "Confirm your email address first: open the link we emailed you, or ask for a new one."


class MemberOut(BaseModel):
    """A member of the organisation."""

    user_id: int
    email: str
    name: str
    role: str
    joined_at: datetime


class InviteOut(BaseModel):
    """An invitation as admins see it (never its token)."""

    id: int
    email: str
    role: str
    status: str
    created_at: datetime
    expires_at: datetime


class InvitePreview(BaseModel):
    """What the invitee sees before accepting."""

    organisation_name: str
    email: str
    role: str
    expires_at: datetime
    account_exists: bool
    # False for an account started with this address but never confirmed: the invitation link proves the address,
    # so the invitee sets their own name and password (what was set before is dropped) instead of logging in.
    account_verified: bool = False


class OrganisationOut(BaseModel):
    """An organisation the caller belongs to."""

    id: int
    name: str
    industry: str | None
    role: str
    current: bool


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(fields={"role": "Choose admin, user or viewer."})
    return role


def _membership(session: Session, *, tenant_id: int, user_id: int, lock: bool = False) -> Membership:
    query = select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    row = session.exec(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound("Member not found.")
    return row


def _ensure_other_admin(session: Session, *, tenant_id: int, membership: Membership) -> None:
    """Conflict when ``membership`` is the organisation's only admin and is about to stop being one."""
    if membership.role != "admin":
        return
    # Locking the admin rows (PostgreSQL) keeps two admins from demoting each other at the same moment.
    admins = session.exec(
        select(Membership.id).where(Membership.tenant_id == tenant_id, Membership.role == "admin").with_for_update()
    ).all()
    if len(admins) <= 1:
        raise Conflict("An organisation needs at least one admin. Make someone else admin first.", code="last_admin")


def _detach_sessions(session: Session, *, user_id: int, tenant_id: int) -> None:
    """Point the user's sessions that were on ``tenant_id`` at no organisation (they stay logged in)."""
    session.exec(
        update(AuthSession)
        .where(col(AuthSession.user_id) == user_id, col(AuthSession.tenant_id) == tenant_id)
        .values(tenant_id=None)
    )


def _invite_status(invite: Invite) -> str:
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if as_utc(invite.expires_at) <= utcnow():
        return "expired"
    return "pending"


_Row = TypeVar("_Row", User, Tenant)


def _get(session: Session, model: type[_Row], row_id: int) -> _Row:
    """The user or organisation a membership or invite points to (NotFound if it was deleted meanwhile)."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound()
    return row


def _invite_out(invite: Invite) -> InviteOut:
    return InviteOut(
        id=invite.id,
        email=invite.email,
        role=invite.role,
        status=_invite_status(invite),
        created_at=as_utc(invite.created_at),
        expires_at=as_utc(invite.expires_at),
    )


def _pending_invite(session: Session, *, token: str) -> Invite:
    invite = session.exec(select(Invite).where(Invite.token_hash == hash_secret(token or ""))).first()
    if invite is None or _invite_status(invite) != "pending":
        raise Invalid("This invitation is invalid or has expired.", code="invalid_invite")
    return invite


def _require_verified(user: User) -> None:
    """Forbidden (``email_unverified``) until the user has proven they read their mailbox."""
    if user.email_verified_at is None:
        raise Forbidden(UNVERIFIED_MESSAGE, code="email_unverified")


def _switch_session(session: Session, *, principal: Principal, tenant_id: int | None) -> None:
    if principal.session_id is None:
        return
    auth_session = session.get(AuthSession, principal.session_id)
    if auth_session is not None:
        auth_session.tenant_id = tenant_id
        session.add(auth_session)


# --- members ------------------------------------------------------------------------------------------------


def list_members(session: Session, *, principal: Principal) -> list[MemberOut]:
    """The organisation's members, admins first (any member, viewers included)."""
    tenant_id = principal.require_member()
    rows = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.tenant_id == tenant_id)
        .order_by(col(Membership.role), col(User.email))
    ).all()
    return [
        MemberOut(
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=membership.role,
            joined_at=as_utc(membership.created_at),
        )
        for membership, user in rows
    ]


def change_role(session: Session, *, principal: Principal, user_id: int, role: str, ip: str = "") -> MemberOut:
    """Give a member another role (admins only; the last admin cannot be demoted)."""
    principal.require_user()
    tenant_id = principal.require_admin()
    role = _check_role(role)
    membership = _membership(session, tenant_id=tenant_id, user_id=user_id, lock=True)
    previous = membership.role
    if previous != role:
        if role != "admin":
            _ensure_other_admin(session, tenant_id=tenant_id, membership=membership)
        membership.role = role
        session.add(membership)
        if role != "admin":
            api_keys.revoke_member_keys(session, user_id=user_id, tenant_id=tenant_id, reason="role_changed")
        audit.record(
            session,
            action="role_changed",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            ip=ip,
            detail={"member_id": user_id, "from": previous, "to": role},
        )
        session.commit()
    user = _get(session, User, user_id)
    return MemberOut(
        user_id=user.id, email=user.email, name=user.name, role=membership.role, joined_at=as_utc(membership.created_at)
    )


def remove_member(session: Session, *, principal: Principal, user_id: int, ip: str = "") -> None:
    """Remove a member from the organisation (admins only; never the last admin). Their access ends at once."""
    principal.require_user()
    tenant_id = principal.require_admin()
    membership = _membership(session, tenant_id=tenant_id, user_id=user_id, lock=True)
    _ensure_other_admin(session, tenant_id=tenant_id, membership=membership)
    session.delete(membership)
    _detach_sessions(session, user_id=user_id, tenant_id=tenant_id)
    api_keys.revoke_member_keys(session, user_id=user_id, tenant_id=tenant_id, reason="member_removed")
    audit.record(
        session,
        action="member_removed",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        ip=ip,
        detail={"member_id": user_id, "role": membership.role},
    )
    session.commit()


def leave_organisation(session: Session, *, principal: Principal, ip: str = "") -> Principal:
    """Leave the current organisation (not as its last admin); returns the caller with no organisation selected."""
    user_id = principal.require_user()
    tenant_id = principal.require_member()
    membership = _membership(session, tenant_id=tenant_id, user_id=user_id, lock=True)
    _ensure_other_admin(session, tenant_id=tenant_id, membership=membership)
    session.delete(membership)
    _detach_sessions(session, user_id=user_id, tenant_id=tenant_id)
    audit.record(session, action="member_left", tenant_id=tenant_id, user_id=user_id, ip=ip)
    session.commit()
    return replace(principal, tenant_id=None, role=None)


# --- invitations --------------------------------------------------------------------------------------------


def invite_member(session: Session, *, principal: Principal, email: str, role: str = "user", ip: str = "") -> InviteOut:
    """Invite someone by email with a role, valid 7 days (admins only). A new invite replaces a pending one.

    Rate limited per inviter and per organisation (``rate_limits`` rules ``invite_inviter``, ``invite_tenant``).
    """
    inviter_id = principal.require_user()
    tenant_id = principal.require_admin()
    fields: dict[str, str] = {}
    try:
        email = check_email(email)
    except Invalid as exc:
        fields.update(exc.details["fields"])
    if role not in ROLES:
        fields["role"] = "Choose admin, user or viewer."
    if fields:
        raise Invalid(fields=fields)
    existing = find_user_by_email(session, email=email)
    if existing is not None and existing.id is not None and role_in(session, user_id=existing.id, tenant_id=tenant_id):
        raise Conflict("This person is already a member.", code="already_member")
    # Counted only for admins and well-formed addresses, so a viewer cannot spend the organisation's allowance.
    rate_limits.hit("invite_inviter", str(inviter_id))
    rate_limits.hit("invite_tenant", str(tenant_id))
    now = utcnow()
    session.exec(
        update(Invite)
        .where(
            col(Invite.tenant_id) == tenant_id,
            col(Invite.email) == email,
            col(Invite.accepted_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_secret()
    invite = Invite(
        tenant_id=tenant_id,
        email=email,
        role=role,
        token_hash=hash_secret(token),
        invited_by_id=inviter_id,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(invite)
    audit.record(
        session,
        action="invite_sent",
        tenant_id=tenant_id,
        user_id=inviter_id,
        ip=ip,
        detail={"email": email, "role": role},
    )
    session.commit()
    session.refresh(invite)
    result = _invite_out(invite)
    tenant = _get(session, Tenant, tenant_id)
    inviter = _get(session, User, inviter_id)
    send_account_email(
        session,
        kind="team_invite",
        to=email,
        locale=tenant.locale,
        tenant_id=tenant_id,
        inviter_name=inviter.name or inviter.email,
        tenant_name=tenant.name,
        role=role,
        link=public_link(routes.INVITE, token),
        expires_days=INVITE_TTL.days,
    )
    return result


def list_invites(session: Session, *, principal: Principal) -> list[InviteOut]:
    """The organisation's invitations, newest first (admins only)."""
    tenant_id = principal.require_admin()
    rows = session.exec(
        select(Invite).where(Invite.tenant_id == tenant_id).order_by(col(Invite.id).desc()).limit(200)
    ).all()
    return [_invite_out(row) for row in rows]


def revoke_invite(session: Session, *, principal: Principal, invite_id: int, ip: str = "") -> None:
    """Cancel a pending invitation (admins only)."""
    principal.require_user()
    tenant_id = principal.require_admin()
    invite = session.get(Invite, invite_id)
    if invite is None or invite.tenant_id != tenant_id:
        raise NotFound("Invitation not found.")
    if _invite_status(invite) == "pending":
        invite.revoked_at = utcnow()
        session.add(invite)
        audit.record(
            session,
            action="invite_revoked",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            ip=ip,
            detail={"email": invite.email},
        )
        session.commit()


def preview_invite(session: Session, *, token: str) -> InvitePreview:
    """What an invitation offers, for the page the email link opens (the token is the only credential)."""
    invite = _pending_invite(session, token=token)
    tenant = _get(session, Tenant, invite.tenant_id)
    existing = find_user_by_email(session, email=invite.email)
    return InvitePreview(
        organisation_name=tenant.name,
        email=invite.email,
        role=invite.role,
        expires_at=as_utc(invite.expires_at),
        account_exists=existing is not None,
        account_verified=existing is not None and existing.email_verified_at is not None,
    )


def _accept(session: Session, *, invite: Invite, user: User, ip: str) -> None:
    """Add the membership, mark the invite accepted and audit it (no commit)."""
    assert user.id is not None, "a stored user has an id"
    invite.accepted_at = utcnow()
    session.add(invite)
    if role_in(session, user_id=user.id, tenant_id=invite.tenant_id) is None:
        session.add(Membership(user_id=user.id, tenant_id=invite.tenant_id, role=invite.role))
    audit.record(
        session,
        action="invite_accepted",
        tenant_id=invite.tenant_id,
        user_id=user.id,
        ip=ip,
        detail={"role": invite.role, "invite_id": invite.id},
    )


def accept_invite(session: Session, *, principal: Principal, token: str, ip: str = "") -> Principal:
    """Join the invited organisation as the logged-in user and switch to it.

    The user's email must be the invited one, and verified: a session of an unverified account may belong to
    whoever signed up with someone else's address.
    """
    user = _get(session, User, principal.require_user())
    invite = _pending_invite(session, token=token)
    if user.email != invite.email:
        raise Forbidden("This invitation was sent to another email address.", code="invite_email_mismatch")
    _require_verified(user)
    _accept(session, invite=invite, user=user, ip=ip)
    _switch_session(session, principal=principal, tenant_id=invite.tenant_id)
    session.commit()
    return replace(
        principal,
        tenant_id=invite.tenant_id,
        role=role_in(session, user_id=principal.require_user(), tenant_id=invite.tenant_id),
    )


def accept_invite_with_signup(
    session: Session, *, token: str, name: str, password: str, ip: str = "", user_agent: str = ""
) -> AuthResult:
    """Create the invited person's account (or take over an unverified one), join the organisation and log in.

    The invitation link was delivered to the invited address, so it proves the mailbox. An account started with
    that address but never verified is the invitee's from now on: the password, SMS number and sessions set up by
    whoever created it end (``prove_mailbox``) and the invitee's name and password replace them. A verified
    account must log in to accept.
    """
    invite = _pending_invite(session, token=token)
    existing = find_user_by_email(session, email=invite.email)
    if existing is not None and (existing.email_verified_at is not None or not existing.is_active):
        raise Conflict("An account already exists for this email: log in to accept.", code="account_exists")
    fields: dict[str, str] = {}
    if not (name or "").strip():
        fields["name"] = "Enter your name."
    try:
        check_password_policy(password, email=invite.email)
    except Invalid as exc:
        fields.update(exc.details["fields"])
    if fields:
        raise Invalid(fields=fields)
    tenant = _get(session, Tenant, invite.tenant_id)
    if existing is None:
        user = User(email=invite.email, locale=tenant.locale, email_verified_at=utcnow())
        session.add(user)
        session.flush()
    else:
        user = existing
        prove_mailbox(session, user=user, proof="invite", ip=ip)
    user.name = name.strip()[:120]
    user.password_hash = hash_password(password)
    session.add(user)
    _accept(session, invite=invite, user=user, ip=ip)
    return start_session(
        session, user=user, ip=ip, user_agent=user_agent, tenant_id=invite.tenant_id, action="signup", method="invite"
    )


# --- organisations ------------------------------------------------------------------------------------------


def list_organisations(session: Session, *, principal: Principal) -> list[OrganisationOut]:
    """The organisations the caller belongs to, with the current one flagged."""
    user_id = principal.require_user()
    rows = session.exec(
        select(Membership, Tenant)
        .join(Tenant, col(Tenant.id) == col(Membership.tenant_id))
        .where(Membership.user_id == user_id)
        .order_by(col(Tenant.name))
    ).all()
    return [
        OrganisationOut(
            id=tenant.id,
            name=tenant.name,
            industry=tenant.industry,
            role=membership.role,
            current=tenant.id == principal.tenant_id,
        )
        for membership, tenant in rows
    ]


def create_organisation(
    session: Session, *, principal: Principal, name: str, industry: str | None = None, ip: str = ""
) -> Principal:
    """Create another organisation with the caller as admin and switch to it."""
    user = _get(session, User, principal.require_user())
    if not (name or "").strip():
        raise Invalid(fields={"name": "Enter the name of your business."})
    tenant = Tenant(name=name.strip()[:120], industry=normalize_industry(industry))
    # The owner's other business is most likely in the same place: its region until they change it.
    current = session.get(Tenant, principal.tenant_id) if principal.tenant_id is not None else None
    regional.apply(tenant, regional.region_of(current) if current else regional.from_browser(None, user.locale))
    session.add(tenant)
    session.flush()
    assert user.id is not None and tenant.id is not None, "stored rows have ids"
    session.add(Membership(user_id=user.id, tenant_id=tenant.id, role="admin"))
    _switch_session(session, principal=principal, tenant_id=tenant.id)
    audit.record(session, action="org_created", tenant_id=tenant.id, user_id=user.id, ip=ip)
    session.commit()
    return replace(principal, tenant_id=tenant.id, role="admin")


def switch_organisation(session: Session, *, principal: Principal, tenant_id: int) -> Principal:
    """Make ``tenant_id`` the current organisation of the caller's session (must be a member; else NotFound).

    Forbidden (``email_unverified``) until the caller's email is verified.
    """
    user_id = principal.require_user()
    role = role_in(session, user_id=user_id, tenant_id=tenant_id)
    if role is None or principal.session_id is None:
        raise NotFound("Organisation not found.")
    _require_verified(_get(session, User, user_id))
    _switch_session(session, principal=principal, tenant_id=tenant_id)
    session.commit()
    return replace(principal, tenant_id=tenant_id, role=role)
