"""Spam marks: a call the summary reads as a sales pitch or a robocall, and that was short, is marked spam.

The summary (``providers.llm``, or the labelled local fallback) only says whether the call *sounded* like a pitch or
a recorded message; the mark needs that AND a short call: at most ``MAX_CALLER_TURNS`` caller turns, or under
``MAX_SECONDS``. A real customer who talks at length is never marked, and nothing is marked for calling often: a
patient who calls three times a day is not spam. The owner can mark or unmark any call; their choice
(``spam_source`` "owner") is never overridden by a later summary. Spam calls count apart on the dashboard (the
rollup's key, migration 0030) and are never billable.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ava_app.models import Call, CallMessage, utcnow
from ava_app.services import live_updates
from ava_app.services.errors import NotFound
from ava_app.services.principal import Principal

MAX_CALLER_TURNS = 2
MAX_SECONDS = 60


def is_spam(*, flagged: bool, caller_turns: int, duration_seconds: int | None) -> bool:
    """The rule: flagged by the summary, and short (≤ 2 caller turns, or under 60 s). Never on frequency alone."""
    if not flagged:
        return False
    short_call = duration_seconds is not None and duration_seconds < MAX_SECONDS
    return caller_turns <= MAX_CALLER_TURNS or short_call


def caller_turns(session: Session, *, call_id: int, transcript: str = "") -> int:
    """How many times the caller spoke: their conversation lines, else the "User:" lines of a plain transcript."""
    lines = session.exec(
        select(func.count()).where(col(CallMessage.call_id) == call_id, col(CallMessage.role) == "user")
    ).one()
    if lines:
        return int(lines)
    return sum(1 for line in transcript.splitlines() if line.partition(":")[0].strip().lower() in ("user", "customer"))


def spam_values(session: Session, *, call: Call, flagged: bool) -> dict:
    """The ``spam``/``spam_source`` columns a fresh summary sets; nothing when the owner has decided for this call."""
    if call.spam_source == "owner" or call.id is None:
        return {}
    turns = caller_turns(session, call_id=call.id, transcript=call.transcript or "")
    spam = is_spam(flagged=flagged, caller_turns=turns, duration_seconds=call.duration_seconds)
    return {"spam": spam, "spam_source": "summary" if spam else None}


def set_spam(session: Session, *, principal: Principal, call_id: int, spam: bool) -> bool:
    """Admins and writers mark (or unmark) one of their calls as spam; the owner's mark stays. Returns ``spam``."""
    tenant_id = principal.require_writer()
    changed = session.exec(
        update(Call)
        .where(col(Call.id) == call_id, col(Call.tenant_id) == tenant_id)
        .values(spam=spam, spam_source="owner", updated_at=utcnow())
    )
    if changed.rowcount == 0:
        session.rollback()
        raise NotFound("Call not found.")
    session.commit()
    live_updates.publish_calls_changed(tenant_id)
    return spam
