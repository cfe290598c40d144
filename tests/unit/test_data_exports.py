"""Exports built by a job: a caller's or the whole organisation's data as a ZIP (JSON + the recordings AVA holds),
with progress, in a private folder, refused across businesses, deleted when they expire, read in batches."""

from __future__ import annotations

import gc
import hashlib
import json
import shutil
import stat
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from ava_app.db import get_engine
from ava_app.models import (
    AuditLog,
    Booking,
    BookingService,
    BookingStaff,
    CallMessage,
    CallRecording,
    DataExport,
    Membership,
    Outbox,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from ava_app.services import caller_data, data_exports, export_files, recordings
from ava_app.services.errors import Forbidden, NotFound
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user
from tests.recording_samples import wav_bytes
from tests.unit.test_assistants import providers

__all__ = ["providers"]

CALLER = "+33612345678"
OTHER = "+33698765432"
AUDIO = wav_bytes(0.3)


@pytest.fixture(autouse=True)
def empty_exports_folder():
    """Each test starts with no export file (the data folder is shared by the whole test run)."""
    shutil.rmtree(data_exports.exports_dir())
    yield


def business(db: Session, name: str):
    tenant = make_tenant(db, name=name, country="FR", timezone="Europe/Paris", locale="fr")
    admin = make_user(db, tenant=tenant)
    return tenant, Principal(user_id=admin.id, tenant_id=tenant.id, role="admin", session_id=None)


def call_with_lines(db: Session, tenant, number: str, *, summary: str = "Rappeler demain.", recorded: bool = False):
    call = make_call(db, tenant=tenant, caller_number=number, summary=summary, data_fields={"caller_name": "Jo"})
    for position, (role, text) in enumerate((("assistant", "Bonjour"), ("user", f"C'est le {number}"))):
        db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=position, role=role, text=text))
    if recorded:
        key = f"{tenant.id}/{hashlib.sha256(AUDIO).hexdigest()}.wav"
        path = recordings.recording_store().path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(AUDIO)
        db.add(
            CallRecording(
                tenant_id=tenant.id, call_id=call.id, status="stored", storage_key=key, content_type="audio/wav",
                size_bytes=len(AUDIO),
            )
        )  # fmt: skip
    db.commit()
    return call


def booking_for(db: Session, tenant, number: str) -> Booking:
    service = BookingService(tenant_id=tenant.id, name="Coupe", duration_minutes=30)
    staff = BookingStaff(tenant_id=tenant.id, name="Léa")
    db.add_all([service, staff])
    db.commit()
    now = utcnow()
    booking = Booking(
        tenant_id=tenant.id, service_id=service.id, staff_id=staff.id, start_at=now, end_at=now, busy_until=now,
        caller_name="Jo", caller_phone=number,
    )  # fmt: skip
    db.add(booking)
    db.commit()
    return booking


def archive_of(db: Session, export: data_exports.ExportOut) -> zipfile.ZipFile:
    row = db.get(DataExport, export.id)
    db.refresh(row)
    assert row.status == "ready" and row.file_key
    return zipfile.ZipFile(data_exports.export_path(row.file_key))


