"""Exports of a business's data, built by a job: one caller's (their data-access request) or the whole organisation's.

An admin asks (``request_export``); a ``DataExport`` row is queued and ``build_export`` writes the ZIP to a random
name in AVA's private export folder (``<data dir>/exports``: the folder 0700, the file 0600), counting its progress
in ``done``/``total`` as it goes, so /settings/privacy can show a bar. Once ready, an admin downloads it through a
signed two-minute link (``/api/v1/downloads/export/{id}.zip``); ``delete_expired_exports`` deletes the file
``KEEP_FOR`` after it was finished, and the row then says ``expired``. Every function takes the tenant from the
principal: another business's export id is not found.

The ZIP holds JSON and the recordings AVA holds (never fetched for the export):

- a caller's: ``caller.json`` (their calls with conversations, bookings, messages sent to them or naming them, the
  webhook events sent about them, the recordings' names) and ``recordings/call-<id>.<ext>``;
- the organisation's: ``organisation.json`` (the business's settings: organisation, assistants, numbers, booking
  set-up, block list, webhook endpoints without their secrets), ``calls.json`` (every call with its conversation,
  summary and captured fields), ``bookings.json``, ``messages.json`` (emails and texts with their delivery status),
  ``webhook_deliveries.json`` and ``recordings/call-<id>.<ext>``.

Memory stays flat whatever the business's size: rows are read in keyset batches of ``BATCH`` (by id) and each is
written to the ZIP file as it is read, each recording copied a chunk at a time, and the ZIP's directory records
(one per file in it, so per recording) wait in a temporary file until the ZIP is closed (``ExportZip``);
``bench/org_export.py`` measures it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from huey import crontab
from sqlalchemy import func, update
from sqlalchemy import select as select_columns  # any number of columns (sqlmodel's stops at four)
from sqlmodel import Session, col, select

from ava_app.db import session_scope
from ava_app.models import (
    Assistant,
    BlockedCaller,
    Booking,
    BookingService,
    BookingSettings,
    BookingStaff,
    Call,
    CallMessage,
    CallRecording,
    DataExport,
    Outbox,
    PhoneNumber,
    Tenant,
    WebhookDelivery,
    WebhookEndpoint,
    as_utc,
    utcnow,
)
from ava_app.private_files import FILE_MODE
from ava_app.services import audit, caller_data, phones, recordings
from ava_app.services.accounts import role_in
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.export_files import ACTIVE, ERASED, FILE_KEY, ExportZip, export_path, exports_dir
from ava_app.services.principal import Principal
from ava_app.task_queue import enqueue, periodic_task, task

log = logging.getLogger(__name__)

KINDS = ("caller", "organisation")
# How long a finished export's file is kept (and downloadable): a data-access request is answered within days.
KEEP_FOR = timedelta(days=2)
# A job queued or running for longer than this died with its worker: the sweep marks it failed (the admin retries).
STALE_AFTER = timedelta(hours=6)
BATCH = 500
AUDIO_CHUNK = 256 * 1024
# Shown on the page (``data_export.error.<code>``): why an export failed, in the reader's language.
ERRORS = ("failed", "not_admin", "interrupted", ERASED)
# Outbox rows of sign-in links and the like are the members' own, never business data (the deliveries log skips them).
ACCOUNT_MAIL = "account"


@dataclass(frozen=True)
class ExportOut:
    """One export as the privacy page shows it; ``subject`` is the caller as the business writes them."""

    id: int
    kind: str
    subject: str
    status: str
    done: int
    total: int
    size_bytes: int | None
    error: str | None
    created_at: datetime
    expires_at: datetime | None

    @property
    def percent(self) -> int:
        if self.status in ("ready", "expired"):
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


# --- what admins do ------------------------------------------------------------------------------------------------


def request_export(session: Session, *, principal: Principal, kind: str, query: str = "") -> ExportOut:
    """Queue an export of one caller (``query``: their number or e-mail) or of the whole organisation (admins).

    An export of the same thing already queued or running is returned instead of a second one.
    """
    tenant_id = principal.require_admin()
    if kind not in KINDS:
        raise Invalid("Unknown export.", fields={"kind": "unknown"})
    subject = caller_data.identify(session, principal=principal, query=query).key if kind == "caller" else None
    running = session.exec(
        select(DataExport).where(
            col(DataExport.tenant_id) == tenant_id,
            col(DataExport.kind) == kind,
            col(DataExport.subject) == subject if subject else col(DataExport.subject).is_(None),
            col(DataExport.status).in_(ACTIVE),
        )
    ).first()
    if running is not None:
        return _out(session, running)
    row = DataExport(tenant_id=tenant_id, requested_by=principal.require_user(), kind=kind, subject=subject)
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="data_export_requested",
        tenant_id=tenant_id,
        user_id=principal.user_id,
        detail={"export_id": row.id, "kind": kind, **({"caller_ending": subject[-2:]} if subject else {})},
    )
    session.commit()
    enqueue("build_export", row.id)
    session.refresh(row)
    return _out(session, row)


def list_exports(session: Session, *, principal: Principal, limit: int = 10) -> list[ExportOut]:
    """The organisation's newest exports (admins only)."""
    tenant_id = principal.require_admin()
    rows = session.exec(
        select(DataExport)
        .where(col(DataExport.tenant_id) == tenant_id)
        .order_by(col(DataExport.id).desc())
        .limit(min(max(limit, 1), 50))
    ).all()
    return [_out(session, row) for row in rows]


