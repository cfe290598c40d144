"""Email: record in the outbox, deliver over SMTP from the job queue, exactly one row per message.

Delivery guarantee. A message is delivered *at least once*, and a message whose row says ``sent`` is never sent again.
The only window for a duplicate is a crash after the SMTP server accepted the message and before the row is marked
``sent`` (process killed, database unreachable for the final commit). We accept that window on purpose: the
alternative (mark first, send second) turns the same crash into a lost magic link or call summary, which is worse than
a duplicate. Every attempt of one row carries the same ``Message-ID`` (derived from the outbox id and its creation
time), so a duplicate is recognisable by mail clients and by anyone reading the logs.

Sandbox mode (no ``AVA_SMTP_HOST``): nothing leaves the machine; the row is marked ``sent`` and the /dev/outbox page
shows it, so magic links work without a mail account. Sandbox is deployment-wide, as for the other providers.

Server: a tenant's own SMTP credential (credentials service, provider ``smtp``) when its row has one, else the
platform's settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import aiosmtplib
from sqlmodel import Session, select

from ava_app.models import Outbox, utcnow
from ava_app.services import credentials, outbox
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.email_templates import render
from ava_app.services.errors import Invalid, NotFound, ProviderError, ProviderUnavailable
from ava_app.settings import get_settings

log = logging.getLogger(__name__)

# Beyond this many attempts a message is marked failed. The job queue spaces them out (see ava_app.jobs): about an
# hour and a half of mail-server outage is ridden out before a row shows as failed.
MAX_ATTEMPTS = 8
# A stalled server must not hold a worker thread for long; the next attempt comes from the queue anyway.
SMTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: the platform's settings or a tenant's own credential."""

    host: str
    port: int
    username: str
    password: str
    sender: str
    tls: str  # "none" | "starttls" | "ssl"


