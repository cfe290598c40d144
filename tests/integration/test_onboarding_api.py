"""/api/v1/onboarding and /api/v1/ava-profiles through the ASGI app, with the provider emulators on a real port."""

from __future__ import annotations

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.models import Tenant
from ava_app.services import rate_limits
from ava_app.services.passwords import hash_password
from tests.factories import make_user
from tests.unit.test_assistants import providers

__all__ = ["providers"]
PASSWORD = "tulip-garage-42"


@pytest.fixture()
async def client(providers):
    rate_limits.reset_rate_limits()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


async def signup(client, email: str, organisation: str, **extra) -> dict:
    """A new organisation and its admin; returns the bearer header and the tenant id."""
    response = await client.post(
        "/api/v1/auth/signup",
        json={"name": "Owner", "email": email, "password": PASSWORD, "organisation_name": organisation, **extra},
    )
    assert response.status_code == 201, response.text
    tokens = response.json()
    return {"headers": {"Authorization": f"Bearer {tokens['access_token']}"}, "tenant_id": tokens["tenant_id"]}


async def member(client, db, tenant_id: int, role: str) -> dict:
    """Log in a new member of ``tenant_id`` with ``role``; returns the bearer header."""
    user = make_user(db, tenant=db.get(Tenant, tenant_id), role=role, password_hash=hash_password(PASSWORD))
    response = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_wizard_from_industry_to_completion(client, db, jobs, providers):
    owner = await signup(client, "owner@example.com", "Le Bistrot")
    auth = owner["headers"]

    industries = (await client.get("/api/v1/onboarding/industries?locale=fr", headers=auth)).json()
    assert len(industries) == 11 and {"key": "restaurant", "label": "Restaurant", "icon": "utensils"} in industries
    preset = (await client.get("/api/v1/onboarding/preset/restaurant?locale=fr", headers=auth)).json()
    assert preset["first_message"].startswith("Bonjour, Le Bistrot") and 5 <= len(preset["faqs"]) <= 10
    assert (await client.get("/api/v1/onboarding/preset/spaceport", headers=auth)).status_code == 404
    voices = (await client.get("/api/v1/onboarding/voices?language=fr", headers=auth)).json()
    assert voices[0]["default"] is True

    progress = (await client.get("/api/v1/onboarding/progress", headers=auth)).json()
    assert progress["step"] == 1 and not progress["completed"]
    chosen = await client.post(
        "/api/v1/onboarding/progress", headers=auth, json={"step": 3, "industry": "restaurant", "locale": "fr"}
    )
    assert chosen.status_code == 200 and chosen.json()["industry"] == "restaurant"

    offer = (await client.get("/api/v1/phone-numbers/available?country=US&area_code=212", headers=auth)).json()
    assert offer[0]["kind"] == "vapi_free"
    provisioned = await client.post(
        "/api/v1/phone-numbers/provision", headers=auth, json={"kind": "vapi_free", "area_code": "212"}
    )
    assert provisioned.status_code == 201, provisioned.text

    done = await client.post("/api/v1/onboarding/complete", headers=auth)
    assert done.status_code == 200, done.text
    assert done.json()["completed"] and done.json()["number"] == provisioned.json()["e164"]
    profile = (await client.get("/api/v1/ava-profiles", headers=auth)).json()
    assert profile["sync_status"] == "synced" and profile["provider_assistant_id"]
    assert providers.vapi_get(f"/assistant/{profile['provider_assistant_id']}").status_code == 200