def retry_export(session: Session, *, principal: Principal, export_id: int) -> ExportOut:
    """Queue a failed export again (admins of its organisation; anyone else's id is not found)."""
    tenant_id = principal.require_admin()
    row = _owned(session, tenant_id=tenant_id, export_id=export_id)
    if row.status != "failed":
        return _out(session, row)
    row.status, row.done, row.total, row.error = "queued", 0, 0, None
    row.created_at, row.finished_at, row.requested_by = utcnow(), None, principal.require_user()
    session.add(row)
    session.commit()
    enqueue("build_export", row.id)
    return _out(session, row)


def ready_export(session: Session, *, principal: Principal, export_id: int) -> ExportOut:
    """The export if it can be downloaded now: ready, not expired, its file there (admins of its organisation)."""
    tenant_id = principal.require_admin()
    row = _owned(session, tenant_id=tenant_id, export_id=export_id)
    if (
        row.status != "ready"
        or row.file_key is None
        or (row.expires_at is not None and as_utc(row.expires_at) <= utcnow())
        or not export_path(row.file_key).is_file()
    ):
        raise NotFound("This export is not ready or has expired.", code="export_not_ready")
    return _out(session, row)


def open_export(session: Session, *, principal: Principal, export_id: int) -> tuple[Path, str]:
    """The file of a ready export and the name to save it under, for the download route; audited."""
    out = ready_export(session, principal=principal, export_id=export_id)
    row = _owned(session, tenant_id=principal.require_admin(), export_id=export_id)
    audit.record(
        session,
        action="data_export_downloaded",
        tenant_id=row.tenant_id,
        user_id=principal.user_id,
        detail={"export_id": row.id, "kind": row.kind},
    )
    session.commit()
    assert row.file_key is not None  # checked by ready_export
    return export_path(row.file_key), f"{'caller' if out.kind == 'caller' else 'organisation'}-data.zip"


def _owned(session: Session, *, tenant_id: int, export_id: int) -> DataExport:
    row = session.exec(
        select(DataExport).where(col(DataExport.id) == export_id, col(DataExport.tenant_id) == tenant_id)
    ).first()
    if row is None:
        raise NotFound("Export not found.")
    return row


def _out(session: Session, row: DataExport) -> ExportOut:
    assert row.id is not None
    subject = row.subject or ""
    if subject.startswith("+"):
        country = session.exec(select(col(Tenant.country)).where(col(Tenant.id) == row.tenant_id)).first()
        subject = phones.display(subject, country)
    return ExportOut(
        id=row.id,
        kind=row.kind,
        subject=subject,
        status=row.status,
        done=row.done,
        total=row.total,
        size_bytes=row.size_bytes,
        error=row.error,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at) if row.expires_at else None,
    )


# --- the job -------------------------------------------------------------------------------------------------------