def test_a_callers_export_is_built_by_the_job_into_a_private_file_with_their_data_and_recordings(db, jobs):
    tenant, admin = business(db, "Salon Lumière")
    recorded = call_with_lines(db, tenant, CALLER, recorded=True)
    plain = call_with_lines(db, tenant, CALLER)
    call_with_lines(db, tenant, OTHER, summary="Quelqu'un d'autre.", recorded=True)
    booking_for(db, tenant, CALLER)
    db.add(Outbox(tenant_id=tenant.id, channel="sms", to=CALLER, body_text="Votre rendez-vous.", status="sent"))
    endpoint = WebhookEndpoint(tenant_id=tenant.id, url="https://hooks.lumiere.test/ava", secret_encrypted="sealed")
    db.add(endpoint)
    db.flush()
    for index, (call_id, number) in enumerate(((plain.id, None), (None, CALLER), (None, OTHER))):
        db.add(
            WebhookDelivery(
                tenant_id=tenant.id, endpoint_id=endpoint.id, message_id=f"msg_lum_{index}", event_type="call.ended",
                call_id=call_id, payload=json.dumps({"call": {"caller_number": number, "n": index}}),
            )
        )  # fmt: skip
    db.commit()

    export = data_exports.request_export(db, principal=admin, kind="caller", query="06 12 34 56 78")
    assert export.kind == "caller" and export.subject == "06 12 34 56 78"
    row = db.get(DataExport, export.id)
    db.refresh(row)
    # Two calls, one recording, the JSON document: every step counted, then the link's file.
    assert (row.status, row.done, row.total, row.subject) == ("ready", 4, 4, CALLER)
    assert row.expires_at is not None and row.expires_at > utcnow() + timedelta(days=1)
    path = data_exports.export_path(row.file_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert row.size_bytes == path.stat().st_size and len(row.file_key) == len("0" * 32 + ".zip")
    with archive_of(db, export) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["caller.json", f"recordings/call-{recorded.id}.wav"]
        assert archive.read(names[1]) == AUDIO
        document = json.loads(archive.read("caller.json"))
    assert document["caller"] == CALLER and document["recordings"] == names[1:]
    assert [call["id"] for call in document["calls"]] == sorted([recorded.id, plain.id])
    first = document["calls"][0]
    assert first["summary"] == "Rappeler demain." and first["data_fields"] == {"caller_name": "Jo"}
    assert [line["text"] for line in first["messages"]] == ["Bonjour", f"C'est le {CALLER}"]
    assert first["recording"] == names[1] and document["calls"][1]["recording"] is None
    assert len(document["bookings"]) == 1 and document["messages"][0]["to"] == CALLER
    # The webhook events about them: one for their call, one whose body names them; never another caller's.
    sent = document["webhook_deliveries"]
    assert [json.loads(item["body"])["call"]["n"] for item in sent] == [0, 1]
    assert {item["event"] for item in sent} == {"call.ended"}
    assert OTHER not in json.dumps(document) and "Quelqu'un" not in json.dumps(document)
    line = db.exec(select(AuditLog).where(AuditLog.action == "data_export_requested")).one()
    assert line.detail == {"export_id": export.id, "kind": "caller", "caller_ending": "78"}
    # A second request while one is queued returns it; a finished one does not stop a new one.
    again = data_exports.request_export(db, principal=admin, kind="caller", query=CALLER)
    assert again.id != export.id


def test_the_organisations_export_holds_calls_bookings_messages_settings_and_recordings(db, jobs):
    tenant, admin = business(db, "Cabinet Clair")
    calls = [call_with_lines(db, tenant, number, recorded=index == 0) for index, number in enumerate((CALLER, OTHER))]
    booking_for(db, tenant, CALLER)
    db.add(Outbox(tenant_id=tenant.id, channel="email", to="owner@clair.test", subject="Nouvel appel", status="sent"))
    db.add(Outbox(tenant_id=tenant.id, channel="email", to="owner@clair.test", purpose="account", body_text="link"))
    db.add(WebhookEndpoint(tenant_id=tenant.id, url="https://hooks.clair.test/ava", secret_encrypted="sealed-secret"))
    db.commit()
    elsewhere, _ = business(db, "Cabinet Voisin")
    call_with_lines(db, elsewhere, CALLER, summary="Autre cabinet.")

    export = data_exports.request_export(db, principal=admin, kind="organisation")
    assert export.subject == ""
    with archive_of(db, export) as archive:
        names = archive.namelist()
        assert names == [
            "organisation.json", "calls.json", "bookings.json", "messages.json", "webhook_deliveries.json",
            f"recordings/call-{calls[0].id}.wav",
        ]  # fmt: skip
        settings = json.loads(archive.read("organisation.json"))
        exported = json.loads(archive.read("calls.json"))
        messages = json.loads(archive.read("messages.json"))
        bookings = json.loads(archive.read("bookings.json"))
    assert settings["organisation"]["name"] == "Cabinet Clair"
    assert settings["webhook_endpoints"][0]["url"] == "https://hooks.clair.test/ava"
    assert "sealed-secret" not in json.dumps(settings)
    assert [call["id"] for call in exported] == [call.id for call in calls]
    assert exported[0]["recording"] == names[-1] and len(exported[1]["messages"]) == 2
    assert "Autre cabinet." not in json.dumps(exported)
    assert [message["subject"] for message in messages] == ["Nouvel appel"], "sign-in mail is never exported"
    assert len(bookings) == 1
    row = db.get(DataExport, export.id)
    db.refresh(row)
    # organisation.json, two calls, one recording, one booking, one message.
    assert (row.done, row.total) == (6, 6)


def test_the_organisations_calls_are_read_in_batches_of_a_fixed_size(db, jobs, monkeypatch):
    """Constant memory: however many calls, each query fetches one batch (keyset by id), never all of them."""
    tenant, admin = business(db, "Cabinet Grand")
    for index in range(23):
        call_with_lines(db, tenant, f"+3361234{index:04d}")
    row = DataExport(tenant_id=tenant.id, requested_by=admin.user_id, kind="organisation")
    db.add(row)
    db.commit()
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many):
        if "FROM call " in statement or "FROM call\n" in statement:
            statements.append(statement)

    progress: list[tuple[int, int]] = []
    real_write = data_exports._Progress._write

    def write(self):
        progress.append((self.done, self.total))
        real_write(self)

    monkeypatch.setattr(data_exports._Progress, "_write", write)
    event.listen(get_engine(), "before_cursor_execute", seen)
    try:
        assert data_exports.run_export(row.id, batch=5) == "ready"
    finally:
        event.remove(get_engine(), "before_cursor_execute", seen)
    pages = [statement for statement in statements if "LIMIT" in statement]
    assert len(pages) == 5 and all("call.id >" in statement for statement in pages)
    # The bar moves after every batch of calls: 5, 5, 5, 5, 3 calls after organisation.json.
    moves = [done for done, _ in progress]
    assert moves[:7] == [0, 1, 6, 11, 16, 21, 24] and progress[-1][1] == 24
    with archive_of(db, data_exports.ExportOut(row.id, "", "", "", 0, 0, None, None, utcnow(), None)) as archive:
        assert len(json.loads(archive.read("calls.json"))) == 23


