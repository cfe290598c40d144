"""SMTP "Test connection" over HTTP against live aiosmtpd servers: the saved password stays with its own server.

The old exploit: save SMTP credentials, then test against a host of one's choosing (here a server on 127.0.0.1 that
accepts AUTH in clear and records it): the saved password was merged in and sent there. Now another host, port or
TLS mode needs the password typed again, credentials never go without TLS, and every failure reads the same (a
closed port, a refused password, a server without STARTTLS), the details being in the audit log only.
"""

from __future__ import annotations

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import AuditLog
from ava_app.services import accounts, integrations, rate_limits
from ava_app.services.passwords import hash_password
from tests.factories import make_tenant, make_user
from tests.integration.test_smtp_delivery import certificate, server_tls, trust_certificate
from tests.mail import closed_port

__all__ = ["certificate", "server_tls", "trust_certificate"]

PASSWORD = "tulip-garage-42"
SAVED = {"host": "smtp.example.com", "port": "587", "tls": "starttls", "username": "desk", "password": "S4ved-secret"}
GENERIC = "The connection test failed. Check the host, port, security, username and password."


class CapturingAuth:
    """An authenticator that records every login attempt it sees, and accepts only ``ava`` / ``s3cret-pass``."""

    def __init__(self) -> None:
        self.attempts: list[tuple[bytes, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.attempts.append((auth_data.login, auth_data.password))
            if (auth_data.login, auth_data.password) == (b"ava", b"s3cret-pass"):
                return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)


class CountingController(Controller):
    """An aiosmtpd controller that counts the connections it accepted after it started."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.opened = 0

    def factory(self):
        self.opened += 1
        return super().factory()

    @property
    def connections(self) -> int:
        return self.opened - self.started_with

    def start(self) -> None:
        super().start()
        self.started_with = self.opened  # start() checks the server with one connection of its own


@pytest.fixture()
def capture():
    """A server on 127.0.0.1 that takes AUTH in clear, as an attacker's would: yields (port, auth, controller)."""
    auth = CapturingAuth()
    controller = CountingController(
        Sink(), hostname="127.0.0.1", port=closed_port(), authenticator=auth, auth_require_tls=False
    )
    controller.start()
    try:
        yield controller.port, auth, controller
    finally:
        controller.stop()


@pytest.fixture()
def tls_server(server_tls, trust_certificate):
    """A STARTTLS server with AUTH over TLS only, its certificate trusted for ``localhost``: yields (port, auth)."""
    auth = CapturingAuth()
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=closed_port(),
        tls_context=server_tls,
        require_starttls=True,
        authenticator=auth,
    )
    controller.start()
    try:
        yield controller.port, auth
    finally:
        controller.stop()


@pytest.fixture()
async def admin(db):
    """An HTTP client logged in as an organisation's admin, and that admin's principal."""
    rate_limits.reset_rate_limits()
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant, role="admin", password_hash=hash_password(PASSWORD))
    login = accounts.login(db, email=user.email, password=PASSWORD)
    headers = {"Authorization": f"Bearer {login.access_token}"}
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as client:
        yield client, accounts.authenticate(db, access_token=login.access_token)
    rate_limits.reset_rate_limits()


def _audit(db) -> list[dict]:
    db.expire_all()
    rows = db.exec(select(AuditLog).where(AuditLog.action == "integration_tested").order_by(AuditLog.id)).all()
    return [row.detail for row in rows]


async def test_the_saved_password_is_never_sent_to_another_server(db, admin, capture):
    client, principal = admin
    port, auth, server = capture
    saved = await client.put("/api/v1/integrations/smtp", json=SAVED)
    assert saved.status_code == 200, saved.text

    for aimed_elsewhere in (
        {"host": "127.0.0.1", "port": port, "tls": "none"},  # the reproduced exploit
        {"host": "127.0.0.1", "port": port, "tls": "starttls"},
        {"host": "127.0.0.1", "port": port},
        {"port": port},  # the saved host, another port
        {"tls": "ssl"},  # the saved host, another TLS mode (and port)
        {"host": "127.0.0.1", "port": port, "tls": "none", "username": "desk"},
    ):
        response = await client.post("/api/v1/integrations/smtp/test", json=aimed_elsewhere)
        assert response.status_code == 422, (aimed_elsewhere, response.text)
        assert response.json()["fields"] == {"password": "retype_password"}, aimed_elsewhere

    # Typed again, the password is the caller's own: still never in clear.
    typed = await client.post(
        "/api/v1/integrations/smtp/test", json={"host": "127.0.0.1", "port": port, "tls": "none", "password": "guess"}
    )
    assert typed.status_code == 422 and typed.json()["fields"] == {"tls": "tls_required"}

    assert auth.attempts == [] and server.connections == 0
    assert _audit(db) == []


