"""Missed-call text-back: a caller the business could not help gets a text from its number, in their language.

Off until an admin turns it on (``/settings/business``), in two parts: after a **missed** call (the caller hung up
before the assistant could help, or the call never connected), and after **any call outside business hours** (so the
caller knows someone will get back to them). The text goes through the SMS outbox like every other one: a number that
replied STOP is never texted, the business's own number sends it.

Never texted: test calls, withheld or unreadable numbers, numbers that are not someone's phone (premium-rate,
toll-free, shared-cost, voicemail access and the like: ``phonenumbers`` says what a number is), a call marked spam and
a caller with an earlier call marked spam at this business (a robocall's number), and a caller already texted back
that day (one text per caller per local day, by the outbox's dedupe key). A text whose business name or number is
missing is not sent at all. A missed call is texted before its summary (within seconds); an after-hours call that
was answered waits for its summary, which says whether it was spam.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import phonenumbers
from sqlmodel import Session, col, select

from ava_app.models import Assistant, Call, PhoneNumber, Tenant, as_utc
from ava_app.services import audit, phones, regional
from ava_app.services.business_hours import business_hours_status
from ava_app.services.principal import Principal
from ava_app.task_queue import enqueue

log = logging.getLogger(__name__)

TEXTS = {
    "en": "Sorry we missed your call to {business}. Reply to this text or call us back on {number} and we will help "
    "you. Reply STOP to stop these texts.",
    "fr": "Désolés d'avoir manqué votre appel à {business}. Répondez à ce SMS ou rappelez-nous au {number}, nous "
    "vous aiderons. Répondez STOP pour ne plus recevoir ces SMS.",
}
AFTER_HOURS_TEXTS = {
    "en": "Thanks for calling {business}. We are closed right now; reply to this text or call us back on {number} "
    "during opening hours and we will help you. Reply STOP to stop these texts.",
    "fr": "Merci d'avoir appelé {business}. Nous sommes fermés pour le moment ; répondez à ce SMS ou rappelez-nous "
    "au {number} aux heures d'ouverture, nous vous aiderons. Répondez STOP pour ne plus recevoir ces SMS.",
}
# What a phone number must be to get a text: a mobile, or a number that may be one (North America's plans).
TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class TextBackOut:
    missed: bool
    after_hours: bool
    can_edit: bool


def get_text_back(session: Session, *, principal: Principal) -> TextBackOut:
    """The organisation's text-back switches (any member reads them)."""
    tenant = session.get(Tenant, principal.require_member())
    assert tenant is not None
    return TextBackOut(tenant.text_back_missed, tenant.text_back_after_hours, principal.is_admin)


def save_text_back(session: Session, *, principal: Principal, missed: bool, after_hours: bool) -> TextBackOut:
    """Admins turn text-back on or off; the change is audited."""
    tenant_id = principal.require_admin()
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    if (tenant.text_back_missed, tenant.text_back_after_hours) != (missed, after_hours):
        tenant.text_back_missed, tenant.text_back_after_hours = missed, after_hours
        session.add(tenant)
        audit.record(
            session,
            action="text_back_changed",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={"missed": missed, "after_hours": after_hours},
        )
    session.commit()
    return get_text_back(session, principal=principal)


def text_back_after_call(session: Session, *, call: Call) -> str | None:
    """Queue the text-back for an ended call when the business wants one and every rule allows it; returns the
    text queued (None: none). Never raises: the call's own work goes on."""
    try:
        return _text_back(session, call=call)
    except Exception:
        log.warning("call %s: the text-back could not be queued", call.id, exc_info=True)
        return None


def _text_back(session: Session, *, call: Call) -> str | None:
    tenant = session.get(Tenant, call.tenant_id)
    if tenant is None or not (tenant.text_back_missed or tenant.text_back_after_hours):
        return None
    if call.call_type == "test" or call.direction != "inbound" or not call.outcome:
        return None
    caller = _textable(call.caller_number, tenant.country)
    if caller is None or call.spam or _spam_caller(session, tenant_id=tenant.id or 0, number=call.caller_number):
        return None
    line = _line(session, call=call)
    if line is None or not tenant.name.strip():
        return None  # no number to text from, or to call back on: the text would be incomplete
    when = as_utc(call.started_at or call.ended_at or call.created_at)
    missed = call.outcome == "missed" and tenant.text_back_missed
    closed = (
        tenant.text_back_after_hours
        and not business_hours_status(
            business_hours=line.business_hours or {},
            holidays=line.holidays or [],
            timezone=tenant.timezone or "UTC",
            at=when,
            country=tenant.country,
        ).is_open
    )
    if not (missed or closed):
        return None
    language = _language(session, call=call, tenant=tenant)
    texts = TEXTS if missed else AFTER_HOURS_TEXTS
    number = phones.display(line.e164, tenant.country)
    body = texts[language].format(business=tenant.name.strip(), number=number)
    day = regional.to_local(when, tenant.timezone).date().isoformat()
    enqueue("queue_text", tenant.id, caller, body, f"text-back:{tenant.id}:{caller}:{day}", "text_back", call.id)
    return body


def _spam_caller(session: Session, *, tenant_id: int, number: str | None) -> bool:
    """Whether an earlier call from ``number`` at this business was marked spam (by its summary or the owner)."""
    found = session.exec(
        select(col(Call.id))
        .where(col(Call.tenant_id) == tenant_id, col(Call.caller_number) == number, col(Call.spam) == True)  # noqa: E712 (SQL, not Python)
        .limit(1)
    ).first()
    return found is not None


def _textable(number: str | None, country: str | None) -> str | None:
    """The caller's number in E.164 when it is a phone that can get a text; None when withheld or not one."""
    e164 = phones.parse(number or "", country)
    if e164 is None:
        return None
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    return e164 if kind in TEXTABLE else None


def _line(session: Session, *, call: Call) -> PhoneNumber | None:
    """The business line the call came in on, else its first active one."""
    if call.phone_number_id is not None:
        line = session.get(PhoneNumber, call.phone_number_id)
        if line is not None and line.tenant_id == call.tenant_id:
            return line
    return session.exec(
        select(PhoneNumber)
        .where(col(PhoneNumber.tenant_id) == call.tenant_id, col(PhoneNumber.status) == "active")
        .order_by(col(PhoneNumber.id))
    ).first()


def _language(session: Session, *, call: Call, tenant: Tenant) -> str:
    """The call's language (its assistant's), else the business's."""
    assistant = session.get(Assistant, call.assistant_id) if call.assistant_id else None
    language = assistant.language if assistant else regional.language_of(tenant.locale)
    return language if language in TEXTS else "en"
