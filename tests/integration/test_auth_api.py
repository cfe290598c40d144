"""/api/v1/auth through the ASGI app: the happy paths and the abuse cases (limits, reuse, enumeration, bad tokens)."""

import re

import httpx
import jwt
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.api.auth_deps import get_sms_verifier
from ava_app.models import Outbox, User, utcnow
from ava_app.services import passwords, rate_limits
from ava_app.services.messaging.outbox import open_bodies
from tests.factories import make_tenant, make_user

PASSWORD = "tulip-garage-42"
SIGNUP = {
    "name": "Owner",
    "email": "owner@example.com",
    "password": PASSWORD,
    "organisation_name": "Bright Smile Dental",
    "industry": "dental",
}


class FakeSmsVerifier:
    """Stands in for Twilio Verify: every code sent is ``123456``."""

    def __init__(self):
        self.sent: list[str] = []

    def send_code(self, to: str) -> None:
        self.sent.append(to)

    def check_code(self, to: str, code: str) -> bool:
        return to in self.sent and code == "123456"


@pytest.fixture()
def sms():
    return FakeSmsVerifier()


@pytest.fixture()
async def client(engine, sms):
    rate_limits.reset_rate_limits()
    app = create_api()
    app.dependency_overrides[get_sms_verifier] = lambda: sms
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


def _auth(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _token_sent_to(db, to: str) -> str:
    message = db.exec(select(Outbox).where(Outbox.to == to).order_by(Outbox.id.desc())).first()
    return re.search(r"token=([\w-]+)", open_bodies(message)[0]).group(1)


async def _signup(client, **overrides) -> dict:
    response = await client.post("/api/v1/auth/signup", json={**SIGNUP, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


async def test_signup_me_and_verify_email(client, db):
    tokens = await _signup(client)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = (await client.get("/api/v1/auth/me", headers=_auth(tokens))).json()
    assert (me["email"], me["role"], me["tenant_name"], me["email_verified"]) == (
        "owner@example.com",
        "admin",
        "Bright Smile Dental",
        False,
    )
    # Sent with the signup's own access token: that session and the password stay.
    response = await client.post(
        "/api/v1/auth/verify-email", json={"token": _token_sent_to(db, "owner@example.com")}, headers=_auth(tokens)
    )
    assert response.json() == {"message": "Your email address is confirmed."}
    assert (await client.get("/api/v1/auth/me", headers=_auth(tokens))).json()["email_verified"] is True
    login = await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    assert login.status_code == 200
    duplicate = await client.post("/api/v1/auth/signup", json=SIGNUP)
    assert duplicate.status_code == 409


async def test_verify_email_without_the_signup_session_drops_password_and_sessions(client, db):
    # Whoever signed up may not own the address: opened anywhere else, the link ends what they set up.
    tokens = await _signup(client)
    response = await client.post("/api/v1/auth/verify-email", json={"token": _token_sent_to(db, "owner@example.com")})
    assert response.status_code == 200
    assert "password" in response.json()["message"] and "logged out" in response.json()["message"]
    assert (await client.get("/api/v1/auth/me", headers=_auth(tokens))).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    login = await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    assert login.status_code == 401


async def test_signup_validation_lists_fields(client):
    response = await client.post(
        "/api/v1/auth/signup", json={**SIGNUP, "password": "owner@example.com", "email": "owner@example.com"}
    )
    assert response.status_code == 422
    assert "password" in response.json()["fields"]


async def test_login_messages_do_not_reveal_accounts_and_unknown_email_runs_argon2(client, monkeypatch):
    await _signup(client)
    calls = []
    real_verify = passwords.pwd_context.verify
    monkeypatch.setattr(passwords.pwd_context, "verify", lambda *args: calls.append(args) or real_verify(*args))
    wrong = await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "nope-nope-nope"})
    unknown = await client.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert len(calls) == 2
    good = await client.post("/api/v1/auth/login", json={"email": "OWNER@example.com", "password": PASSWORD})
    assert good.status_code == 200


async def test_login_over_the_limit_is_429_with_retry_after(client):
    await _signup(client)
    for _ in range(5):
        response = await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "x" * 12})
        assert response.status_code == 401
    blocked = await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert blocked.json()["error"] == "rate_limited"


async def test_login_per_ip_limit(client):
    for index in range(20):
        response = await client.post(
            "/api/v1/auth/login", json={"email": f"g{index}@example.com", "password": "x" * 12}
        )
        assert response.status_code == 401
    blocked = await client.post("/api/v1/auth/login", json={"email": "new@example.com", "password": "x" * 12})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