def test_a_failed_build_says_so_leaves_no_file_and_can_be_retried(db, jobs, monkeypatch):
    tenant, admin = business(db, "Salon Cassé")
    call_with_lines(db, tenant, CALLER)
    real = data_exports.call_documents

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(data_exports, "call_documents", broken)
    export = data_exports.request_export(db, principal=admin, kind="organisation")
    row = db.get(DataExport, export.id)
    db.refresh(row)
    assert (row.status, row.error, row.file_key) == ("failed", "failed", None)
    assert list(data_exports.exports_dir().iterdir()) == []
    with pytest.raises(NotFound):
        data_exports.ready_export(db, principal=admin, export_id=export.id)

    monkeypatch.setattr(data_exports, "call_documents", real)
    retried = data_exports.retry_export(db, principal=admin, export_id=export.id)
    assert retried.id == export.id
    db.refresh(row)
    assert (row.status, row.error) == ("ready", None)


def test_an_export_asked_by_someone_no_longer_admin_is_not_built(db, jobs):
    tenant, admin = business(db, "Salon Changé")
    row = DataExport(tenant_id=tenant.id, requested_by=admin.user_id, kind="organisation")
    db.add(row)
    membership = db.exec(select(Membership).where(Membership.user_id == admin.user_id)).one()
    membership.role = "viewer"
    db.add(membership)
    db.commit()
    assert data_exports.run_export(row.id) == "failed"
    db.refresh(row)
    assert (row.status, row.error, row.file_key) == ("failed", "not_admin", None)


def test_another_business_never_reads_retries_or_downloads_an_export(db, jobs):
    tenant, admin = business(db, "Salon A")
    call_with_lines(db, tenant, CALLER)
    export = data_exports.request_export(db, principal=admin, kind="organisation")
    _, other = business(db, "Salon B")
    for action in (data_exports.ready_export, data_exports.retry_export, data_exports.open_export):
        with pytest.raises(NotFound):
            action(db, principal=other, export_id=export.id)
    assert data_exports.list_exports(db, principal=other) == []
    for role in ("viewer", "user"):
        member = Principal(user_id=make_user(db, tenant=tenant, role=role).id, tenant_id=tenant.id, role=role)
        with pytest.raises(Forbidden):
            data_exports.request_export(db, principal=member, kind="organisation")
        with pytest.raises(Forbidden):
            data_exports.open_export(db, principal=member, export_id=export.id)
        with pytest.raises(Forbidden):
            data_exports.list_exports(db, principal=member)


