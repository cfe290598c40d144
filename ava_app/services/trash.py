"""Recently deleted calls: a call deleted by hand stays restorable for the business's grace period, then goes for good.

Deleting (the calls list, a call's page, ``DELETE /api/v1/calls/{id}``) moves each call into ``DeletedCall``: a JSON
snapshot of its row, its conversation lines, its recording row, and what else the call's deletion takes or unlinks
(its Stripe meter report and CRM sync rows, the bookings, messages and webhook deliveries that named it). The rows
are then deleted from their tables, so every list, count, export and chart drops the call at once, the dashboard's
rollups by their delete trigger. AVA's recording file stays (``recordings.delete_unreferenced`` counts a snapshot as
a reference) and so does the call at the voice provider.

A restore puts the rows back with the same ids (the rollups follow by their insert trigger) while ``purge_after`` has
not passed. ``Tenant.deleted_calls_grace_days`` (admins choose 1, 7, 14 or 30) sets ``purge_after``; the nightly
retention job then purges the snapshot, AVA's file and the call at Vapi (and a recording Twilio keeps), see
``retention._purge_deleted_calls``. Erasing a caller (``erase_calls``) skips the grace: erasure means gone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from ava_app.models import (
    Assistant,
    Booking,
    Call,
    CallMessage,
    CallRecording,
    CrmConnection,
    CrmSyncedCall,
    DeletedCall,
    MeterReport,
    Outbox,
    PhoneNumber,
    Tenant,
    User,
    WebhookDelivery,
    as_utc,
    utcnow,
)
from ava_app.services import audit, live_updates, recordings
from ava_app.services.errors import Conflict, Invalid, NotFound
from ava_app.services.principal import Principal

log = logging.getLogger(__name__)

GRACE_CHOICES = (1, 7, 14, 30)
# The Recently deleted page reads the trash a page at a time (keyset on deletion time, then id: newest first).
PAGE = 100
MAX_PAGE = 1_000
# Rows that name a call and lose it (SET NULL) when it is deleted: linked again on a restore.
LINKED: dict[str, Any] = {"booking": Booking, "outbox": Outbox, "webhookdelivery": WebhookDelivery}


@dataclass(frozen=True)
class DeletedCallOut:
    """One call in the trash, as the Recently deleted page lists it (times in UTC)."""

    call_id: int
    caller_number: str | None
    call_type: str
    started_at: datetime | None
    duration_seconds: int | None
    outcome: str | None
    summary: str | None
    deleted_at: datetime
    deleted_by: str | None
    purge_after: datetime


@dataclass(frozen=True)
class TrashPlace:
    """Where a page of the trash stopped: the last listed call's deletion time and trash row id (the next page
    starts after it)."""

    deleted_at: datetime
    row_id: int

    def text(self) -> str:
        """The place as one string, for a page's state (``parse`` reads it back)."""
        return f"{self.deleted_at.isoformat()}|{self.row_id}"

    @classmethod
    def parse(cls, text: str) -> TrashPlace | None:
        """A place written by ``text``; None for anything else (the list then starts from the newest)."""
        moment, _, row_id = (text or "").partition("|")
        try:
            return cls(deleted_at=as_utc(datetime.fromisoformat(moment)), row_id=int(row_id))
        except ValueError:
            return None


@dataclass(frozen=True)
class TrashOut:
    """One page of the trash; ``total`` counts every call in it, ``next_after`` is None on the last page."""

    calls: list[DeletedCallOut]
    grace_days: int
    total: int
    next_after: TrashPlace | None


# --- deleting, restoring ------------------------------------------------------------------------------------------


