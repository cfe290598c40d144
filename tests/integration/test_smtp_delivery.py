"""Real SMTP: the delivery job talks to a live aiosmtpd server (plain, STARTTLS + auth, implicit TLS) and we read what
the server received. Certificates are generated per run and trusted through SSL_CERT_FILE, so verification stays on."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ava_app.models import Outbox
from ava_app.services import credentials
from ava_app.services.errors import ProviderError, ProviderUnavailable
from ava_app.services.messaging import account_emails, email
from ava_app.settings import get_settings
from tests.factories import make_tenant
from tests.mail import closed_port, reload, run_scheduled

# The same fixtures as the unit tests (settings from AVA_SMTP_*, job queue in immediate mode).

SENDER = "AVA <no-reply@ava.test>"
LINK = "https://app.example.com/auth/magic/tok_123"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    over_tls: bool
    login: bytes | None


class Mailbox:
    """An aiosmtpd handler that keeps every accepted message; ``rcpt_reply`` makes it refuse recipients."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message, session.ssl is not None, session.auth_data)
        )
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"ava", b"s3cret-pass"):
        return AuthResult(success=True, auth_data=auth_data.login)
    return AuthResult(success=False, handled=False)


@contextmanager
def smtp_server(mailbox: Mailbox, *, port: int | None = None, **options) -> Iterator[int]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or closed_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ava-test-smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture()
def server_tls(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture()
def trust_certificate(certificate, monkeypatch) -> None:
    """Make the generated certificate a trusted root for this test (the client still verifies it)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def test_plain_smtp_delivers_headers_bodies_and_links_once(db, smtp_env, jobs):
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none", **{"from": SENDER})
        outbox_id = email.send_template(
            db, to="owner@example.com", kind="magic_link", locale="en", link=LINK, dedupe_key="magic:1"
        )
        email.deliver_outbox_message(outbox_id)  # a retried job after success
        email.send_template(db, to="owner@example.com", kind="magic_link", locale="en", link=LINK, dedupe_key="magic:1")

    [received] = mailbox.received
    row = reload(db, outbox_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None
    assert received.mail_from == "no-reply@ava.test"
    assert received.rcpt_tos == ["owner@example.com"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "owner@example.com"
    assert message["Subject"] == "Your AVA sign-in link"
    assert message["Message-ID"] == email.message_id_for(row, sender=SENDER)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert LINK in text
    assert f'href="{LINK}"' in html
    assert "Sign in to AVA" in text and "Sign in to AVA" in html


def test_server_down_then_up_is_delivered_exactly_once(db, smtp_env, jobs):
    port = closed_port()
    smtp_env(host="127.0.0.1", port=port, tls="none", **{"from": SENDER})

    outbox_id = email.send_email(
        db, to="owner@example.com", subject="Call summary", body_text="Text", body_html="<p>HTML</p>"
    )

    row = reload(db, outbox_id)
    assert (row.status, row.attempts, row.sent_at) == ("queued", 1, None)
    assert str(port) in row.last_error
    assert len(jobs.scheduled()) == 1

    mailbox = Mailbox()
    with smtp_server(mailbox, port=port):
        run_scheduled(jobs)
        email.deliver_outbox_message(outbox_id)  # duplicate job: nothing more is sent

    assert len(mailbox.received) == 1
    row = reload(db, outbox_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert jobs.scheduled() == []
    assert mailbox.received[0].message["Message-ID"] == email.message_id_for(row, sender=SENDER)


def test_starttls_with_authentication(db, smtp_env, jobs, server_tls, trust_certificate):
    mailbox = Mailbox()
    with smtp_server(
        mailbox, tls_context=server_tls, require_starttls=True, auth_required=True, authenticator=authenticate
    ) as port:
        smtp_env(host="127.0.0.1", port=port, tls="starttls", username="ava", password="s3cret-pass")
        outbox_id = email.send_email(db, to="owner@example.com", subject="Over TLS", body_text="hello")

    [received] = mailbox.received
    assert received.over_tls is True
    assert received.login == b"ava"
    assert received.message["Subject"] == "Over TLS"
    assert received.message.get_content_type() == "text/plain"
    assert reload(db, outbox_id).status == "sent"


def test_wrong_password_fails_at_once_without_leaking_it(db, smtp_env, server_tls, trust_certificate):
    mailbox = Mailbox()
    row = Outbox(to="owner@example.com", subject="S", body_text="T")
    db.add(row)
    db.commit()
    with smtp_server(
        mailbox, tls_context=server_tls, require_starttls=True, auth_required=True, authenticator=authenticate
    ) as port:
        smtp_env(host="127.0.0.1", port=port, tls="starttls", username="ava", password="wrong-pass")
        with pytest.raises(ProviderError) as error:
            email.deliver(db, outbox_id=row.id)

    assert not isinstance(error.value, ProviderUnavailable)
    row = reload(db, row.id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "535" in row.last_error
    assert "wrong-pass" not in row.last_error
    assert mailbox.received == []


def test_implicit_tls(db, smtp_env, jobs, server_tls, trust_certificate):
    mailbox = Mailbox()
    with smtp_server(mailbox, ssl_context=server_tls) as port:
        smtp_env(host="127.0.0.1", port=port, tls="ssl")
        outbox_id = email.send_email(db, to="owner@example.com", subject="Implicit TLS", body_text="hello")

    [received] = mailbox.received
    assert received.message["Subject"] == "Implicit TLS"
    assert reload(db, outbox_id).status == "sent"


def test_an_untrusted_certificate_is_refused_and_retried(db, smtp_env, server_tls, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")  # the generated certificate is not trusted
    mailbox = Mailbox()
    row = Outbox(to="owner@example.com", subject="S", body_text="T")
    db.add(row)
    db.commit()
    with smtp_server(mailbox, tls_context=server_tls, require_starttls=True) as port:
        smtp_env(host="127.0.0.1", port=port, tls="starttls")
        with pytest.raises(ProviderUnavailable):
            email.deliver(db, outbox_id=row.id)

    assert mailbox.received == []
    row = reload(db, row.id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "certificate" in row.last_error.lower()


@pytest.mark.parametrize(("reply", "status"), [("550 5.1.1 No such user", "failed"), ("451 4.3.0 Try later", "queued")])
def test_refused_recipient_permanent_or_temporary(db, smtp_env, reply, status):
    mailbox = Mailbox()
    mailbox.rcpt_reply = reply
    row = Outbox(to="nobody@example.com", subject="S", body_text="T")
    db.add(row)
    db.commit()
    with smtp_server(mailbox) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none")
        with pytest.raises(ProviderError):
            email.deliver(db, outbox_id=row.id)

    row = reload(db, row.id)
    assert (row.status, row.attempts) == (status, 1)
    assert reply.split()[0] in row.last_error


@contextmanager
def platform_and_tenant_servers(platform: Mailbox, own: Mailbox, smtp_env, server_tls) -> Iterator[dict]:
    """The platform's plain server (in the settings) and an organisation's own, TLS and login required; yields the
    organisation's SMTP credential for its server."""
    tenant_server = smtp_server(
        own, tls_context=server_tls, require_starttls=True, auth_required=True, authenticator=authenticate
    )
    with smtp_server(platform) as platform_port, tenant_server as own_port:
        smtp_env(host="127.0.0.1", port=platform_port, tls="none", **{"from": SENDER})
        yield {"host": "127.0.0.1", "port": own_port, "tls": "starttls", "username": "ava", "password": "s3cret-pass"}


def test_a_tenant_smtp_credential_is_used_for_its_mail(db, smtp_env, jobs, server_tls, trust_certificate):
    tenant = make_tenant(db)
    platform, own = Mailbox(), Mailbox()
    with platform_and_tenant_servers(platform, own, smtp_env, server_tls) as secret:
        credentials.save_credential(
            db, tenant_id=tenant.id, provider="smtp", secret=secret | {"from": "Garage <hi@garage.test>"}
        )
        email.send_email(db, to="owner@example.com", subject="Tenant", body_text="T", tenant_id=tenant.id)
        email.send_email(db, to="owner@example.com", subject="Platform", body_text="T")

    assert [r.message["Subject"] for r in own.received] == ["Tenant"]
    assert own.received[0].message["From"] == "Garage <hi@garage.test>"
    assert own.received[0].message["Message-ID"].endswith("@garage.test>")
    assert own.received[0].login == b"ava"
    assert [r.message["Subject"] for r in platform.received] == ["Platform"]


def test_an_unreadable_tenant_credential_falls_back_to_the_platform_server(db, smtp_env, jobs, monkeypatch):
    tenant = make_tenant(db)
    secret = {"host": "127.0.0.1", "port": closed_port(), "tls": "none", "username": "u", "password": "p"}
    credentials.save_credential(db, tenant_id=tenant.id, provider="smtp", secret=secret)
    monkeypatch.setenv("AVA_SECRET_KEY", "rotated-" + "x" * 40)
    platform = Mailbox()
    with smtp_server(platform) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none")
        outbox_id = email.send_email(db, to="owner@example.com", subject="Fallback", body_text="T", tenant_id=tenant.id)

    assert [r.message["Subject"] for r in platform.received] == ["Fallback"]
    assert reload(db, outbox_id).status == "sent"


@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [("localhost", 587, "private network"), ("10.0.0.8", 587, "not valid"), ("mail.example.com", 2525, "not valid")],
)
def test_mail_to_a_tenant_server_in_production_goes_only_to_public_addresses_and_mail_ports(
    db, smtp_env, jobs, monkeypatch, host, port, reason
):
    """A tenant's saved SMTP host is resolved and checked when the mail is sent, not only when it was saved."""
    tenant = make_tenant(db)
    platform = Mailbox()
    with smtp_server(platform) as platform_port:
        smtp_env(host="127.0.0.1", port=platform_port, tls="none")
        dev_secret = get_settings().secret_key
        monkeypatch.setenv("AVA_ENV", "prod")
        monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")
        monkeypatch.setenv("AVA_SECRET_KEY", dev_secret)
        get_settings.cache_clear()
        # Stored as it stands (a development server would have allowed it); the mail goes out in production.
        secret = {"host": host, "port": port, "tls": "starttls", "username": "ava", "password": "s3cret-pass"}
        credentials.save_credential(db, tenant_id=tenant.id, provider="smtp", secret=secret)
        outbox_id = email.send_email(db, to="owner@example.com", subject="Tenant", body_text="T", tenant_id=tenant.id)

    row = reload(db, outbox_id)
    assert row.status == "failed" and row.attempts == 1, "refused at once, never retried"
    assert reason in (row.last_error or ""), row.last_error
    assert platform.received == [], "nothing went to another server either"


def test_one_time_links_leave_only_through_the_platform_server(db, smtp_env, jobs, server_tls, trust_certificate):
    """An admin who points the organisation's mail at a server of theirs must not read the invitations it sends."""
    tenant = make_tenant(db)
    platform, own = Mailbox(), Mailbox()
    with platform_and_tenant_servers(platform, own, smtp_env, server_tls) as secret:
        credentials.save_credential(db, tenant_id=tenant.id, provider="smtp", secret=secret)
        account_emails.send_account_email(
            db,
            kind="team_invite",
            to="victim@example.com",
            tenant_id=tenant.id,
            inviter_name="Mallory",
            tenant_name="Mallory Ltd",
            role="admin",
            link="http://testserver/invite?token=one-time-invite-token",
            expires_days=7,
        )
        email.send_email(db, to="owner@example.com", subject="Call summary", body_text="T", tenant_id=tenant.id)

    assert [r.message["To"] for r in platform.received] == ["victim@example.com"]
    assert "one-time-invite-token" in platform.received[0].message.get_body(("plain",)).get_content()
    assert [r.message["Subject"] for r in own.received] == ["Call summary"], "the organisation's own mail still is"
