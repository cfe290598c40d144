"""After a call ends: summarise it, store the summary on the call, email it to whoever asked, and the daily digest.

Plain functions run by the jobs at its end; each step is idempotent, so a job that runs twice (a retry, or the
sweep re-enqueueing a job whose worker died) changes nothing the second time:

- the summary is written only while ``summary_status`` is ``pending``;
- each summary email has a dedupe key per (call, recipient), so the outbox holds one row per recipient whatever the
  number of runs, and the outbox sends each row once;
- ``email_status`` settles from those outbox rows: ``sent`` when all were delivered, ``failed`` if one could not be,
  ``skipped`` when nobody asked for this call's email. It settles again each time one of them is delivered or fails
  (the outbox tells ``settle_after_delivery``), so a page never shows "pending" for an email already sent.

Test calls (``call_type == "test"``, the owner trying the assistant) are summarised like any call but never need an
action and are emailed to nobody: they are not calls from customers.

A summary that cannot be written (the model twice answered malformed JSON, or OpenAI stayed unreachable through every
retry) leaves ``summary_status`` ``failed`` and the email still goes out, saying no summary is available: the owner
must hear about the call even without one.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy
from huey import crontab
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from ava_app import languages, routes
from ava_app.db import session_scope
from ava_app.models import Assistant, Call, CallMessage, Membership, Outbox, Tenant, User, utcnow
from ava_app.services import (
    booking_admin,
    call_blocking,
    credentials,
    live_updates,
    phones,
    recordings,
    regional,
    spam,
    webhooks_out,
)
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.billing import billable
from ava_app.services.bookings import BookingOut, bookings_of_call
from ava_app.services.crm import sync as crm_sync
from ava_app.services.errors import Conflict, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.member_alerts import alert_members
from ava_app.services.messaging import email
from ava_app.services.messaging.templates import format_duration, normalize_locale
from ava_app.services.principal import Principal
from ava_app.services.privacy_settings import redactor_for
from ava_app.services.providers import llm
from ava_app.services.text_back import text_back_after_call
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue, periodic_task, task

log = logging.getLogger(__name__)

SUMMARY_KEY_PREFIX = "call-summary"
DIGEST_KEY_PREFIX = "call-digest"
# The digest of yesterday's calls goes out from this local hour on (the hourly job catches up after downtime).
DIGEST_LOCAL_HOUR = 7
# A pending call untouched this long has lost its job: the longest retry delay plus a slow LLM call fit well inside.
STALE_AFTER = timedelta(minutes=10)
# Test hook: called with the call id just before the summary is requested (tests make the job slow with it).
before_summary: Callable[[int], None] | None = None

_ACTION_FALLBACK = {"en": "Follow up with the caller.", "fr": "Recontacter l'appelant."}
# The email to whoever was told of a missed call when its voicemail turns up afterwards.
_LATE_VOICEMAIL = {
    "en": "The caller left a voicemail after all: it reached AVA after the call was reported missed. Listen to it on "
    "the call's page.",
    "fr": "L'appelant a finalement laissé un message vocal : il est arrivé après l'annonce de l'appel manqué. "
    "Écoutez-le sur la page de l'appel.",
}
LATE_VOICEMAIL_KEY_PREFIX = "late-voicemail"


@dataclass(frozen=True)
class Recipient:
    """Who gets one call's summary email, in which language."""

    address: str
    locale: str


@dataclass(frozen=True)
class PostCallStatus:
    """Where a call's post-call work stands."""

    call_id: int
    summary_status: str
    email_status: str


# --- the post-call job ------------------------------------------------------------------------------------------