async def test_profile_edit_validation_versions_restore_and_sync(client, db, jobs, providers):
    owner = await signup(client, "clinic@example.com", "Bright Smile", industry="clinic")
    auth = owner["headers"]
    created = (await client.get("/api/v1/ava-profiles", headers=auth)).json()
    assert created["industry"] == "clinic" and created["version"] == 1

    bad = await client.post(
        "/api/v1/ava-profiles",
        headers=auth,
        json={"first_message": "", "max_duration_seconds": 7200, "summary_recipients": ["nope"]},
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"first_message", "max_duration_seconds", "summary_recipients.0"}

    saved = await client.post("/api/v1/ava-profiles", headers=auth, json={"first_message": "Hi from Bright Smile!"})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    imported = await client.post(
        "/api/v1/ava-profiles/faq/import", headers=auth, json={"text": "Open Saturday? Yes, until noon."}
    )
    assert imported.json()["knowledge_base"][-1] == {
        "question": "Open Saturday?",
        "answer": "Yes, until noon.",
        "review": False,  # typed by the owner; the preset's own entries are to review
    }
    assert all(item["review"] for item in imported.json()["knowledge_base"][:-1])

    versions = (await client.get("/api/v1/ava-profiles/versions", headers=auth)).json()
    assert [v["version"] for v in versions] == [2, 1]
    restored = await client.post("/api/v1/ava-profiles/versions/1/restore", headers=auth)
    assert restored.json()["first_message"] == created["first_message"] and restored.json()["version"] == 4
    assert (await client.post("/api/v1/ava-profiles/versions/99/restore", headers=auth)).status_code == 404

    providers.down.add("vapi")
    down = await client.post("/api/v1/ava-profiles/sync", headers=auth)
    assert down.status_code == 200 and down.json()["sync_status"] == "failed"
    providers.down.clear()
    synced = (await client.post("/api/v1/ava-profiles/sync", headers=auth)).json()
    assert synced["sync_status"] == "synced"
    remote = providers.vapi_get(f"/assistant/{synced['provider_assistant_id']}").json()
    assert remote["firstMessage"] == created["first_message"]


async def test_roles_and_tenants_are_enforced(client, db, providers):
    owner = await signup(client, "a@example.com", "Alpha", industry="garage")
    other = await signup(client, "b@example.com", "Beta", industry="hotel")
    await client.get("/api/v1/ava-profiles", headers=owner["headers"])
    viewer = await member(client, db, owner["tenant_id"], "viewer")

    assert (await client.get("/api/v1/ava-profiles", headers=viewer)).json()["industry"] == "garage"
    assert (await client.get("/api/v1/onboarding/progress", headers=viewer)).status_code == 200
    for method, path, body in [
        ("POST", "/api/v1/ava-profiles", {"name": "Viewer"}),
        ("POST", "/api/v1/ava-profiles/versions/1/restore", None),
        ("POST", "/api/v1/ava-profiles/sync", None),
        ("POST", "/api/v1/onboarding/progress", {"step": 2}),
        ("POST", "/api/v1/onboarding/complete", None),
    ]:
        response = await client.request(method, path, headers=viewer, json=body)
        assert response.status_code == 403, (path, response.text)
    assert (await client.get("/api/v1/ava-profiles")).status_code == 401

    # Each organisation only ever sees and changes its own assistant.
    theirs = (await client.get("/api/v1/ava-profiles", headers=other["headers"])).json()
    await client.post("/api/v1/ava-profiles", headers=owner["headers"], json={"name": "Alpha Ava"})
    assert (await client.get("/api/v1/ava-profiles", headers=other["headers"])).json()["name"] == theirs["name"]
    assert (await client.get("/api/v1/ava-profiles/versions", headers=other["headers"])).json() == []


async def test_the_business_profile_through_the_api_stays_in_its_organisation(client, db, providers):
    owner = await signup(client, "c@example.com", "Gamma", industry="salon")
    other = await signup(client, "d@example.com", "Delta", industry="salon")
    profile = {
        "address": "5 Main Street",
        "services": [{"name": "Haircut", "price": "25", "duration": "30"}, {"name": "", "price": "x"}],
        "booking_mode": "message",
    }
    bad = await client.post("/api/v1/ava-profiles", headers=owner["headers"], json={"business_profile": profile})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"business_profile.services.1.name", "business_profile.services.1.price"}

    profile["services"] = profile["services"][:1]
    saved = await client.post("/api/v1/ava-profiles", headers=owner["headers"], json={"business_profile": profile})
    assert saved.status_code == 200
    assert saved.json()["business_profile"]["services"] == [{"name": "Haircut", "price": "25.00", "duration": 30}]
    assert (await client.get("/api/v1/ava-profiles", headers=other["headers"])).json()["business_profile"] == {}
    viewer = await member(client, db, owner["tenant_id"], "viewer")
    refused = await client.post("/api/v1/ava-profiles", headers=viewer, json={"business_profile": {"address": "X"}})
    assert refused.status_code == 403
