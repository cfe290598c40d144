"""/api/v1/phone-numbers through the ASGI app, with the provider emulators on a real port; roles and tenants."""

from __future__ import annotations

from decimal import Decimal

from ava_app.services.providers import twilio
from tests.integration.test_onboarding_api import client, member, signup
from tests.unit.test_assistants import TENANT_TWILIO_SID, TENANT_TWILIO_TOKEN, providers

__all__ = ["client", "providers"]


async def test_search_buy_configure_list_and_release(client, db, jobs, providers):
    owner = await signup(client, "owner@example.com", "Maison Dupont", industry="hotel")
    auth = owner["headers"]

    offer = await client.get("/api/v1/phone-numbers/available", params={"country": "FR"}, headers=auth)
    assert offer.status_code == 200 and offer.json()[0]["kind"] == "twilio"
    wanted = offer.json()[0]
    bought = await client.post(
        "/api/v1/phone-numbers/provision",
        headers=auth,
        json={"kind": "twilio", "country": "FR", "phone_number": wanted["phone_number"], "label": "Réception"},
    )
    assert bought.status_code == 201, bought.text
    number = bought.json()
    assert number["provider"] == "twilio" and Decimal(number["monthly_price"]) == Decimal("2.5")
    assert number["label"] == "Réception" and number["sync_status"] == "synced"

    bad = await client.post(
        f"/api/v1/phone-numbers/{number['id']}/configure",
        headers=auth,
        json={"business_hours": {"mon": [{"open": "18:00", "close": "09:00"}]}, "after_hours_action": "later"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"business_hours.mon.0", "after_hours_action"}
    configured = await client.post(
        f"/api/v1/phone-numbers/{number['id']}/configure",
        headers=auth,
        json={
            "business_hours": {"mon": [{"open": "08:00", "close": "20:00"}]},
            "after_hours_action": "forward",
            "forwarding_number": "+33 6 12 34 56 78",
        },
    )
    assert configured.status_code == 200 and configured.json()["sync_status"] == "pending"

    listed = (await client.get("/api/v1/phone-numbers/my-numbers", headers=auth)).json()
    assert [(n["e164"], n["sync_status"], n["assistant_name"]) for n in listed] == [
        (wanted["phone_number"], "synced", "Ava")
    ]
    assert listed[0]["hours_summary"] == "Mon 08:00 to 20:00 · Tue-Sun closed"

    released = await client.delete(f"/api/v1/phone-numbers/{number['id']}", headers=auth)
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert (await client.get("/api/v1/phone-numbers/my-numbers", headers=auth)).json() == []


async def test_twilio_verify_and_import(client, db, providers):
    owner = await signup(client, "import@example.com", "Import Co")
    auth = owner["headers"]
    creds = {"account_sid": TENANT_TWILIO_SID, "auth_token": TENANT_TWILIO_TOKEN}
    await twilio.purchase_number(phone_number="+14155550177", **creds)

    wrong = await client.post(
        "/api/v1/phone-numbers/twilio/verify", headers=auth, json={**creds, "auth_token": "1" * 32}
    )
    assert wrong.status_code == 422 and wrong.json()["error"] == "twilio_credentials_rejected"
    assert "auth_token" in wrong.json()["fields"]
    verified = await client.post("/api/v1/phone-numbers/twilio/verify", headers=auth, json=creds)
    assert verified.status_code == 200
    assert verified.json()["account"]["sid"] == TENANT_TWILIO_SID
    assert verified.json()["numbers"][0]["phone_number"] == "+14155550177"

    imported = await client.post(
        "/api/v1/phone-numbers/twilio/import", headers=auth, json={**creds, "numbers": ["+14155550177"]}
    )
    assert imported.status_code == 200, imported.text
    assert [n["e164"] for n in imported.json()["imported"]] == ["+14155550177"]
    assert imported.json()["imported"][0]["sync_status"] == "synced"
    assert "auth_token" not in imported.text and TENANT_TWILIO_TOKEN not in imported.text


async def test_roles_and_cross_tenant_refusals(client, db, providers):
    owner = await signup(client, "a@example.com", "Alpha")
    other = await signup(client, "b@example.com", "Beta")
    mine = await client.post(
        "/api/v1/phone-numbers/provision", headers=owner["headers"], json={"kind": "vapi_free", "area_code": "415"}
    )
    assert mine.status_code == 201, mine.text
    number_id = mine.json()["id"]
    viewer = await member(client, db, owner["tenant_id"], "viewer")
    user = await member(client, db, owner["tenant_id"], "user")

    assert [n["id"] for n in (await client.get("/api/v1/phone-numbers/my-numbers", headers=viewer)).json()] == [
        number_id
    ]
    refusals = [
        (viewer, "GET", "/api/v1/phone-numbers/available?country=US&area_code=415", None),
        (viewer, "POST", f"/api/v1/phone-numbers/{number_id}/configure", {"label": "x"}),
        (user, "POST", "/api/v1/phone-numbers/provision", {"kind": "vapi_free", "area_code": "415"}),
        (user, "DELETE", f"/api/v1/phone-numbers/{number_id}", None),
        (user, "POST", "/api/v1/phone-numbers/twilio/verify", {"account_sid": "AC", "auth_token": "x"}),
    ]
    for headers, method, path, body in refusals:
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
    configured = await client.post(f"/api/v1/phone-numbers/{number_id}/configure", headers=user, json={"label": "Desk"})
    assert configured.status_code == 200

    # Another organisation can neither see, change nor release this number.
    assert (await client.get("/api/v1/phone-numbers/my-numbers", headers=other["headers"])).json() == []
    for method, path, body in [
        ("POST", f"/api/v1/phone-numbers/{number_id}/configure", {"label": "Stolen"}),
        ("DELETE", f"/api/v1/phone-numbers/{number_id}", None),
    ]:
        response = await client.request(method, path, headers=other["headers"], json=body)
        assert response.status_code == 404, (method, path, response.text)
    their_assistant = (await client.get("/api/v1/ava-profiles", headers=other["headers"])).json()["id"]
    routed = await client.post(
        f"/api/v1/phone-numbers/{number_id}/configure", headers=owner["headers"], json={"assistant_id": their_assistant}
    )
    assert routed.status_code == 422 and routed.json()["fields"] == {"assistant_id": "This assistant does not exist."}
    assert (await client.get("/api/v1/phone-numbers/my-numbers", headers=owner["headers"])).json()[0]["label"] == "Desk"