def process_call(session: Session, *, call_id: int, final_attempt: bool = True) -> PostCallStatus | None:
    """Summarise the call and send its emails, whatever is still pending; None if the call is gone.

    ``final_attempt`` says the queue will not retry: an unreachable OpenAI then marks the summary failed instead of
    raising ``ProviderUnavailable`` for a retry.
    """
    call = session.get(Call, call_id, populate_existing=True)
    if call is None:
        log.info("call %s is gone; no post-call work", call_id)
        return None
    # Touched at each attempt, so the sweep can tell a job that is alive (or waiting to retry) from a lost one.
    _set(session, call_id, updated_at=utcnow())
    if call.summary_status == "pending" and call.outcome == "missed":
        # Once per call (the first attempt), before the summary: a missed caller hears back within seconds. There was
        # no conversation for the summary to judge anyway.
        text_back_after_call(session, call=call)
    if call.summary_status == "pending":
        _summarise(session, call=call, final_attempt=final_attempt)
        session.refresh(call)
        if call.summary_status in ("done", "failed") and call.outcome != "missed":
            # After hours: once the summary said whether it was a sales pitch or a robocall (never texted back).
            text_back_after_call(session, call=call)
        if call.summary_status == "done":
            webhooks_out.emit_call(session, tenant_id=call.tenant_id, call_id=call_id, event_type="call.summarized")
            crm_sync.queue_call_sync(session, tenant_id=call.tenant_id, call_id=call_id)
        if call.summary_status in ("done", "failed"):
            alert_members(session, call=call)
        # Committed: open dashboards and calls lists show the summary (or its failure) without waiting for emails.
        live_updates.publish_calls_changed(call.tenant_id)
    if call.summary_status != "pending" and billable.not_billed_reason(call) is None:
        # A billed call's minutes count once its summary settled whether it is spam: the 80 %/95 % usage emails
        # (idempotent, so each run of this job may ask; Vapi's own analysis can settle the summary before it runs).
        enqueue("check_usage_alerts", call.tenant_id)
    if call.email_status == "pending":
        _send_summary_emails(session, call=call)
        settled = settle_email_status(session, call_id=call_id)
        if settled is None:
            raise RuntimeError(f"call {call_id}: summary emails were queued but some are missing")
        session.refresh(call)
    return PostCallStatus(call_id=call_id, summary_status=call.summary_status, email_status=call.email_status)


def mark_failed(session: Session, *, call_id: int) -> None:
    """Give up on whatever is still pending for a call (the queue's retries are spent)."""
    session.rollback()
    session.exec(
        update(Call)
        .where(col(Call.id) == call_id, col(Call.summary_status) == "pending")
        .values(summary_status="failed")
    )
    session.exec(
        update(Call).where(col(Call.id) == call_id, col(Call.email_status) == "pending").values(email_status="failed")
    )
    session.commit()
    live_updates.publish_calls_changed(session.exec(select(col(Call.tenant_id)).where(col(Call.id) == call_id)).first())


def _summarise(session: Session, *, call: Call, final_attempt: bool) -> None:
    assert call.id is not None, "a stored call has an id"
    assistant = session.get(Assistant, call.assistant_id) if call.assistant_id else None
    tenant = session.get(Tenant, call.tenant_id)
    if before_summary is not None:
        before_summary(call.id)
    # The tenant's own OpenAI key when it saved one, else the platform's, else the local fallback.
    access = credentials.openai_access_for(session, tenant_id=call.tenant_id)
    redactor = redactor_for(session, tenant_id=call.tenant_id)
    try:
        result = run_coroutine_sync(
            llm.summarise_call(
                transcript=call.transcript or _transcript_from_lines(session, call_id=call.id),
                language=assistant.language if assistant else (tenant.locale if tenant else "en"),
                data_fields=_field_names(assistant.data_fields if assistant else []),
                industry=(assistant.industry if assistant else None) or (tenant.industry if tenant else None),
                access=access,
                private=redactor.active,
            )
        )
    except ProviderUnavailable:
        if not final_attempt:
            raise
        log.warning("call %s: OpenAI unreachable through every retry; summary failed", call.id)
        _set(session, call.id, summary_status="failed")
        return
    except ProviderError as exc:
        # Malformed twice, key rejected, request refused: retrying the same transcript will not help.
        log.warning("call %s: summary failed: %s", call.id, exc.message)
        _set(session, call.id, summary_status="failed")
        return
    # Fields the caller gave through take_message are their own words; the model only fills what is missing.
    data = {name: value for name, value in result.data.items() if value not in (None, "")}
    data.update(call.data_fields or {})
    # What the model wrote goes through redaction too: it may quote a number the caller said.
    caller = call.caller_number
    _set(
        session,
        call.id,
        summary=redactor.text(result.summary, caller_phone=caller),
        summary_source=result.source,
        intent=redactor.text(result.intent, caller_phone=caller)[:200],
        # The owner's own test call is not a customer waiting for an answer.
        action_needed=False if call.call_type == "test" else call.action_needed or result.action_needed,
        topics=list(result.topics),
        sentiment=result.sentiment,
        data_fields=redactor.data(data, caller_phone=caller) if data else call.data_fields,
        summary_status="done",
        **spam.spam_values(session, call=call, flagged=result.spam),
    )


