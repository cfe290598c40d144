"""One caller's data in a business: found by phone number or e-mail address, exported (by a job, see
``services.data_exports``), erased (admins only).

What counts as the caller's: the calls from their number (with conversation lines, AVA's recording copy, and the
call at Vapi), the bookings made for their number, the messages AVA sent to them or about their calls (caller texts,
confirmation emails, the owner's summary emails that name their number), and the raw provider messages of their
calls or naming their number, the events sent to the business's webhook endpoints about their calls or naming them,
and the exports made of their data (the organisation's exports made before the erasure lose their file too). Kept on
purpose: a STOP they sent (``smsoptout``), so AVA never texts them again, and the audit line of the erasure, which
names the number by its last two digits only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import phonenumbers
from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from ava_app.models import Booking, Call, DeletedCall, Outbox, Tenant, WebhookDelivery, WebhookEvent
from ava_app.services import audit, export_files, phones, trash
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal

log = logging.getLogger(__name__)
MAX_CALLS = 5_000


@dataclass(frozen=True)
class Caller:
    """Who is looked for: an E.164 number or a lower-cased e-mail address, and the ways the number is written."""

    key: str
    is_phone: bool
    spellings: tuple[str, ...]
    shown: str


@dataclass(frozen=True)
class CallerFindings:
    caller: str
    calls: int
    bookings: int
    messages: int
    raw_messages: int
    # Events AVA sent to the business's webhook endpoints about the caller (their bodies name them).
    webhook_deliveries: int = 0

    @property
    def anything(self) -> bool:
        return any((self.calls, self.bookings, self.messages, self.raw_messages, self.webhook_deliveries))


def identify(session: Session, *, principal: Principal, query: str) -> Caller:
    """The caller ``query`` names, read in the business's country; Invalid when it is neither a number nor an e-mail."""
    tenant = _tenant(session, principal.require_admin())
    text = query.strip()
    if "@" in text:
        address = text.lower()
        if len(address) > 254 or address.count("@") != 1 or "." not in address.split("@")[1]:
            raise Invalid("Type a phone number or an e-mail address.", fields={"query": "not_a_caller"})
        return Caller(key=address, is_phone=False, spellings=(address,), shown=address)
    e164 = phones.parse(text, tenant.country)
    if e164 is None:
        raise Invalid("Type a phone number or an e-mail address.", fields={"query": "not_a_caller"})
    parsed = phonenumbers.parse(e164)
    formats = (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    spellings = (e164, *(phonenumbers.format_number(parsed, kind) for kind in formats))
    return Caller(key=e164, is_phone=True, spellings=spellings, shown=phones.display(e164, tenant.country))


def find_caller(session: Session, *, principal: Principal, query: str) -> CallerFindings:
    """How much AVA holds about one caller in the caller's (admin's) business."""
    caller = identify(session, principal=principal, query=query)
    tenant_id = principal.require_admin()
    call_ids, provider_ids = _calls_of(session, tenant_id=tenant_id, caller=caller)
    return CallerFindings(
        caller=caller.shown,
        # Calls deleted by hand but still restorable are still held: they count, and erasure removes them.
        calls=len(call_ids) + len(_deleted_calls_of(session, tenant_id=tenant_id, caller=caller)),
        bookings=len(_bookings_of(session, tenant_id=tenant_id, caller=caller)),
        messages=len(_messages_of(session, tenant_id=tenant_id, caller=caller)),
        raw_messages=len(_raw_of(session, tenant_id=tenant_id, caller=caller, provider_ids=provider_ids)),
        webhook_deliveries=len(_deliveries_of(session, tenant_id=tenant_id, caller=caller, call_ids=call_ids)),
    )


@dataclass(frozen=True)
class CallerRecords:
    """What an export of one caller holds besides their calls' details: their calls' ids (details and recordings
    are read by ``services.data_exports`` in batches), and their bookings and messages as JSON-ready dicts."""

    caller: str
    call_ids: list[int]
    bookings: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    # Their calls deleted by hand, still restorable (``services.trash``), as the trash keeps them.
    deleted_calls: list[dict[str, Any]]
    # The webhook events sent about them (their calls, or a body naming them), as the receivers got them.
    webhook_deliveries: list[dict[str, Any]]


def caller_records(session: Session, *, principal: Principal, query: str) -> CallerRecords:
    """Everything about one caller for their export (admins, in their own business only)."""
    caller = identify(session, principal=principal, query=query)
    tenant_id = principal.require_admin()
    call_ids, _ = _calls_of(session, tenant_id=tenant_id, caller=caller)
    booking_ids = _bookings_of(session, tenant_id=tenant_id, caller=caller)
    message_ids = _messages_of(session, tenant_id=tenant_id, caller=caller)
    bookings = session.exec(
        select(Booking).where(col(Booking.tenant_id) == tenant_id, col(Booking.id).in_(booking_ids))
    ).all()
    messages = session.exec(
        select(Outbox).where(col(Outbox.tenant_id) == tenant_id, col(Outbox.id).in_(message_ids))
    ).all()
    delivery_ids = _deliveries_of(session, tenant_id=tenant_id, caller=caller, call_ids=call_ids)
    deliveries = session.exec(
        select(WebhookDelivery)
        .where(col(WebhookDelivery.tenant_id) == tenant_id, col(WebhookDelivery.id).in_(delivery_ids))
        .order_by(col(WebhookDelivery.id))
    ).all()
    return CallerRecords(
        caller=caller.key,
        call_ids=sorted(call_ids),
        deleted_calls=_deleted_calls_of(session, tenant_id=tenant_id, caller=caller),
        bookings=[booking.model_dump(mode="json", exclude={"tenant_id"}) for booking in bookings],
        messages=[
            {
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body_text,
                "status": message.status,
                "created_at": message.created_at.isoformat(),
            }
            for message in messages
        ],
        webhook_deliveries=[
            {
                "event": delivery.event_type,
                "message_id": delivery.message_id,
                "status": delivery.status,
                "created_at": delivery.created_at.isoformat(),
                "body": delivery.payload,
            }
            for delivery in deliveries
        ],
    )


def erase_caller(session: Session, *, principal: Principal, query: str) -> CallerFindings:
    """Erase one caller everywhere in the business, the voice provider included; returns what was removed.

    A call Vapi (or Twilio, its recording) could not delete now is still erased from AVA; the count of those is
    logged. Their calls in the trash go too: erasure skips the grace period.
    """
    caller = identify(session, principal=principal, query=query)
    tenant_id = principal.require_admin()
    call_ids, provider_ids = _calls_of(session, tenant_id=tenant_id, caller=caller)
    raw_ids = _raw_of(session, tenant_id=tenant_id, caller=caller, provider_ids=provider_ids)
    booking_ids = _bookings_of(session, tenant_id=tenant_id, caller=caller)
    message_ids = _messages_of(session, tenant_id=tenant_id, caller=caller)
    delivery_ids = _deliveries_of(session, tenant_id=tenant_id, caller=caller, call_ids=call_ids)
    subjects = {caller.key, *_addresses_of(session, tenant_id=tenant_id, caller=caller)}
    held = bool(call_ids or booking_ids or message_ids or delivery_ids)
    session.rollback()
    session.exec(delete(Booking).where(col(Booking.tenant_id) == tenant_id, col(Booking.id).in_(booking_ids)))
    session.exec(delete(Outbox).where(col(Outbox.tenant_id) == tenant_id, col(Outbox.id).in_(message_ids)))
    session.exec(delete(WebhookEvent).where(col(WebhookEvent.id).in_(raw_ids)))
    session.exec(
        delete(WebhookDelivery).where(
            col(WebhookDelivery.tenant_id) == tenant_id, col(WebhookDelivery.id).in_(delivery_ids)
        )
    )
    # The exports AVA made of them go too, files included; the organisation's made before are withdrawn when they
    # held anything of the caller's.
    export_files.forget_caller_exports(session, tenant_id=tenant_id, subjects=subjects, organisation=held)
    session.commit()
    removed_calls, missed = trash.erase_calls(
        session, principal=principal, call_ids=call_ids, caller_number=caller.key if caller.is_phone else None
    )
    if missed:
        log.warning("caller erasure: %d call(s) could not be deleted at the provider now", missed)
    found = CallerFindings(
        caller=caller.shown,
        calls=removed_calls,
        bookings=len(booking_ids),
        messages=len(message_ids),
        raw_messages=len(raw_ids),
        webhook_deliveries=len(delivery_ids),
    )
    audit.record(
        session,
        action="caller_erased",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={
            "caller_ending": caller.key[-2:],
            "calls": found.calls,
            "bookings": found.bookings,
            "messages": found.messages,
            "raw_messages": found.raw_messages,
            "webhook_deliveries": found.webhook_deliveries,
            "provider_failures": missed,
        },
    )
    session.commit()
    return found


def _calls_of(session: Session, *, tenant_id: int, caller: Caller) -> tuple[list[int], list[str]]:
    if not caller.is_phone:
        return [], []
    rows = session.exec(
        select(col(Call.id), col(Call.provider_call_id))
        .where(col(Call.tenant_id) == tenant_id, col(Call.caller_number) == caller.key)
        .limit(MAX_CALLS)
    ).all()
    return [row[0] for row in rows if row[0] is not None], [row[1] for row in rows]


def _deleted_calls_of(session: Session, *, tenant_id: int, caller: Caller) -> list[dict[str, Any]]:
    """The caller's calls in the business's trash: the call rows their snapshots hold (the tenant's id left out)."""
    if not caller.is_phone:
        return []
    snapshots = session.exec(select(col(DeletedCall.snapshot)).where(col(DeletedCall.tenant_id) == tenant_id)).all()
    calls = [trash.trashed_call(snapshot) for snapshot in snapshots]
    return [
        {key: value for key, value in call.items() if key != "tenant_id"}
        for call in calls
        if call.get("caller_number") == caller.key
    ]


def _bookings_of(session: Session, *, tenant_id: int, caller: Caller) -> list[int]:
    """The caller's bookings: by their number, or by the address they gave for confirmations."""
    same = (
        col(Booking.caller_phone) == caller.key
        if caller.is_phone
        else func.lower(col(Booking.caller_email)) == caller.key
    )
    found = session.exec(select(col(Booking.id)).where(col(Booking.tenant_id) == tenant_id, same)).all()
    return [booking_id for booking_id in found if booking_id is not None]


def _addresses_of(session: Session, *, tenant_id: int, caller: Caller) -> set[str]:
    """Where the caller was written to: their address, and those they gave with their bookings."""
    addresses = set() if caller.is_phone else {caller.key}
    if caller.is_phone:
        given = session.exec(
            select(col(Booking.caller_email)).where(
                col(Booking.tenant_id) == tenant_id,
                col(Booking.caller_phone) == caller.key,
                col(Booking.caller_email).is_not(None),
            )
        ).all()
        addresses |= {address.lower() for address in given if address}
    return addresses


def _messages_of(session: Session, *, tenant_id: int, caller: Caller) -> list[int]:
    """Messages sent to the caller, or naming them (the owner's summary of their call names their number)."""
    named = [col(Outbox.body_text).contains(spelling) for spelling in caller.spellings]
    named += [col(Outbox.subject).contains(spelling) for spelling in caller.spellings]
    addresses = _addresses_of(session, tenant_id=tenant_id, caller=caller)
    if addresses:
        named.append(func.lower(col(Outbox.to)).in_(sorted(addresses)))
    found = session.exec(
        select(col(Outbox.id)).where(
            col(Outbox.tenant_id) == tenant_id, or_(col(Outbox.to) == caller.key, *named)
        )
    ).all()  # fmt: skip
    return [message_id for message_id in found if message_id is not None]


def _raw_of(session: Session, *, tenant_id: int, caller: Caller, provider_ids: list[str]) -> list[int]:
    """Stored provider messages of the caller's calls, or whose body names them."""
    conditions = [col(WebhookEvent.payload).contains(spelling) for spelling in caller.spellings]
    if provider_ids:
        conditions.append(col(WebhookEvent.provider_call_id).in_(provider_ids))
    found = session.exec(
        select(col(WebhookEvent.id)).where(col(WebhookEvent.tenant_id) == tenant_id, or_(*conditions))
    ).all()
    return [event_id for event_id in found if event_id is not None]


def _deliveries_of(session: Session, *, tenant_id: int, caller: Caller, call_ids: list[int]) -> list[int]:
    """Events sent to the business's webhook endpoints about the caller's calls, or whose body names them."""
    conditions = [col(WebhookDelivery.payload).contains(spelling) for spelling in caller.spellings]
    if call_ids:
        conditions.append(col(WebhookDelivery.call_id).in_(call_ids))
    found = session.exec(
        select(col(WebhookDelivery.id)).where(col(WebhookDelivery.tenant_id) == tenant_id, or_(*conditions))
    ).all()
    return [delivery_id for delivery_id in found if delivery_id is not None]


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    return tenant
