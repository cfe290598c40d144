"""Text messages to callers and owners: queued in the outbox, sent from the tenant's AVA number through Twilio.

``queue_sms`` records the message (nothing for a number that texted STOP to the tenant) and enqueues its delivery;
``deliver_sms`` sends it with the same claim/lease/backoff bookkeeping as email (see ``messaging.email``). A
recipient Twilio reports as unsubscribed (error 21610) is recorded as opted out and never retried.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from xml.sax.saxutils import escape

from huey import crontab
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from ava_app.db import session_scope
from ava_app.models import Outbox, PhoneNumber, SmsOptOut, Tenant
from ava_app.observability import metrics
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.errors import DomainError, Invalid, ProviderError, ProviderUnavailable
from ava_app.services.messaging import outbox
from ava_app.services.messaging.email import (
    _claim,
    _outcome,
    _record,
    _reload,
    retry_delay,
    run_delivery,
    stale_queued_ids,
)
from ava_app.services.phone_numbers import _twilio_credentials_for
from ava_app.services.providers import twilio
from ava_app.services.twilio_voice import TwilioForm, find_call_number
from ava_app.task_queue import periodic_task, task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
MAX_BODY = 1600
OPTED_OUT_ERROR = "opted_out: the recipient replied STOP to this number"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# A template placeholder left in the text ({name}, {{ name }}) means the message is incomplete.
_PLACEHOLDER = re.compile(r"\{\{?\s*[A-Za-z_][\w.]*\s*\}?\}")


# Twilio's own opt-out keywords on long codes (it also blocks the sender on its side, error 21610).
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
_HELP_REPLY = {
    "en": "{business}: automated texts about your calls and bookings. Reply STOP to stop them, START to resume.",
    "fr": "{business} : SMS automatiques sur vos appels et rendez-vous. Répondez STOP pour les arrêter, START pour "
    "les reprendre.",
}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _check_body(body: str) -> None:
    if not body.strip():
        raise Invalid("A text message needs a body.", fields={"body": "Required"})
    if len(body) > MAX_BODY:
        raise Invalid("A text message holds at most 1600 characters.", fields={"body": "Too long"})
    if _PLACEHOLDER.search(body):
        raise Invalid("This text message still has a placeholder in it.", fields={"body": "Incomplete"})


def is_opted_out(session: Session, *, tenant_id: int, phone: str) -> bool:
    """Whether ``phone`` texted STOP to one of the tenant's numbers (and not START since)."""
    query = select(SmsOptOut.id).where(col(SmsOptOut.tenant_id) == tenant_id, col(SmsOptOut.phone) == phone)
    return session.exec(query).first() is not None


def record_opt_out(session: Session, *, tenant_id: int, phone: str) -> None:
    """Remember that ``phone`` wants no more texts from this tenant (idempotent)."""
    if is_opted_out(session, tenant_id=tenant_id, phone=phone):
        return
    session.add(SmsOptOut(tenant_id=tenant_id, phone=phone))
    try:
        session.commit()
    except IntegrityError:
        # Two STOPs at once: the other one recorded it.
        session.rollback()


def remove_opt_out(session: Session, *, tenant_id: int, phone: str) -> None:
    """``phone`` texted START: this tenant may text it again."""
    session.exec(delete(SmsOptOut).where(col(SmsOptOut.tenant_id) == tenant_id, col(SmsOptOut.phone) == phone))
    session.commit()


def sender_number(session: Session, *, tenant_id: int) -> PhoneNumber | None:
    """The tenant's active Twilio number AVA texts from (the oldest one), or None."""
    query = (
        select(PhoneNumber)
        .where(
            col(PhoneNumber.tenant_id) == tenant_id,
            col(PhoneNumber.status) == "active",
            col(PhoneNumber.twilio_sid).is_not(None),
        )
        .order_by(col(PhoneNumber.id))
    )
    return session.exec(query).first()