@task(retries=0)
def build_export(export_id: int) -> None:
    """Build one queued export (failures are kept on the row for the page; the admin retries from there)."""
    run_export(export_id)


class _Progress:
    """``done``/``total`` of one export, written in their own short transaction so the page sees them as they move."""

    def __init__(self, export_id: int, total: int) -> None:
        self.export_id, self.done, self.total = export_id, 0, total
        self._write()

    def add(self, count: int) -> None:
        self.done = min(self.total, self.done + count)
        self._write()

    def _write(self) -> None:
        with session_scope() as session:
            session.execute(
                update(DataExport).where(col(DataExport.id) == self.export_id).values(done=self.done, total=self.total)
            )


def run_export(export_id: int, *, batch: int = BATCH) -> str:
    """Build the export's ZIP; returns its status (``ready`` or ``failed``). Run by the job, and by tests.

    The requester must still be an admin of the organisation; the file is written under a temporary name and only
    named on the row once whole, so a failure leaves nothing behind.
    """
    with session_scope() as session:
        row = session.get(DataExport, export_id)
        if row is None or row.status not in ACTIVE:
            return row.status if row is not None else "missing"
        tenant_id, kind, subject = row.tenant_id, row.kind, row.subject or ""
        user_id = row.requested_by
        role = role_in(session, user_id=user_id, tenant_id=tenant_id) if user_id is not None else None
        if role != "admin":
            _finish(session, row, status="failed", error="not_admin")
            return "failed"
        row.status, row.done, row.total, row.error = "running", 0, 0, None
        session.add(row)
    principal = Principal(user_id=user_id, tenant_id=tenant_id, role="admin", session_id=None)
    file_key = f"{secrets.token_hex(16)}.zip"
    path = export_path(file_key)
    draft = path.with_name(f".{file_key}.part")
    try:
        fd = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        with os.fdopen(fd, "wb") as handle, ExportZip(handle) as archive:
            if kind == "caller":
                _write_caller(archive, principal=principal, query=subject, export_id=export_id)
            else:
                _write_organisation(archive, tenant_id=tenant_id, export_id=export_id, batch=batch)
        os.replace(draft, path)
    except Exception:
        log.exception("data export %s could not be built", export_id)
        draft.unlink(missing_ok=True)
        with session_scope() as session:
            failed = session.get(DataExport, export_id)
            if failed is not None:
                _finish(session, failed, status="failed", error="failed")
        return "failed"
    with session_scope() as session:
        done = session.get(DataExport, export_id)
        if done is None or done.status != "running":
            # Deleted meanwhile (the organisation, or the caller erased), or withdrawn by a caller's erasure.
            path.unlink(missing_ok=True)
            return "missing" if done is None else done.status
        done.file_key, done.size_bytes, done.done = file_key, path.stat().st_size, done.total
        _finish(session, done, status="ready")
    return "ready"


