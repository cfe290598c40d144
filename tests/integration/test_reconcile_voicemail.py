"""Reconciliation of Twilio voicemails: a message Twilio recorded through AVA's ``<Record>`` whose action (the request
that brings the recording) never reached AVA still becomes that call's voicemail, once.

The Twilio emulator runs each call as Twilio does (voice webhook, ``<Record>``, action, final status callback, all
signed) against AVA's API in process, and "loses" the requests a test names; reconciliation then reads the calls and
recordings back through the real ``twilio`` SDK from the emulator, served on a port.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from twilio.base.exceptions import TwilioException

from ava_app.api.app import create_api
from ava_app.models import Call, CallRecording, Outbox, WebhookEvent, utcnow
from ava_app.sandbox.twilio.app import create_twilio_emulator
from ava_app.sandbox.twilio.state import TwilioEmulator
from ava_app.services import credentials, reconcile
from ava_app.services.providers import twilio as tw
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID, sandbox_keys
from ava_app.settings import get_settings
from tests.factories import make_phone_number, make_tenant, make_user
from tests.servers import serve_app

CALLER = "+16505550142"
OWN_ACCOUNT = "AC" + "b" * 32
OWN_TOKEN = "c" * 32
LOST = ("record_action", "status_callback")


@pytest.fixture()
def twilio(engine, monkeypatch, jobs, smtp_env):
    """The Twilio emulator on a free port (the SDK's sandbox base URL), AVA's API in process for its webhooks, and
    the job queue in immediate mode (post-call work runs in the test)."""
    for name in ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    # Nothing is fetched from Twilio's media host here: the copy job is queued, its fetch refused.
    monkeypatch.setenv("AVA_RECORDING_HOSTS", "recordings.invalid")
    get_settings.cache_clear()
    app = create_twilio_emulator()
    emulator = app.state.emulator
    emulator.add_account(OWN_ACCOUNT, OWN_TOKEN)
    with serve_app(app) as base_url:
        tw.set_sandbox_base_url(base_url)
        yield Twilio(emulator, httpx.ASGITransport(app=create_api()))
        tw.set_sandbox_base_url(None)
    get_settings.cache_clear()


@dataclass
class Twilio:
    """The emulator's state and the transport its webhooks take to AVA's API."""

    emulator: TwilioEmulator
    transport: httpx.ASGITransport


async def _business(db, name: str, e164: str, *, account: str = SANDBOX_ACCOUNT_SID, token: str = ""):
    """An organisation with an owner and a Twilio number AVA answers itself (no AI reachable: voicemail), bought
    through AVA's provisioning so its voice URL and status callback are AVA's. Missed callers are texted back."""
    tenant = make_tenant(db, name=name, text_back_missed=True)
    make_user(db, tenant=tenant, email=f"owner@{name.split()[0].lower()}.test")
    if account != SANDBOX_ACCOUNT_SID:
        credentials.save_credential(
            db, tenant_id=tenant.id, provider="twilio", secret={"account_sid": account, "auth_token": token}
        )
    bought = await tw.purchase_number(
        phone_number=e164, account_sid=account, auth_token=token or sandbox_keys().twilio_auth_token
    )
    number = make_phone_number(
        db,
        tenant=tenant,
        e164=e164,
        provider="twilio",
        twilio_sid=bought["sid"],
        twilio_account_sid=account,
        provider_number_id=None,
    )
    return tenant, number


async def _call(twilio: Twilio, number, *, lose=LOST, minutes_ago: float = 20) -> dict:
    """A caller leaves a message on ``number``; the requests named in ``lose`` never reach AVA."""
    return await twilio.emulator.receive_call(
        CALLER, number.e164, start=time.time() - minutes_ago * 60, lose=lose, transport=twilio.transport
    )


def _rows(db) -> list[Call]:
    db.expire_all()
    return list(db.exec(select(Call).order_by(col(Call.id))).all())


def _summary_emails(db) -> Counter:
    keys = db.exec(select(Outbox.dedupe_key).where(col(Outbox.dedupe_key).startswith("call-summary:"))).all()
    return Counter(int(str(key).split(":")[1]) for key in keys)


def _texts_to_caller(db) -> int:
    return db.exec(select(func.count()).select_from(Outbox).where(Outbox.channel == "sms", Outbox.to == CALLER)).one()


def _copy_queued(db, call_id: int) -> bool:
    """The post-call job queued the recording's copy (refused here: no media host is allowed in these tests)."""
    return db.exec(select(CallRecording.status).where(CallRecording.call_id == call_id)).first() == "refused"


def _snapshot(db) -> tuple:
    rows = [
        (row.provider_call_id, row.status, row.outcome, row.recording_url, row.duration_seconds, row.email_status)
        for row in _rows(db)
    ]
    events = db.exec(select(func.count()).select_from(WebhookEvent)).one()
    return rows, _summary_emails(db), db.exec(select(func.count()).select_from(Outbox)).one(), events


def _later() -> object:
    # Past the settle delay of the recordings and calls made above.
    return utcnow() + timedelta(minutes=10)


async def test_a_lost_voicemail_becomes_the_call_once_and_is_emailed(db, twilio):
    _tenant, number = await _business(db, "Garage Martin", "+14155550161")
    made = await _call(twilio, number)
    assert made["statuses"] == {"voice": 200} and made["recording"] is not None
    [waiting] = _rows(db)
    assert (waiting.status, waiting.recording_url) == ("ringing", None)  # answered, then nothing more came

    first = reconcile.reconcile_once(now=_later())

    assert first.failures == []
    assert first.twilio_voicemails == [made["recording"]["sid"]]
    assert first.twilio_applied == [made["call"]["sid"]]
    [call] = _rows(db)
    assert (call.status, call.outcome, call.ended_reason) == ("ended", "voicemail", "twilio-completed")
    assert call.recording_url == made["recording"]["media_url"]
    assert call.duration_seconds == int(made["call"]["duration"]) and call.action_needed
    assert call.caller_number == CALLER and call.summary_status == "done" and call.email_status == "sent"
    assert _summary_emails(db) == Counter({call.id: 1})
    # The message was known before the call ended: the caller is not texted "sorry we missed you".
    assert _texts_to_caller(db) == 0
    assert _copy_queued(db, call.id)

    before = _snapshot(db)
    again = reconcile.reconcile_once(now=_later())
    assert (again.twilio_voicemails, again.twilio_applied, again.failures) == ([], [], [])
    assert _snapshot(db) == before


async def test_the_original_action_arriving_after_reconciliation_changes_nothing(db, twilio):
    _tenant, number = await _business(db, "Garage Martin", "+14155550162")
    made = await _call(twilio, number)
    reconcile.reconcile_once(now=_later())
    before = _snapshot(db)

    # Twilio's requests were only late: both arrive now, after the reconciliation applied them.
    for name in LOST:
        url, form = made["lost"][name]
        status, answer = await twilio.emulator.post_webhook(url, form, SANDBOX_ACCOUNT_SID, twilio.transport)
        assert status == 200
    assert "<Hangup" in answer or answer.strip().endswith("<Response />")

    assert _snapshot(db) == before
    [call] = _rows(db)
    assert (call.outcome, call.recording_url) == ("voicemail", made["recording"]["media_url"])
    voicemails = db.exec(select(WebhookEvent).where(col(WebhookEvent.event_type) == "voicemail")).all()
    assert len(voicemails) == 1 and voicemails[0].payload.count("RecordingSid=") == 1


async def test_an_action_that_came_in_time_is_not_applied_again(db, twilio):
    _tenant, number = await _business(db, "Garage Martin", "+14155550163")
    made = await _call(twilio, number, lose=())
    assert made["statuses"] == {"voice": 200, "record_action": 200, "status_callback": 200}
    before = _snapshot(db)
    [call] = _rows(db)
    assert (call.outcome, call.recording_url) == ("voicemail", made["recording"]["media_url"])

    report = reconcile.reconcile_once(now=_later())

    assert (report.twilio_voicemails, report.twilio_applied, report.failures) == ([], [], [])
    assert _snapshot(db) == before


async def test_a_voicemail_whose_final_callback_came_but_not_its_action(db, twilio):
    _tenant, number = await _business(db, "Garage Martin", "+14155550164")
    made = await _call(twilio, number, lose=("record_action",))
    [missed] = _rows(db)
    # What the owner was told at the end of the call: a missed call, no message.
    assert (missed.status, missed.outcome, missed.recording_url) == ("ended", "missed", None)
    emails = _summary_emails(db)
    assert emails == Counter({missed.id: 1}) and _texts_to_caller(db) == 1

    report = reconcile.reconcile_once(now=_later())

    assert report.twilio_voicemails == [made["recording"]["sid"]] and report.failures == []
    [call] = _rows(db)
    assert (call.status, call.outcome, call.recording_url) == ("ended", "voicemail", made["recording"]["media_url"])
    assert _summary_emails(db) == emails  # the summary email is not sent a second time
    # Whoever was told of a missed call hears of the message, once, in the business's language.
    [late] = db.exec(select(Outbox).where(col(Outbox.dedupe_key).startswith(f"late-voicemail:{call.id}:"))).all()
    assert late.to == "owner@garage.test" and "left a voicemail after all" in late.body_text
    assert f"/calls/{call.id}" in late.body_text
    assert _copy_queued(db, call.id)  # the post-call job ran again: the recording is copied
    before = _snapshot(db)
    assert reconcile.reconcile_once(now=_later()).twilio_voicemails == []
    assert _snapshot(db) == before


async def test_a_record_action_arriving_after_the_missed_call_email_sends_one_late_voicemail_email(db, twilio):
    """No reconciliation: Twilio's <Record> action only reaches AVA after the final callback, whose missed call was
    already emailed. The owner is told of the message once, even when Twilio posts the action twice."""
    tenant, number = await _business(db, "Garage Martin", "+14155550168")
    make_user(db, tenant=tenant, email="atelier@garage.test", locale="fr")
    made = await _call(twilio, number, lose=("record_action",))
    [missed] = _rows(db)
    assert missed.outcome == "missed" and _summary_emails(db) == Counter({missed.id: 2})

    url, form = made["lost"]["record_action"]
    for _ in range(2):
        status, _answer = await twilio.emulator.post_webhook(url, form, SANDBOX_ACCOUNT_SID, twilio.transport)
        assert status == 200

    [call] = _rows(db)
    assert (call.outcome, call.recording_url) == ("voicemail", made["recording"]["media_url"])
    late = db.exec(select(Outbox).where(col(Outbox.dedupe_key).startswith(f"late-voicemail:{call.id}:"))).all()
    bodies = {row.to: row.body_text for row in late}
    assert len(late) == 2 and set(bodies) == {"atelier@garage.test", "owner@garage.test"}
    assert "left a voicemail after all" in bodies["owner@garage.test"]
    assert "a finalement laissé un message vocal" in bodies["atelier@garage.test"]
    assert all(f"/calls/{call.id}" in body for body in bodies.values())
    assert _summary_emails(db) == Counter({call.id: 2})


async def test_a_message_still_being_settled_is_left_for_the_next_run(db, twilio):
    _tenant, number = await _business(db, "Garage Martin", "+14155550165")
    await _call(twilio, number, minutes_ago=0.5)

    report = reconcile.reconcile_once(now=utcnow())

    assert (report.twilio_voicemails, report.twilio_applied) == ([], [])
    [call] = _rows(db)
    assert (call.status, call.recording_url) == ("ringing", None)
    assert reconcile.reconcile_once(now=_later()).twilio_voicemails != []


async def test_a_call_stuck_past_the_window_gets_its_voicemail_before_it_ends(db, twilio):
    _tenant, number = await _business(db, "Garage Martin", "+14155550169")
    made = await _call(twilio, number)

    # Hours later: the call is no longer in the listed window, but it is stuck before "ended".
    report = reconcile.reconcile_once(now=utcnow() + timedelta(hours=8))

    assert report.failures == [] and report.listed == 0
    assert (report.twilio_voicemails, report.twilio_applied) == ([made["recording"]["sid"]], [made["call"]["sid"]])
    [call] = _rows(db)
    assert (call.status, call.outcome, call.recording_url) == ("ended", "voicemail", made["recording"]["media_url"])
    assert _summary_emails(db) == Counter({call.id: 1}) and _texts_to_caller(db) == 0


async def test_an_organisation_never_gets_another_organisations_recording(db, twilio):
    # B is on its own Twilio account and reconciled first (lowest number id); A and C share the platform's account.
    tenant_b, number_b = await _business(db, "Clinique Soleil", "+14155550166", account=OWN_ACCOUNT, token=OWN_TOKEN)
    tenant_a, number_a = await _business(db, "Garage Martin", "+14155550167")
    tenant_c, number_c = await _business(db, "Boulangerie Roux", "+14155550168")
    made = {tenant.id: await _call(twilio, number) for tenant, number in ((tenant_a, number_a), (tenant_b, number_b))}
    made[tenant_c.id] = await _call(twilio, number_c, minutes_ago=19)
    sid_a = made[tenant_a.id]["call"]["sid"]
    # B's account holds a recording naming A's CallSid (what a forged or colliding record would look like), and B
    # called A's number from its own account and recorded it: neither is A's voicemail.
    forged = twilio.emulator.record_recording(OWN_ACCOUNT, sid_a, created=time.time() - 890)
    outbound = twilio.emulator.record_call(
        OWN_ACCOUNT,
        to=number_a.e164,
        from_=number_b.e164,
        status="completed",
        start_time=time.time() - 1000,
        duration=30,
        direction="outbound-api",
    )
    taped = twilio.emulator.record_recording(OWN_ACCOUNT, outbound["sid"], created=time.time() - 970)

    report = reconcile.reconcile_once(now=_later())

    assert report.failures == []
    rows = _rows(db)
    assert len(rows) == 3
    for row in rows:
        mine = made[row.tenant_id]
        assert row.provider_call_id == mine["call"]["sid"]
        assert (row.outcome, row.recording_url) == ("voicemail", mine["recording"]["media_url"])
    assert f"/Accounts/{OWN_ACCOUNT}/" in made[tenant_b.id]["recording"]["media_url"]
    kept = {row.recording_url for row in rows}
    assert not any(other["sid"] in url for other in (forged, taped) for url in kept)
    assert sorted(report.twilio_voicemails) == sorted(mine["recording"]["sid"] for mine in made.values())
    assert _summary_emails(db) == Counter({row.id: 1 for row in rows})
    # Each owner's email is about their own call only.
    owners = dict(
        db.exec(select(Outbox.to, Outbox.dedupe_key).where(col(Outbox.dedupe_key).startswith("call-summary:"))).all()
    )
    by_tenant = {row.tenant_id: row.id for row in rows}
    assert owners["owner@clinique.test"].split(":")[1] == str(by_tenant[tenant_b.id])
    assert owners["owner@garage.test"].split(":")[1] == str(by_tenant[tenant_a.id])
    assert owners["owner@boulangerie.test"].split(":")[1] == str(by_tenant[tenant_c.id])


def test_the_emulator_lists_recordings_by_date_and_call_like_twilio(twilio):
    now = time.time()
    call_sid = "CA" + "1" * 32
    old = twilio.emulator.record_recording(SANDBOX_ACCOUNT_SID, call_sid, created=now - 7200)
    new = twilio.emulator.record_recording(SANDBOX_ACCOUNT_SID, call_sid, created=now - 60)
    other = twilio.emulator.record_recording(SANDBOX_ACCOUNT_SID, "CA" + "2" * 32, created=now - 30)
    twilio.emulator.record_recording(OWN_ACCOUNT, call_sid, created=now - 30)
    client = tw.twilio_client(SANDBOX_ACCOUNT_SID, sandbox_keys().twilio_auth_token)
    recordings = client.api.v2010.account.recordings

    listed = recordings.list(date_created_after=utcnow() - timedelta(hours=1), page_size=1)
    assert [r.sid for r in listed] == [other["sid"], new["sid"]]  # newest first, every page, own account only
    assert [r.sid for r in recordings.list(call_sid=call_sid)] == [new["sid"], old["sid"]]
    assert [r.sid for r in recordings.list(date_created_before=utcnow() - timedelta(hours=1))] == [old["sid"]]
    assert listed[0].media_url == other["media_url"] and listed[0].call_sid == "CA" + "2" * 32
    foreign = tw.twilio_client(SANDBOX_ACCOUNT_SID, sandbox_keys().twilio_auth_token)
    with pytest.raises(TwilioException) as refused:
        foreign.api.v2010.accounts(OWN_ACCOUNT).recordings.list()
    # A list failure carries the HTTP answer: Twilio's 401 / 20003 for another account's path.
    answer = refused.value.args[1]
    assert (answer.status_code, json.loads(answer.text)["code"]) == (401, 20003)
