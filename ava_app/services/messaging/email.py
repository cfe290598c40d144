"""Email: record in the outbox, deliver over SMTP from the job queue, exactly one row per message.

Delivery guarantee. A message is delivered *at least once*, and a message whose row says ``sent`` is never sent again.
Each attempt first *claims* its row: one conditional UPDATE (``status = 'queued'`` and no live claim) that sets a
claim id and a lease (``claimed_until``), checked by its row count and committed before any network. Two jobs for one
row (the queue's retry and the sweep's, a duplicated job) therefore never both send: the second finds the claim and
does nothing. A worker killed mid-send leaves a claim that expires with its lease; the outbox sweep
(``stale_queued_ids``, run every minute by the job queue) then re-enqueues the row, as it does a queued row whose job
never ran or was lost (process died between the row's commit and the enqueue, a job that raised). The SMTP exchange is
bounded well inside the lease, so a live worker never loses its claim to a second one.

The only window for a duplicate is a crash after the SMTP server accepted the message and before the row is marked
``sent`` (process killed, database unreachable for the final commit). We accept that window on purpose: the
alternative (mark first, send second) turns the same crash into a lost magic link or call summary, which is worse than
a duplicate. Every attempt of one row carries the same ``Message-ID`` (derived from the outbox id and its creation
time), so a duplicate is recognisable by mail clients and by anyone reading the logs.

One-time links are stored sealed and put back only into the message handed to the server; once it is sent, the seal
is dropped and the stored bodies open nothing (see ``ava_app.services.messaging.outbox``).

Sandbox mode (no ``AVA_SMTP_HOST``): nothing leaves the machine; the row is marked ``sent`` and the /dev/outbox page
shows it, so magic links work without a mail account. Sandbox is deployment-wide, as for the other providers.

Server: a tenant's own SMTP credential (credentials service, provider ``smtp``) when its row has one, else the
platform's settings.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import aiosmtplib
from huey import crontab
from huey.exceptions import RetryTask
from sqlalchemy import and_, func, or_, text, update
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import Membership, Outbox, User, utcnow
from ava_app.observability import metrics
from ava_app.services import credentials
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import DomainError, Invalid, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.messaging import outbox, smtp_connection
from ava_app.services.messaging.templates import render
from ava_app.services.outbound_guard import OutboundRefused
from ava_app.settings import get_settings
from ava_app.task_queue import periodic_task, task

log = logging.getLogger(__name__)

# Beyond this many attempts a message is marked failed. The job queue spaces them out (deliver_outbox_message): about an
# hour and a half of mail-server outage is ridden out before a row shows as failed.
MAX_ATTEMPTS = 8
# A stalled server must not hold a worker thread for long; the next attempt comes from the queue anyway.
SMTP_TIMEOUT_SECONDS = 30.0
# The whole SMTP exchange of one attempt (each command also has SMTP_TIMEOUT_SECONDS) ends well before its claim does.
SEND_DEADLINE_SECONDS = 120.0
CLAIM_LEASE = timedelta(minutes=5)
# A queued row due this long without a claim lost its job: the sweep enqueues it again. Short, for magic links.
REQUEUE_AFTER = timedelta(minutes=2)
# Retries back off exponentially (1, 2, 4, 8, 16 minutes, then every 30 minutes), up to MAX_ATTEMPTS.
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 30 * 60

# Who wants to hear that a message reached its final state (sent or failed), by dedupe-key prefix: the post-call
# work settles a call's email status from it. Registered by the feature that sends the messages (this module imports
# no feature back); a listener's error is logged, never a delivery's failure.
DeliveryListener = Callable[[Session, Outbox], None]
_DELIVERY_LISTENERS: dict[str, DeliveryListener] = {}


def on_delivery(key_prefix: str, listener: DeliveryListener) -> None:
    """Call ``listener(session, row)`` when an outbox email whose dedupe key starts with ``key_prefix:`` is sent or
    fails for good."""
    _DELIVERY_LISTENERS[key_prefix] = listener


def _tell_listeners(session: Session, row: Outbox) -> None:
    prefix = (row.dedupe_key or "").partition(":")[0]
    listener = _DELIVERY_LISTENERS.get(prefix) if row.status in ("sent", "failed") else None
    if listener is None:
        return
    try:
        listener(session, row)
    except Exception:
        session.rollback()
        log.exception("outbox %s: the delivery listener for %r failed", row.id, prefix)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: the platform's settings or a tenant's own credential."""

    host: str
    port: int
    username: str
    password: str
    sender: str
    tls: str  # "none" | "starttls" | "ssl"
    # A server an organisation named: reached only through the outbound guard (messaging.smtp_connection).
    tenant_owned: bool = False


