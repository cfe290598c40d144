"""SMTP targets an organisation names: production reaches public mail servers only; the page asks for the password.

In production (AVA_ENV=prod) a private, loopback or link-local address is refused after resolution, through the
outbound guard, and ports other than 25/465/587 are refused before anything is opened; in development both are
allowed (local test servers). The settings page shows the refusals under the field concerned, in French and English.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from ava_app.i18n import translate
from ava_app.services import accounts, integrations, rate_limits
from ava_app.services.errors import Invalid
from ava_app.services.messaging.smtp_connection import SmtpTarget, check_smtp_secret, open_smtp, smtp_target
from ava_app.services.outbound_guard import OutboundRefused
from ava_app.services.passwords import hash_password
from ava_app.settings import get_settings
from ava_app.state.integrations import IntegrationsState
from tests.factories import make_tenant, make_user
from tests.mail import closed_port
from tests.unit.test_state_tenant_isolation import run, state_of

PASSWORD = "tulip-garage-42"
CREDS = {"username": "desk", "password": "s3cret-pass"}


@pytest.fixture()
def production(monkeypatch):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")  # the providers are not what these tests are about
    monkeypatch.setenv("AVA_SECRET_KEY", "k" * 48)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def local_server():
    """A plain SMTP server on 127.0.0.1; yields its controller (``port``)."""
    controller = Controller(Sink(), hostname="127.0.0.1", port=closed_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def _fields(secret: dict) -> dict:
    with pytest.raises(Invalid) as refused:
        check_smtp_secret(secret)
    return refused.value.details["fields"]


def test_a_target_fills_in_the_usual_port_of_its_tls_mode():
    assert smtp_target({"host": "Mail.Example.COM."}) == SmtpTarget("mail.example.com", 587, "starttls")
    assert smtp_target({"host": "mail.example.com", "tls": "ssl"}) == SmtpTarget("mail.example.com", 465, "ssl")
    assert smtp_target({"host": "mail.example.com", "port": 587}) == smtp_target({"host": "mail.example.com"})


def test_credentials_need_tls_everywhere():
    assert _fields({"host": "mail.example.com", "tls": "none", **CREDS}) == {"tls": "tls_required"}
    assert _fields({"host": "mail.example.com", "tls": "none", "password": "x"}) == {"tls": "tls_required"}
    check_smtp_secret({"host": "127.0.0.1", "port": 2525, "tls": "none"})  # development, no credentials
    check_smtp_secret({"host": "127.0.0.1", "port": 2525, "tls": "starttls", **CREDS})


def test_production_allows_mail_ports_and_public_addresses_only(production):
    assert _fields({"host": "mail.example.com", "port": 2525, **CREDS}) == {"port": "port_not_allowed"}
    for host in ("127.0.0.1", "10.0.0.5", "169.254.169.254", "[::1]", "192.168.1.10"):
        assert _fields({"host": host, "port": 587, **CREDS}) == {"host": "host_not_allowed"}, host
    for port in (25, 465, 587):
        check_smtp_secret({"host": "mail.example.com", "port": port, "tls": "ssl" if port == 465 else "starttls"})


async def test_production_never_connects_to_a_private_address(production, local_server):
    # A name that resolves to loopback: refused after resolution, before any connection.
    with pytest.raises(OutboundRefused):
        await open_smtp(SmtpTarget("localhost", 587, "starttls"), timeout=5)
    with pytest.raises(OutboundRefused):
        await open_smtp(SmtpTarget("localhost", local_server.port, "none"), timeout=5)

    for secret in (
        {"host": "localhost", "port": 587, "tls": "starttls", **CREDS},
        {"host": "localhost", "port": local_server.port, "tls": "starttls", **CREDS},
        {"host": "127.0.0.1", "port": 25, "tls": "starttls", **CREDS},
    ):
        result = await integrations.test_connection(provider="smtp", secret=secret)
        assert (result.ok, result.message) == (False, integrations.SMTP_TEST_FAILED), secret
        assert result.reason in ("destination_refused", "invalid: ['port']", "invalid: ['host']"), result.reason
        assert "reason" not in result.model_dump() and "message_key" not in result.model_dump()


async def test_development_reaches_a_local_server(local_server):
    client = await open_smtp(SmtpTarget("localhost", local_server.port, "none"), timeout=5)
    try:
        code, _ = await client.ehlo()
        assert code == 250
    finally:
        await client.quit()


def test_saving_in_production_refuses_private_hosts_and_other_ports(production, db):
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant, role="admin", password_hash=hash_password(PASSWORD))
    rate_limits.reset_rate_limits()
    login = accounts.login(db, email=user.email, password=PASSWORD)
    principal = accounts.authenticate(db, access_token=login.access_token)
    for secret, field in (
        ({"host": "10.1.2.3", "port": "587", "tls": "starttls", **CREDS}, "host"),
        ({"host": "smtp.example.com", "port": "2525", "tls": "starttls", **CREDS}, "port"),
        ({"host": "smtp.example.com", "port": "25", "tls": "none", **CREDS}, "tls"),
    ):
        with pytest.raises(Invalid) as refused:
            integrations.save_integration(db, principal=principal, provider="smtp", secret=secret)
        assert set(refused.value.details["fields"]) == {field}
    integrations.save_integration(
        db, principal=principal, provider="smtp", secret={"host": "smtp.example.com", "port": "587", **CREDS}
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_page_asks_for_the_password_again_under_its_field(db, lang):
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant, role="admin", password_hash=hash_password(PASSWORD))
    rate_limits.reset_rate_limits()
    login = accounts.login(db, email=user.email, password=PASSWORD)
    principal = accounts.authenticate(db, access_token=login.access_token)
    integrations.save_integration(
        db, principal=principal, provider="smtp", secret={"host": "smtp.example.com", "port": "587", **CREDS}
    )
    state = state_of(IntegrationsState, SimpleNamespace(admin=login))
    state.lang = lang

    answered = await run(state, "test", {"provider": "smtp", "host": "127.0.0.1", "port": "2525"})
    assert answered == ["toast:error"]
    assert state.errors["smtp"] == {"password": translate("integrations.error.retype_password", lang)}
    assert "smtp" not in state.results

    assert await run(state, "save", {"provider": "smtp", "host": "mail.attacker.example"}) == ["toast:error"]
    assert state.errors["smtp"] == {"password": translate("integrations.error.retype_password", lang)}
    assert integrations.secret_for_test(db, principal=principal, provider="smtp", entered={})["host"] == (
        "smtp.example.com"
    )

    typed = {"provider": "smtp", "host": "127.0.0.1", "port": str(closed_port()), "tls": "none", "password": "x"}
    assert await run(state, "test", typed) == ["toast:error"]
    assert state.errors["smtp"] == {"tls": translate("integrations.error.tls_required", lang)}

    # A test that does reach the point of connecting fails with the one message, in the page's language.
    typed = {"provider": "smtp", "host": "127.0.0.1", "port": str(closed_port()), "tls": "starttls", "password": "x"}
    assert await run(state, "test", typed) == []
    assert state.results["smtp"]["ok"] is False
    assert state.results["smtp"]["message"] == translate("integrations.smtp_failed", lang)
    assert "smtp" not in state.errors
