"""Junk calls: the numbers and prefixes a business refuses, and the check every incoming call passes first.

A blocked caller is refused where the call first reaches AVA, before any model runs: Vapi's assistant-request
(``ingest.inbound``) answers ``{"error": goodbye}``, which Vapi speaks before hanging up, and Twilio's voice webhook
(``twilio_voice``) answers ``<Say>`` goodbye + ``<Hangup/>``. The attempt stays visible as a call whose outcome is
``blocked``, with no summary and no email (``summary_status``/``email_status`` ``skipped``), never billable.

Blocking from the call page or from the summary email's link (``block_link_for`` / ``read_block_link``) blocks the
call's own caller: the link is a JWT under a key of its own (neither a session nor a download link can stand in for
it), naming its one purpose, the organisation, the call and the member it was mailed to, valid a week. Using it
re-checks that member still writes in that organisation, and the route shows a confirmation page first: mail
scanners fetch links, and a GET must never block anyone.

The check runs inside the 7.5 s Vapi gives assistant-request, so it is one query on the unique index
``(tenant_id, value)``: the caller's number and every leading part of it ("+1", "+19", … "+1900555…") are looked up
together, which finds an exact number and any blocked prefix alike. The withheld switch is on the tenant row, which
both webhooks have already read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ava_app import routes
from ava_app.models import BlockedCaller, Call, Membership, Tenant, User, utcnow
from ava_app.services import audit, phones
from ava_app.services.errors import Invalid, NotFound, Unauthorized
from ava_app.services.principal import WRITER_ROLES, Principal
from ava_app.settings import get_settings

# What carriers and providers put in From/customer.number when the caller hides their number.
WITHHELD_VALUES = frozenset(
    {"", "anonymous", "restricted", "private", "unknown", "unavailable", "withheld", "+266696687", "266696687"}
)
# A prefix is "+" and 1 to 14 digits: "+1900", "+33899". A full number is parsed as a number instead.
_PREFIX = re.compile(r"\+\d{1,14}")
MAX_BLOCKED = 1000
# The call row of a refused attempt: counted as blocked, never summarised, emailed or billed.
BLOCKED_CALL_VALUES = {"outcome": "blocked", "summary_status": "skipped", "email_status": "skipped"}


@dataclass(frozen=True)
class BlockedOut:
    id: int
    value: str
    is_prefix: bool
    display: str


@dataclass(frozen=True)
class BlockListOut:
    entries: list[BlockedOut]
    block_withheld: bool


def is_withheld(number: str | None) -> bool:
    """True when the caller's number is missing or one of the placeholders used for a hidden number."""
    return (number or "").strip().lower() in WITHHELD_VALUES


def _lookup_keys(number: str) -> list[str]:
    """The number and each of its leading parts ("+1", "+19", …), all looked up in one IN on the unique index."""
    digits = re.sub(r"[^\d]", "", number)
    if not digits:
        return []
    full = "+" + digits
    return [full[:end] for end in range(2, len(full) + 1)]


def is_blocked(session: Session, *, tenant: Tenant, caller: str | None) -> bool:
    """Whether ``tenant`` refuses a call from ``caller`` (as the provider gave it): one indexed query at most."""
    if is_withheld(caller):
        return bool(tenant.block_withheld)
    keys = _lookup_keys(caller or "")
    if not keys:
        return False
    row = session.exec(
        select(col(BlockedCaller.id))
        .where(col(BlockedCaller.tenant_id) == tenant.id, col(BlockedCaller.value).in_(keys))
        .limit(1)
    ).first()
    return row is not None


def block_list(session: Session, *, principal: Principal) -> BlockListOut:
    """The organisation's blocked numbers and prefixes (any member may read them), newest first."""
    tenant_id = principal.require_member()
    tenant = _tenant(session, tenant_id)
    rows = session.exec(
        select(BlockedCaller)
        .where(col(BlockedCaller.tenant_id) == tenant_id)
        .order_by(col(BlockedCaller.created_at).desc(), col(BlockedCaller.id).desc())
        .limit(MAX_BLOCKED)
    ).all()
    return BlockListOut(entries=[_out(row, tenant.country) for row in rows], block_withheld=tenant.block_withheld)


def normalise_entry(text: str, *, country: str | None) -> tuple[str, bool]:
    """(value, is_prefix) for what someone typed: a full number in E.164, or a "+digits" prefix; Invalid otherwise."""
    raw = re.sub(r"[\s().-]", "", text or "")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    number = phones.parse(text, country)
    if number is not None:
        return number, False
    if _PREFIX.fullmatch(raw):
        return raw, True
    raise Invalid(fields={"value": "Enter a phone number, or a prefix such as +1900."})


