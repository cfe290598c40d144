"""Vapi calls: the call row an event is about, found or created for the right tenant, and the live events.

Calls are keyed by Vapi's call id; their status only moves forward (an ended call stays ended), so status and
transcript events applied in any order end in the same state. Tenant resolution goes from the strongest evidence
(the Vapi assistant id) to the weakest (the assistant's metadata).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, literal, or_, update
from sqlmodel import Session, col, select

from ava_app.models import Assistant, Call, CallMessage, PhoneNumber, Tenant
from ava_app.services import reach
from ava_app.services.ended_reasons import outcome_for_ended_reason
from ava_app.services.errors import Forbidden
from ava_app.services.ingest.payloads import aware, epoch_ms, parse_time, short
from ava_app.services.privacy_settings import redactor_for

# Forward-only lifecycle; "not-found" and "deletion-failed" are not positions in it and never change a call.
STATUS_ORDER = ("scheduled", "queued", "ringing", "in-progress", "forwarding", "ended")

UNRESOLVED = "no tenant matches this call (assistant id, phone number id, phone number or metadata)"


@dataclass
class VapiEvent:
    """One server message being applied: its type, the message and its call snapshot, who sent it, and when."""

    kind: str
    message: dict
    call: dict
    provider_call_id: str | None
    auth_tenant_id: int | None
    now: datetime


@dataclass(frozen=True)
class Routing:
    """The tenant a call belongs to, with its AVA assistant and phone number when known."""

    tenant_id: int
    assistant_id: int | None
    phone_number_id: int | None


@dataclass(frozen=True)
class CallRef:
    """The call row an event applies to; ``created`` when this event inserted it."""

    id: int
    tenant_id: int
    created: bool


@dataclass
class Handled:
    """What a handler did: the body for Vapi, the tenant and call touched, and a problem to keep on the event."""

    response: dict
    tenant_id: int | None = None
    call_id: int | None = None
    call_ended: bool = False
    problem: str | None = None


def handle_status_update(session: Session, event: VapiEvent) -> Handled:
    status = event.message.get("status")
    if status not in STATUS_ORDER:
        return Handled(response={})
    ref = ensure_call(session, event, status=status)
    if ref is None:
        return unresolved()
    fills: dict[str, Any] = {"status": _advanced_status(status), "updated_at": event.now}
    started = parse_time(event.call.get("startedAt"))
    if started is not None:
        fills["started_at"] = func.coalesce(col(Call.started_at), started)
    if status == "ended":
        # Only fill gaps: the end-of-call report, whenever it lands, is the authority for these fields.
        reason = event.message.get("endedReason") or event.call.get("endedReason")
        ended = parse_time(event.call.get("endedAt")) or epoch_ms(event.message.get("timestamp"))
        if reason:
            fills["ended_reason"] = func.coalesce(col(Call.ended_reason), str(reason)[:120])
            fills["outcome"] = func.coalesce(col(Call.outcome), outcome_for_ended_reason(reason))
        if ended is not None:
            fills["ended_at"] = func.coalesce(col(Call.ended_at), ended)
    connection(session).execute(update(Call).where(col(Call.id) == ref.id).values(**fills))
    return Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id)


def handle_transcript(session: Session, event: VapiEvent) -> Handled:
    text = str(event.message.get("transcript") or "").strip()
    if event.message.get("transcriptType") != "final" or not text:
        return Handled(response={})  # partials are superseded by the final line; the raw event is kept
    ref = ensure_call(session, event)
    if ref is None:
        return unresolved()
    # Touching the row first takes its write lock, so this check cannot interleave with the report's replace.
    analysis, started_at = touch_call(session, ref, event, col(Call.provider_analysis), col(Call.started_at)).one()
    if analysis is not None:
        # The report already replaced the live lines with its full transcript; this line is in it.
        return Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id)
    position = session.exec(
        select(func.coalesce(func.max(col(CallMessage.position)), -1)).where(col(CallMessage.call_id) == ref.id)
    ).one()
    started = parse_time(event.call.get("startedAt")) or aware(started_at)
    spoken = epoch_ms(event.message.get("timestamp"))
    seconds = max((spoken - started).total_seconds(), 0.0) if started and spoken else 0.0
    role = "assistant" if event.message.get("role") in ("assistant", "bot") else "user"
    text = redactor_for(session, tenant_id=ref.tenant_id).text(text, caller_phone=caller_number(event))
    connection(session).execute(
        insert(CallMessage).values(
            tenant_id=ref.tenant_id,
            call_id=ref.id,
            position=position + 1,
            role=role,
            text=text,
            seconds_from_start=round(seconds, 3),
        )
    )
    return Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id)


def caller_number(event: VapiEvent) -> str | None:
    """The caller's own number as the event gives it (kept by redaction: it is who the call is from)."""
    customer = event.call.get("customer") or event.message.get("customer")
    number = customer.get("number") if isinstance(customer, dict) else None
    return number if isinstance(number, str) else None


