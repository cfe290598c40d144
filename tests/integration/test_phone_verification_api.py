"""/api/v1/auth/me/phone and SMS login through the ASGI app: the reported SMS abuse, replayed, is now refused."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.api.auth_deps import get_sms_verifier
from ava_app.models import User
from ava_app.services import rate_limits
from tests.integration.test_auth_api import SIGNUP, FakeSmsVerifier

VICTIM_PHONE = "+33612345678"
NUMBERS = ("+33611111111", "+33622222222", "+33633333333", "+33644444444")


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


async def _account(client, email: str) -> dict:
    response = await client.post("/api/v1/auth/signup", json={**SIGNUP, "email": email})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _confirm(client, headers: dict, phone: str) -> httpx.Response:
    sent = await client.post("/api/v1/auth/me/phone/send-code", json={"phone": phone}, headers=headers)
    assert sent.status_code == 202, sent.text
    return await client.post("/api/v1/auth/me/phone/confirm", json={"phone": phone, "code": "123456"}, headers=headers)


async def test_twelve_sms_to_four_numbers_by_changing_the_profile_phone_are_refused(client, sms):
    """The report: one account sent 12 SMS to 4 numbers in seconds by changing its phone between sends."""
    attacker = await _account(client, "attacker@example.com")
    answers = []
    for number in NUMBERS:
        changed = await client.patch("/api/v1/auth/me", json={"phone": number}, headers=attacker)
        assert changed.status_code == 422 and "phone" in changed.json()["fields"]
        for _ in range(3):
            answers.append(await client.post("/api/v1/auth/sms/send", json={"phone": number}))
    assert sms.sent == [], "no login code goes to a number nobody confirmed"
    # The same answer whether or not a number has an account, until the IP cap (10 an hour) says when to retry.
    assert [answer.status_code for answer in answers] == [202] * 10 + [429] * 2
    assert answers[-1].json()["error"] == "sms_limit_network" and int(answers[-1].headers["Retry-After"]) > 3000

    # The confirmation path texts numbers on purpose: the account cap stops it after five.
    rate_limits.reset_rate_limits()
    refused = []
    for number in NUMBERS:
        for _ in range(3):
            response = await client.post("/api/v1/auth/me/phone/send-code", json={"phone": number}, headers=attacker)
            if response.status_code == 429:
                refused.append(response)
    assert len(sms.sent) == 5 and len(refused) == 7
    assert all(r.json()["error"] == "sms_limit_account" for r in refused)
    assert 3000 < int(refused[0].headers["Retry-After"]) <= 3600
    assert refused[0].json()["message"] == "You asked for too many codes. Try again in 60 min."


async def test_a_second_account_cannot_claim_a_confirmed_number_nor_stop_its_login_codes(client, db, sms):
    victim = await _account(client, "victim@example.com")
    confirmed = await _confirm(client, victim, VICTIM_PHONE)
    assert confirmed.status_code == 200 and confirmed.json()["phone_verified"] is True

    attacker = await _account(client, "attacker@example.com")
    claimed = await client.patch("/api/v1/auth/me", json={"phone": VICTIM_PHONE}, headers=attacker)
    assert claimed.status_code == 422
    taken = await _confirm(client, attacker, VICTIM_PHONE)
    assert taken.status_code == 409 and taken.json()["error"] == "phone_taken"
    # A copy of the number held unconfirmed (a row from before confirmation existed) changes nothing either.
    legacy = db.exec(select(User).where(User.email == "attacker@example.com")).one()
    legacy.phone = VICTIM_PHONE
    db.add(legacy)
    db.commit()

    sent_before = len(sms.sent)
    sent = await client.post("/api/v1/auth/sms/send", json={"phone": VICTIM_PHONE})
    assert sent.status_code == 202 and len(sms.sent) == sent_before + 1
    login = await client.post("/api/v1/auth/sms/verify", json={"phone": VICTIM_PHONE, "code": "123456"})
    assert login.status_code == 200
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["email"] == "victim@example.com"


async def test_phone_routes_need_a_logged_in_person(client):
    anonymous = await client.post("/api/v1/auth/me/phone/send-code", json={"phone": VICTIM_PHONE})
    assert anonymous.status_code == 401
    confirm = await client.post("/api/v1/auth/me/phone/confirm", json={"phone": VICTIM_PHONE, "code": "123456"})
    assert confirm.status_code == 401