def block_caller(
    session: Session, *, principal: Principal, value: str, user_id: int | None = None, via: str = "settings"
) -> BlockedOut:
    """Add a number or prefix to the organisation's block list (admins and writers); adding it twice is a no-op.

    ``user_id`` names who blocked when ``principal`` is not a person (the signed email link); ``via`` says where.
    """
    tenant_id = principal.require_writer()
    tenant = _tenant(session, tenant_id)
    entry, is_prefix = normalise_entry(value, country=tenant.country)
    existing = _find(session, tenant_id=tenant_id, value=entry)
    if existing is not None:
        return _out(existing, tenant.country)
    count = session.exec(select(func.count()).where(col(BlockedCaller.tenant_id) == tenant_id)).one()
    if count >= MAX_BLOCKED:
        raise Invalid(fields={"value": f"The block list holds at most {MAX_BLOCKED} entries."})
    row = BlockedCaller(tenant_id=tenant_id, value=entry, is_prefix=is_prefix)
    session.add(row)
    audit.record(
        session,
        action="caller_blocked",
        tenant_id=tenant_id,
        user_id=user_id if user_id is not None else principal.user_id,
        detail={"value": entry, "prefix": is_prefix, "via": via},
    )
    try:
        session.commit()
    except IntegrityError:  # the same entry added concurrently: it is blocked, as asked
        session.rollback()
        existing = _find(session, tenant_id=tenant_id, value=entry)
        if existing is None:
            raise
        return _out(existing, tenant.country)
    session.refresh(row)
    return _out(row, tenant.country)


def unblock_caller(session: Session, *, principal: Principal, value: str) -> bool:
    """Remove a number or prefix from the organisation's block list; False when it was not on it."""
    tenant_id = principal.require_writer()
    tenant = _tenant(session, tenant_id)
    try:
        entry, _ = normalise_entry(value, country=tenant.country)
    except Invalid:
        return False
    row = _find(session, tenant_id=tenant_id, value=entry)
    if row is None:
        return False
    session.delete(row)
    audit.record(
        session, action="caller_unblocked", tenant_id=tenant_id, user_id=principal.user_id, detail={"value": entry}
    )
    session.commit()
    return True


def is_on_block_list(session: Session, *, tenant_id: int, number: str | None) -> bool:
    """Whether this exact number is on the list (the call page's Block/Unblock button), prefixes aside."""
    if not number or is_withheld(number):
        return False
    return _find(session, tenant_id=tenant_id, value=number) is not None


def set_block_withheld(session: Session, *, principal: Principal, enabled: bool) -> bool:
    """Admins and writers choose whether callers with a hidden number are refused; returns the new value."""
    tenant_id = principal.require_writer()
    tenant = _tenant(session, tenant_id)
    if tenant.block_withheld != enabled:
        tenant.block_withheld = enabled
        session.add(tenant)
        audit.record(
            session,
            action="withheld_blocking_changed",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={"enabled": enabled},
        )
        session.commit()
    return enabled


# --- one call's caller: the call page and the email link ---------------------------------------------------------

LINK_AUDIENCE = "ava-block-caller"
LINK_PURPOSE = "block_caller"
LINK_TTL = timedelta(days=7)
ALGORITHM = "HS256"


@dataclass(frozen=True)
class BlockLinkGrant:
    """What a valid email link lets its holder do: block the caller of one call, as the member it was mailed to."""

    principal: Principal
    call_id: int
    caller: str
    caller_display: str
    tenant_name: str
    language: str
    already_blocked: bool


def call_caller(session: Session, *, principal: Principal, call_id: int) -> tuple[str | None, bool]:
    """(caller's number, whether it is on the block list) of one of the organisation's calls; None for a withheld
    number or a test call (nothing to block)."""
    tenant_id = principal.require_member()
    row = session.exec(
        select(col(Call.caller_number), col(Call.call_type)).where(
            col(Call.id) == call_id, col(Call.tenant_id) == tenant_id
        )
    ).first()
    if row is None:
        raise NotFound("Call not found.")
    number, call_type = row
    if call_type == "test" or is_withheld(number):
        return None, False
    return number, is_on_block_list(session, tenant_id=tenant_id, number=number)


def block_call_caller(session: Session, *, principal: Principal, call_id: int, via: str = "call_page") -> BlockedOut:
    """Block the caller of one of the organisation's calls (admins and writers); Invalid when the number is withheld."""
    principal.require_writer()
    number, _ = call_caller(session, principal=principal, call_id=call_id)
    if number is None:
        raise Invalid(fields={"value": "This call has no caller number to block."})
    return block_caller(session, principal=principal, value=number, via=via)