def unresolved() -> Handled:
    return Handled(response={}, problem=UNRESOLVED)


def ensure_call(
    session: Session,
    event: VapiEvent,
    *,
    status: str | None = None,
    routing: Routing | None = None,
    values: dict[str, Any] | None = None,
    values_for: Callable[[int], dict[str, Any]] | None = None,
) -> CallRef | None:
    """The call row for this event, created from the event's call snapshot (plus ``values``) if new.

    ``values_for(tenant_id)`` gives values that depend on the tenant found (its redaction), over ``values``.
    Returns None when no tenant owns the call.
    """
    if not event.provider_call_id:
        return None
    row = (
        connection(session)
        .execute(select(col(Call.id), col(Call.tenant_id)).where(col(Call.provider_call_id) == event.provider_call_id))
        .first()
    )
    if row is not None:
        if event.auth_tenant_id is not None and row[1] != event.auth_tenant_id:
            raise Forbidden("This call belongs to another tenant than the secret used.")
        return CallRef(id=row[0], tenant_id=row[1], created=False)
    routing = routing or resolve_routing(session, event)
    if routing is None:
        return None
    snapshot_status = event.call.get("status")
    call = Call(
        tenant_id=routing.tenant_id,
        provider_call_id=event.provider_call_id,
        assistant_id=routing.assistant_id,
        phone_number_id=routing.phone_number_id,
        status=status or (snapshot_status if snapshot_status in STATUS_ORDER else "queued"),
        started_at=parse_time(event.call.get("startedAt")),
        created_at=event.now,
        updated_at=event.now,
        **_parties(event),
    )
    columns = {**_columns(call), **(values or {}), **(values_for(routing.tenant_id) if values_for else {})}
    # A concurrent delivery may insert the same provider_call_id first: IntegrityError here, retried by the caller.
    call_id = connection(session).execute(_INSERT_CALL, columns).inserted_primary_key[0]
    if routing.phone_number_id is not None:
        # A call forwarded from the owner's existing line during their check proves their forwarding works.
        reach.note_forwarded_call(
            session,
            phone_number_id=routing.phone_number_id,
            forwarded_from=reach.forwarded_from_of_vapi_call(event.call),
            caller=columns.get("caller_number"),
        )
    return CallRef(id=call_id, tenant_id=routing.tenant_id, created=True)


def connection(session: Session):
    """The session's connection, for plain Core statements: the ORM's flush machinery costs more than the SQL here."""
    return session.connection()


_INSERT_CALL = insert(Call)


def _columns(row: Any) -> dict[str, Any]:
    """Column values of an unsaved model instance, its defaults included, for a Core INSERT (id left to the DB)."""
    return {key: value for key, value in row.model_dump().items() if key != "id"}


def _advanced_status(status: str) -> Any:
    """SQL for "``status`` if the call is at an earlier stage, else unchanged".

    Evaluated inside the UPDATE, so a late "in-progress" can never overwrite "ended", whatever the interleaving.
    """
    earlier = STATUS_ORDER[: STATUS_ORDER.index(status)]
    return case((col(Call.status).in_(earlier), literal(status)), else_=col(Call.status))


def touch_call(session: Session, ref: CallRef, event: VapiEvent, *returning: Any):
    """Lock the call row (a no-op write) and advance it to the status in the event's call snapshot, if later."""
    values: dict[str, Any] = {"updated_at": event.now}
    snapshot = event.call.get("status")
    if snapshot in STATUS_ORDER:
        values["status"] = _advanced_status(snapshot)
    statement = update(Call).where(col(Call.id) == ref.id).values(**values)
    return connection(session).execute(statement.returning(*returning) if returning else statement)


