"""Recently deleted calls: a deleted call leaves every list and count but stays restorable (same ids, conversation,
recording, dashboard counts back) for the business's grace period; the nightly job then purges it everywhere (AVA's
file, the call at the Vapi emulator, a voicemail at the Twilio emulator) and leaves an audit line; erasing a caller
skips the grace; another business's deleted call is never found; only writers restore, only admins choose the days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from ava_app import demo_data
from ava_app.models import AuditLog, Call, CallMessage, CallRecording, DeletedCall, Tenant, User, utcnow
from ava_app.services import caller_data, organisation_deletion, recordings, retention, trash
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.principal import Principal
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID
from tests.factories import make_call, make_phone_number, make_tenant, make_user
from tests.unit.test_assistants import TENANT_TWILIO_SID, providers
from tests.unit.test_recordings import VAPI_URL, configure, provider
from tests.unit.test_retention import at_vapi, rolled_up, stored_files

__all__ = ["configure", "provider", "providers"]

NOW = utcnow()


def member(db: Session, tenant: Tenant, role: str = "user", name: str = "Dana") -> Principal:
    user = make_user(db, tenant=tenant, role=role, name=name)
    return Principal(user_id=user.id, tenant_id=tenant.id, role=role)


def recorded_call(db: Session, tenant: Tenant, **fields) -> Call:
    """An ended call with two conversation lines and its recording copied into AVA's store."""
    call = make_call(db, tenant=tenant, recording_url=VAPI_URL, summary="Wants a quote", **fields)
    for position, (role, text) in enumerate((("assistant", "Hello"), ("user", "A quote, please"))):
        db.add(CallMessage(tenant_id=tenant.id, call_id=call.id, position=position, role=role, text=text))
    db.commit()
    assert recordings.copy_recording(call_id=call.id) == "stored"
    return call


def actions(db: Session, tenant: Tenant) -> list[tuple[str, dict]]:
    rows = db.exec(select(AuditLog).where(AuditLog.tenant_id == tenant.id).order_by(AuditLog.id)).all()
    return [(row.action, row.detail) for row in rows]


def test_a_deleted_call_leaves_every_count_and_comes_back_whole(db, configure, provider, providers):
    provider()
    tenant = make_tenant(db, name="Trash Can")
    writer = member(db, tenant)
    call, other = recorded_call(db, tenant), recorded_call(db, tenant)
    before = {
        "call": db.get(Call, call.id).model_dump(),
        "messages": [
            (m.id, m.position, m.text) for m in db.exec(select(CallMessage).where(CallMessage.call_id == call.id))
        ],
        "recording": db.exec(select(CallRecording).where(CallRecording.call_id == call.id)).one().model_dump(),
    }
    counted = rolled_up(db, tenant)
    at_vapi(providers, call)

    assert trash.move_to_trash(db, principal=writer, call_ids=[call.id]) == 1

    db.expire_all()
    assert db.get(Call, call.id) is None and rolled_up(db, tenant) == counted - 1
    assert db.exec(select(CallMessage).where(CallMessage.call_id == call.id)).all() == []
    assert db.exec(select(CallRecording).where(CallRecording.call_id == call.id)).all() == []
    assert len(stored_files()) == 1, "the file waits for the purge"
    assert providers.vapi_stored("call", call.provider_call_id) is not None, "the provider's copy too"
    listed = trash.list_deleted(db, principal=writer)
    (item,) = listed.calls
    assert (item.call_id, item.deleted_by, item.summary, listed.grace_days) == (call.id, "Dana", "Wants a quote", 7)
    assert item.purge_after - item.deleted_at == timedelta(days=7)

    assert trash.restore(db, principal=writer, call_id=call.id) == call.id

    db.expire_all()
    assert db.get(Call, call.id).model_dump() == before["call"]
    messages = db.exec(select(CallMessage).where(CallMessage.call_id == call.id).order_by(CallMessage.position)).all()
    assert [(m.id, m.position, m.text) for m in messages] == before["messages"]
    assert (
        db.exec(select(CallRecording).where(CallRecording.call_id == call.id)).one().model_dump() == before["recording"]
    )
    assert rolled_up(db, tenant) == counted, "the dashboard counts it again"
    assert db.exec(select(DeletedCall)).all() == [] and trash.list_deleted(db, principal=writer).calls == []
    assert [action for action, _ in actions(db, tenant)] == ["calls_deleted", "call_restored"]
    assert db.get(Call, other.id) is not None


