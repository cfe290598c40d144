"""/api/v1/team, /orgs and /api-keys through the ASGI app, including a full cross-tenant sweep."""

import re

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import ApiKey, AuditLog, AuthSession, Invite, Membership, Outbox
from ava_app.services import rate_limits
from ava_app.services.messaging.outbox import open_bodies

PASSWORD = "tulip-garage-42"


@pytest.fixture()
async def client(engine):
    rate_limits.reset_rate_limits()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


def _auth(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _signup(client, email: str, organisation: str) -> dict:
    response = await client.post(
        "/api/v1/auth/signup",
        json={"name": "Owner", "email": email, "password": PASSWORD, "organisation_name": organisation},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _invite_and_join(client, db, admin: dict, email: str, role: str) -> dict:
    response = await client.post("/api/v1/team/invites", headers=_auth(admin), json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    message = db.exec(select(Outbox).where(Outbox.to == email).order_by(Outbox.id.desc())).first()
    token = re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)
    joined = await client.post(
        "/api/v1/team/invites/accept-signup", json={"token": token, "name": "Member", "password": PASSWORD}
    )
    assert joined.status_code == 201, joined.text
    return joined.json()


async def test_team_management_flow(client, db):
    admin = await _signup(client, "owner@example.com", "Clinic")
    member = await _invite_and_join(client, db, admin, "member@example.com", "viewer")
    members = (await client.get("/api/v1/team/members", headers=_auth(member))).json()
    assert {row["email"]: row["role"] for row in members} == {
        "owner@example.com": "admin",
        "member@example.com": "viewer",
    }
    # Viewers read, never write or manage.
    assert (await client.get("/api/v1/team/invites", headers=_auth(member))).status_code == 403
    forbidden = await client.post("/api/v1/team/invites", headers=_auth(member), json={"email": "x@example.com"})
    assert forbidden.status_code == 403
    assert (await client.get("/api/v1/orgs/current/audit", headers=_auth(member))).status_code == 403
    # The last admin stays.
    demote = await client.patch(f"/api/v1/team/members/{admin['user_id']}", headers=_auth(admin), json={"role": "user"})
    assert demote.status_code == 409 and demote.json()["error"] == "last_admin"
    assert (await client.post("/api/v1/team/leave", headers=_auth(admin))).status_code == 409
    promote = await client.patch(
        f"/api/v1/team/members/{member['user_id']}", headers=_auth(admin), json={"role": "admin"}
    )
    assert promote.json()["role"] == "admin"
    assert (await client.get("/api/v1/team/invites", headers=_auth(member))).status_code == 200
    removed = await client.delete(f"/api/v1/team/members/{admin['user_id']}", headers=_auth(member))
    assert removed.status_code == 204
    me = (await client.get("/api/v1/auth/me", headers=_auth(admin))).json()
    assert (me["tenant_id"], me["role"]) == (None, None)
    assert (await client.get("/api/v1/team/members", headers=_auth(admin))).status_code == 403
    actions = {row["action"] for row in (await client.get("/api/v1/orgs/current/audit", headers=_auth(member))).json()}
    assert {"invite_sent", "invite_accepted", "role_changed", "member_removed"} <= actions


async def test_organisations_create_list_switch(client, db):
    owner = await _signup(client, "owner@example.com", "Clinic")
    created = await client.post("/api/v1/orgs", headers=_auth(owner), json={"name": "Second Clinic"})
    assert created.status_code == 201
    second_id = created.json()["tenant_id"]
    orgs = (await client.get("/api/v1/orgs", headers=_auth(owner))).json()
    assert {org["name"]: org["current"] for org in orgs} == {"Clinic": False, "Second Clinic": True}
    # Until the email is verified, creating is allowed but switching is not.
    refused = await client.post(f"/api/v1/orgs/{owner['tenant_id']}/switch", headers=_auth(owner))
    assert (refused.status_code, refused.json()["error"]) == (403, "email_unverified")
    message = db.exec(select(Outbox).where(Outbox.to == "owner@example.com")).first()
    token = re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)
    verified = await client.post("/api/v1/auth/verify-email", headers=_auth(owner), json={"token": token})
    assert verified.json()["message"] == "Your email address is confirmed."
    switched = await client.post(f"/api/v1/orgs/{owner['tenant_id']}/switch", headers=_auth(owner))
    assert switched.json() == {"tenant_id": owner["tenant_id"], "role": "admin"}
    assert (await client.get("/api/v1/auth/me", headers=_auth(owner))).json()["tenant_id"] == owner["tenant_id"]
    assert second_id != owner["tenant_id"]


def _snapshot(db) -> dict:
    """Everything organisation A owns that B might try to touch."""
    db.expire_all()
    return {
        "memberships": sorted((m.user_id, m.tenant_id, m.role) for m in db.exec(select(Membership))),
        "invites": sorted((i.id, i.revoked_at is None, i.accepted_at is None) for i in db.exec(select(Invite))),
        "keys": sorted((k.id, k.revoked_at is None) for k in db.exec(select(ApiKey))),
        "sessions": sorted((s.id, s.tenant_id, s.revoked_at is None) for s in db.exec(select(AuthSession))),
    }


async def test_another_organisation_cannot_touch_anything(client, db):
    admin_a = await _signup(client, "a-owner@example.com", "Organisation A")
    member_a = await _invite_and_join(client, db, admin_a, "a-member@example.com", "user")
    invite_a = (
        await client.post("/api/v1/team/invites", headers=_auth(admin_a), json={"email": "a-next@example.com"})
    ).json()
    key_a = (await client.post("/api/v1/api-keys", headers=_auth(admin_a), json={"name": "A key"})).json()
    admin_b = await _signup(client, "b-owner@example.com", "Organisation B")
    key_b = await client.post("/api/v1/api-keys", headers=_auth(admin_b), json={"name": "B key", "role": "admin"})
    before = _snapshot(db)
    audit_before = len(db.exec(select(AuditLog).where(AuditLog.tenant_id == admin_a["tenant_id"])).all())

    b = _auth(admin_b)
    attempts = [
        ("PATCH", f"/api/v1/team/members/{member_a['user_id']}", {"role": "admin"}),
        ("PATCH", f"/api/v1/team/members/{admin_a['user_id']}", {"role": "viewer"}),
        ("DELETE", f"/api/v1/team/members/{member_a['user_id']}", None),
        ("DELETE", f"/api/v1/team/members/{admin_a['user_id']}", None),
        ("DELETE", f"/api/v1/team/invites/{invite_a['id']}", None),
        ("DELETE", f"/api/v1/api-keys/{key_a['id']}", None),
        ("POST", f"/api/v1/orgs/{admin_a['tenant_id']}/switch", None),
        ("DELETE", f"/api/v1/auth/sessions/{admin_a['session_id']}", None),
        ("DELETE", f"/api/v1/auth/sessions/{member_a['session_id']}", None),
    ]
    for headers in (b, {"Authorization": f"Bearer {key_b.json()['key']}"}):
        for method, url, body in attempts:
            response = await client.request(method, url, headers=headers, json=body)
            assert response.status_code in (403, 404), (method, url, response.status_code, response.text)

    # Lists only ever show B's own data.
    members = (await client.get("/api/v1/team/members", headers=b)).json()
    assert [row["email"] for row in members] == ["b-owner@example.com"]
    assert (await client.get("/api/v1/team/invites", headers=b)).json() == []
    assert [row["name"] for row in (await client.get("/api/v1/api-keys", headers=b)).json()] == ["B key"]
    audit_b = (await client.get("/api/v1/orgs/current/audit", headers=b)).json()
    assert {row["user_id"] for row in audit_b} == {admin_b["user_id"]}
    assert [org["name"] for org in (await client.get("/api/v1/orgs", headers=b)).json()] == ["Organisation B"]

    assert _snapshot(db) == before
    assert len(db.exec(select(AuditLog).where(AuditLog.tenant_id == admin_a["tenant_id"])).all()) == audit_before
    # A still works normally.
    assert (await client.get("/api/v1/team/members", headers=_auth(admin_a))).status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=_auth(member_a))).json()["role"] == "user"
