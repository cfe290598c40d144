"""/api/v1/business/region and the signup's region through the ASGI app: members read, admins change, per tenant."""

import re

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import Outbox, Tenant
from ava_app.services import rate_limits
from ava_app.services.messaging.outbox import open_bodies

PASSWORD = "tulip-garage-42"
LONDON = {"country": "GB", "timezone": "Europe/London", "language": "en", "currency": "GBP"}


@pytest.fixture()
async def client(engine):
    rate_limits.reset_rate_limits()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


def _auth(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _signup(client, email: str, **browser) -> dict:
    body = {"name": "Owner", "email": email, "password": PASSWORD, "organisation_name": "Salon", **browser}
    response = await client.post("/api/v1/auth/signup", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_signup_region_then_members_read_and_admins_change_it(client, db):
    paris = await _signup(client, "salon@example.com", locale="fr-FR", timezone="Europe/Paris")
    region = (await client.get("/api/v1/business/region", headers=_auth(paris))).json()
    assert {k: region[k] for k in ("country", "timezone", "language", "currency", "can_edit")} == {
        "country": "FR",
        "timezone": "Europe/Paris",
        "language": "fr",
        "currency": "EUR",
        "can_edit": True,
    }
    assert region["summary"].startswith("France · heure de Paris (UTC+")

    # A viewer who joined through an invitation reads it and cannot change it.
    invited = await client.post(
        "/api/v1/team/invites", headers=_auth(paris), json={"email": "viewer@example.com", "role": "viewer"}
    )
    assert invited.status_code == 201, invited.text
    message = db.exec(select(Outbox).where(Outbox.to == "viewer@example.com")).first()
    token = re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)
    viewer = await client.post(
        "/api/v1/team/invites/accept-signup", json={"token": token, "name": "Viewer", "password": PASSWORD}
    )
    assert viewer.status_code == 201, viewer.text
    seen = (await client.get("/api/v1/business/region", headers=_auth(viewer.json()))).json()
    assert (seen["timezone"], seen["can_edit"]) == ("Europe/Paris", False)
    refused = await client.put("/api/v1/business/region", headers=_auth(viewer.json()), json=LONDON)
    assert refused.status_code == 403

    bad = await client.put("/api/v1/business/region", headers=_auth(paris), json={**LONDON, "timezone": "Mars/Base"})
    assert bad.status_code == 422 and "timezone" in bad.text
    changed = await client.put("/api/v1/business/region", headers=_auth(paris), json=LONDON)
    assert changed.status_code == 200 and changed.json()["currency"] == "GBP"

    # Another business is untouched, and its own region is its own.
    other = await _signup(client, "plumber@example.com", locale="en-US", timezone="America/New_York")
    assert (await client.get("/api/v1/business/region", headers=_auth(other))).json()["timezone"] == (
        "America/New_York"
    )
    db.expire_all()
    assert db.get(Tenant, paris["tenant_id"]).timezone == "Europe/London"


async def test_signup_with_a_broken_region_still_signs_up(client, db):
    odd = await _signup(client, "odd@example.com", locale="zz", timezone="Not/AZone", country="QQ")
    db.expire_all()
    tenant = db.get(Tenant, odd["tenant_id"])
    assert (tenant.country, tenant.timezone, tenant.currency) == ("US", "America/New_York", "USD")
    too_long = await client.post(
        "/api/v1/auth/signup",
        json={
            "name": "A",
            "email": "long@example.com",
            "password": PASSWORD,
            "organisation_name": "B",
            "timezone": "x" * 65,
        },
    )
    assert too_long.status_code == 422