def move_to_trash(session: Session, *, principal: Principal, call_ids: Iterable[int]) -> int:
    """Delete calls of the caller's tenant (writers only): each moves into the trash with its messages and recording
    row, gone from every list, count and chart now, restorable for the business's grace period, then purged
    everywhere by the nightly job (AVA's recording file and the call at the provider included). Returns how many
    moved; ids of other tenants' calls, or of no call, are skipped silently."""
    tenant_id = principal.require_writer()
    ids = sorted({int(call_id) for call_id in call_ids})
    if not ids:
        return 0
    rows = _rows(session, Call, col(Call.tenant_id) == tenant_id, col(Call.id).in_(ids))
    found = [row["id"] for row in rows]
    if not found:
        return 0
    messages = _by_call(_rows(session, CallMessage, col(CallMessage.call_id).in_(found)))
    recording = {row["call_id"]: row for row in _rows(session, CallRecording, col(CallRecording.call_id).in_(found))}
    meter = {row["call_id"]: row for row in _rows(session, MeterReport, col(MeterReport.call_id).in_(found))}
    crm = _by_call(_rows(session, CrmSyncedCall, col(CrmSyncedCall.call_id).in_(found)))
    links: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for name, model in LINKED.items():
        for link_id, call_id in session.execute(
            select(col(model.id), col(model.call_id)).where(
                col(model.tenant_id) == tenant_id, col(model.call_id).in_(found)
            )
        ).all():  # fmt: skip
            links[call_id].setdefault(name, []).append(link_id)
    now = utcnow()
    purge_after = now + timedelta(days=_grace_days(session, tenant_id))
    # Who deleted: a person (an API key acts for the person who created it), when their account still exists.
    deleted_by = principal.user_id if principal.user_id and session.get(User, principal.user_id) else None
    for row in rows:
        call_id = row["id"]
        snapshot = {
            "call": row,
            "messages": messages.get(call_id, []),
            "recording": recording.get(call_id),
            "meter_report": meter.get(call_id),
            "crm_synced": crm.get(call_id, []),
            "links": links.get(call_id, {}),
        }
        session.add(
            DeletedCall(
                tenant_id=tenant_id,
                call_id=call_id,
                provider_call_id=row["provider_call_id"],
                deleted_by=deleted_by,
                deleted_at=now,
                purge_after=purge_after,
                snapshot=snapshot,
            )
        )
    session.execute(
        delete(CallMessage).where(col(CallMessage.tenant_id) == tenant_id, col(CallMessage.call_id).in_(found))
    )
    session.execute(
        delete(CallRecording).where(col(CallRecording.tenant_id) == tenant_id, col(CallRecording.call_id).in_(found))
    )
    session.execute(delete(Call).where(col(Call.tenant_id) == tenant_id, col(Call.id).in_(found)))
    audit.record(session, action="calls_deleted", tenant_id=tenant_id, user_id=deleted_by, detail={"calls": len(found)})
    session.commit()
    live_updates.publish_calls_changed(tenant_id)
    return len(found)


def restore(session: Session, *, principal: Principal, call_id: int, now: datetime | None = None) -> int:
    """Put a deleted call back with its id, conversation and recording (writers only); returns its id.

    NotFound for a call that is not in the caller's tenant's trash, or whose grace period is over.
    """
    tenant_id = principal.require_writer()
    trashed = session.execute(
        select(DeletedCall).where(
            col(DeletedCall.tenant_id) == tenant_id,
            col(DeletedCall.call_id) == int(call_id),
            col(DeletedCall.purge_after) > (now or utcnow()),
        )
    ).scalar_one_or_none()
    if trashed is None or not trashed.snapshot:
        raise NotFound("This deleted call does not exist.", code="deleted_call_not_found")
    snapshot = trashed.snapshot
    call = {**_values(Call, snapshot["call"]), "tenant_id": tenant_id}
    # What the call pointed at may have gone meanwhile (its deletion would have cleared these too).
    for name, parent in (("assistant_id", Assistant), ("phone_number_id", PhoneNumber)):
        if call.get(name) is not None and session.get(parent, call[name]) is None:
            call[name] = None
    try:
        session.execute(insert(Call).values(**call))
        for model, rows in (
            (CallMessage, snapshot.get("messages") or []),
            (CallRecording, [snapshot.get("recording")]),
        ):
            for row in rows:
                if row:
                    session.execute(insert(model).values(**{**_values(model, row), "tenant_id": tenant_id}))
        if snapshot.get("meter_report"):
            meter = {**_values(MeterReport, snapshot["meter_report"]), "tenant_id": tenant_id}
            session.execute(insert(MeterReport).values(**meter))
        for row in snapshot.get("crm_synced") or []:
            if session.get(CrmConnection, row["connection_id"]) is not None:
                session.execute(insert(CrmSyncedCall).values(**{**_values(CrmSyncedCall, row), "tenant_id": tenant_id}))
        for name, link_ids in (snapshot.get("links") or {}).items():
            linked = LINKED[name]
            session.execute(
                update(linked)
                .where(col(linked.tenant_id) == tenant_id, col(linked.id).in_(link_ids), col(linked.call_id).is_(None))
                .values(call_id=trashed.call_id)
            )
        session.execute(delete(DeletedCall).where(col(DeletedCall.id) == trashed.id))
        audit.record(
            session,
            action="call_restored",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={"call_id": trashed.call_id},
        )
        session.commit()
    except IntegrityError:
        # The provider sent the call again after its deletion (a late report): it exists anew under another id.
        session.rollback()
        raise Conflict("This call is already back in the list.", code="deleted_call_conflict") from None
    live_updates.publish_calls_changed(tenant_id)
    return trashed.call_id