def handle_inbound_sms(session: Session, *, form: TwilioForm) -> str:
    """Apply a text someone sent to one of AVA's numbers (already signature-checked); returns the TwiML answer.

    STOP-family words opt the sender out of the number's tenant only, START-family words opt back in, HELP is
    answered with the business name. Other texts are not handled yet (empty answer).
    """
    number = find_call_number(session, form=form)
    sender = form.get("From").strip()
    if number is None or not _E164.match(sender):
        return EMPTY_TWIML
    keyword = form.get("Body").strip().upper()
    if keyword in OPT_OUT_KEYWORDS:
        record_opt_out(session, tenant_id=number.tenant_id, phone=sender)
        metrics.record_message(channel="sms", status="opt_out_received")
    elif keyword in OPT_IN_KEYWORDS:
        remove_opt_out(session, tenant_id=number.tenant_id, phone=sender)
        metrics.record_message(channel="sms", status="opt_in_received")
    elif keyword in HELP_KEYWORDS:
        tenant = session.get(Tenant, number.tenant_id)
        if tenant is not None:
            template = _HELP_REPLY.get((tenant.locale or "en")[:2].lower(), _HELP_REPLY["en"])
            reply = escape(template.format(business=tenant.name))
            return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{reply}</Message></Response>'
    return EMPTY_TWIML


def queue_sms(
    session: Session,
    *,
    tenant_id: int,
    to: str,
    body: str,
    dedupe_key: str | None,
    purpose: str = "notice",
    call_id: int | None = None,
) -> int | None:
    """Record a text to ``to`` (E.164) from the tenant's number and enqueue its delivery; returns the outbox id.

    None when ``to`` opted out of this tenant's texts (nothing is recorded). A ``dedupe_key`` already used returns
    the existing message without a second delivery.
    """
    if not _E164.match(to or ""):
        raise Invalid("A valid phone number is required.", fields={"to": "invalid"})
    _check_body(body)
    if is_opted_out(session, tenant_id=tenant_id, phone=to):
        metrics.record_message(channel="sms", status="opted_out")
        log.info("sms to a number that opted out of tenant %s not queued", tenant_id)
        return None
    if dedupe_key:
        existing = session.exec(select(Outbox).where(col(Outbox.dedupe_key) == dedupe_key)).first()
        if existing is not None:
            assert existing.id is not None, "a stored row has an id"
            return existing.id
    row = outbox.queue_message(
        session,
        channel="sms",
        to=to,
        body_text=body,
        tenant_id=tenant_id,
        dedupe_key=dedupe_key,
        purpose=purpose,
        call_id=call_id,
    )
    assert row.id is not None, "queue_message committed the row"
    deliver_sms_message(row.id)
    return row.id


