"""Text alerts to members about calls: to each member's confirmed mobile, for every call or only those needing action
(their notification preferences), never during their quiet hours (the business's time). Sent once the call's summary
is done, so the text can say what the call was about: the business's name, who called, the summary's first sentence,
and the link to the call. Through the SMS outbox from the business's own number, one per member and call.
"""

from __future__ import annotations

import logging
from datetime import datetime, time

from sqlmodel import Session, col, select

from ava_app.models import Call, Membership, Tenant, User, as_utc, utcnow
from ava_app.services import phones, regional
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue

log = logging.getLogger(__name__)

SUMMARY_CHARS = 140
TEXTS = {
    "en": {"called": "{business}: call from {caller}.", "urgent": "{business}: a caller needs you. Call from {caller}.",
           "unknown": "a hidden number"},
    "fr": {"called": "{business} : appel de {caller}.", "urgent": "{business} : un appelant a besoin de vous. Appel de "
           "{caller}.", "unknown": "un numéro masqué"},
}  # fmt: skip


def alert_members(session: Session, *, call: Call, now: datetime | None = None) -> int:
    """Queue the text alerts for a summarised call; returns how many. Never raises: the call's emails go on."""
    try:
        return _alert(session, call=call, now=now or utcnow())
    except Exception:
        log.warning("call %s: member text alerts could not be queued", call.id, exc_info=True)
        return 0


def _alert(session: Session, *, call: Call, now: datetime) -> int:
    if call.call_type == "test":
        return 0
    tenant = session.get(Tenant, call.tenant_id)
    if tenant is None:
        return 0
    wanted = ("every", "action") if call.action_needed else ("every",)
    members = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(
            col(Membership.tenant_id) == call.tenant_id,
            col(Membership.notify_sms).in_(wanted),
            col(User.is_active).is_(True),
            col(User.phone).is_not(None),
            col(User.phone_verified_at).is_not(None),
        )
    ).all()
    local = regional.to_local(as_utc(now), tenant.timezone).time().replace(tzinfo=None)
    queued = 0
    for membership, user in members:
        if quiet(local, membership.quiet_from, membership.quiet_until):
            continue
        body = alert_text(call, tenant=tenant, language=regional.language_of(user.locale or tenant.locale))
        enqueue("queue_text", tenant.id, user.phone, body, f"member-alert:{call.id}:{user.id}", "alert", call.id)
        queued += 1
    return queued


def alert_text(call: Call, *, tenant: Tenant, language: str) -> str:
    """ "Bright Smile: a caller needs you. Call from (650) 555-0199. <summary> <link>", in ``language``."""
    words = TEXTS.get(language, TEXTS["en"])
    caller = phones.display(call.caller_number, tenant.country) if call.caller_number else words["unknown"]
    head = words["urgent" if call.action_needed else "called"].format(business=tenant.name, caller=caller)
    summary = " ".join((call.summary or "").split())
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    link = f"{get_settings().public_url}/calls/{call.id}"
    return " ".join(part for part in (head, summary, link) if part)


def quiet(now: time, start: str | None, end: str | None) -> bool:
    """Whether ``now`` (local) falls in the quiet hours ``start``–``end`` ("22:00"–"07:00" runs over midnight)."""
    if not start or not end:
        return False
    begin, finish = time.fromisoformat(start), time.fromisoformat(end)
    return begin <= now < finish if begin < finish else now >= begin or now < finish