def list_deleted(
    session: Session,
    *,
    principal: Principal,
    now: datetime | None = None,
    after: TrashPlace | None = None,
    limit: int = PAGE,
) -> TrashOut:
    """A page of the tenant's calls in the trash, most recently deleted first, starting after ``after`` (the first
    page without it), with how many there are in all and the grace period (writers only)."""
    tenant_id = principal.require_writer()
    restorable = (col(DeletedCall.tenant_id) == tenant_id, col(DeletedCall.purge_after) > (now or utcnow()))
    later: tuple[Any, ...] = ()
    if after is not None:
        later = (
            or_(
                col(DeletedCall.deleted_at) < after.deleted_at,
                and_(col(DeletedCall.deleted_at) == after.deleted_at, col(DeletedCall.id) < after.row_id),
            ),
        )
    size = min(max(int(limit), 1), MAX_PAGE)
    rows = session.execute(
        select(DeletedCall, col(User.name), col(User.email))
        .outerjoin(User, col(User.id) == col(DeletedCall.deleted_by))
        .where(*restorable, *later)
        .order_by(col(DeletedCall.deleted_at).desc(), col(DeletedCall.id).desc())
        .limit(size + 1)
    ).all()
    listed = []
    for trashed, name, email in rows[:size]:
        call = _values(Call, (trashed.snapshot or {}).get("call") or {})
        listed.append(
            DeletedCallOut(
                call_id=trashed.call_id,
                caller_number=call.get("caller_number"),
                call_type=call.get("call_type") or "inbound",
                started_at=call.get("started_at") or call.get("created_at"),
                duration_seconds=call.get("duration_seconds"),
                outcome=call.get("outcome"),
                summary=call.get("summary"),
                deleted_at=trashed.deleted_at,
                deleted_by=(name or email) if (name or email) else None,
                purge_after=trashed.purge_after,
            )
        )
    last = rows[size - 1][0] if len(rows) > size else None
    total = session.execute(select(func.count()).select_from(DeletedCall).where(*restorable)).scalar_one()
    return TrashOut(
        calls=listed,
        grace_days=_grace_days(session, tenant_id),
        total=int(total),
        next_after=TrashPlace(deleted_at=as_utc(last.deleted_at), row_id=last.id) if last and last.id else None,
    )


def grace_days(session: Session, *, principal: Principal) -> int:
    """How many days a deleted call stays restorable; any member may read it (the delete dialog says it)."""
    return _grace_days(session, principal.require_member())


def set_grace_days(session: Session, *, principal: Principal, days: int) -> int:
    """Admins choose how long deleted calls stay restorable; calls already in the trash follow; audited."""
    tenant_id = principal.require_admin()
    if days not in GRACE_CHOICES:
        raise Invalid("Deleted calls are kept 1, 7, 14 or 30 days.", fields={"days": "not_offered"})
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    if tenant.deleted_calls_grace_days != days:
        tenant.deleted_calls_grace_days = days
        session.add(tenant)
        for trashed in session.execute(select(DeletedCall).where(col(DeletedCall.tenant_id) == tenant_id)).scalars():
            trashed.purge_after = trashed.deleted_at + timedelta(days=days)
        audit.record(
            session,
            action="deleted_calls_grace_changed",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={"days": days},
        )
        session.commit()
    return days


# --- erasing for good ---------------------------------------------------------------------------------------------