def email_admins(
    session: Session,
    *,
    tenant_id: int,
    texts: dict[str, tuple[str, str]],
    values: dict[str, str],
    dedupe_key: str,
) -> None:
    """Queue one email to each active admin of the organisation, in their language (``texts``: language -> subject
    and body templates formatted with ``values``). ``dedupe_key`` names the occasion: each admin gets it once. An
    address the outbox refuses is logged and skipped, so one bad address does not keep the others from hearing."""
    admins = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.tenant_id == tenant_id, Membership.role == "admin", col(User.is_active).is_(True))
    ).all()
    for admin in admins:
        subject, body = texts["fr" if (admin.locale or "").startswith("fr") else "en"]
        try:
            send_email(
                session,
                to=admin.email,
                subject=subject.format(**values),
                body_text=body.format(**values),
                tenant_id=tenant_id,
                dedupe_key=f"{dedupe_key}:{admin.id}",
            )
        except DomainError:
            log.warning("email %s to admin %s of tenant %s not queued", dedupe_key, admin.id, tenant_id)


def send_email(
    session: Session,
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    tenant_id: int | None = None,
    dedupe_key: str | None = None,
    links: dict[str, str] | None = None,
    attachments: Sequence[outbox.Attachment] = (),
    purpose: str = "notice",
    call_id: int | None = None,
) -> int:
    """Record an email in the outbox and enqueue its delivery; returns the outbox id.

    With a ``dedupe_key`` that was already used, the existing message is returned and no second delivery is enqueued,
    so a webhook processed twice sends one call summary. ``links``: one-time links by their placeholder in the
    bodies, stored sealed (see ``outbox.queue_message``).
    """
    if not to or "@" not in to:
        raise Invalid("A valid email address is required.", fields={"to": "invalid"})
    if dedupe_key:
        existing = session.exec(select(Outbox).where(col(Outbox.dedupe_key) == dedupe_key)).first()
        if existing is not None:
            assert existing.id is not None, "a stored row has an id"
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
        links=links,
        attachments=attachments,
        purpose=purpose,
        call_id=call_id,
    )
    assert row.id is not None, "queue_message committed the row"
    # The row is committed above, so a worker in another process finds it.
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
    one_time: tuple[str, ...] = (),
    purpose: str = "account",
    call_id: int | None = None,
    **context: Any,
) -> int:
    """Render one of the email templates (see email_templates) in ``locale`` and send it; returns the outbox id.

    ``one_time`` names the context entries that are one-time links (``("link",)`` for a magic link): the stored
    bodies get a placeholder for each, the link itself is kept sealed until sent.
    """
    links = {}
    for name in one_time:
        placeholder = outbox.link_placeholder(str(context[name]))
        links[placeholder] = str(context[name])
        context[name] = placeholder
    rendered = render(kind, locale=locale, **context)
    return send_email(
        session,
        to=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        tenant_id=tenant_id,
        dedupe_key=dedupe_key,
        links=links or None,
        purpose=purpose,
        call_id=call_id,
    )