def test_the_purge_after_the_grace_deletes_the_file_and_the_vapi_call_in_batches(db, configure, provider, providers):
    provider()
    tenant = make_tenant(db, name="Short Memory")
    writer = member(db, tenant)
    shared, alone = recorded_call(db, tenant), recorded_call(db, tenant)
    kept = recorded_call(db, tenant)  # same audio: the file stays while this call is listed
    for call in (shared, alone):
        at_vapi(providers, call)
    trash.move_to_trash(db, principal=writer, call_ids=[shared.id, alone.id])
    recent = recorded_call(db, tenant)
    trash.move_to_trash(db, principal=writer, call_ids=[recent.id])
    for trashed in db.exec(select(DeletedCall).where(DeletedCall.call_id == recent.id)):
        trashed.purge_after = NOW + timedelta(days=30)
        db.add(trashed)
    db.commit()

    # Vapi down: nothing is purged, the calls wait for the next night.
    providers.down.add("vapi")
    report = retention.purge_due(db, now=NOW + timedelta(days=8))
    assert report.deleted_calls == {} and report.provider_failures == 2
    assert len(db.exec(select(DeletedCall)).all()) == 3
    providers.down.clear()

    report = retention.purge_due(db, now=NOW + timedelta(days=8))

    assert report.deleted_calls == {tenant.id: 2} and report.provider_failures == 0
    assert [row.call_id for row in db.exec(select(DeletedCall)).all()] == [recent.id]
    for call in (shared, alone):
        assert providers.vapi_stored("call", call.provider_call_id) is None
    assert len(stored_files()) == 1, "the listed call and the one still in the trash keep the shared file"
    assert ("deleted_calls_purged", {"calls": 2}) in actions(db, tenant)
    with pytest.raises(NotFound):
        trash.restore(db, principal=writer, call_id=shared.id)

    # The last references go: the file goes with the last of them.
    trash.move_to_trash(db, principal=writer, call_ids=[kept.id])
    retention.purge_due(db, now=NOW + timedelta(days=40))
    assert db.exec(select(DeletedCall)).all() == [] and stored_files() == []


def test_restoring_is_for_writers_of_the_business_within_the_grace(db, configure, provider, providers):
    provider()
    tenant, other = make_tenant(db, name="Mine"), make_tenant(db, name="Theirs")
    writer, viewer, stranger = member(db, tenant), member(db, tenant, "viewer"), member(db, other, "admin")
    call = recorded_call(db, tenant)
    trash.move_to_trash(db, principal=writer, call_ids=[call.id])

    with pytest.raises(Forbidden):
        trash.restore(db, principal=viewer, call_id=call.id)
    with pytest.raises(Forbidden):
        trash.list_deleted(db, principal=viewer)
    with pytest.raises(NotFound):
        trash.restore(db, principal=stranger, call_id=call.id)
    assert trash.list_deleted(db, principal=stranger).calls == []
    assert trash.move_to_trash(db, principal=stranger, call_ids=[call.id]) == 0
    with pytest.raises(NotFound):
        trash.restore(db, principal=writer, call_id=call.id, now=NOW + timedelta(days=8))
    assert trash.restore(db, principal=writer, call_id=call.id) == call.id
    with pytest.raises(NotFound):
        trash.restore(db, principal=writer, call_id=call.id)


def test_only_admins_choose_the_grace_and_the_trash_follows(db, configure, provider, providers):
    provider()
    tenant = make_tenant(db, name="Choosy")
    admin, writer = member(db, tenant, "admin"), member(db, tenant)
    call = recorded_call(db, tenant)
    trash.move_to_trash(db, principal=writer, call_ids=[call.id])

    with pytest.raises(Forbidden):
        trash.set_grace_days(db, principal=writer, days=30)
    with pytest.raises(Invalid):
        trash.set_grace_days(db, principal=admin, days=3)
    assert trash.set_grace_days(db, principal=admin, days=1) == 1

    assert trash.grace_days(db, principal=writer) == 1
    (item,) = trash.list_deleted(db, principal=writer).calls
    assert item.purge_after - item.deleted_at == timedelta(days=1)
    assert ("deleted_calls_grace_changed", {"days": 1}) in actions(db, tenant)
    report = retention.purge_due(db, now=NOW + timedelta(days=2))
    assert report.deleted_calls == {tenant.id: 1}


