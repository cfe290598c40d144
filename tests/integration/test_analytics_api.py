"""/api/v1/analytics/summary through the ASGI app: figures of the caller's organisation only, periods, auth."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.models import Call, utcnow
from ava_app.services import accounts, rate_limits
from tests.factories import make_tenant, make_user


@pytest.fixture()
async def client(engine):
    rate_limits.reset_rate_limits()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def bearer(db, tenant, role: str = "viewer") -> dict:
    user = make_user(db, tenant=tenant, role=role)
    tokens = accounts.start_session(db, user=user, ip="", user_agent="test", tenant_id=tenant.id)
    return {"Authorization": f"Bearer {tokens.access_token}"}


def noon_zone() -> str:
    """A fixed-offset zone where it is about noon now, so calls seconds old are "today" whenever the test runs."""
    offset = 12 - utcnow().hour
    return f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT-5 is UTC+5


def add_call(db, tenant, *, seconds_ago: int, outcome: str = "answered", **fields) -> None:
    start = utcnow() - timedelta(seconds=seconds_ago)
    db.add(
        Call(
            tenant_id=tenant.id,
            provider_call_id=str(uuid.uuid4()),
            started_at=start,
            created_at=start,
            status="ended",
            outcome=outcome,
            duration_seconds=60,
            cost=Decimal("0.2500"),
            **fields,
        )
    )
    db.commit()


async def test_summary_counts_only_own_calls(client, db):
    zone = noon_zone()
    mine, theirs = make_tenant(db, timezone=zone), make_tenant(db, timezone=zone)
    for i in range(3):
        add_call(db, mine, seconds_ago=30 + i, topics=["pricing"])
    add_call(db, mine, seconds_ago=40, outcome="missed", action_needed=True)
    for i in range(5):
        add_call(db, theirs, seconds_ago=30 + i, topics=["complaint"], action_needed=True)

    response = await client.get("/api/v1/analytics/summary", params={"period": "today"}, headers=bearer(db, mine))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "today" and body["timezone"] == zone
    assert body["today"]["calls"] == 4 and body["calls"] == 4
    assert not [key for key in body if "cost" in key], "provider costs are not the owner's"
    assert body["answered_share"] == 0.75
    assert body["action_needed"] == 1
    assert body["top_topics"] == [{"topic": "pricing", "calls": 3}]
    assert len(body["recent_calls"]) == 4
    assert len(body["calls_per_day"]) == 7 and len(body["calls_by_hour"]) == 24


async def test_periods_and_errors(client, db):
    tenant = make_tenant(db)
    headers = bearer(db, tenant)
    month = await client.get("/api/v1/analytics/summary?period=month", headers=headers)
    assert month.status_code == 200 and len(month.json()["calls_per_day"]) == 30
    assert (await client.get("/api/v1/analytics/summary?period=year", headers=headers)).status_code == 422
    assert (await client.get("/api/v1/analytics/summary")).status_code == 401