async def test_magic_link_same_answer_single_use_and_limited(client, db):
    await _signup(client)
    known = await client.post("/api/v1/auth/magic-link/send", json={"email": "owner@example.com"})
    unknown = await client.post("/api/v1/auth/magic-link/send", json={"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"message": "If an account exists, we sent a link."}
    token = _token_sent_to(db, "owner@example.com")
    first = await client.post("/api/v1/auth/magic-link/verify", json={"token": token})
    assert first.status_code == 200 and first.json()["access_token"]
    again = await client.post("/api/v1/auth/magic-link/verify", json={"token": token})
    assert again.status_code == 401
    for _ in range(2):
        await client.post("/api/v1/auth/magic-link/send", json={"email": "ghost@example.com"})
    blocked = await client.post("/api/v1/auth/magic-link/send", json={"email": "ghost@example.com"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 60


async def test_sms_login(client, db, sms):
    tenant = make_tenant(db)
    make_user(db, tenant=tenant, email="sms@example.com", phone="+33612345678", phone_verified_at=utcnow())
    known = await client.post("/api/v1/auth/sms/send", json={"phone": "+33 6 12 34 56 78"})
    unknown = await client.post("/api/v1/auth/sms/send", json={"phone": "+15550001111"})
    assert known.json() == unknown.json() and known.status_code == 202
    assert sms.sent == ["+33612345678"]
    wrong = await client.post("/api/v1/auth/sms/verify", json={"phone": "+33612345678", "code": "000000"})
    assert wrong.status_code == 401
    right = await client.post("/api/v1/auth/sms/verify", json={"phone": "+33612345678", "code": "123456"})
    assert right.status_code == 200
    me = await client.get("/api/v1/auth/me", headers=_auth(right.json()))
    assert me.json()["email"] == "sms@example.com"
    for _ in range(2):
        await client.post("/api/v1/auth/sms/send", json={"phone": "+33612345678"})
    blocked = await client.post("/api/v1/auth/sms/send", json={"phone": "+33612345678"})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


async def test_refresh_rotates_and_reuse_revokes_the_family(client):
    first = await _signup(client)
    second = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/auth/me", headers=_auth(second))).status_code == 200
    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["error"] == "refresh_reused"
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    ).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=_auth(second))).status_code == 401


async def test_logout_ends_the_access_token_now(client):
    tokens = await _signup(client)
    assert (await client.post("/api/v1/auth/logout", headers=_auth(tokens))).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=_auth(tokens))).status_code == 401


async def test_bad_credentials_are_401(client):
    tokens = await _signup(client)
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})).status_code == 401
    payload = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    unsigned = jwt.encode(payload, None, algorithm="none")
    forged = jwt.encode(payload, "a-guessed-key-that-is-long-enough-0123", algorithm="HS256")
    for token in (unsigned, forged, tokens["access_token"][:-3] + "abc", "ava_unknown_key"):
        response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_change_password_logs_out_other_devices(client):
    laptop = await _signup(client)
    phone = (await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})).json()
    response = await client.post(
        "/api/v1/auth/change-password",
        headers=_auth(laptop),
        json={"current_password": PASSWORD, "new_password": "new-tulip-99"},
    )
    assert response.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=_auth(laptop))).status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=_auth(phone))).status_code == 401


async def test_forgot_and_reset_password(client, db):
    tokens = await _signup(client)
    known = await client.post("/api/v1/auth/forgot-password", json={"email": "owner@example.com"})
    unknown = await client.post("/api/v1/auth/forgot-password", json={"email": "ghost@example.com"})
    assert known.json() == unknown.json() and known.status_code == 202
    token = _token_sent_to(db, "owner@example.com")
    response = await client.post("/api/v1/auth/reset-password", json={"token": token, "new_password": "fresh-tulip-77"})
    assert response.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=_auth(tokens))).status_code == 401
    reuse = await client.post("/api/v1/auth/reset-password", json={"token": token, "new_password": "other-tulip-88"})
    assert reuse.status_code == 422
    login = await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "fresh-tulip-77"})
    assert login.status_code == 200


async def test_sessions_list_and_revoke(client):
    laptop = await _signup(client)
    phone = (await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})).json()
    listed = (await client.get("/api/v1/auth/sessions", headers=_auth(laptop))).json()
    assert {row["id"] for row in listed} == {laptop["session_id"], phone["session_id"]}
    response = await client.delete(f"/api/v1/auth/sessions/{phone['session_id']}", headers=_auth(laptop))
    assert response.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=_auth(phone))).status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    ).status_code == 401