def _parties(event: VapiEvent) -> dict[str, Any]:
    kind = event.call.get("type", "")
    call_type = {"outboundPhoneCall": "outbound", "webCall": "web", "vapi.websocketCall": "web"}.get(kind, "inbound")
    customer = event.call.get("customer") or event.message.get("customer") or {}
    phone = event.message.get("phoneNumber") or event.call.get("phoneNumber") or {}
    ours, theirs = short(phone.get("number")), short(customer.get("number"))
    outbound = call_type == "outbound"
    return {
        "call_type": call_type,
        "direction": "outbound" if outbound else "inbound",
        "caller_number": ours if outbound else theirs,
        "called_number": theirs if outbound else ours,
    }


def resolve_routing(session: Session, event: VapiEvent) -> Routing | None:
    """Which tenant (and assistant, number) a call belongs to, strongest evidence first.

    Order: the Vapi assistant id, then the Vapi phone number id or E.164 number, then the assistant metadata
    ``avaTenantId``.
    With a tenant secret, only that tenant can be the answer.
    """
    phone = event.message.get("phoneNumber") or event.call.get("phoneNumber") or {}
    assistant_ids = [
        value for value in (event.call.get("assistantId"), phone.get("assistantId")) if isinstance(value, str) and value
    ]
    assistants = []
    if assistant_ids:
        rows = (
            connection(session)
            .execute(
                select(col(Assistant.id), col(Assistant.tenant_id), col(Assistant.provider_assistant_id)).where(
                    col(Assistant.provider_assistant_id).in_(assistant_ids)
                )
            )
            .all()
        )
        assistants = sorted(rows, key=lambda row: assistant_ids.index(row[2]))
    number = find_number(session, event)
    candidates = [row[1] for row in assistants]
    if number is not None:
        candidates.append(number.tenant_id)
    if not candidates:
        metadata_tenant = _metadata_tenant_id(event)
        if metadata_tenant is not None and session.get(Tenant, metadata_tenant) is not None:
            candidates.append(metadata_tenant)
    if event.auth_tenant_id is not None:
        tenant_id = event.auth_tenant_id if event.auth_tenant_id in candidates else None
    else:
        tenant_id = candidates[0] if candidates else None
    if tenant_id is None:
        return None
    assistant_id = next((row[0] for row in assistants if row[1] == tenant_id), None)
    if number is not None and number.tenant_id == tenant_id:
        return Routing(tenant_id=tenant_id, assistant_id=assistant_id or number.assistant_id, phone_number_id=number.id)
    return Routing(tenant_id=tenant_id, assistant_id=assistant_id, phone_number_id=None)


def find_number(session: Session, event: VapiEvent) -> PhoneNumber | None:
    """Our active number for this call: by Vapi phone number id first, then by the E.164 number."""
    phone = event.message.get("phoneNumber") or event.call.get("phoneNumber") or {}
    provider_id = event.call.get("phoneNumberId") or phone.get("id")
    e164 = phone.get("number")
    conditions = []
    if isinstance(provider_id, str) and provider_id:
        conditions.append(col(PhoneNumber.provider_number_id) == provider_id)
    if isinstance(e164, str) and e164:
        conditions.append(col(PhoneNumber.e164) == e164)
    if not conditions:
        return None
    rows = session.exec(
        select(PhoneNumber)
        .where(or_(*conditions), col(PhoneNumber.released_at).is_(None))
        .order_by(col(PhoneNumber.id).desc())
    ).all()
    by_id = [row for row in rows if provider_id and row.provider_number_id == provider_id]
    if not rows:
        return None
    return by_id[0] if by_id else rows[0]


def _metadata_tenant_id(event: VapiEvent) -> int | None:
    sources = (
        event.message.get("assistant"),
        event.call.get("assistant"),
        event.call.get("assistantOverrides"),
    )
    for source in sources:
        metadata = source.get("metadata") if isinstance(source, dict) else None
        value = metadata.get("avaTenantId") if isinstance(metadata, dict) else None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None