def send_email(
    session: Session,
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    tenant_id: int | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Record an email in the outbox and enqueue its delivery; returns the outbox id.

    With a ``dedupe_key`` that was already used, the existing message is returned and no second delivery is enqueued,
    so a webhook processed twice sends one call summary.
    """
    if not to or "@" not in to:
        raise Invalid("A valid email address is required.", fields={"to": "invalid"})
    if dedupe_key:
        existing = session.exec(select(Outbox).where(Outbox.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing.id
    row = outbox.queue_message(
        session,
        channel="email",
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        tenant_id=tenant_id,
        dedupe_key=dedupe_key,
    )
    # Imported here because the job module imports this one inside its task body; the row is committed above, so a
    # worker in another process finds it.
    from ava_app.jobs import deliver_outbox_message

    deliver_outbox_message(row.id)
    return row.id


def send_template(
    session: Session,
    *,
    to: str,
    kind: str,
    locale: str,
    tenant_id: int | None = None,
    dedupe_key: str | None = None,
    **context: Any,
) -> int:
    """Render one of the email templates (see email_templates) in ``locale`` and send it; returns the outbox id."""
    rendered = render(kind, locale=locale, **context)
    return send_email(
        session,
        to=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        tenant_id=tenant_id,
        dedupe_key=dedupe_key,
    )


def deliver(session: Session, *, outbox_id: int, max_attempts: int = MAX_ATTEMPTS) -> dict:
    """Send one queued outbox email over SMTP and record the outcome; returns ``{id, status, attempts}``.

    Already ``sent`` or ``failed`` rows are left alone (a retried or duplicated job sends nothing). On a temporary
    failure the attempt and its error are recorded and ``ProviderUnavailable`` is raised for the queue to retry; on a
    permanent refusal (5xx) or once ``max_attempts`` is reached the row becomes ``failed`` and ``ProviderError`` is
    raised.
    """
    # populate_existing: the caller's session may hold this row from before another worker's commit.
    row = session.get(Outbox, outbox_id, populate_existing=True)
    if row is None:
        raise NotFound(f"Outbox message {outbox_id} does not exist.")
    if row.channel != "email":
        raise Invalid(f"Outbox message {outbox_id} is not an email.")
    if row.status in ("sent", "failed"):
        log.info("outbox %s already %s, not sending again", row.id, row.status)
        return _outcome(row)

    settings = get_settings()
    row.attempts += 1
    if settings.smtp_sandbox:
        _mark_sent(session, row)
        log.info("outbox %s kept in the dev outbox (sandbox, no SMTP host)", row.id)
        return _outcome(row)

    # The attempt is committed before touching the network, so a crash mid-send still counts towards the cap.
    session.add(row)
    session.commit()
    try:
        server = smtp_server_for(session, tenant_id=row.tenant_id)
        message = build_message(row, sender=server.sender)
        run_coroutine_sync(_send(message, server=server))
    except Exception as exc:
        permanent = _is_permanent(exc)
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if permanent or row.attempts >= max_attempts:
            row.status = "failed"
        session.add(row)
        session.commit()
        if row.status == "failed":
            log.warning("outbox %s failed after %d attempt(s): %s", row.id, row.attempts, row.last_error)
            raise ProviderError(
                "The email could not be delivered.", attempts=row.attempts, outbox_id=row.id, error=row.last_error
            ) from exc
        log.info("outbox %s attempt %d failed, will retry: %s", row.id, row.attempts, row.last_error)
        raise ProviderUnavailable(
            "The mail server is unavailable.", attempts=row.attempts, outbox_id=row.id, error=row.last_error
        ) from exc
    _mark_sent(session, row)
    log.info("outbox %s sent on attempt %d", row.id, row.attempts)
    return _outcome(row)


def build_message(row: Outbox, *, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: text, plus an HTML alternative when the row has one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id_for(row, sender=sender)
    # Automated mail (RFC 3834): out-of-office responders should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def message_id_for(row: Outbox, *, sender: str) -> str:
    """A Message-ID that is the same on every attempt for a row, and different for any other row.

    The creation time is part of it because ids restart when a database is recreated; two different messages must
    never share a Message-ID (some providers silently drop the second).
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ava.localhost"
    # Naive or aware depending on the database driver; formatting without the offset keeps it stable either way.
    stamp = row.created_at.replace(tzinfo=None).strftime("%Y%m%d%H%M%S%f")
    return f"<outbox.{row.id}.{stamp}@{domain}>"


def smtp_server_for(session: Session, *, tenant_id: int | None) -> SmtpServer:
    """The tenant's own SMTP server when it saved one, else the platform's (not meaningful in sandbox mode)."""
    settings = get_settings()
    secret = None
    if tenant_id is not None:
        try:
            secret = credentials.get_credential(session, tenant_id=tenant_id, provider="smtp")
        except credentials.CredentialUnreadable:
            # Saved under a previous server key: the platform server still gets the message out.
            log.warning("tenant %s SMTP credential unreadable, using the platform server", tenant_id)
    if secret:
        tls = str(secret.get("tls") or "starttls")
        if tls not in ("none", "starttls", "ssl"):
            raise ValueError(f"Unknown SMTP TLS mode {tls!r} in the tenant credential.")
        return SmtpServer(
            host=str(secret["host"]),
            port=int(secret.get("port") or (465 if tls == "ssl" else 587)),
            username=str(secret.get("username") or ""),
            password=str(secret.get("password") or ""),
            sender=str(secret.get("from") or settings.smtp_from),
            tls=tls,
        )
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        tls=settings.smtp_tls,
    )


async def _send(message: EmailMessage, *, server: SmtpServer) -> None:
    await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        username=server.username or None,
        password=server.password or None,
        use_tls=server.tls == "ssl",
        # False rather than None for "none": aiosmtplib would otherwise upgrade opportunistically.
        start_tls=server.tls == "starttls",
        timeout=SMTP_TIMEOUT_SECONDS,
    )


def _is_permanent(exc: Exception) -> bool:
    """True when retrying cannot help: the server answered 5xx, or the row cannot form a valid message."""
    if isinstance(exc, OSError):
        # Network and TLS trouble (including a certificate that fails verification, also a ValueError) can clear up.
        return False
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code >= 500
    return isinstance(exc, ValueError | TypeError)


def _mark_sent(session: Session, row: Outbox) -> None:
    row.status = "sent"
    row.sent_at = utcnow()
    row.last_error = None
    session.add(row)
    session.commit()


def _outcome(row: Outbox) -> dict:
    return {"id": row.id, "status": row.status, "attempts": row.attempts}