def test_erasing_a_caller_removes_their_deleted_calls_too(db, configure, provider, providers):
    provider()
    tenant = make_tenant(db, name="Forgetful", country="US")
    admin = member(db, tenant, "admin")
    theirs = recorded_call(db, tenant, caller_number="+14155550101")
    someone_else = recorded_call(db, tenant, caller_number="+14155550102")
    listed_id = make_call(db, tenant=tenant, caller_number="+14155550101").id
    at_vapi(providers, theirs)
    trash.move_to_trash(db, principal=admin, call_ids=[theirs.id, someone_else.id])

    found = caller_data.erase_caller(db, principal=admin, query="+1 415 555 0101")

    assert found.calls == 2
    assert [row.call_id for row in db.exec(select(DeletedCall)).all()] == [someone_else.id]
    assert db.get(Call, listed_id) is None
    assert providers.vapi_stored("call", theirs.provider_call_id) is None
    assert len(stored_files()) == 1, "the other caller's deleted call keeps the shared file"


# --- Twilio's recordings -----------------------------------------------------------------------------------------


def voicemail(db: Session, providers, tenant: Tenant, *, days: int = 0, account: str = SANDBOX_ACCOUNT_SID, **fields):
    """A voicemail left on a Twilio line (a CallSid, no Vapi call); its recording kept by the Twilio emulator."""
    number = make_phone_number(db, tenant=tenant)
    call_sid = "CA" + (f"{days:02d}" * 16)[:32]
    recording = providers.twilio.record_recording(account, call_sid)
    call = make_call(
        db,
        tenant=tenant,
        provider_call_id=call_sid + str(days),
        recording_url=recording["media_url"],
        phone_number_id=number.id,
        minutes_ago=days * 24 * 60 + 5,
        **fields,
    )
    return call, recording


def at_twilio(providers, recording: dict) -> bool:
    return providers.twilio.recording(recording["account_sid"], recording["sid"]) is not None


def test_retention_deletes_voicemails_at_twilio_and_retries_while_twilio_is_down(db, configure, providers):
    tenant = make_tenant(db, name="Voicemail Keeper")
    tenant.retain_recordings_days = 30
    db.add(tenant)
    db.commit()
    old, old_recording = voicemail(db, providers, tenant, days=40)
    fresh, fresh_recording = voicemail(db, providers, tenant, days=2)
    gone, gone_recording = voicemail(db, providers, tenant, days=41)
    providers.twilio.delete_recording(gone_recording["sid"])  # Twilio no longer has it: 404 counts as done
    foreign, foreign_recording = voicemail(db, providers, tenant, days=42, account=TENANT_TWILIO_SID)

    providers.down.add("twilio")
    report = retention.purge_due(db, now=NOW)
    assert report.provider_failures == 2 and report.recordings == {tenant.id: 1}
    db.expire_all()
    assert db.get(Call, old.id).recording_url == old_recording["media_url"], "left for the next night"
    assert at_twilio(providers, old_recording)
    providers.down.clear()

    report = retention.purge_due(db, now=NOW)

    assert report.provider_failures == 0 and report.recordings == {tenant.id: 2}
    db.expire_all()
    assert not at_twilio(providers, old_recording)
    assert at_twilio(providers, fresh_recording) and db.get(Call, fresh.id).recording_url
    assert db.get(Call, old.id).recording_url is None and db.get(Call, gone.id).recording_url is None
    # A RecordingUrl naming an account that is not the one of the call's number is not AVA's to delete.
    assert db.get(Call, foreign.id).recording_url is None and at_twilio(providers, foreign_recording)


def test_the_trash_purge_and_erasure_delete_voicemails_at_twilio(db, configure, providers):
    tenant = make_tenant(db, name="Voicemail Trash", country="US")
    admin = member(db, tenant, "admin")
    trashed, trashed_recording = voicemail(db, providers, tenant, days=1, caller_number="+14155550177")
    erased, erased_recording = voicemail(db, providers, tenant, days=3, caller_number="+14155550188")
    erased_id = erased.id
    trash.move_to_trash(db, principal=admin, call_ids=[trashed.id])
    assert at_twilio(providers, trashed_recording), "restorable, so kept at Twilio during the grace"

    providers.down.add("twilio")
    assert retention.purge_due(db, now=NOW + timedelta(days=8)).provider_failures == 1
    providers.down.clear()
    assert retention.purge_due(db, now=NOW + timedelta(days=8)).deleted_calls == {tenant.id: 1}
    assert not at_twilio(providers, trashed_recording)

    caller_data.erase_caller(db, principal=admin, query="+14155550188")
    assert not at_twilio(providers, erased_recording)
    assert db.get(Call, erased_id) is None