def _finish(session: Session, row: DataExport, *, status: str, error: str | None = None) -> None:
    now = utcnow()
    row.status, row.error, row.finished_at = status, error, now
    row.expires_at = now + KEEP_FOR if status == "ready" else None
    session.add(row)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    """What ``json`` does not know: datetimes as ISO 8601 in UTC, amounts as strings (never rounded)."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class _JsonArray:
    """A JSON array written item by item into an open ZIP entry (nothing of it is held)."""

    def __init__(self, entry: IO[bytes]) -> None:
        self.entry, self.first = entry, True
        entry.write(b"[")

    def add(self, item: Any) -> None:
        self.entry.write((b"\n" if self.first else b",\n") + _dumps(item).encode())
        self.first = False

    def close(self) -> None:
        self.entry.write(b"\n]\n")


def _write_array(archive: zipfile.ZipFile, name: str, batches: Iterator[list[dict]], progress: _Progress) -> None:
    with archive.open(name, "w", force_zip64=True) as entry:
        array = _JsonArray(entry)
        for items in batches:
            for item in items:
                array.add(item)
            progress.add(len(items))
        array.close()


def _write_audio(archive: zipfile.ZipFile, copy: recordings.StoredRecording) -> None:
    name = _recording_name(copy)
    path = recordings.recording_store().path(copy.storage_key)
    # Audio is compressed already: stored as it is, read and written a chunk at a time.
    with (
        archive.open(zipfile.ZipInfo(name, date_time=_zip_time()), "w", force_zip64=True) as entry,
        path.open("rb") as source,
    ):
        while chunk := source.read(AUDIO_CHUNK):
            entry.write(chunk)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = utcnow()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _recording_name(copy: recordings.StoredRecording) -> str:
    return f"recordings/call-{copy.call_id}.{copy.extension}"


# --- what goes in ----------------------------------------------------------------------------------------------------


CALL_FIELDS = (
    "id", "provider_call_id", "call_type", "direction", "caller_number", "called_number", "status", "outcome",
    "ended_reason", "started_at", "ended_at", "duration_seconds", "sentiment", "topics", "intent", "summary",
    "summary_source", "data_fields", "action_needed", "action_done_at", "spam", "transcript", "content_purged_at",
    "created_at",
)  # fmt: skip


def call_documents(
    session: Session, *, tenant_id: int, calls: Sequence[Call], names: _Names, recorded: dict[int, str]
) -> list[dict]:
    """The calls as the exports write them: the call's own fields, its conversation, the number and assistant by
    name, and the recording's name in the ZIP (None when AVA holds none). One query for the batch's conversations."""
    ids = [call.id for call in calls if call.id is not None]
    lines: dict[int, list[dict]] = {call_id: [] for call_id in ids}
    if ids:
        rows = session.execute(
            select_columns(
                col(CallMessage.call_id),
                col(CallMessage.position),
                col(CallMessage.role),
                col(CallMessage.text),
                col(CallMessage.seconds_from_start),
            )
            .where(col(CallMessage.tenant_id) == tenant_id, col(CallMessage.call_id).in_(ids))
            .order_by(col(CallMessage.call_id), col(CallMessage.position))
        ).all()
        for call_id, position, role, text, seconds in rows:
            lines[call_id].append({"position": position, "role": role, "text": text, "seconds_from_start": seconds})
    documents = []
    for call in calls:
        document = {field: getattr(call, field) for field in CALL_FIELDS}
        document["phone_number"] = names.numbers.get(call.phone_number_id or 0)
        document["assistant_name"] = names.assistants.get(call.assistant_id or 0)
        document["messages"] = lines.get(call.id or 0, [])
        document["recording"] = recorded.get(call.id or 0)
        documents.append(document)
    return documents


@dataclass(frozen=True)
class _Names:
    """The business's numbers and assistants by id (a handful of rows, read once)."""

    numbers: dict[int, str]
    assistants: dict[int, str]

    @classmethod
    def read(cls, session: Session, tenant_id: int) -> _Names:
        numbers = session.execute(
            select(col(PhoneNumber.id), col(PhoneNumber.e164)).where(col(PhoneNumber.tenant_id) == tenant_id)
        ).all()
        assistants = session.execute(
            select(col(Assistant.id), col(Assistant.name)).where(col(Assistant.tenant_id) == tenant_id)
        ).all()
        return cls(numbers=dict(numbers), assistants=dict(assistants))  # type: ignore[arg-type]


def _stored(session: Session, *, tenant_id: int, call_ids: list[int]) -> dict[int, recordings.StoredRecording]:
    return {copy.call_id: copy for copy in recordings.stored_copies(session, tenant_id=tenant_id, call_ids=call_ids)}