def test_expiry_deletes_the_file_and_the_link_stops_working(db, jobs):
    tenant, admin = business(db, "Salon Bref")
    call_with_lines(db, tenant, CALLER)
    export = data_exports.request_export(db, principal=admin, kind="organisation")
    row = db.get(DataExport, export.id)
    db.refresh(row)
    path = data_exports.export_path(row.file_key)
    assert path.is_file()
    assert data_exports.open_export(db, principal=admin, export_id=export.id)[0] == path
    assert data_exports.expire_exports(now=utcnow() + timedelta(hours=1)) == 0 and path.is_file()

    assert data_exports.expire_exports(now=row.expires_at + timedelta(seconds=1)) == 1
    assert not path.exists()
    db.refresh(row)
    assert (row.status, row.file_key) == ("expired", None)
    with pytest.raises(NotFound):
        data_exports.ready_export(db, principal=admin, export_id=export.id)
    assert db.exec(select(AuditLog).where(AuditLog.action == "data_export_downloaded")).one().detail["kind"] == (
        "organisation"
    )


def test_a_job_that_died_is_marked_failed_and_orphan_files_are_deleted(db):
    tenant, admin = business(db, "Salon Perdu")
    row = DataExport(tenant_id=tenant.id, requested_by=admin.user_id, kind="organisation", status="running")
    db.add(row)
    db.commit()
    orphan = data_exports.exports_dir() / ("ab" * 16 + ".zip")
    orphan.write_bytes(b"PK")
    later = utcnow() + data_exports.STALE_AFTER + timedelta(minutes=1)
    assert data_exports.expire_exports(now=later) == 1 and not orphan.exists()
    db.refresh(row)
    assert (row.status, row.error) == ("failed", "interrupted")


def test_erasing_a_caller_deletes_their_exports_and_withdraws_the_organisations(db, jobs, providers, monkeypatch):
    """Once a caller is erased no export holds their number: theirs are deleted (by number or by the address they
    gave), the organisation's made before lose their file, and nothing on the page, in the audit or the queue names
    them."""
    tenant, admin = business(db, "Salon Effacé")
    call_with_lines(db, tenant, CALLER, recorded=True)
    booking = booking_for(db, tenant, CALLER)
    booking.caller_email = "jo@example.test"
    db.add(booking)
    endpoint = WebhookEndpoint(tenant_id=tenant.id, url="https://hooks.effa.test/ava", secret_encrypted="sealed")
    db.add(endpoint)
    db.flush()
    for index, number in enumerate((CALLER, OTHER)):
        db.add(
            WebhookDelivery(
                tenant_id=tenant.id, endpoint_id=endpoint.id, message_id=f"msg_{index}", event_type="call.ended",
                payload=json.dumps({"call": {"caller_number": number}}),
            )
        )  # fmt: skip
    db.commit()
    queued: list[tuple] = []
    real_enqueue = data_exports.enqueue

    def enqueue(name, *args):
        queued.append((name, *args))
        return real_enqueue(name, *args)

    monkeypatch.setattr(data_exports, "enqueue", enqueue)
    by_number = data_exports.request_export(db, principal=admin, kind="caller", query=CALLER)
    by_address = data_exports.request_export(db, principal=admin, kind="caller", query="Jo@example.test")
    organisation = data_exports.request_export(db, principal=admin, kind="organisation")
    other = data_exports.request_export(db, principal=admin, kind="caller", query=OTHER)
    rows = {export.id: db.get(DataExport, export.id) for export in (by_number, by_address, organisation, other)}
    for row in rows.values():
        db.refresh(row)
    paths = {export_id: data_exports.export_path(row.file_key) for export_id, row in rows.items()}
    with zipfile.ZipFile(paths[organisation.id]) as archive:
        assert CALLER in archive.read("calls.json").decode()
    listed = data_exports.list_exports(db, principal=admin)
    assert "06 12 34 56 78" in [export.subject for export in listed]

    erased = caller_data.erase_caller(db, principal=admin, query=CALLER)
    assert erased.webhook_deliveries == 1
    db.expire_all()
    payloads = [delivery.payload for delivery in db.exec(select(WebhookDelivery)).all()]
    assert len(payloads) == 1 and OTHER in payloads[0] and not any(CALLER in payload for payload in payloads)
    assert db.get(DataExport, by_number.id) is None and db.get(DataExport, by_address.id) is None
    assert not paths[by_number.id].exists() and not paths[by_address.id].exists()
    withdrawn = db.get(DataExport, organisation.id)
    assert (withdrawn.status, withdrawn.error, withdrawn.file_key) == ("expired", "caller_erased", None)
    assert not paths[organisation.id].exists()
    # Another caller's export stays as it was.
    assert db.get(DataExport, other.id).status == "ready" and paths[other.id].exists()
    shown = data_exports.list_exports(db, principal=admin)
    assert [export.id for export in shown] == [other.id, organisation.id]
    assert all("12 34 56 78" not in export.subject and "jo@" not in export.subject for export in shown)
    for exported in data_exports.exports_dir().iterdir():
        assert exported == paths[other.id]
    digits = CALLER.removeprefix("+33")
    audit_lines = json.dumps([line.detail for line in db.exec(select(AuditLog)).all()])
    assert digits not in audit_lines and "jo@example.test" not in audit_lines
    # The queue carries only the export's id, never whom it is about.
    assert {payload for payload in queued} == {("build_export", export.id) for export in (by_number, by_address)} | {
        ("build_export", organisation.id),
        ("build_export", other.id),
    }


