"""Users, organisations and calls for the sessions benchmark, and what each page must show them.

Written straight to the database the server uses (as ``dashboard.py`` loads its calls): ``tenants`` organisations of
``calls`` calls each over the last 30 days, and ``users`` members spread over them in turn, all with the same
password. Idempotent: a second run finds the organisations and users by name and adds only what is missing.

The expected figures are read through AVA's own services for each organisation (``analytics.dashboard_summary``,
``calls.count_calls``), so a reply is checked against what the page is meant to show, not against a number copied
from an earlier reply.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from ava_app import demo_data  # noqa: E402
from ava_app.db import session_scope  # noqa: E402
from ava_app.models import Call, Membership, Tenant, User, utcnow  # noqa: E402
from ava_app.services import analytics, calls  # noqa: E402
from ava_app.services.calls import CallFilters  # noqa: E402
from ava_app.services.passwords import hash_password  # noqa: E402
from ava_app.services.principal import Principal  # noqa: E402

PASSWORD = "sessions-bench-Password-7"
EMAIL = "sessions-bench-{index}@bench.localhost"
TENANT_NAME = "Sessions bench {index}"
ZONES = ("Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Adelaide")
PERIODS = ("today", "week", "month")
# The outcomes the calls list is filtered by (each tenant has calls of each, from demo_data's mix).
FILTER_OUTCOMES = ("answered", "missed", "voicemail")
CALLS_SHOWN = 20  # calls per tenant a session may open


@dataclass
class Expected:
    """What one organisation's pages must show."""

    tenant_id: int
    tenant_name: str
    hour_calls: dict[str, int]  # period -> calls in the by-hour chart (its bars' sum)
    outcome_counts: dict[str, int]  # outcome -> calls the filtered list counts
    total_calls: int
    call_ids: list[int] = field(default_factory=list)  # the tenant's latest calls, to open
    all_ids: set[int] = field(default_factory=set)


@dataclass
class BenchUser:
    email: str
    user_id: int
    tenant: Expected


def seed(*, users: int, tenants: int, calls_per_tenant: int) -> list[BenchUser]:
    """Make sure the organisations, calls and users exist; returns the users with their organisation's figures."""
    with session_scope() as session:
        tenant_ids = [_tenant(session, index, calls_per_tenant) for index in range(tenants)]
        password_hash = None
        made: list[tuple[str, int, int]] = []
        for index in range(users):
            email = EMAIL.format(index=index)
            tenant_id = tenant_ids[index % tenants]
            user = session.exec(select(User).where(User.email == email)).first()
            if user is not None:  # made by an earlier run, maybe with another number of organisations: keep its own
                member = session.exec(select(Membership).where(Membership.user_id == user.id)).first()
                tenant_id = member.tenant_id if member is not None else tenant_id
            else:
                password_hash = password_hash or hash_password(PASSWORD)
                user = User(email=email, name=f"Bench user {index}", password_hash=password_hash)
                user.email_verified_at = utcnow()
                session.add(user)
                session.flush()
                assert user.id is not None
                session.add(Membership(user_id=user.id, tenant_id=tenant_id, role="user"))
            assert user.id is not None
            made.append((email, user.id, tenant_id))
        session.commit()
        expected = {tenant_id: _expected(session, tenant_id) for tenant_id in {made_id for *_, made_id in made}}
    return [BenchUser(email=email, user_id=user_id, tenant=expected[tenant_id]) for email, user_id, tenant_id in made]


def _tenant(session: Session, index: int, calls_per_tenant: int) -> int:
    name = TENANT_NAME.format(index=index)
    tenant = session.exec(select(Tenant).where(Tenant.name == name)).first()
    if tenant is None:
        tenant = Tenant(name=name, timezone=ZONES[index % len(ZONES)], onboarding_completed_at=utcnow())
        session.add(tenant)
        session.commit()
    assert tenant.id is not None
    have = session.execute(text("SELECT count(*) FROM call WHERE tenant_id = :t"), {"t": tenant.id}).scalar_one()
    if have < calls_per_tenant:
        demo_data.generate_calls(
            session, tenant_id=tenant.id, count=calls_per_tenant - have, days=30, seed=index + have, live=0
        )
    return tenant.id


def _expected(session: Session, tenant_id: int) -> Expected:
    principal = Principal(user_id=None, tenant_id=tenant_id, role="admin")
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    hour_calls = {}
    for period in PERIODS:
        summary = analytics.dashboard_summary(session, principal=principal, period=period)
        hour_calls[period] = sum(hour.calls for hour in summary.calls_by_hour)
    outcome_counts = {
        outcome: calls.count_calls(session, principal=principal, filters=CallFilters(outcome=[outcome])).total
        for outcome in FILTER_OUTCOMES
    }
    total = calls.count_calls(session, principal=principal, filters=CallFilters()).total
    ids = list(
        session.exec(
            select(Call.id).where(Call.tenant_id == tenant_id).order_by(col(Call.started_at).desc()).limit(CALLS_SHOWN)
        )
    )
    all_ids = set(session.exec(select(Call.id).where(Call.tenant_id == tenant_id)))
    return Expected(
        tenant_id=tenant_id,
        tenant_name=tenant.name,
        hour_calls=hour_calls,
        outcome_counts=outcome_counts,
        total_calls=total,
        call_ids=[call_id for call_id in ids if call_id is not None],
        all_ids={call_id for call_id in all_ids if call_id is not None},
    )