def unblock_call_caller(session: Session, *, principal: Principal, call_id: int) -> bool:
    """Undo ``block_call_caller``: take this call's caller off the block list."""
    principal.require_writer()
    number, _ = call_caller(session, principal=principal, call_id=call_id)
    return number is not None and unblock_caller(session, principal=principal, value=number)


def _link_key() -> bytes:
    return hmac.new(get_settings().secret_key.encode(), b"ava-block-caller-links", hashlib.sha256).digest()


def block_link_token(*, tenant_id: int, call_id: int, user_id: int, now: datetime | None = None) -> str:
    """The signed token of a "Block this caller" email link: one call, one organisation, one member, a week."""
    issued = now or utcnow()
    payload = {
        "aud": LINK_AUDIENCE,
        "purpose": LINK_PURPOSE,
        "tid": tenant_id,
        "cid": call_id,
        "sub": str(user_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + LINK_TTL).timestamp()),
    }
    return jwt.encode(payload, _link_key(), algorithm=ALGORITHM)


def block_link_for(session: Session, *, call: Call, address: str, now: datetime | None = None) -> str:
    """The "Block this caller" link for the summary emailed to ``address``; "" when there is nothing to block or the
    address is not a member who may block (viewers and outside recipients get no link)."""
    if call.id is None or call.call_type == "test" or is_withheld(call.caller_number):
        return ""
    user_id = session.exec(
        select(col(User.id))
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            func.lower(col(User.email)) == address.strip().lower(),
            col(User.is_active).is_(True),
            col(Membership.tenant_id) == call.tenant_id,
            col(Membership.role).in_(WRITER_ROLES),
        )
    ).first()
    if user_id is None:
        return ""
    token = block_link_token(tenant_id=call.tenant_id, call_id=call.id, user_id=user_id, now=now)
    return routes.absolute(get_settings().public_url, routes.api(routes.BLOCK_CALLER_LINK), token=token)


def read_block_link(session: Session, *, token: str) -> BlockLinkGrant:
    """The grant of a genuine, unexpired block link whose member still writes in its organisation and whose call
    still has a caller; ``Unauthorized`` (``link_invalid``) the same way for every other case."""
    refused = Unauthorized("This link has expired or is not valid.", code="link_invalid")
    try:
        claims = jwt.decode(
            token,
            _link_key(),
            algorithms=[ALGORITHM],
            audience=LINK_AUDIENCE,
            options={"require": ["exp", "sub", "tid", "cid", "purpose"]},
        )
        user_id, tenant_id, call_id = int(claims["sub"]), int(claims["tid"]), int(claims["cid"])
    except (jwt.PyJWTError, TypeError, ValueError):
        raise refused from None
    if claims["purpose"] != LINK_PURPOSE:
        raise refused
    role = session.exec(
        select(col(Membership.role))
        .join(User, col(User.id) == col(Membership.user_id))
        .where(
            col(Membership.user_id) == user_id, col(Membership.tenant_id) == tenant_id, col(User.is_active).is_(True)
        )
    ).first()
    if role not in WRITER_ROLES:
        raise refused
    principal = Principal(user_id=user_id, tenant_id=tenant_id, role=role)
    try:
        number, blocked = call_caller(session, principal=principal, call_id=call_id)
    except NotFound:
        raise refused from None
    if number is None:
        raise refused
    tenant = _tenant(session, tenant_id)
    return BlockLinkGrant(
        principal=principal,
        call_id=call_id,
        caller=number,
        caller_display=phones.display(number, tenant.country),
        tenant_name=tenant.name,
        language=tenant.locale or "en",
        already_blocked=blocked,
    )


def block_from_link(session: Session, *, token: str) -> BlockLinkGrant:
    """Block the caller a link names, after the holder confirmed on the page; the signature is checked again."""
    grant = read_block_link(session, token=token)
    block_caller(session, principal=grant.principal, value=grant.caller, via="email")
    return dataclasses.replace(grant, already_blocked=True)


def _find(session: Session, *, tenant_id: int, value: str) -> BlockedCaller | None:
    return session.exec(
        select(BlockedCaller).where(col(BlockedCaller.tenant_id) == tenant_id, col(BlockedCaller.value) == value)
    ).first()


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    return tenant


def _out(row: BlockedCaller, country: str | None) -> BlockedOut:
    assert row.id is not None
    shown = row.value if row.is_prefix else phones.display(row.value, country)
    return BlockedOut(id=row.id, value=row.value, is_prefix=row.is_prefix, display=shown)