def _send_summary_emails(session: Session, *, call: Call, late_voicemail: bool = False) -> None:
    """The call's summary to each recipient, once. ``late_voicemail``: the voicemail of a call already reported
    missed, to the recipients who were sent that report (a key of its own, so each hears of it once)."""
    assert call.id is not None, "a stored call has an id"
    recipients = recipients_for(session, call=call)
    if late_voicemail:
        recipients = [r for r in recipients if _summary_queued(session, call_id=call.id, address=r.address)]
    if not recipients:
        return
    tenant = session.get(Tenant, call.tenant_id)
    link = f"{get_settings().public_url}/calls/{call.id}"
    made = bookings_of_call(session, tenant_id=call.tenant_id, call_id=call.id)
    for recipient in recipients:
        lang = normalize_locale(recipient.locale)
        block_link = call_blocking.block_link_for(session, call=call, address=recipient.address)
        email.send_template(
            session,
            to=recipient.address,
            kind="call_summary",
            locale=lang,
            tenant_id=call.tenant_id,
            dedupe_key=(late_voicemail_key if late_voicemail else summary_dedupe_key)(
                call_id=call.id, address=recipient.address
            ),
            link=link,
            started_at=call.started_at or call.ended_at or call.created_at,
            duration_seconds=call.duration_seconds or 0,
            caller=call.caller_number or "",
            summary=_LATE_VOICEMAIL[lang]
            if late_voicemail
            else (call.summary if call.summary_status == "done" else ""),
            action_needed=(call.intent or _ACTION_FALLBACK[lang]) if call.action_needed else "",
            tenant_name=tenant.name if tenant else "",
            timezone=tenant.timezone if tenant else "UTC",
            country=tenant.country if tenant else "",
            block_link=block_link,
            bookings=_booking_items(made, tenant=tenant, lang=lang) if tenant else [],
            # The block link is a week-long capability: sealed in the stored bodies like a magic link.
            one_time=("block_link",) if block_link else (),
            purpose="summary",
            call_id=call.id,
        )


def _booking_items(made: list[BookingOut], *, tenant: Tenant, lang: str) -> list[dict[str, str]]:
    """The call's bookings for its summary email: only facts the business set (service, staff, price) and the time,
    never what the caller said (their name or notes), so the email shows nothing redaction would have taken out."""
    base = get_settings().public_url
    items = []
    for booking in made:
        shown = booking_admin.facts(booking, tenant=tenant, language=lang)
        items.append(
            {
                "service": shown.service,
                "when": shown.when,
                "staff": shown.staff,
                "price": shown.price,
                "state": shown.state,
                "link": routes.absolute(base, shown.path),
            }
        )
    return items