async def test_api_key_authenticates_with_its_role_but_not_as_a_person(client, db):
    tokens = await _signup(client)
    created = await client.post("/api/v1/api-keys", headers=_auth(tokens), json={"name": "Zapier", "role": "viewer"})
    assert created.status_code == 201
    key = created.json()["key"]
    listed = (await client.get("/api/v1/api-keys", headers=_auth(tokens))).json()
    assert "key" not in listed[0] and listed[0]["prefix"] == key[:12]
    key_auth = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/calls", headers=key_auth)).status_code == 200
    # Team routes name no scope: they are for people.
    assert (await client.get("/api/v1/team/members", headers=key_auth)).json()["error"] == "user_required"
    assert (await client.get("/api/v1/auth/me", headers=key_auth)).status_code == 403
    minted = await client.post("/api/v1/api-keys", headers=key_auth, json={"name": "More", "role": "admin"})
    assert minted.status_code == 403
    assert (await client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=_auth(tokens))).status_code == 204
    assert (await client.get("/api/v1/calls", headers=key_auth)).status_code == 401


async def test_audit_log_records_logins(client, db):
    tokens = await _signup(client)
    await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": "wrong-wrong-wrong"})
    await client.post("/api/v1/auth/login", json={"email": "owner@example.com", "password": PASSWORD})
    actions = [row["action"] for row in (await client.get("/api/v1/orgs/current/audit", headers=_auth(tokens))).json()]
    assert {"signup", "login_failed", "login_succeeded"} <= set(actions)
    assert db.exec(select(User)).one().email == "owner@example.com"


async def test_profile_update_sets_the_sms_number_then_sms_login_works(client, sms):
    tokens = await _signup(client)
    bad = await client.patch("/api/v1/auth/me", json={"phone": "call me"}, headers=_auth(tokens))
    assert bad.status_code == 422 and "phone" in bad.json()["fields"]
    # A new number is not saved by PATCH: it needs the code texted to it.
    unconfirmed = await client.patch(
        "/api/v1/auth/me", json={"name": "Dr Owner", "phone": "+33 6 12 34 56 78"}, headers=_auth(tokens)
    )
    assert unconfirmed.status_code == 422 and "phone" in unconfirmed.json()["fields"]
    await client.post("/api/v1/auth/sms/send", json={"phone": "+33612345678"})
    assert sms.sent == []
    sent = await client.post(
        "/api/v1/auth/me/phone/send-code", json={"phone": "+33 6 12 34 56 78"}, headers=_auth(tokens)
    )
    assert sent.status_code == 202 and sms.sent == ["+33612345678"]
    wrong = await client.post(
        "/api/v1/auth/me/phone/confirm", json={"phone": "+33612345678", "code": "000000"}, headers=_auth(tokens)
    )
    assert wrong.status_code == 422 and "code" in wrong.json()["fields"]
    me = await client.post(
        "/api/v1/auth/me/phone/confirm", json={"phone": "+33612345678", "code": "123456"}, headers=_auth(tokens)
    )
    assert me.status_code == 200 and me.json()["phone"] == "+33612345678" and me.json()["phone_verified"] is True
    renamed = await client.patch(
        "/api/v1/auth/me", json={"name": "Dr Owner", "phone": "+33 6 12 34 56 78"}, headers=_auth(tokens)
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Dr Owner"
    await client.post("/api/v1/auth/sms/send", json={"phone": "+33612345678"})
    assert sms.sent == ["+33612345678", "+33612345678"]
    cleared = await client.patch("/api/v1/auth/me", json={"phone": ""}, headers=_auth(tokens))
    assert cleared.json()["phone"] is None


async def test_sms_code_dies_after_five_wrong_attempts(client, db, sms):
    tenant = make_tenant(db)
    make_user(db, tenant=tenant, email="sms@example.com", phone="+33612345678", phone_verified_at=utcnow())
    await client.post("/api/v1/auth/sms/send", json={"phone": "+33612345678"})
    for _ in range(5):
        wrong = await client.post("/api/v1/auth/sms/verify", json={"phone": "+33612345678", "code": "000000"})
        assert wrong.status_code == 401
    late = await client.post("/api/v1/auth/sms/verify", json={"phone": "+33612345678", "code": "123456"})
    assert late.status_code == 401


async def test_expired_and_wrong_audience_access_tokens_are_refused(client):
    from datetime import timedelta

    from ava_app.models import utcnow
    from ava_app.services.tokens import create_access_token
    from ava_app.settings import get_settings

    tokens = await _signup(client)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    expired = create_access_token(
        user_id=int(claims["sub"]), session_id=claims["sid"], now=utcnow() - timedelta(hours=2)
    )
    other_audience = jwt.encode({**claims, "aud": "another-app"}, get_settings().secret_key, algorithm="HS256")
    for token in (expired, other_audience):
        response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=_auth(tokens))).status_code == 200