async def test_credentials_never_travel_without_tls(db, admin, capture):
    client, _ = admin
    port, auth, server = capture
    in_clear = {"host": "127.0.0.1", "port": port, "tls": "none", "username": "ava", "password": "s3cret-pass"}
    tested = await client.post("/api/v1/integrations/smtp/test", json=in_clear)
    assert tested.status_code == 422 and tested.json()["fields"] == {"tls": "tls_required"}
    saved = await client.put("/api/v1/integrations/smtp", json={**in_clear, "host": "smtp.example.com"})
    assert saved.status_code == 422 and saved.json()["fields"] == {"tls": "tls_required"}
    assert auth.attempts == [] and server.connections == 0

    # Without credentials a plain server can still be tried (development: a local relay).
    bare = await client.post("/api/v1/integrations/smtp/test", json={"host": "127.0.0.1", "port": port, "tls": "none"})
    assert bare.json() == {"provider": "smtp", "ok": True, "message": f"Connected to 127.0.0.1:{port}."}
    assert server.connections == 1 and auth.attempts == []


async def test_every_failure_reads_the_same_and_the_audit_log_says_why(db, admin, tls_server, capture):
    client, _ = admin
    port, auth = tls_server
    plain_port = capture[0]
    over_tls = {"host": "localhost", "port": port, "tls": "starttls", "username": "ava"}

    good = await client.post("/api/v1/integrations/smtp/test", json={**over_tls, "password": "s3cret-pass"})
    assert good.json() == {"provider": "smtp", "ok": True, "message": f"Connected to localhost:{port}."}

    failures = {
        "wrong password": {**over_tls, "password": "not-the-one"},
        "closed port": {**over_tls, "port": closed_port(), "password": "s3cret-pass"},
        "no STARTTLS": {**over_tls, "port": plain_port, "password": "s3cret-pass"},
    }
    answers = {}
    for name, secret in failures.items():
        response = await client.post("/api/v1/integrations/smtp/test", json=secret)
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.json()
    assert all(answer == {"provider": "smtp", "ok": False, "message": GENERIC} for answer in answers.values()), answers
    # The server saw the right login over TLS, and the wrong one; the server without STARTTLS saw none.
    assert set(auth.attempts) == {(b"ava", b"s3cret-pass"), (b"ava", b"not-the-one")}
    assert capture[1].attempts == []

    lines = _audit(db)
    assert [(line["ok"], line["host"], line["tls"]) for line in lines] == [(True, "localhost", "starttls")] + [
        (False, "localhost", "starttls")
    ] * 3
    reasons = [line.get("reason", "") for line in lines[1:]]
    assert reasons[0].startswith("authentication_refused")
    assert reasons[1].startswith("connection_failed") and reasons[2].startswith("connection_failed")
    assert all("s3cret" not in str(line) and "not-the-one" not in str(line) for line in lines)


async def test_a_test_aimed_at_the_saved_server_uses_the_saved_password(db, admin, tls_server):
    client, principal = admin
    port, auth = tls_server
    integrations.save_integration(
        db,
        principal=principal,
        provider="smtp",
        secret={
            "host": "localhost",
            "port": str(port),
            "tls": "starttls",
            "username": "ava",
            "password": "s3cret-pass",
        },
    )
    same = await client.post("/api/v1/integrations/smtp/test", json={})
    assert same.json()["ok"] is True
    assert auth.attempts == [(b"ava", b"s3cret-pass")]
