"""Routes that read or write secrets or API keys need the admin in person: an admin API key gets 403.

A leaked key must not list, replace, remove or try out the organisation's provider credentials (a connection test
would send a saved password where the key's holder says), import Twilio accounts, or manage keys.
"""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import ApiKey, AuditLog, ProviderCredential
from ava_app.services import accounts, api_keys, integrations, rate_limits
from tests.factories import make_tenant, make_user

PASSWORD = "tulip-garage-42"
SMTP = {"host": "smtp.example.com", "port": "587", "tls": "starttls", "username": "desk", "password": "s3cret-Pass"}

CREDENTIAL_ROUTES = [
    ("GET", "/api/v1/integrations", None),
    ("PUT", "/api/v1/integrations/smtp", {**SMTP, "host": "mail.attacker.example"}),
    ("DELETE", "/api/v1/integrations/smtp", None),
    ("POST", "/api/v1/integrations/smtp/test", {"host": "127.0.0.1", "port": 2525, "tls": "none"}),
    ("POST", "/api/v1/integrations/openai/test", {}),
    ("POST", "/api/v1/phone-numbers/twilio/verify", {"account_sid": "AC" + "0" * 32, "auth_token": "f" * 32}),
    (
        "POST",
        "/api/v1/phone-numbers/twilio/import",
        {"account_sid": "AC" + "0" * 32, "auth_token": "f" * 32, "numbers": ["+14155550100"]},
    ),
    ("GET", "/api/v1/api-keys", None),
    ("POST", "/api/v1/api-keys", {"name": "Minted", "role": "admin"}),
]


@pytest.fixture()
def organisation(db):
    rate_limits.reset_rate_limits()
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant, role="admin")
    from ava_app.services.passwords import hash_password

    user.password_hash = hash_password(PASSWORD)
    db.add(user)
    db.commit()
    login = accounts.login(db, email=user.email, password=PASSWORD)
    admin = accounts.authenticate(db, access_token=login.access_token)
    integrations.save_integration(db, principal=admin, provider="smtp", secret=SMTP)
    key = api_keys.create_api_key(db, principal=admin, name="Back office", role="admin")
    yield {"Authorization": f"Bearer {login.access_token}"}, {"Authorization": f"Bearer {key.key}"}
    rate_limits.reset_rate_limits()


async def test_an_admin_api_key_is_refused_on_every_credential_route(db, organisation):
    session_headers, key_headers = organisation
    before = [(row.provider, row.secret_encrypted) for row in db.exec(select(ProviderCredential)).all()]
    keys_before = len(db.exec(select(ApiKey)).all())
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # The key itself is live: a tenant route that holds no secret answers it.
        assert (await client.get("/api/v1/calls", headers=key_headers)).status_code == 200
        for method, path, body in CREDENTIAL_ROUTES:
            response = await client.request(method, path, json=body, headers=key_headers)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["error"] == "user_required", (method, path, response.text)
        # The person, logged in, still manages them.
        listed = await client.get("/api/v1/integrations", headers=session_headers)
        assert listed.status_code == 200 and {row["provider"]: row for row in listed.json()}["smtp"]["configured"]
    db.expire_all()
    assert [(row.provider, row.secret_encrypted) for row in db.exec(select(ProviderCredential)).all()] == before
    assert len(db.exec(select(ApiKey)).all()) == keys_before
    assert db.exec(select(AuditLog).where(AuditLog.action == "integration_tested")).all() == []
