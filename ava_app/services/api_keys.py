"""API keys for the public REST API: created by admins, shown once, stored hashed, revocable, each with a role.

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
from ava_app.services import audit
from ava_app.services.errors import Invalid, NotFound, Unauthorized
from ava_app.services.principal import Principal
from ava_app.services.tokens import hash_secret, new_secret

KEY_PREFIX = "ava_"
DISPLAY_PREFIX_LENGTH = 12
LAST_USED_PRECISION = timedelta(minutes=5)


class ApiKeyOut(BaseModel):
    """An API key as listed: its display prefix, never the key."""

    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class ApiKeyCreated(ApiKeyOut):
    """A new key; ``key`` is shown this one time and cannot be recovered."""

    key: str


def _out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
        revoked=row.revoked_at is not None,
    )


def create_api_key(
    session: Session, *, principal: Principal, name: str, role: str = "user", ip: str = ""
) -> ApiKeyCreated:
    """Create a key for the caller's organisation (admins, logged in as a person: a key cannot mint keys)."""
    user_id = principal.require_user()
    tenant_id = principal.require_admin()
    fields: dict[str, str] = {}
    if not (name or "").strip():
        fields["name"] = "Name the key after what uses it."
    if role not in ROLES:
        fields["role"] = "Choose admin, user or viewer."
    if fields:
        raise Invalid(fields=fields)
    key = new_secret(KEY_PREFIX)
    row = ApiKey(
        tenant_id=tenant_id,
        name=name.strip()[:80],
        prefix=key[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_secret(key),
        role=role,
        created_by_id=user_id,
    )
    session.add(row)
    audit.record(
        session,
        action="api_key_created",
        tenant_id=tenant_id,
        user_id=user_id,
        ip=ip,
        detail={"name": row.name, "role": role},
    )
    session.commit()
    session.refresh(row)
    return ApiKeyCreated(**_out(row).model_dump(), key=key)


def list_api_keys(session: Session, *, principal: Principal) -> list[ApiKeyOut]:
    """The organisation's keys, newest first (admins only)."""
    tenant_id = principal.require_admin()
    rows = session.exec(select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(col(ApiKey.id).desc())).all()
    return [_out(row) for row in rows]


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
    """The Principal of a live API key (its organisation and role); Unauthorized otherwise."""
    if not key.startswith(KEY_PREFIX):
        raise Unauthorized(code="invalid_api_key")
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_secret(key))).first()
    if row is None or row.revoked_at is not None or session.get(Tenant, row.tenant_id) is None:
        raise Unauthorized("This API key is invalid or was revoked.", code="invalid_api_key")
    if not _creator_is_admin(session, row):
        raise Unauthorized("This API key is invalid or was revoked.", code="invalid_api_key")
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) > LAST_USED_PRECISION:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return Principal(user_id=None, tenant_id=row.tenant_id, role=row.role, api_key_id=row.id)


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