def test_erasing_a_caller_the_business_never_heard_of_keeps_its_exports(db, jobs, providers):
    tenant, admin = business(db, "Salon Calme")
    call_with_lines(db, tenant, OTHER)
    export = data_exports.request_export(db, principal=admin, kind="organisation")
    caller_data.erase_caller(db, principal=admin, query=CALLER)
    db.expire_all()
    row = db.get(DataExport, export.id)
    assert (row.status, row.error) == ("ready", None) and data_exports.export_path(row.file_key).is_file()


def test_an_organisation_export_being_built_when_a_caller_is_erased_is_withdrawn(db, jobs, providers, monkeypatch):
    """The caller may already be in the half-written ZIP: the job deletes it and the row says why."""
    tenant, admin = business(db, "Salon Pressé")
    call_with_lines(db, tenant, CALLER)
    row = DataExport(tenant_id=tenant.id, requested_by=admin.user_id, kind="organisation")
    db.add(row)
    db.commit()
    real = data_exports.organisation_document

    def erase_meanwhile(session, *, tenant_id):
        with Session(get_engine()) as other_session:
            caller_data.erase_caller(other_session, principal=admin, query=CALLER)
        return real(session, tenant_id=tenant_id)

    monkeypatch.setattr(data_exports, "organisation_document", erase_meanwhile)
    assert data_exports.run_export(row.id) == "failed"
    db.refresh(row)
    assert (row.status, row.error, row.file_key) == ("failed", "caller_erased", None)
    assert list(data_exports.exports_dir().iterdir()) == []
    monkeypatch.setattr(data_exports, "organisation_document", real)
    data_exports.retry_export(db, principal=admin, export_id=row.id)
    db.refresh(row)
    assert (row.status, row.error) == ("ready", None)


def test_an_export_zip_keeps_no_record_of_its_files_in_memory_and_reads_back_whole(tmp_path):
    """The ZIP's directory records wait in a temporary file: however many files, none is held until the close."""
    target = tmp_path / "flat.zip"
    with target.open("wb") as handle, export_files.ExportZip(handle) as archive:
        archive.writestr("organisation.json", '{"name": "Salon"}')
        for index in range(300):
            with archive.open(zipfile.ZipInfo(f"recordings/call-{index}.wav"), "w", force_zip64=True) as entry:
                entry.write(AUDIO[: 100 + index])
        # At most the last one, still named by its (closed) entry.
        held = [thing for thing in gc.get_objects() if isinstance(thing, zipfile.ZipInfo)]
        assert len(held) <= 1 and len(archive.filelist) == 301
    with zipfile.ZipFile(target) as written:
        assert written.testzip() is None
        names = written.namelist()
        assert names[0] == "organisation.json" and names[-1] == "recordings/call-299.wav" and len(names) == 301
        assert written.read("recordings/call-7.wav") == AUDIO[:107]
        assert json.loads(written.read("organisation.json")) == {"name": "Salon"}
