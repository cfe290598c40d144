"""/api/v1/calls through the ASGI app: filters as query params, cursor pages, export stream, detail, delete, roles."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlmodel import select

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


def bearer(db, tenant, role: str = "admin") -> dict:
    """Headers for a fresh session of a new member of ``tenant`` with ``role``."""
    user = make_user(db, tenant=tenant, role=role)
    tokens = accounts.start_session(db, user=user, ip="", user_agent="test", tenant_id=tenant.id)
    return {"Authorization": f"Bearer {tokens.access_token}"}


def add_call(db, tenant, minutes_ago: int, **fields) -> Call:
    start = utcnow() - timedelta(minutes=minutes_ago)
    fields.setdefault("status", "ended")
    fields.setdefault("outcome", "answered")
    fields.setdefault("duration_seconds", 60)
    call = Call(
        tenant_id=tenant.id,
        provider_call_id=str(uuid.uuid4()),
        started_at=start,
        created_at=start,
        cost=Decimal("0.1200"),
        caller_number="+33612345678",
        **fields,
    )
    db.add(call)
    db.commit()
    db.refresh(call)
    return call


@pytest.fixture()
def two_tenants(db):
    a, b = make_tenant(db, timezone="Europe/Paris"), make_tenant(db)
    calls_a = [add_call(db, a, minutes_ago=10 * i + 1, summary=f"Call number {i}") for i in range(7)]
    missed = add_call(db, a, minutes_ago=5, outcome="missed", duration_seconds=0, action_needed=True)
    call_b = add_call(db, b, minutes_ago=3)
    return a, b, calls_a, missed, call_b


async def test_pages_with_filters_and_cursor(client, db, two_tenants):
    a, _b, calls_a, missed, _call_b = two_tenants
    headers = bearer(db, a, "viewer")

    seen, cursor = [], None
    while True:
        params = {"outcome": "answered", "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/calls", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            assert body["has_more"] is False
            break
    assert seen == [c.id for c in calls_a]

    both = await client.get("/api/v1/calls?outcome=missed&outcome=voicemail&action=open", headers=headers)
    assert [item["id"] for item in both.json()["items"]] == [missed.id]
    by_duration = await client.get("/api/v1/calls", params={"sort": "duration", "direction": "asc"}, headers=headers)
    assert by_duration.json()["items"][0]["id"] == missed.id
    # What the providers charge AVA is not the owner's cost: no sort by it, no field with it.
    by_cost = await client.get("/api/v1/calls", params={"sort": "cost"}, headers=headers)
    assert by_cost.status_code == 422
    found = await client.get("/api/v1/calls", params={"q": "number 3"}, headers=headers)
    assert [item["id"] for item in found.json()["items"]] == [calls_a[3].id]
    item = found.json()["items"][0]
    assert item["summary_line"] == "Call number 3"
    assert "cost" not in item and "cost_breakdown" not in item
    detail = await client.get(f"/api/v1/calls/{item['id']}", headers=headers)
    assert detail.status_code == 200 and not {"cost", "cost_breakdown"} & set(detail.json())


async def test_bad_filters_and_cursor_answer_422(client, db, two_tenants):
    a = two_tenants[0]
    headers = bearer(db, a)
    bad = await client.get("/api/v1/calls", params={"outcome": "eaten"}, headers=headers)
    assert bad.status_code == 422 and "outcome" in bad.json()["fields"]
    bad = await client.get("/api/v1/calls", params={"date_from": "yesterday"}, headers=headers)
    assert bad.status_code == 422 and "date_from" in bad.json()["fields"]
    bad = await client.get("/api/v1/calls", params={"cursor": "nonsense"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["fields"] == {"cursor": "invalid"}
    assert (await client.get("/api/v1/calls", params={"sort": "caller"}, headers=headers)).status_code == 422


async def test_detail_delete_and_action_done(client, db, two_tenants):
    a, _b, calls_a, missed, _call_b = two_tenants
    writer = bearer(db, a, "user")
    viewer = bearer(db, a, "viewer")

    detail = await client.get(f"/api/v1/calls/{missed.id}", headers=viewer)
    assert detail.status_code == 200
    assert detail.json()["outcome_text"]["en"].startswith("Nobody talked")

    assert (await client.post(f"/api/v1/calls/{missed.id}/action-done", headers=viewer)).status_code == 403
    done = await client.post(f"/api/v1/calls/{missed.id}/action-done", headers=writer)
    assert done.status_code == 200 and done.json()["action_done_at"] is not None
    reopened = await client.post(f"/api/v1/calls/{missed.id}/action-done?done=false", headers=writer)
    assert reopened.json()["action_done_at"] is None

    assert (await client.delete(f"/api/v1/calls/{calls_a[0].id}", headers=viewer)).status_code == 403
    assert (await client.delete(f"/api/v1/calls/{calls_a[0].id}", headers=writer)).status_code == 204
    assert (await client.delete(f"/api/v1/calls/{calls_a[0].id}", headers=writer)).status_code == 404
    assert (await client.get(f"/api/v1/calls/{calls_a[0].id}", headers=writer)).status_code == 404


async def test_another_organisation_gets_404_and_changes_nothing(client, db, two_tenants):
    a, b, calls_a, missed, call_b = two_tenants
    intruder = bearer(db, b, "admin")
    target = calls_a[1].id

    assert (await client.get(f"/api/v1/calls/{target}", headers=intruder)).status_code == 404
    assert (await client.delete(f"/api/v1/calls/{target}", headers=intruder)).status_code == 404
    assert (await client.post(f"/api/v1/calls/{missed.id}/action-done", headers=intruder)).status_code == 404
    listed = await client.get("/api/v1/calls", headers=intruder)
    assert [item["id"] for item in listed.json()["items"]] == [call_b.id]
    exported = await client.get("/api/v1/calls/export?format=json", headers=intruder)
    assert [row["id"] for row in exported.json()] == [call_b.id]

    db.expire_all()
    assert db.exec(select(Call).where(Call.id == target)).one().tenant_id == a.id
    assert db.exec(select(Call).where(Call.id == missed.id)).one().action_done_at is None


async def test_export_streams_csv_and_json(client, db, two_tenants):
    a, _b, calls_a, missed, _call_b = two_tenants
    headers = bearer(db, a, "viewer")

    async with client.stream("GET", "/api/v1/calls/export", params={"outcome": "answered"}, headers=headers) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/csv")
        assert 'filename="calls.csv"' in resp.headers["content-disposition"]
        text = "".join([chunk async for chunk in resp.aiter_text()])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(row["id"]) for row in rows] == [c.id for c in calls_a]

    as_json = await client.get("/api/v1/calls/export", params={"format": "json"}, headers=headers)
    assert as_json.headers["content-type"] == "application/json"
    assert [row["id"] for row in as_json.json()][0] == calls_a[0].id
    assert (await client.get("/api/v1/calls/export?format=xlsx", headers=headers)).status_code == 422
    assert (await client.get("/api/v1/calls/export?outcome=eaten", headers=headers)).status_code == 422


async def test_needs_a_token(client, engine):
    assert (await client.get("/api/v1/calls")).status_code == 401
    assert (await client.get("/api/v1/calls/export")).status_code == 401
    assert (await client.get("/api/v1/calls/1")).status_code == 401
