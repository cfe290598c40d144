"""The outbox: every email and SMS is recorded here before any attempt to deliver it.

One-time links (magic link, password reset, email verification, team invite) never sit in the stored bodies. The
token behind such a link is stored hashed (accounts, team), so the link cannot be rebuilt at send time from the
database alone; its raw value has to travel with the message until it is sent. It travels *sealed*: the bodies hold a
placeholder (the same URL with the token replaced by ``sealed=<nonce>``, which opens nothing) and the real link is
kept in ``sealed_links``, encrypted with a key derived from ``AVA_SECRET_KEY``. Delivery puts the link back into the
message it hands to the SMTP server (``open_bodies``) and, once the server accepted it, drops ``sealed_links``: a
copy of the database then holds no live link at all, and before sending only ciphertext that is useless without the
server's secret.

Why not keep the link in clear in sandbox mode, since the dev outbox must show it? Keeping it sealed costs nothing
there: the /dev/outbox page opens the bodies when it lists them, so links stay clickable for a developer logging in
without mail, while the database file of a dev machine (often copied around) still holds no clear link. A message
marked sent in sandbox keeps its seal only while the dev outbox can show it (``AVA_ENV=dev``); in a prod deployment
without mail it is dropped like any sent message's. A message that fails for good drops its seal too.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ava_app.models import Outbox
from ava_app.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Separate from the key of stored provider credentials: the same secret, another purpose.
_KDF_SALT = b"ava.outbox-links"
_KDF_INFO = b"fernet-key.v1"
# Attachments are small files AVA makes itself (a booking's .ics); a row never carries more than this.
MAX_ATTACHMENTS_BYTES = 256 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email."""

    filename: str
    content_type: str
    data: bytes


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
    links: dict[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    purpose: str = "notice",
    call_id: int | None = None,
) -> Outbox:
    """Record a message as queued and return it; with a ``dedupe_key`` already used, return the existing row instead.

    ``links`` maps each placeholder in the bodies (``link_placeholder``) to the one-time link it stands for; they
    are stored sealed. ``attachments`` (email only) are stored with the row, so a retry sends the same files.
    ``purpose`` and ``call_id`` say what the message is and which call it is about (the deliveries log).
    """
    if sum(len(item.data) for item in attachments) > MAX_ATTACHMENTS_BYTES:
        raise ValueError("attachments too large for the outbox")
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
        sealed_links=_seal(links) if links else None,
        attachments=_pack(attachments) if attachments else None,
        purpose=purpose,
        call_id=call_id,
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
    messages = []
    for row in session.exec(query):
        body_text, body_html = open_bodies(row)
        messages.append(
            {
                "id": row.id,
                "channel": row.channel,
                "to": row.to,
                "subject": row.subject,
                "body_text": body_text,
                "body_html": body_html or "",
                "status": row.status,
                "attempts": row.attempts,
                "last_error": row.last_error or "",
                "created_at": row.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
        )
    return messages


def link_placeholder(link: str) -> str:
    """What the stored bodies say instead of a one-time ``link``: its page, with a nonce instead of its query.

    Still an absolute URL (the templates check links), unique per message, and it opens nothing.
    """
    parts = urlsplit(link)
    path = parts.path if parts.query else "/"
    return f"{parts.scheme}://{parts.netloc}{path}?sealed={secrets.token_hex(8)}"


def attachments_of(row: Outbox) -> list[Attachment]:
    """The files stored with an outbox row (none for most)."""
    if not row.attachments:
        return []
    return [
        Attachment(filename=item["filename"], content_type=item["content_type"], data=base64.b64decode(item["data"]))
        for item in json.loads(row.attachments)
    ]


def _pack(attachments: Sequence[Attachment]) -> str:
    return json.dumps(
        [
            {
                "filename": item.filename,
                "content_type": item.content_type,
                "data": base64.b64encode(item.data).decode("ascii"),
            }
            for item in attachments
        ]
    )


def open_bodies(row: Outbox, *, strict: bool = False) -> tuple[str, str | None]:
    """The row's text and HTML bodies with its one-time links put back (for the SMTP message and the dev outbox).

    Without a seal (never had one, or dropped once sent) the bodies as stored: the placeholders lead nowhere, which
    is the point. A seal that no longer opens (``AVA_SECRET_KEY`` changed) gives the stored bodies too, or with
    ``strict`` (delivery: an email whose link is dead is not worth sending) raises ``ValueError``.
    """
    links = {}
    if row.sealed_links:
        try:
            links = _unseal(row.sealed_links)
        except InvalidToken as exc:
            log.warning("outbox %s: its sealed links no longer open (the server key changed)", row.id)
            if strict:
                raise ValueError("The message's one-time links can no longer be read (server key changed).") from exc
    body_text, body_html = row.body_text, row.body_html
    for placeholder, link in links.items():
        body_text = body_text.replace(placeholder, link)
        if body_html:
            body_html = body_html.replace(escape(placeholder, quote=True), escape(link, quote=True))
    return body_text, body_html


def _seal(links: dict[str, str]) -> str:
    return _fernet(get_settings().secret_key).encrypt(json.dumps(links).encode()).decode()


def _unseal(sealed: str) -> dict[str, str]:
    return json.loads(_fernet(get_settings().secret_key).decrypt(sealed.encode()))


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    """Cached per secret, so a settings reload (tests, key rotation) derives the new key."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, info=_KDF_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))