def _write_caller(archive: zipfile.ZipFile, *, principal: Principal, query: str, export_id: int) -> None:
    """``caller.json`` then the recordings of the caller's calls (at most ``caller_data.MAX_CALLS`` calls)."""
    tenant_id = principal.require_admin()
    with session_scope() as session:
        found = caller_data.caller_records(session, principal=principal, query=query)
        copies = _stored(session, tenant_id=tenant_id, call_ids=found.call_ids)
        names = _Names.read(session, tenant_id)
    progress = _Progress(export_id, len(found.call_ids) + len(copies) + 1)
    recorded = {call_id: _recording_name(copy) for call_id, copy in copies.items()}
    head = {
        "caller": found.caller,
        "bookings": found.bookings,
        "messages": found.messages,
        "recordings": [recorded[call_id] for call_id in sorted(recorded)],
        "deleted_calls": found.deleted_calls,
        "webhook_deliveries": found.webhook_deliveries,
    }
    with archive.open("caller.json", "w", force_zip64=True) as entry:
        # One JSON object whose calls, last, are written a batch at a time.
        entry.write(("{" + ", ".join(f"{_dumps(key)}: {_dumps(value)}" for key, value in head.items())).encode())
        entry.write(b', "calls": ')
        array = _JsonArray(entry)
        for start in range(0, len(found.call_ids), BATCH):
            ids = found.call_ids[start : start + BATCH]
            with session_scope() as session:
                rows = session.exec(
                    select(Call).where(col(Call.tenant_id) == tenant_id, col(Call.id).in_(ids)).order_by(col(Call.id))
                ).all()
                for document in call_documents(
                    session, tenant_id=tenant_id, calls=rows, names=names, recorded=recorded
                ):
                    array.add(document)
            progress.add(len(ids))
        array.close()
        entry.write(b"}\n")
    progress.add(1)
    for call_id in sorted(copies):
        _write_audio(archive, copies[call_id])
        progress.add(1)


def _keyset(
    model: Any, *, tenant_id: int, batch: int, where: Sequence[Any] = ()
) -> Iterator[tuple[Session, list[Any]]]:
    """The tenant's rows of ``model`` by id, ``batch`` at a time, each batch in a session of its own (so nothing
    read before stays in a session's identity map)."""
    after = 0
    while True:
        with session_scope() as session:
            rows = list(
                session.exec(
                    select(model)
                    .where(col(model.tenant_id) == tenant_id, col(model.id) > after, *where)
                    .order_by(col(model.id))
                    .limit(batch)
                ).all()
            )
            if not rows:
                return
            yield session, rows
            after = rows[-1].id
        if len(rows) < batch:
            return


def _count(model: Any, *, tenant_id: int, where: Sequence[Any] = ()) -> int:
    with session_scope() as session:
        return int(
            session.execute(
                select(func.count()).select_from(model).where(col(model.tenant_id) == tenant_id, *where)
            ).scalar_one()
        )


STORED = (col(CallRecording.status) == "stored",)
MESSAGES = (col(Outbox.purpose) != ACCOUNT_MAIL,)


def _write_organisation(archive: zipfile.ZipFile, *, tenant_id: int, export_id: int, batch: int) -> None:
    """Everything of the business, each part read in batches and written as it is read."""
    totals = [
        _count(Call, tenant_id=tenant_id),
        _count(CallRecording, tenant_id=tenant_id, where=STORED),
        _count(Booking, tenant_id=tenant_id),
        _count(Outbox, tenant_id=tenant_id, where=MESSAGES),
        _count(WebhookDelivery, tenant_id=tenant_id),
    ]
    progress = _Progress(export_id, sum(totals) + 1)
    with session_scope() as session:
        settings = organisation_document(session, tenant_id=tenant_id)
        names = _Names.read(session, tenant_id)
    archive.writestr("organisation.json", json.dumps(settings, ensure_ascii=False, indent=2, default=_plain))
    progress.add(1)

    def calls() -> Iterator[list[dict]]:
        for session, rows in _keyset(Call, tenant_id=tenant_id, batch=batch):
            ids = [row.id for row in rows]
            recorded = {
                call_id: _recording_name(copy)
                for call_id, copy in _stored(session, tenant_id=tenant_id, call_ids=ids).items()
            }
            yield call_documents(session, tenant_id=tenant_id, calls=rows, names=names, recorded=recorded)

    _write_array(archive, "calls.json", calls(), progress)
    _write_array(archive, "bookings.json", _rows_of(Booking, tenant_id, batch, _booking), progress)
    _write_array(archive, "messages.json", _rows_of(Outbox, tenant_id, batch, _message, MESSAGES), progress)
    _write_array(archive, "webhook_deliveries.json", _rows_of(WebhookDelivery, tenant_id, batch, _delivery), progress)
    store = recordings.recording_store()
    for _session, rows in _keyset(CallRecording, tenant_id=tenant_id, batch=batch, where=STORED):
        for row in rows:
            if row.storage_key and store.has(row.storage_key):
                _write_audio(
                    archive, recordings.StoredRecording(row.call_id, row.storage_key, row.content_type or "", 0)
                )
        progress.add(len(rows))