def deliver(session: Session, *, outbox_id: int, max_attempts: int = MAX_ATTEMPTS) -> dict:
    """Claim one queued outbox email, send it over SMTP and record the outcome; returns ``{id, status, attempts}``.

    Rows already ``sent`` or ``failed``, or claimed by a live attempt elsewhere, are left alone (a retried or
    duplicated job sends nothing). On a temporary failure the attempt, its error and the time of the next one are
    recorded and ``ProviderUnavailable`` is raised for the queue to retry; on a permanent refusal (5xx) or once
    ``max_attempts`` is reached the row becomes ``failed`` and ``ProviderError`` is raised.
    """
    row = _reload(session, outbox_id)
    if row.channel != "email":
        raise Invalid(f"Outbox message {outbox_id} is not an email.")
    if row.status in ("sent", "failed"):
        log.info("outbox %s already %s, not sending again", row.id, row.status)
        return _outcome(row)
    # End the read before writing: on SQLite a write from an old read snapshot fails instead of waiting its turn.
    session.commit()
    if row.attempts >= max_attempts:
        _give_up(session, row=row)
    claim = _claim(session, outbox_id=outbox_id)
    row = _reload(session, outbox_id)
    if claim is None:
        log.info("outbox %s is %s and not ours to send (claimed by another attempt)", row.id, row.status)
        return _outcome(row)

    settings = get_settings()
    if settings.smtp_sandbox:
        # Kept sealed only while the dev outbox can show the links to a developer.
        keep_links = "email" in outbox.sandbox_channels(settings)
        row = _record(session, row=row, claim=claim, outcome="sent", keep_links=keep_links)
        metrics.record_message(channel="email", status="sandbox")
        log.info("outbox %s kept in the dev outbox (sandbox, no SMTP host)", row.id)
        _tell_listeners(session, row)
        return _outcome(row)

    try:
        # A one-time link proves the mailbox it reaches only if AVA itself delivered it: never through a server an
        # organisation configured, whose admin would read the invitation (or login link) it carries.
        server = smtp_server_for(session, tenant_id=None if row.sealed_links else row.tenant_id)
        message = build_message(row, sender=server.sender)
        with metrics.provider_call("smtp", "send"):
            run_coroutine_sync(_send(message, server=server))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        if _is_permanent(exc) or row.attempts >= max_attempts:
            row = _record(session, row=row, claim=claim, outcome="failed", error=error)
            metrics.record_message(channel="email", status="failed")
            log.warning("outbox %s failed after %d attempt(s): %s", row.id, row.attempts, error)
            _tell_listeners(session, row)
            raise ProviderError(
                "The email could not be delivered.", attempts=row.attempts, outbox_id=row.id, error=error
            ) from exc
        delay = retry_delay(row.attempts)
        row = _record(session, row=row, claim=claim, outcome="queued", error=error, retry_in=delay)
        metrics.record_message(channel="email", status="retrying")
        log.info("outbox %s attempt %d failed, will retry in %d s: %s", row.id, row.attempts, delay, error)
        raise ProviderUnavailable(
            "The mail server is unavailable.", attempts=row.attempts, outbox_id=row.id, error=error, retry_in=delay
        ) from exc
    row = _record(session, row=row, claim=claim, outcome="sent")
    metrics.record_message(channel="email", status="sent")
    log.info("outbox %s sent on attempt %d", row.id, row.attempts)
    _tell_listeners(session, row)
    return _outcome(row)


def retry_delay(attempts: int) -> int:
    """Seconds to wait before the next delivery attempt, after ``attempts`` failed ones."""
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def stale_queued_ids(
    session: Session, *, now: datetime | None = None, limit: int = 500, channel: str = "email"
) -> list[int]:
    """Queued messages of ``channel`` whose delivery job was lost, oldest first: what the outbox sweep enqueues again.

    A row is stale when its claim expired (the worker died mid-send), or when it has been due for ``REQUEUE_AFTER``
    with nobody claiming it (the job never ran: process died after the row's commit, job lost or raised). A row
    waiting for a scheduled retry is due only at ``next_attempt_at``. Enqueueing a row whose job is in fact only late
    costs one no-op run: the claim lets one attempt through.
    """
    now = now or utcnow()
    due = func.coalesce(col(Outbox.next_attempt_at), col(Outbox.created_at))
    claimed_until = col(Outbox.claimed_until)
    query = (
        select(col(Outbox.id))
        # Written out (not a bound parameter) so the planner can use the partial index of queued rows.
        .where(text("outbox.status = 'queued'"), col(Outbox.channel) == channel)
        .where(
            or_(
                and_(claimed_until.is_not(None), claimed_until < now),
                and_(claimed_until.is_(None), due < now - REQUEUE_AFTER),
            )
        )
        .order_by(col(Outbox.id))
        .limit(limit)
    )
    return [outbox_id for outbox_id in session.exec(query).all() if outbox_id is not None]


