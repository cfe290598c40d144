"""The outbox: every email and SMS is recorded here before any attempt to deliver it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import Outbox


def queue_message(
    session: Session,
    *,
    channel: str,
    to: str,
    subject: str = "",
    body_text: str,
    body_html: str | None = None,
    tenant_id: int | None = None,
    dedupe_key: str | None = None,
) -> Outbox:
    """Record a message as queued and return it; with a ``dedupe_key`` already used, return the existing row instead."""
    if dedupe_key:
        existing = session.exec(select(Outbox).where(Outbox.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    message = Outbox(
        channel=channel,
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        tenant_id=tenant_id,
        dedupe_key=dedupe_key,
    )
    session.add(message)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return session.exec(select(Outbox).where(Outbox.dedupe_key == dedupe_key)).one()
    session.refresh(message)
    return message


def list_messages(session: Session, *, limit: int = 50, channel: str | None = None) -> list[dict]:
    """The latest messages as plain dicts, newest first (for the sandbox /dev/outbox page)."""
    query = select(Outbox).order_by(col(Outbox.id).desc()).limit(limit)
    if channel:
        query = query.where(Outbox.channel == channel)
    return [
        {
            "id": row.id,
            "channel": row.channel,
            "to": row.to,
            "subject": row.subject,
            "body_text": row.body_text,
            "body_html": row.body_html or "",
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error or "",
            "created_at": row.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
        for row in session.exec(query)
    ]