def deliver_sms(session: Session, *, outbox_id: int, max_attempts: int = MAX_ATTEMPTS) -> dict:
    """Claim one queued outbox SMS, send it through Twilio and record the outcome; returns ``{id, status, attempts}``.

    Sent or failed rows and rows claimed elsewhere are left alone. Throttling or a Twilio outage records the attempt
    and raises ``ProviderUnavailable`` (the job retries with backoff); an opted-out recipient, a missing sender
    number, a refused or incomplete message, or the last attempt makes the row ``failed``.
    """
    row = _reload(session, outbox_id)
    if row.channel != "sms":
        raise Invalid(f"Outbox message {outbox_id} is not a text message.")
    if row.status in ("sent", "failed"):
        return _outcome(row)
    session.commit()
    claim = _claim(session, outbox_id=outbox_id)
    row = _reload(session, outbox_id)
    if claim is None:
        log.info("outbox %s is %s and not ours to send (claimed by another attempt)", row.id, row.status)
        return _outcome(row)

    def fail(error: str, status: str = "failed") -> dict:
        stored = _record(session, row=row, claim=claim, outcome="failed", error=error[:1000])
        metrics.record_message(channel="sms", status=status)
        log.warning("outbox %s (sms) not sent: %s", stored.id, error)
        return _outcome(stored)

    tenant_id = row.tenant_id
    if tenant_id is None:
        return fail("no tenant: a text is always sent from a tenant's number")
    if is_opted_out(session, tenant_id=tenant_id, phone=row.to):
        return fail(OPTED_OUT_ERROR, "opted_out")
    try:
        _check_body(row.body_text)
    except Invalid as exc:
        return fail(f"incomplete message: {exc.message}")
    if row.attempts > max_attempts:
        return fail(row.last_error or "Delivery was interrupted on every attempt.")
    number = sender_number(session, tenant_id=tenant_id)
    if number is None:
        return fail("no active Twilio number to text from")
    try:
        account_sid, auth_token = _twilio_credentials_for(session, number)
        run_coroutine_sync(
            twilio.send_message(
                to=row.to, from_=number.e164, body=row.body_text, account_sid=account_sid, auth_token=auth_token
            )
        )
    except ProviderUnavailable as exc:
        error = f"{exc.code}: {exc.message}"
        if row.attempts >= max_attempts:
            fail(error)
            raise ProviderError("The text message could not be delivered.", outbox_id=row.id, error=error) from exc
        wait = exc.details.get("retry_after")
        delay = max(retry_delay(row.attempts), int(wait or 0))
        stored = _record(session, row=row, claim=claim, outcome="queued", error=error, retry_in=delay)
        metrics.record_message(channel="sms", status="retrying")
        raise ProviderUnavailable(
            "Twilio is unavailable.", attempts=stored.attempts, outbox_id=stored.id, error=error, retry_in=delay
        ) from exc
    except DomainError as exc:
        if exc.code == "twilio_recipient_opted_out":
            record_opt_out(session, tenant_id=tenant_id, phone=row.to)
            return fail(OPTED_OUT_ERROR, "opted_out")
        return fail(f"{exc.code}: {exc.message}")
    stored = _record(session, row=row, claim=claim, outcome="sent")
    metrics.record_message(channel="sms", status="sent")
    log.info("outbox %s (sms) sent on attempt %d", stored.id, stored.attempts)
    return _outcome(stored)


@task(retries=3, retry_delay=60, retry_backoff=2)
def queue_text(
    tenant_id: int, to: str, body: str, dedupe_key: str, purpose: str = "notice", call_id: int | None = None
) -> None:
    """Job: ``queue_sms`` for a service that cannot import this module (the booking tools, which Twilio's webhooks
    reach); skipped when the tenant has no number to text from. ``purpose`` and ``call_id`` as in ``queue_sms``."""
    with session_scope() as session:
        if sender_number(session, tenant_id=tenant_id) is None:
            log.info("tenant %s has no number to text from; a text was skipped", tenant_id)
            return
        queue_sms(
            session, tenant_id=tenant_id, to=to, body=body, dedupe_key=dedupe_key, purpose=purpose, call_id=call_id
        )


@task(retries=3, retry_delay=60, retry_backoff=2)
def deliver_sms_message(outbox_id: int) -> None:
    """Deliver one outbox SMS; on throttling or an outage, come back later with a growing delay."""
    run_delivery(deliver_sms, outbox_id)


def stale_sms_ids(session: Session, *, now: datetime | None = None) -> list[int]:
    """Queued texts of an organisation whose delivery job was lost (same rules as email's ``stale_queued_ids``).

    Rows without an organisation are the sandbox's copies of Verify codes and emulator texts: nothing to send.
    """
    stale = stale_queued_ids(session, now=now, channel="sms")
    if not stale:
        return []
    owned = select(Outbox.id).where(col(Outbox.id).in_(stale), col(Outbox.tenant_id).is_not(None))
    return sorted(outbox_id for outbox_id in session.exec(owned).all() if outbox_id is not None)


@periodic_task(crontab(minute="*"))
def sweep_sms_outbox() -> None:
    """Every minute: enqueue again the queued texts whose delivery job was lost."""
    with session_scope() as session:
        stale = stale_sms_ids(session)
    for outbox_id in stale:
        deliver_sms_message(outbox_id)
    if stale:
        log.warning("sms sweep re-enqueued %d text(s): %s", len(stale), stale[:20])