def recipients_for(session: Session, *, call: Call) -> list[Recipient]:
    """Members whose notify_mode asks for this call, plus the assistant's summary_recipients who are not members.

    ``every`` gets every call, ``action`` only calls that need an action, ``digest`` and ``never`` no per-call email.
    A summary recipient who is a member of the business follows their own notify_mode; other addresses get every call
    in the business's language. Nobody gets a test call's email.
    """
    if call.call_type == "test":
        return []
    members = session.exec(
        select(col(User.email), col(User.locale), col(Membership.notify_mode))
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.tenant_id) == call.tenant_id, col(User.is_active).is_(True))
    ).all()
    chosen: dict[str, str] = {}
    known = set()
    for address, locale, mode in members:
        key = address.strip().lower()
        known.add(key)
        if mode == "every" or (mode == "action" and call.action_needed):
            chosen[key] = locale
    assistant = session.get(Assistant, call.assistant_id) if call.assistant_id else None
    if assistant is not None and assistant.summary_recipients:
        tenant = session.get(Tenant, call.tenant_id)
        for entry in assistant.summary_recipients:
            address = str(entry.get("email") if isinstance(entry, dict) else entry or "").strip().lower()
            if "@" in address and address not in known:
                chosen.setdefault(address, tenant.locale if tenant else "en")
    return [Recipient(address=address, locale=locale) for address, locale in sorted(chosen.items())]


def summary_dedupe_key(*, call_id: int, address: str) -> str:
    """The outbox key of one call's summary to one address: a retried job finds it and sends nothing more."""
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]
    return f"{SUMMARY_KEY_PREFIX}:{call_id}:{digest}"


def late_voicemail_key(*, call_id: int, address: str) -> str:
    """The outbox key of the one "a voicemail was left after all" email of a call to one address."""
    return LATE_VOICEMAIL_KEY_PREFIX + summary_dedupe_key(call_id=call_id, address=address)[len(SUMMARY_KEY_PREFIX) :]


def _summary_queued(session: Session, *, call_id: int, address: str) -> bool:
    key = summary_dedupe_key(call_id=call_id, address=address)
    return session.exec(select(col(Outbox.id)).where(col(Outbox.dedupe_key) == key)).first() is not None


def settle_after_delivery(session: Session, row: Outbox) -> None:
    """The outbox delivered (or gave up on) one call-summary email: settle that call's ``email_status`` now."""
    _, _, rest = (row.dedupe_key or "").partition(":")
    call_id, _, _ = rest.partition(":")
    if call_id.isdigit():
        settle_email_status(session, call_id=int(call_id))


email.on_delivery(SUMMARY_KEY_PREFIX, settle_after_delivery)


def settle_email_status(session: Session, *, call_id: int) -> str | None:
    """Derive ``email_status`` from the call's outbox rows and store it; None if some expected email is not queued.

    ``pending`` while a row is still being delivered (the outbox retries through a mail-server outage).
    """
    call = session.get(Call, call_id, populate_existing=True)
    if call is None:
        return None
    expected = {summary_dedupe_key(call_id=call_id, address=r.address) for r in recipients_for(session, call=call)}
    rows = dict(
        session.exec(
            select(col(Outbox.dedupe_key), col(Outbox.status)).where(
                col(Outbox.dedupe_key).startswith(f"{SUMMARY_KEY_PREFIX}:{call_id}:")
            )
        ).all()
    )
    if expected - rows.keys():
        return None
    statuses = set(rows.values())
    if not rows:
        status = "skipped"
    elif "queued" in statuses:
        status = "pending"
    elif "failed" in statuses:
        status = "failed"
    else:
        status = "sent"
    if status != call.email_status:
        _set(session, call_id, email_status=status)
    return status


# --- recovery ---------------------------------------------------------------------------------------------------


