"""API keys for the public REST API: created by admins, shown once, stored hashed, revocable, with scopes.

Each key carries scopes (``SCOPES``: what it may call; every route names the one it needs, see ``api.auth_deps``),
an optional expiry, and a role derived from its scopes that the services check as they do for people. Each key has
its own rate limit in the shared store (``rate_limits``, rule ``api_key``).

A key acts for the admin who created it: it stops working when that person is removed from the organisation, is no
longer its admin, or resets or changes their password (``revoke_member_keys``, called by those services), and
``authenticate_api_key`` checks the creator again on every request, so a membership ended any other way (leaving,
a deleted account) ends the key too. Keys never reach credential routes (integrations, Twilio import, key
management): those need the person.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session, col, select

from ava_app.models import ROLES, ApiKey, Membership, Tenant, User, as_utc, utcnow
from ava_app.services import audit, rate_limits
from ava_app.services.errors import Forbidden, Invalid, NotFound, Unauthorized
from ava_app.services.principal import Principal
from ava_app.services.tokens import hash_secret, new_secret

KEY_PREFIX = "ava_"
DISPLAY_PREFIX_LENGTH = 12
LAST_USED_PRECISION = timedelta(minutes=5)
MAX_EXPIRY_DAYS = 3650
# The lifetimes the settings page offers (None: never expires).
EXPIRY_CHOICES: tuple[int | None, ...] = (30, 90, 365, None)

CALLS_READ = "calls:read"
CALLS_WRITE = "calls:write"
ASSISTANT_MANAGE = "assistant:manage"
WEBHOOKS_MANAGE = "webhooks:manage"
# What a key may do; the OpenAPI document shows the one each route needs.
SCOPES: dict[str, str] = {
    CALLS_READ: "Read calls, their transcripts and the dashboard figures.",
    CALLS_WRITE: "Delete calls and mark their follow-ups done.",
    ASSISTANT_MANAGE: "Read and change the phone numbers, the assistant and the business setup.",
    WEBHOOKS_MANAGE: "Manage the outgoing webhook endpoints.",
}
# The scopes a key of each role had before keys had scopes (migration 0032 gives them to existing keys).
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "admin": (CALLS_READ, CALLS_WRITE, ASSISTANT_MANAGE, WEBHOOKS_MANAGE),
    "user": (CALLS_READ, CALLS_WRITE, ASSISTANT_MANAGE),
    "viewer": (CALLS_READ,),
}


class ApiKeyOut(BaseModel):
    """An API key as listed: its display prefix, never the key."""

    id: int
    name: str
    prefix: str
    role: str
    scopes: list[str]
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool
    status: str  # active, expired or revoked


class ApiKeyCreated(ApiKeyOut):
    """A new key; ``key`` is shown this one time and cannot be recovered."""

    key: str


def _out(row: ApiKey, *, created_by: str = "") -> ApiKeyOut:
    expires_at = as_utc(row.expires_at) if row.expires_at else None
    if row.revoked_at is not None:
        status = "revoked"
    elif expires_at is not None and expires_at <= utcnow():
        status = "expired"
    else:
        status = "active"
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        scopes=[scope for scope in SCOPES if scope in (row.scopes or [])],
        created_at=as_utc(row.created_at),
        created_by=created_by,
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
        expires_at=expires_at,
        revoked=row.revoked_at is not None,
        status=status,
    )


def role_for_scopes(scopes: list[str] | tuple[str, ...]) -> str:
    """The least role whose keys may hold ``scopes`` (the services check it as they check a person's)."""
    for role in ("viewer", "user", "admin"):
        if set(scopes) <= set(ROLE_SCOPES[role]):
            return role
    return "admin"


def create_api_key(
    session: Session,
    *,
    principal: Principal,
    name: str,
    role: str | None = None,
    scopes: list[str] | None = None,
    expires_in_days: int | None = None,
    ip: str = "",
) -> ApiKeyCreated:
    """Create a key for the caller's organisation (admins, logged in as a person: a key cannot mint keys).

    ``scopes`` default to those of ``role`` (itself "user" by default); given alone, they set the role. A role and
    scopes given together must agree (a viewer key cannot write). ``expires_in_days``: None for a key that does not
    expire.
    """
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    fields: dict[str, str] = {}
    if not (name or "").strip():
        fields["name"] = "Name the key after what uses it."
    if role is not None and role not in ROLES:
        fields["role"] = "Choose admin, user or viewer."
    if scopes is None:
        chosen = list(ROLE_SCOPES.get(role or "user", ()))
    else:
        chosen = [scope for scope in SCOPES if scope in scopes]
        if not chosen or len(set(scopes)) != len(chosen):
            fields["scopes"] = "Choose at least one scope: " + ", ".join(SCOPES) + "."
        elif role in ROLE_SCOPES and not set(chosen) <= set(ROLE_SCOPES[role]):
            fields["scopes"] = f"A {role} key cannot have these scopes."
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        fields["expires_in_days"] = f"Choose between 1 and {MAX_EXPIRY_DAYS} days, or no expiry."
    if fields:
        raise Invalid(fields=fields)
    key_role = role or role_for_scopes(chosen)
    key = new_secret(KEY_PREFIX)
    row = ApiKey(
        tenant_id=tenant_id,
        name=name.strip()[:80],
        prefix=key[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_secret(key),
        role=key_role,
        scopes=chosen,
        created_by_id=user_id,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(row)
    audit.record(
        session,
        action="api_key_created",
        tenant_id=tenant_id,
        user_id=user_id,
        ip=ip,
        detail={"name": row.name, "role": key_role, "scopes": chosen, "expires_in_days": expires_in_days},
    )
    session.commit()
    session.refresh(row)
    return ApiKeyCreated(**_out(row, created_by=_creator_name(session, row)).model_dump(), key=key)


def list_api_keys(session: Session, *, principal: Principal) -> list[ApiKeyOut]:
    """The organisation's keys, newest first (admins only)."""
    tenant_id = principal.require_admin()
    rows = session.exec(select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(col(ApiKey.id).desc())).all()
    creator_ids = {row.created_by_id for row in rows if row.created_by_id is not None}
    creators = (
        {user.id: user.name or user.email for user in session.exec(select(User).where(col(User.id).in_(creator_ids)))}
        if creator_ids
        else {}
    )
    return [_out(row, created_by=creators.get(row.created_by_id or 0, "")) for row in rows]


def revoke_api_key(session: Session, *, principal: Principal, key_id: int, ip: str = "") -> None:
    """Revoke a key of the caller's organisation; it stops working at its next request."""
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    row = session.get(ApiKey, key_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("API key not found.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(
            session,
            action="api_key_revoked",
            tenant_id=tenant_id,
            user_id=user_id,
            ip=ip,
            detail={"prefix": row.prefix},
        )
        session.commit()


def authenticate_api_key(session: Session, *, key: str) -> Principal:
    """The Principal of a live API key (its organisation, role and scopes); Unauthorized otherwise.

    Each request counts against the key's own rate limit (RateLimited, with ``retry_after``, when it is spent).
    """
    if not key.startswith(KEY_PREFIX):
        raise Unauthorized(code="invalid_api_key")
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_secret(key))).first()
    if row is None or row.revoked_at is not None or session.get(Tenant, row.tenant_id) is None:
        raise Unauthorized("This API key is invalid or was revoked.", code="invalid_api_key")
    if not _creator_is_admin(session, row):
        raise Unauthorized("This API key is invalid or was revoked.", code="invalid_api_key")
    now = utcnow()
    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        raise Unauthorized(
            f"This API key expired on {as_utc(row.expires_at):%Y-%m-%d %H:%M} UTC. Create a new one in the settings.",
            code="api_key_expired",
        )
    rate_limits.hit("api_key", str(row.id))
    if row.last_used_at is None or now - as_utc(row.last_used_at) > LAST_USED_PRECISION:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return Principal(
        user_id=None, tenant_id=row.tenant_id, role=row.role, api_key_id=row.id, scopes=frozenset(row.scopes or [])
    )


def require_scopes(principal: Principal, needed: list[str]) -> None:
    """Refuse an API key that lacks one of ``needed`` (Forbidden); people are not concerned.

    A route that names no scope is for people only: a key gets the same 403 as on account routes.
    """
    if not principal.is_api_key:
        return
    if not needed:
        raise Forbidden("This action needs a logged-in user, not an API key.", code="user_required")
    missing = [scope for scope in needed if scope not in principal.scopes]
    if missing:
        raise Forbidden(
            f"This API key lacks the {', '.join(missing)} scope. Create a key with it in Settings, API keys.",
            code="insufficient_scope",
            scopes=missing,
        )


def revoke_member_keys(session: Session, *, user_id: int, reason: str, tenant_id: int | None = None) -> int:
    """Revoke the live keys ``user_id`` created (in ``tenant_id``, or in every organisation); returns how many.

    Part of the caller's change: added to its session, committed with it. ``reason`` goes to the audit line of each
    key (``member_removed``, ``role_changed``, ``password_reset``, ``password_changed``).
    """
    query = select(ApiKey).where(ApiKey.created_by_id == user_id, col(ApiKey.revoked_at).is_(None))
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    rows = session.exec(query).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        session.add(row)
        audit.record(
            session,
            action="api_key_revoked",
            tenant_id=row.tenant_id,
            user_id=user_id,
            detail={"prefix": row.prefix, "reason": reason},
        )
    return len(rows)


def _creator_name(session: Session, row: ApiKey) -> str:
    creator = session.get(User, row.created_by_id) if row.created_by_id is not None else None
    return (creator.name or creator.email) if creator else ""


def _creator_is_admin(session: Session, row: ApiKey) -> bool:
    """The key's creator is an active account and still an admin of the key's organisation."""
    if row.created_by_id is None:
        return False
    creator = session.get(User, row.created_by_id)
    if creator is None or creator.id is None or not creator.is_active:
        return False
    # Read here rather than through the accounts service, which imports this module to revoke keys.
    role = session.exec(
        select(Membership.role).where(Membership.user_id == creator.id, Membership.tenant_id == row.tenant_id)
    ).first()
    return role == "admin"
