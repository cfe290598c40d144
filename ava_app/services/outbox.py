"""The outbox: every email and SMS is recorded here before any attempt to deliver it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import Outbox
from ava_app.settings import Settings


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


def sandbox_channels(settings: Settings) -> tuple[str, ...]:
    """The channels the dev outbox may show: only in a dev deployment, only those with no real provider.

    The outbox holds magic links, reset links and invites. A message that went out through a real provider belongs
    to its recipient alone, so it never shows here, and a prod deployment has no dev outbox at all.
    """
    if settings.env != "dev":
        return ()
    return tuple(
        channel
        for channel, in_sandbox in (("email", settings.smtp_sandbox), ("sms", settings.twilio_sandbox))
        if in_sandbox
    )


def list_messages(session: Session, *, channels: tuple[str, ...], limit: int = 50) -> list[dict]:
    """The latest messages of the given channels as plain dicts, newest first (for the /dev/outbox page)."""
    if not channels:
        return []
    query = select(Outbox).where(col(Outbox.channel).in_(channels)).order_by(col(Outbox.id).desc()).limit(limit)
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
