"""API key scopes, expiry and per-key rate limits through the ASGI app, and the OpenAPI document that states them."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import ApiKey, AuditLog, Call, utcnow
from ava_app.services import accounts, api_keys, rate_limits
from ava_app.services.errors import Invalid
from ava_app.settings import get_settings
from tests.factories import make_call, make_phone_number, make_tenant, make_user

# A Redis database of this file's own: the limits of other test runs sharing the server are not disturbed.
REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture()
async def client(engine):
    rate_limits.reset_rate_limits()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


@pytest.fixture()
def org(db):
    """An organisation with an admin (as a Principal), one call and one phone number."""
    tenant = make_tenant(db)
    admin = make_user(db, tenant=tenant, role="admin")
    tokens = accounts.start_session(db, user=admin, ip="", user_agent="test", tenant_id=tenant.id)
    principal = accounts.authenticate(db, access_token=tokens.access_token)
    call = make_call(db, tenant=tenant)
    make_phone_number(db, tenant=tenant)
    return {
        "tenant": tenant,
        "principal": principal,
        "call_id": call.id,
        "person": {"Authorization": f"Bearer {tokens.access_token}"},
    }


def key_headers(db, org, scopes: list[str], **fields) -> dict:
    created = api_keys.create_api_key(db, principal=org["principal"], name="Integration", scopes=scopes, **fields)
    return {"Authorization": f"Bearer {created.key}"}


async def test_a_read_key_reads_calls_and_nothing_else(client, db, org):
    headers = key_headers(db, org, ["calls:read"])
    call_id = org["call_id"]
    assert (await client.get("/api/v1/calls", headers=headers)).json()["items"][0]["id"] == call_id
    assert (await client.get(f"/api/v1/calls/{call_id}", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/analytics/summary", headers=headers)).status_code == 200
    refused = [
        ("DELETE", f"/api/v1/calls/{call_id}", "calls:write"),
        ("POST", f"/api/v1/calls/{call_id}/action-done", "calls:write"),
        ("GET", "/api/v1/ava-profiles", "assistant:manage"),
        ("GET", "/api/v1/phone-numbers/my-numbers", "assistant:manage"),
        ("PUT", "/api/v1/business/region", "assistant:manage"),
    ]
    for method, path, scope in refused:
        response = await client.request(method, path, headers=headers, json={})
        assert response.status_code == 403, (method, path, response.text)
        body = response.json()
        assert body["error"] == "insufficient_scope" and scope in body["message"], (method, path, body)
    # People-only routes stay closed to every key.
    assert (await client.get("/api/v1/team/members", headers=headers)).json()["error"] == "user_required"
    db.expire_all()
    assert db.get(Call, call_id) is not None


async def test_each_scope_opens_its_own_routes(client, db, org):
    call_id = org["call_id"]
    setup = key_headers(db, org, ["assistant:manage"])
    assert (await client.get("/api/v1/phone-numbers/my-numbers", headers=setup)).status_code == 200
    assert (await client.get("/api/v1/ava-profiles", headers=setup)).status_code == 200
    assert (await client.get("/api/v1/business/region", headers=setup)).status_code == 200
    assert (await client.get("/api/v1/calls", headers=setup)).json()["error"] == "insufficient_scope"

    writer = key_headers(db, org, ["calls:write"])
    assert (await client.get(f"/api/v1/calls/{call_id}", headers=writer)).status_code == 403
    assert (await client.delete(f"/api/v1/calls/{call_id}", headers=writer)).status_code == 204
    db.expire_all()
    assert db.get(Call, call_id) is None
    # The person is not concerned by scopes: their role decides.
    assert (await client.get("/api/v1/ava-profiles", headers=org["person"])).status_code == 200


async def test_scopes_set_the_keys_role_and_must_agree_with_a_given_one(db, org):
    principal = org["principal"]
    read = api_keys.create_api_key(db, principal=principal, name="Warehouse", scopes=["calls:read"])
    assert (read.role, read.scopes) == ("viewer", ["calls:read"])
    write = api_keys.create_api_key(db, principal=principal, name="CRM", scopes=["calls:write", "calls:read"])
    assert (write.role, write.scopes) == ("user", ["calls:read", "calls:write"])
    hooks = api_keys.create_api_key(db, principal=principal, name="Hooks", scopes=["webhooks:manage"])
    assert hooks.role == "admin"
    legacy = api_keys.create_api_key(db, principal=principal, name="Old script", role="viewer")
    assert legacy.scopes == ["calls:read"]
    for bad in (
        {"scopes": []},
        {"scopes": ["calls:read", "billing:all"]},
        {"scopes": ["calls:write"], "role": "viewer"},
        {"scopes": ["calls:read"], "expires_in_days": 0},
    ):
        with pytest.raises(Invalid):
            api_keys.create_api_key(db, principal=principal, name="Bad", **bad)


async def test_an_expired_key_answers_401_and_is_listed_as_expired(client, db, org):
    created = api_keys.create_api_key(
        db, principal=org["principal"], name="Temp", scopes=["calls:read"], expires_in_days=30
    )
    assert created.expires_at is not None
    assert timedelta(days=29) < created.expires_at - utcnow() <= timedelta(days=30)
    headers = {"Authorization": f"Bearer {created.key}"}
    assert (await client.get("/api/v1/calls", headers=headers)).status_code == 200
    row = db.get(ApiKey, created.id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    response = await client.get("/api/v1/calls", headers=headers)
    assert response.status_code == 401 and response.json()["error"] == "api_key_expired"
    [listed] = api_keys.list_api_keys(db, principal=org["principal"])
    assert (listed.status, listed.revoked) == ("expired", False)


async def test_each_key_has_its_own_rate_limit_in_the_shared_store(engine, db, org, monkeypatch):
    """Two app processes (two ASGI apps) count one key's requests in Redis together; another key is unaffected."""
    monkeypatch.setenv("AVA_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("AVA_API_KEY_REQUESTS_PER_MINUTE", "3")
    get_settings.cache_clear()
    try:
        rate_limits.reset_rate_limits()
        busy = key_headers(db, org, ["calls:read"])
        calm = key_headers(db, org, ["calls:read"])
        first, second = (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver")
            for _ in range(2)
        )
        async with first, second:
            assert (await first.get("/api/v1/calls", headers=busy)).status_code == 200
            assert (await second.get("/api/v1/calls", headers=busy)).status_code == 200
            assert (await first.get("/api/v1/calls", headers=busy)).status_code == 200
            limited = await second.get("/api/v1/calls", headers=busy)
            assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
            assert (await first.get("/api/v1/calls", headers=calm)).status_code == 200
    finally:
        rate_limits.reset_rate_limits()
        monkeypatch.delenv("AVA_REDIS_URL")
        monkeypatch.delenv("AVA_API_KEY_REQUESTS_PER_MINUTE")
        get_settings.cache_clear()


async def test_the_rest_api_creates_keys_with_scopes_and_expiry(client, db, org):
    response = await client.post(
        "/api/v1/api-keys",
        headers=org["person"],
        json={"name": "Zap", "scopes": ["calls:read", "calls:write"], "expires_in_days": 90},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["scopes"] == ["calls:read", "calls:write"] and body["role"] == "user" and body["status"] == "active"
    assert body["created_by"] == "Test User" and body["expires_at"] is not None
    bad = await client.post("/api/v1/api-keys", headers=org["person"], json={"name": "Zap", "scopes": ["root"]})
    assert bad.status_code == 422 and "scopes" in bad.json()["fields"]
    audit = db.exec(select(AuditLog).where(AuditLog.action == "api_key_created")).all()
    assert [row.detail["scopes"] for row in audit] == [["calls:read", "calls:write"]]


async def test_openapi_shows_the_bearer_scheme_and_each_routes_scope(client):
    document = (await client.get("/api/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for scope in api_keys.SCOPES:
        assert f"`{scope}`" in scheme["description"]
    paths = document["paths"]
    expected = {
        ("/api/v1/calls", "get"): ["calls:read"],
        ("/api/v1/calls/{call_id}", "get"): ["calls:read"],
        ("/api/v1/calls/{call_id}", "delete"): ["calls:write"],
        ("/api/v1/analytics/summary", "get"): ["calls:read"],
        ("/api/v1/ava-profiles", "post"): ["assistant:manage"],
        ("/api/v1/phone-numbers/provision", "post"): ["assistant:manage"],
        ("/api/v1/auth/me", "get"): [],
        ("/api/v1/api-keys", "post"): [],
        ("/api/v1/team/members", "get"): [],
    }
    for (path, method), scopes in expected.items():
        operation = paths[path][method]
        assert operation["security"] == [{"HTTPBearer": scopes}], (path, method)
        assert operation["x-api-key-scopes"] == scopes
        note = f"**API key scope:** `{scopes[0]}`." if scopes else "**People only:**"
        assert note in operation["description"], (path, method)
    # Every scope a route names is one a key can hold.
    named = {
        scope
        for item in paths.values()
        for operation in item.values()
        for scope in operation.get("x-api-key-scopes", [])
    }
    assert named <= set(api_keys.SCOPES)


async def test_keys_stay_in_their_organisation_and_viewers_cannot_make_them(client, db, org):
    other = make_tenant(db)
    other_admin = make_user(db, tenant=other, role="admin")
    other_tokens = accounts.start_session(db, user=other_admin, ip="", user_agent="test", tenant_id=other.id)
    other_person = {"Authorization": f"Bearer {other_tokens.access_token}"}
    theirs = api_keys.create_api_key(
        db, principal=accounts.authenticate(db, access_token=other_tokens.access_token), name="Theirs"
    )
    mine = api_keys.create_api_key(db, principal=org["principal"], name="Mine", scopes=["calls:read"])

    assert [row["name"] for row in (await client.get("/api/v1/api-keys", headers=org["person"])).json()] == ["Mine"]
    assert (await client.delete(f"/api/v1/api-keys/{theirs.id}", headers=org["person"])).status_code == 404
    assert (await client.delete(f"/api/v1/api-keys/{mine.id}", headers=other_person)).status_code == 404
    db.expire_all()
    assert db.get(ApiKey, theirs.id).revoked_at is None and db.get(ApiKey, mine.id).revoked_at is None

    viewer = make_user(db, tenant=org["tenant"], role="viewer")
    viewer_tokens = accounts.start_session(db, user=viewer, ip="", user_agent="test", tenant_id=org["tenant"].id)
    viewer_person = {"Authorization": f"Bearer {viewer_tokens.access_token}"}
    made = await client.post(
        "/api/v1/api-keys", headers=viewer_person, json={"name": "Sneaky", "scopes": ["calls:read"]}
    )
    assert made.status_code == 403 and made.json()["error"] == "admin_only"
    assert (await client.get("/api/v1/api-keys", headers=viewer_person)).status_code == 403
    assert (await client.delete(f"/api/v1/api-keys/{mine.id}", headers=viewer_person)).status_code == 403
    assert len(db.exec(select(ApiKey)).all()) == 2


async def test_the_webhooks_scope_manages_endpoints_and_nothing_else(client, db, org):
    hooks = key_headers(db, org, ["webhooks:manage"])
    created = await client.post(
        "/api/v1/webhook-endpoints",
        headers=hooks,
        json={"url": "https://crm.example.com/ava", "event_types": ["call.summarized"]},
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    endpoint_id = created.json()["endpoint"]["id"]
    listed = (await client.get("/api/v1/webhook-endpoints", headers=hooks)).json()
    assert [row["url"] for row in listed] == ["https://crm.example.com/ava"] and "secret" not in listed[0]
    assert (await client.get("/api/v1/calls", headers=hooks)).json()["error"] == "insufficient_scope"

    reader = key_headers(db, org, ["calls:read"])
    assert (await client.get("/api/v1/webhook-endpoints", headers=reader)).json()["error"] == "insufficient_scope"
    removed = await client.delete(f"/api/v1/webhook-endpoints/{endpoint_id}", headers=reader)
    assert removed.status_code == 403
    assert (await client.delete(f"/api/v1/webhook-endpoints/{endpoint_id}", headers=hooks)).status_code == 204
    assert (await client.get("/api/v1/webhook-endpoints", headers=hooks)).json() == []