def _rows_of(
    model: Any, tenant_id: int, batch: int, shape: Callable[[Any], dict], where: Sequence[Any] = ()
) -> Iterator[list[dict]]:
    for _session, rows in _keyset(model, tenant_id=tenant_id, batch=batch, where=where):
        yield [shape(row) for row in rows]


def _booking(row: Booking) -> dict:
    return row.model_dump(exclude={"tenant_id"})


def _message(row: Outbox) -> dict:
    """An email or text as sent (never its sealed one-time links or attachments' bytes), with its delivery status."""
    return {
        "id": row.id,
        "channel": row.channel,
        "to": row.to,
        "subject": row.subject,
        "body": row.body_text,
        "purpose": row.purpose,
        "call_id": row.call_id,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    }


def _delivery(row: WebhookDelivery) -> dict:
    return row.model_dump(exclude={"tenant_id", "next_attempt_at"})


ENDPOINT_SECRETS = {"secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at", "lease_until"}


def organisation_document(session: Session, *, tenant_id: int) -> dict:
    """The business's settings: what it configured in AVA, never a secret (credentials, webhook secrets, tokens)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")

    def rows(model: Any, exclude: set[str] | None = None) -> list[dict]:
        found = session.exec(select(model).where(col(model.tenant_id) == tenant_id).order_by(col(model.id))).all()
        return [row.model_dump(exclude={"tenant_id", *(exclude or set())}) for row in found]

    booking_settings = session.exec(select(BookingSettings).where(col(BookingSettings.tenant_id) == tenant_id)).first()
    return {
        "organisation": tenant.model_dump(exclude={"webhook_secret_hash", "is_demo"}),
        "assistants": rows(Assistant, {"sync_error"}),
        "phone_numbers": rows(PhoneNumber, {"sync_error", "twilio_account_sid"}),
        "booking_settings": booking_settings.model_dump(exclude={"tenant_id"}) if booking_settings else None,
        "booking_services": rows(BookingService),
        "booking_staff": rows(BookingStaff),
        "blocked_callers": rows(BlockedCaller),
        "webhook_endpoints": rows(
            WebhookEndpoint,
            {"secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at", "lease_until"},
        ),
    }


# --- expiry ----------------------------------------------------------------------------------------------------------


@periodic_task(crontab(minute="*/15"))
def delete_expired_exports() -> None:
    """Every quarter of an hour: delete export files past their time, and give up on jobs that died."""
    deleted = expire_exports()
    if deleted:
        log.info("deleted %d expired export file(s)", deleted)


def expire_exports(*, now: datetime | None = None) -> int:
    """Delete the files of exports past ``expires_at`` (the row stays, ``expired``), mark exports stuck in the queue
    for ``STALE_AFTER`` as failed, and delete files no row names (an organisation deleted meanwhile). Returns the
    number of files deleted."""
    now = now or utcnow()
    deleted = 0
    with session_scope() as session:
        due = session.exec(
            select(DataExport).where(col(DataExport.status) == "ready", col(DataExport.expires_at) <= now)
        ).all()
        for row in due:
            if row.file_key and FILE_KEY.match(row.file_key):
                path = export_path(row.file_key)
                deleted += path.exists()
                path.unlink(missing_ok=True)
            row.status, row.file_key = "expired", None
            session.add(row)
        stuck = session.exec(
            select(DataExport).where(
                col(DataExport.status).in_(ACTIVE), col(DataExport.created_at) <= now - STALE_AFTER
            )
        ).all()
        for row in stuck:
            _finish(session, row, status="failed", error="interrupted")
        session.flush()
        named = set(session.exec(select(col(DataExport.file_key)).where(col(DataExport.file_key).is_not(None))).all())
    # A file is named on its row as soon as it is whole; drafts and orphans older than a stale job are let go.
    for path in exports_dir().iterdir():
        key = path.name.removeprefix(".").removesuffix(".part")
        old = path.stat().st_mtime < (now - STALE_AFTER).timestamp()
        if path.is_file() and key not in named and old and (FILE_KEY.match(key)):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