def test_a_user_who_deleted_calls_may_leave_the_trash_listed_without_them(db, configure, provider, providers):
    provider()
    tenant = make_tenant(db, name="Leavers")
    writer = member(db, tenant, name="Gone Soon")
    call = recorded_call(db, tenant)
    trash.move_to_trash(db, principal=writer, call_ids=[call.id])
    db.delete(db.get(User, writer.user_id))
    db.commit()
    (item,) = trash.list_deleted(db, principal=member(db, tenant)).calls
    assert item.call_id == call.id and item.deleted_by is None


def test_deleting_the_organisation_takes_its_trash_everywhere(db, configure, provider, providers):
    provider()
    tenant, other = make_tenant(db, name="Closing Down"), make_tenant(db, name="Staying")
    admin, other_admin = member(db, tenant, "admin"), member(db, other, "admin")
    trashed, theirs = recorded_call(db, tenant), recorded_call(db, other)
    voicemail_call, recording = voicemail(db, providers, tenant, days=1)
    at_vapi(providers, trashed)
    trash.move_to_trash(db, principal=admin, call_ids=[trashed.id, voicemail_call.id])
    trash.move_to_trash(db, principal=other_admin, call_ids=[theirs.id])
    organisation_deletion.request_deletion(db, principal=admin, typed_name="Closing Down", now=NOW)
    gone_id, other_id, provider_call_id = tenant.id, other.id, trashed.provider_call_id

    assert organisation_deletion.delete_due_organisations(db, now=NOW + timedelta(days=8)) == [gone_id]

    assert [row.tenant_id for row in db.exec(select(DeletedCall)).all()] == [other_id]
    assert providers.vapi_stored("call", provider_call_id) is None
    assert not at_twilio(providers, recording)
    assert len(stored_files()) == 1, "the other business's deleted call keeps its own file"


def test_a_callers_data_counts_and_exports_their_calls_in_the_trash(db):
    tenant = make_tenant(db, name="Found Again", country="FR")
    admin = member(db, tenant, role="admin")
    kept = make_call(db, tenant=tenant, caller_number="+33612345678", summary="Asked for a quote.")
    gone = make_call(db, tenant=tenant, caller_number="+33612345678", summary="Moved an appointment.")
    make_call(db, tenant=tenant, caller_number="+33698765432")
    trash.move_to_trash(db, principal=admin, call_ids=[gone.id])

    found = caller_data.find_caller(db, principal=admin, query="06 12 34 56 78")
    assert found.calls == 2  # the deleted one is still held until its purge
    records = caller_data.caller_records(db, principal=admin, query="06 12 34 56 78")
    assert records.call_ids == [kept.id]
    assert [call["id"] for call in records.deleted_calls] == [gone.id]
    assert records.deleted_calls[0]["summary"] == "Moved an appointment."
    assert "tenant_id" not in records.deleted_calls[0]


def test_the_trash_is_listed_a_page_at_a_time_to_its_last_call_with_its_count(db):
    """Past 500 deleted calls: pages of the trash (newest first, calls deleted at the same moment ordered by row)
    reach every call once, the count is of all of them, and a restore from a later page is counted."""
    tenant = make_tenant(db, name="Big Bin")
    writer = member(db, tenant)
    demo_data.generate_calls(db, tenant_id=tenant.id, count=620, seed=3)
    ids = list(db.exec(select(Call.id).where(Call.tenant_id == tenant.id).order_by(Call.id)).all())
    # Three deletions: each one's calls share their deletion time.
    for part in (ids[:300], ids[300:310], ids[310:]):
        assert trash.move_to_trash(db, principal=writer, call_ids=part) == len(part)

    seen: list[int] = []
    after = None
    while True:
        page = trash.list_deleted(db, principal=writer, after=after)
        assert page.total == 620 and len(page.calls) <= trash.PAGE
        seen += [item.call_id for item in page.calls]
        if page.next_after is None:
            break
        assert trash.TrashPlace.parse(page.next_after.text()) == page.next_after
        after = page.next_after
    assert sorted(seen) == ids and len(seen) == len(set(seen)) == 620
    # The last deletion first, then the one before, then the first.
    assert set(seen[:310]) == set(ids[310:]) and set(seen[310:320]) == set(ids[300:310])
    assert [len(trash.list_deleted(db, principal=writer, limit=250).calls)] == [250]

    assert trash.restore(db, principal=writer, call_id=seen[555]) == seen[555]
    assert trash.list_deleted(db, principal=writer).total == 619
    # Past the grace, nothing is listed nor counted.
    late = trash.list_deleted(db, principal=writer, now=NOW + timedelta(days=8))
    assert (late.calls, late.total, late.next_after) == ([], 0, None)
    # A place that is not one starts from the newest.
    assert trash.TrashPlace.parse("yesterday|x") is None and trash.TrashPlace.parse("") is None