def build_message(row: Outbox, *, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: text, plus an HTML alternative when the row has one, and its files."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id_for(row, sender=sender)
    # Automated mail (RFC 3834): out-of-office responders should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    body_text, body_html = outbox.open_bodies(row, strict=True)
    message.set_content(body_text)
    if body_html:
        message.add_alternative(body_html, subtype="html")
    for item in outbox.attachments_of(row):
        maintype, _, subtype = item.content_type.partition("/")
        message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
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
            tenant_owned=True,
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
    # A server answering each command just in time must not outlast the claim (TimeoutError: retried later).
    async with asyncio.timeout(SEND_DEADLINE_SECONDS):
        if server.tenant_owned:
            await _send_to_tenant_server(message, server=server)
            return
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


async def _send_to_tenant_server(message: EmailMessage, *, server: SmtpServer) -> None:
    """Send through an organisation's own server: its address checked when connecting, credentials only over TLS."""
    secret = {
        "host": server.host,
        "port": server.port,
        "tls": server.tls,
        "username": server.username,
        "password": server.password,
    }
    smtp_connection.check_smtp_secret(secret)
    client = await smtp_connection.open_smtp(smtp_connection.smtp_target(secret), timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if server.username or server.password:
            await client.login(server.username, server.password)
        await client.send_message(message)
    finally:
        try:
            await client.quit()
        except aiosmtplib.SMTPException:
            client.close()


def _is_permanent(exc: Exception) -> bool:
    """True when retrying cannot help: the server answered 5xx, or the row cannot form a valid message."""
    if isinstance(exc, OutboundRefused):
        # An address AVA may not reach stays refused; a name that does not resolve now may later.
        return exc.code != "outbound_unresolved"
    if isinstance(exc, Invalid):
        return True  # a saved credential AVA will not use (say, a password without TLS)
    if isinstance(exc, OSError):
        # Network and TLS trouble (including a certificate that fails verification, also a ValueError) can clear up.
        return False
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(refusal.code >= 500 for refusal in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code >= 500
    return isinstance(exc, ValueError | TypeError)


def _claim(session: Session, *, outbox_id: int) -> str | None:
    """Take the row for one attempt (counted at once, so crashes count towards the cap); None when not ours.

    The conditional UPDATE is the lock: of two jobs racing for one row, the database lets exactly one match.
    """
    now = utcnow()
    claim = secrets.token_hex(16)
    claimed = session.exec(
        update(Outbox)
        .where(
            col(Outbox.id) == outbox_id,
            col(Outbox.status) == "queued",
            or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now),
        )
        .values(claimed_by=claim, claimed_until=now + CLAIM_LEASE, attempts=col(Outbox.attempts) + 1)
    )
    session.commit()
    return claim if claimed.rowcount == 1 else None


def _give_up(session: Session, *, row: Outbox) -> None:
    """Fail a row whose attempts were all used by workers that died mid-send (when no attempt holds it now)."""
    error = row.last_error or "Delivery was interrupted on every attempt."
    given_up = session.exec(
        update(Outbox)
        .where(
            col(Outbox.id) == row.id,
            col(Outbox.status) == "queued",
            or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < utcnow()),
        )
        .values(status="failed", last_error=error, next_attempt_at=None, sealed_links=None)
    )
    session.commit()
    if given_up.rowcount == 1:
        metrics.record_message(channel="email", status="failed")
        log.warning("outbox %s failed: its %d attempts were used up", row.id, row.attempts)
        assert row.id is not None, "a stored row has an id"
        _tell_listeners(session, _reload(session, row.id))
        raise ProviderError("The email could not be delivered.", attempts=row.attempts, outbox_id=row.id, error=error)


def _record(
    session: Session,
    *,
    row: Outbox,
    claim: str,
    outcome: str,
    error: str | None = None,
    retry_in: int = 0,
    keep_links: bool = False,
) -> Outbox:
    """Store an attempt's outcome and release its claim; returns the row as stored."""
    assert row.id is not None, "a claimed row is stored"
    now = utcnow()
    values: dict[str, Any] = {"status": outcome, "last_error": error, "claimed_by": None, "claimed_until": None}
    if outcome == "queued":
        values["next_attempt_at"] = now + timedelta(seconds=retry_in)
    else:
        values["next_attempt_at"] = None
        if not keep_links:
            values["sealed_links"] = None
    if outcome == "sent":
        values["sent_at"] = now
    query = update(Outbox).where(col(Outbox.id) == row.id)
    recorded = session.exec(query.where(col(Outbox.claimed_by) == claim).values(**values))
    if recorded.rowcount != 1:
        # The lease ran out before this attempt ended (a database stalled for minutes): another attempt may send it
        # too. A delivered message is still recorded as sent, so nothing sends it a third time.
        log.warning("outbox %s: the claim expired before the outcome %r was recorded", row.id, outcome)
        if outcome == "sent":
            session.exec(query.where(col(Outbox.status) == "queued").values(**values))
    session.commit()
    return _reload(session, row.id)


def _reload(session: Session, outbox_id: int) -> Outbox:
    """The row as stored now; NotFound once it is gone (its organisation was deleted meanwhile).

    populate_existing: the caller's session may hold this row from before another worker's commit.
    """
    row = session.get(Outbox, outbox_id, populate_existing=True)
    if row is None:
        raise NotFound(f"Outbox message {outbox_id} does not exist.")
    return row


def _outcome(row: Outbox) -> dict:
    return {"id": row.id, "status": row.status, "attempts": row.attempts}


# --- jobs -------------------------------------------------------------------------------------------------------


# huey's own retries only cover unexpected errors (database unreachable...): the backoff for SMTP failures is driven
# by the attempts stored on the outbox row, which survive a restart and are visible in the UI. A job lost for good
# (worker killed, retries spent) leaves its row queued, and the outbox sweep (sweep_outbox) enqueues it again.
def run_delivery(deliver_row: Callable[..., object], outbox_id: int) -> None:
    """The body of an outbox delivery job (email or SMS): one attempt, then a later retry on a temporary failure.

    RetryTask does not consume huey's retry budget; the attempt cap lives in the delivery function. The delay is the
    one stored on the row as its next attempt, which the sweep waits for too.
    """
    try:
        with session_scope() as session:
            deliver_row(session, outbox_id=outbox_id)
    except ProviderUnavailable as exc:
        delay = exc.details.get("retry_in") or retry_delay(int(exc.details.get("attempts", 1)))
        raise RetryTask(delay=int(delay)) from exc
    except (ProviderError, NotFound) as exc:
        # Final: the row says failed (or is gone with its tenant); retrying the job would change nothing.
        log.warning("outbox %s not delivered: %s", outbox_id, exc.message)


@task(retries=3, retry_delay=60, retry_backoff=2)
def deliver_outbox_message(outbox_id: int) -> None:
    """Deliver one outbox email; on a temporary failure, come back later with a growing delay."""
    run_delivery(deliver, outbox_id)


@periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    """Every minute: enqueue again the queued emails whose delivery job was lost (see stale_queued_ids)."""
    with session_scope() as session:
        stale = stale_queued_ids(session)
    for outbox_id in stale:
        deliver_outbox_message(outbox_id)
    if stale:
        log.warning("outbox sweep re-enqueued %d email(s): %s", len(stale), stale[:20])
