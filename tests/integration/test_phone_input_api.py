"""The API reads phone numbers as people type them: E.164 as before, and national numbers of the organisation's
country (the SMS login, which has none, takes the country in the request); what to type is said with an example."""

from __future__ import annotations

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.api.auth_deps import get_sms_verifier
from ava_app.models import PhoneNumber, Tenant
from ava_app.services import rate_limits
from tests.factories import make_phone_number
from tests.integration.test_auth_api import FakeSmsVerifier
from tests.integration.test_onboarding_api import signup
from tests.unit.test_assistants import providers

__all__ = ["providers"]


@pytest.fixture()
def sms() -> FakeSmsVerifier:
    return FakeSmsVerifier()


@pytest.fixture()
async def client(engine, sms):
    rate_limits.reset_rate_limits()
    app = create_api()
    app.dependency_overrides[get_sms_verifier] = lambda: sms
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


async def _business(client, db, email: str, country: str) -> dict:
    owner = await signup(client, email, f"Business {country}")
    tenant = db.get(Tenant, owner["tenant_id"])
    tenant.country = country
    db.add(tenant)
    db.commit()
    return owner


async def test_a_us_owner_confirms_a_national_profile_phone(client, db, sms):
    owner = await _business(client, db, "us@example.com", "US")
    auth = owner["headers"]

    refused = await client.post("/api/v1/auth/me/phone/send-code", json={"phone": "call me"}, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"phone": "Enter a phone number, e.g. (201) 555-0123."}
    assert sms.sent == []

    sent = await client.post("/api/v1/auth/me/phone/send-code", json={"phone": "(212) 555-0199"}, headers=auth)
    assert sent.status_code == 202 and sms.sent == ["+12125550199"]
    confirmed = await client.post(
        "/api/v1/auth/me/phone/confirm", json={"phone": "212-555-0199", "code": "123456"}, headers=auth
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["phone"] == "+12125550199" and confirmed.json()["phone_verified"]
    # E.164 is still read as it always was, and names the same confirmed number.
    kept = await client.patch("/api/v1/auth/me", json={"phone": "+12125550199"}, headers=auth)
    assert kept.status_code == 200 and kept.json()["phone"] == "+12125550199"


async def test_the_sms_login_reads_a_national_number_in_the_country_sent(client, db, sms):
    owner = await _business(client, db, "fr@example.com", "FR")
    auth = owner["headers"]
    await client.post("/api/v1/auth/me/phone/send-code", json={"phone": "06 12 34 56 78"}, headers=auth)
    confirmed = await client.post(
        "/api/v1/auth/me/phone/confirm", json={"phone": "06 12 34 56 78", "code": "123456"}, headers=auth
    )
    assert confirmed.json()["phone"] == "+33612345678"
    sms.sent.clear()

    national = await client.post("/api/v1/auth/sms/send", json={"phone": "06 12 34 56 78"})
    assert national.status_code == 422
    assert national.json()["fields"]["phone"].startswith("Enter the number with its country code, starting with +")
    assert sms.sent == []

    sent = await client.post("/api/v1/auth/sms/send", json={"phone": "06 12 34 56 78", "country": "FR"})
    assert sent.status_code == 202 and sms.sent == ["+33612345678"]
    login = await client.post(
        "/api/v1/auth/sms/verify", json={"phone": "06 12 34 56 78", "country": "FR", "code": "123456"}
    )
    assert login.status_code == 200, login.text
    assert login.json()["tenant_id"] == owner["tenant_id"]


async def test_forwarding_numbers_are_read_in_the_organisation_country(client, db, jobs, providers):
    french = await _business(client, db, "paris@example.com", "FR")
    american = await _business(client, db, "nyc@example.com", "US")
    line = make_phone_number(db, tenant=db.get(Tenant, french["tenant_id"]), e164="+33199000011", country="FR")
    path = f"/api/v1/phone-numbers/{line.id}/configure"

    national = await client.post(path, json={"forwarding_number": "06 12 34 56 78"}, headers=french["headers"])
    assert national.status_code == 200, national.text
    assert national.json()["forwarding_number"] == "+33612345678"
    e164 = await client.post(path, json={"forwarding_number": "+12125550199"}, headers=french["headers"])
    assert e164.status_code == 200 and e164.json()["forwarding_number"] == "+12125550199"

    bad = await client.post(path, json={"forwarding_number": "(212) 555"}, headers=french["headers"])
    assert bad.status_code == 422
    assert bad.json()["fields"] == {"forwarding_number": "Enter a phone number, e.g. 06 12 34 56 78."}

    # Another organisation cannot reach this line, whatever number it sends.
    foreign = await client.post(path, json={"forwarding_number": "(212) 555-0199"}, headers=american["headers"])
    assert foreign.status_code == 404
    db.expire_all()
    assert db.get(PhoneNumber, line.id).forwarding_number == "+12125550199"