def calls_needing_work(session: Session, *, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Settle ended calls whose emails were pending; return those whose post-call job must run again.

    A call comes back when its summary or emails are still pending and nothing touched it for ``STALE_AFTER`` (its
    job was lost with a killed worker), or when an email it should have is missing from the outbox.
    """
    now = now or utcnow()
    rows = session.exec(
        select(col(Call.id), col(Call.summary_status), col(Call.email_status), col(Call.updated_at))
        .where(
            col(Call.status) == "ended",
            col(Call.provider_analysis).is_not(None),
            (col(Call.summary_status) == "pending") | (col(Call.email_status) == "pending"),
        )
        .order_by(col(Call.id))
        .limit(limit)
    ).all()
    again = []
    for call_id, summary_status, _email_status, updated_at in rows:
        assert call_id is not None, "a stored call has an id"
        stale = _aware(updated_at) < now - STALE_AFTER
        if summary_status == "pending":
            if stale:
                again.append(call_id)
            continue
        settled = settle_email_status(session, call_id=call_id)
        if settled is None and stale:
            again.append(call_id)
    return again


def rerun_summary(session: Session, *, principal: Principal, call_id: int) -> PostCallStatus:
    """Write an ended call's summary again, e.g. after the assistant's data fields changed (admins).

    Queued like any post-call work; the summary email already sent is not sent twice (its dedupe key stays).
    """
    tenant_id = principal.require_admin()
    call = session.get(Call, call_id, populate_existing=True)
    if call is None or call.tenant_id != tenant_id:
        raise NotFound("This call does not exist.")
    if call.status != "ended":
        raise Conflict("The call has not ended yet; its summary comes when it does.", code="call_not_ended")
    _set(session, call_id, summary_status="pending")
    session.commit()
    run_post_call(call_id)
    session.refresh(call)
    return PostCallStatus(call_id=call_id, summary_status=call.summary_status, email_status=call.email_status)


def retry_post_call(session: Session, *, principal: Principal, call_id: int) -> PostCallStatus:
    """Run a call's summary and email again where they failed (admins); failed emails are queued for delivery again."""
    tenant_id = principal.require_admin()
    call = session.get(Call, call_id, populate_existing=True)
    if call is None or call.tenant_id != tenant_id:
        raise NotFound("This call does not exist.")
    changes: dict = {}
    if call.summary_status == "failed":
        changes["summary_status"] = "pending"
    if call.email_status == "failed":
        changes["email_status"] = "pending"
        failed = session.exec(
            select(col(Outbox.id)).where(
                col(Outbox.dedupe_key).startswith(f"{SUMMARY_KEY_PREFIX}:{call_id}:"), col(Outbox.status) == "failed"
            )
        ).all()
        session.exec(
            update(Outbox).where(col(Outbox.id).in_(failed)).values(status="queued", attempts=0, last_error=None)
        )
    else:
        failed = []
    if changes:
        _set(session, call_id, **changes)
    session.commit()
    for outbox_id in failed:
        email.deliver_outbox_message(outbox_id)
    run_post_call(call_id)
    session.refresh(call)
    return PostCallStatus(call_id=call_id, summary_status=call.summary_status, email_status=call.email_status)


# --- the daily digest -------------------------------------------------------------------------------------------

_DIGEST_COPY = {
    "en": {
        "subject.one": "AVA: {count} call on {day} for {tenant}",
        "subject.other": "AVA: {count} calls on {day} for {tenant}",
        "intro": "Here are the calls AVA answered for {tenant} on {day}.",
        "action": "Action needed",
        "unknown": "Unknown number",
        "no_summary": "No summary available.",
        "all": "All calls:",
        "footer": "You get this digest once a day because your notifications are set to daily digest.",
    },
    "fr": {
        "subject.one": "AVA : {count} appel le {day} pour {tenant}",
        "subject.other": "AVA : {count} appels le {day} pour {tenant}",
        "intro": "Voici les appels auxquels AVA a répondu pour {tenant} le {day}.",
        "action": "Action requise",
        "unknown": "Numéro inconnu",
        "no_summary": "Aucun résumé disponible.",
        "all": "Tous les appels :",
        "footer": "Vous recevez ce récapitulatif une fois par jour car vos notifications sont réglées ainsi.",
    },
}


def send_daily_digests(session: Session, *, now: datetime | None = None) -> int:
    """Send each ``digest`` member one email with yesterday's calls (tenant's timezone); returns how many were queued.

    Run hourly: a member is due once it is past ``DIGEST_LOCAL_HOUR`` in the tenant's zone, and the outbox key per
    (tenant, user, day) makes later runs of the same day send nothing. A day without calls sends nothing.
    """
    now = now or utcnow()
    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    members = session.execute(
        sqlalchemy.select(
            col(Membership.user_id),
            col(Membership.tenant_id),
            col(User.email),
            col(User.locale),
            col(Tenant.name),
            col(Tenant.timezone),
            col(Tenant.country),
        )
        .join(User, col(User.id) == col(Membership.user_id))
        .join(Tenant, col(Tenant.id) == col(Membership.tenant_id))
        .where(
            or_(col(Membership.notify_mode) == "digest", col(Membership.notify_digest).is_(True)),
            col(User.is_active).is_(True),
        )
    ).all()
    sent = 0
    for user_id, tenant_id, address, locale, tenant_name, timezone, country in members:
        timezone = regional.valid_timezone(timezone) or regional.DEFAULT_TIMEZONE
        local_now = regional.to_local(now, timezone)
        if local_now.hour < DIGEST_LOCAL_HOUR:
            continue
        day = local_now.date() - timedelta(days=1)
        key = f"{DIGEST_KEY_PREFIX}:{tenant_id}:{user_id}:{day.isoformat()}"
        if session.exec(select(col(Outbox.id)).where(col(Outbox.dedupe_key) == key)).first() is not None:
            continue
        calls = _calls_of_day(session, tenant_id=tenant_id, day=day, timezone=timezone)
        if not calls:
            continue
        subject, text, body_html = _digest_email(
            calls, lang=normalize_locale(locale), tenant_name=tenant_name, day=day, timezone=timezone, country=country
        )
        email.send_email(
            session,
            to=address,
            subject=subject,
            body_text=text,
            body_html=body_html,
            tenant_id=tenant_id,
            dedupe_key=key,
            purpose="digest",
        )
        sent += 1
    return sent


def _calls_of_day(session: Session, *, tenant_id: int, day: date, timezone: str) -> list[Call]:
    """The calls of one local day of the business (23 or 25 hours long when the clocks change)."""
    start, end = regional.local_day_bounds(day, timezone)
    moment = func.coalesce(col(Call.started_at), col(Call.created_at))
    return list(
        session.exec(
            select(Call)
            .where(col(Call.tenant_id) == tenant_id, col(Call.call_type) != "test", moment >= start, moment < end)
            .order_by(moment, col(Call.id))
        ).all()
    )


def _digest_email(
    calls: list[Call], *, lang: str, tenant_name: str, day: date, timezone: str, country: str | None = None
) -> tuple[str, str, str]:
    copy = _DIGEST_COPY[lang]
    base = get_settings().public_url
    day_text = regional.format_date(day, language=lang, country=country)
    lines = []
    for call in calls:
        parts = [
            regional.format_time(call.started_at or call.created_at, timezone=timezone, language=lang, country=country),
            phones.display(call.caller_number, country) if call.caller_number else copy["unknown"],
            format_duration(call.duration_seconds or 0, locale=lang),
        ]
        if call.action_needed:
            parts.append(copy["action"])
        summary = (call.summary or "").strip() or copy["no_summary"]
        lines.append((" · ".join(parts), summary, f"{base}/calls/{call.id}"))
    form = "one" if languages.plural_form(lang, len(calls)) == "one" else "other"
    subject = copy[f"subject.{form}"].format(count=len(calls), day=day_text, tenant=tenant_name)
    intro = copy["intro"].format(tenant=tenant_name, day=day_text)
    text = "\n\n".join(
        [intro, *(f"{head}\n{summary}\n{link}" for head, summary, link in lines), f"{copy['all']} {base}/calls"]
    )
    text += f"\n\n-- \n{copy['footer']}\n"
    items = "".join(
        f'<li style="margin:0 0 12px;"><strong>{html.escape(head)}</strong><br>{html.escape(summary)}<br>'
        f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></li>'
        for head, summary, link in lines
    )
    body_html = (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>'
        f'<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2937;">'
        f"<p>{html.escape(intro)}</p><ul>{items}</ul>"
        f"<p>{html.escape(copy['all'])} "
        f'<a href="{html.escape(base, quote=True)}/calls">{html.escape(base)}/calls</a></p>'
        f'<p style="font-size:12px;color:#6b7280;">{html.escape(copy["footer"])}</p></body></html>\n'
    )
    return " ".join(subject.split()), text, body_html


# --- small pieces -----------------------------------------------------------------------------------------------


def _set(session: Session, call_id: int, **values) -> None:
    session.exec(update(Call).where(col(Call.id) == call_id).values(**values))
    session.commit()


def _transcript_from_lines(session: Session, *, call_id: int) -> str:
    """The live lines as ``AI:/User:`` text, for a report that carried messages but no transcript string."""
    rows = session.exec(
        select(col(CallMessage.role), col(CallMessage.text))
        .where(col(CallMessage.call_id) == call_id)
        .order_by(col(CallMessage.position))
    ).all()
    return "\n".join(
        f"{'AI' if role == 'assistant' else 'User'}: {text}" for role, text in rows if role in ("assistant", "user")
    )


def _field_names(data_fields: list) -> list[str]:
    """Assistant data fields (labels or ``{key|name|label}`` dicts) as the names the summary fills."""
    names = []
    for field in data_fields or []:
        if isinstance(field, dict):
            field = field.get("key") or field.get("name") or field.get("label") or ""
        if isinstance(field, str) and field.strip():
            names.append(field.strip())
    return names


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; AVA stores UTC everywhere.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- jobs -------------------------------------------------------------------------------------------------------

# Summary and email: 5 s doubling to 160 s (about 5 minutes in all) on top of the OpenAI SDK's own two retries; after
# the last one the call shows summary_status (and, if never queued, email_status) "failed".
POST_CALL_RETRIES = 6


@task(retries=POST_CALL_RETRIES, retry_delay=5, retry_backoff=2, context=True)
def run_post_call(call_id: int, task=None) -> None:
    """Summarise one ended call and email its summary to whoever asked (idempotent: safe to run twice)."""
    final = task is None or not task.retries
    recordings.enqueue_recording_copy(call_id)
    try:
        with session_scope() as session:
            process_call(session, call_id=call_id, final_attempt=final)
    except Exception:
        if final:
            with session_scope() as session:
                mark_failed(session, call_id=call_id)
            enqueue("report_call_usage", call_id)
        raise
    # After the summary, which may have marked the call spam: its billable minutes go to the meter (once per call).
    enqueue("report_call_usage", call_id)


@task(retries=3, retry_delay=10, retry_backoff=2)
def send_late_voicemail_emails(call_id: int) -> None:
    """A voicemail reached a call already settled as missed (its ``<Record>`` action came late, or reconciliation
    found the recording): whoever was emailed the missed call hears of the message, once. A recipient not emailed
    yet gets the call's own summary email, which already sees the voicemail."""
    with session_scope() as session:
        call = session.get(Call, call_id)
        if call is None or call.outcome != "voicemail" or call.call_type == "test":
            return
        _send_summary_emails(session, call=call, late_voicemail=True)


@periodic_task(crontab(minute="5"))
def send_daily_digests_job() -> None:
    """Hourly: send the daily digest to members whose local morning has come (once per member and day)."""
    with session_scope() as session:
        send_daily_digests(session)