def erase_calls(
    session: Session, *, principal: Principal, call_ids: Iterable[int], caller_number: str | None
) -> tuple[int, int]:
    """Erase calls now, with no grace (admins): the calls ``call_ids`` and the trashed calls from ``caller_number``,
    at the voice provider (and Twilio's recording) too. Returns (calls erased, calls a provider could not delete now);
    a call a provider could not delete is still erased from AVA."""
    # Imported here: retention reaches the voice provider through ``assistants``, which builds on ``calls``.
    from ava_app.services.retention import deleted_at_provider

    tenant_id = principal.require_admin()
    ids = sorted({int(call_id) for call_id in call_ids})
    live = session.execute(
        select(col(Call.id), col(Call.provider_call_id), col(Call.recording_url), col(Call.phone_number_id)).where(
            col(Call.tenant_id) == tenant_id, col(Call.id).in_(ids)
        )
    ).all()
    trashed = []
    if caller_number:
        for trashed_id, snapshot in session.execute(
            select(col(DeletedCall.id), col(DeletedCall.snapshot)).where(col(DeletedCall.tenant_id) == tenant_id)
        ).all():  # fmt: skip
            call = (snapshot or {}).get("call") or {}
            if call.get("caller_number") == caller_number:
                trashed.append((trashed_id, call, (snapshot or {}).get("recording") or {}))
    session.rollback()
    targets = [(row[1], row[2], row[3]) for row in live]
    targets += [
        (call["provider_call_id"], call.get("recording_url"), call.get("phone_number_id")) for _, call, _ in trashed
    ]
    missed = sum(
        not deleted_at_provider(
            session, tenant_id=tenant_id, provider_call_id=provider_id, recording_url=url, phone_number_id=number_id
        )
        for provider_id, url, number_id in targets
    )
    live_ids = [row[0] for row in live]
    keys = recordings.detach_recordings(session, tenant_id=tenant_id, call_ids=live_ids)
    keys += [recording["storage_key"] for _, _, recording in trashed if recording.get("storage_key")]
    session.execute(
        delete(CallMessage).where(col(CallMessage.tenant_id) == tenant_id, col(CallMessage.call_id).in_(live_ids))
    )
    session.execute(delete(Call).where(col(Call.tenant_id) == tenant_id, col(Call.id).in_(live_ids)))
    session.execute(
        delete(DeletedCall).where(
            col(DeletedCall.tenant_id) == tenant_id, col(DeletedCall.id).in_([row[0] for row in trashed])
        )
    )
    session.commit()
    live_updates.publish_calls_changed(tenant_id)
    recordings.delete_unreferenced(session, keys=sorted(set(keys)))
    return len(live_ids) + len(trashed), missed


# --- snapshots ----------------------------------------------------------------------------------------------------


def trashed_call(snapshot: dict | None) -> dict:
    """The call row a snapshot holds (empty when there is none)."""
    return (snapshot or {}).get("call") or {}


def trashed_storage_key(snapshot: dict | None) -> str | None:
    """AVA's recording file a snapshot's call had, if any."""
    return ((snapshot or {}).get("recording") or {}).get("storage_key")


def _rows(session: Session, model: type[SQLModel], *where: Any) -> list[dict]:
    """Rows of ``model`` as JSON-ready dicts keyed by column name (datetimes in ISO 8601, amounts as strings)."""
    table = model.__table__  # type: ignore[attr-defined]
    return [
        {name: _json_value(value) for name, value in row.items()}
        for row in session.execute(select(table).where(*where)).mappings()
    ]


def _by_call(rows: list[dict]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["call_id"]].append(row)
    return grouped


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _values(model: type[SQLModel], data: dict) -> dict:
    """A snapshot's row back as column values; a column added since the deletion takes its default."""
    values = {}
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        if column.name not in data:
            continue
        value = data[column.name]
        if isinstance(value, str):
            # UTCDateTime is a TypeDecorator whose python_type is object: its implementation says datetime.
            kind = getattr(column.type, "impl", column.type)
            if isinstance(kind, DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(kind, Numeric):
                value = Decimal(value)
        values[column.name] = value
    return values


def _grace_days(session: Session, tenant_id: int) -> int:
    days = session.execute(
        select(col(Tenant.deleted_calls_grace_days)).where(col(Tenant.id) == tenant_id)
    ).scalar_one_or_none()
    return int(days or 7)
