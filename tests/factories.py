"""Small factories for tests: each inserts one row with sensible defaults and returns it."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlmodel import Session

from ava_app.models import Assistant, Call, Membership, PhoneNumber, Tenant, User, WebhookSecret, utcnow

_counter = itertools.count(1)


def _save(session: Session, row):
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def make_tenant(session: Session, **fields) -> Tenant:
    fields.setdefault("name", f"Business {next(_counter)}")
    return _save(session, Tenant(**fields))


def make_user(session: Session, *, tenant: Tenant | None = None, role: str = "admin", **fields) -> User:
    fields.setdefault("email", f"user{next(_counter)}@example.com")
    fields.setdefault("name", "Test User")
    user = _save(session, User(**fields))
    if tenant is not None:
        _save(session, Membership(user_id=user.id, tenant_id=tenant.id, role=role))
    return user


def make_assistant(session: Session, *, tenant: Tenant, **fields) -> Assistant:
    fields.setdefault("name", "Ava")
    fields.setdefault("first_message", "Hello, thanks for calling. How can I help?")
    return _save(session, Assistant(tenant_id=tenant.id, **fields))


def make_phone_number(session: Session, *, tenant: Tenant, **fields) -> PhoneNumber:
    fields.setdefault("e164", f"+1415555{next(_counter):04d}")
    return _save(session, PhoneNumber(tenant_id=tenant.id, **fields))


def make_call(session: Session, *, tenant: Tenant, minutes_ago: int = 10, duration: int = 90, **fields) -> Call:
    started = utcnow() - timedelta(minutes=minutes_ago)
    fields.setdefault("provider_call_id", str(uuid.uuid4()))
    fields.setdefault("status", "ended")
    fields.setdefault("outcome", "answered")
    fields.setdefault("caller_number", "+16505550199")
    fields.setdefault("cost", Decimal("0.1234"))
    return _save(
        session,
        Call(
            tenant_id=tenant.id,
            started_at=started,
            ended_at=started + timedelta(seconds=duration),
            duration_seconds=duration,
            **fields,
        ),
    )


def make_webhook_secret(session: Session, *, tenant: Tenant, secret: str, **fields) -> WebhookSecret:
    """A tenant webhook secret known to the test (stored as the service stores it: hashed, value encrypted)."""
    from ava_app.services import credentials

    fields.setdefault("secret_encrypted", credentials.encrypt_text(secret))
    return _save(
        session, WebhookSecret(tenant_id=tenant.id, secret_hash=credentials.webhook_secret_hash(secret), **fields)
    )
