"""The messages reconciliation rebuilds are the ones the providers would have sent: same shape, same dedupe key, so a
late original and a rebuilt copy are one event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

from ava_app.sandbox.vapi.app import create_vapi_emulator
from ava_app.services import reconcile, twilio_voice
from ava_app.services.ingest.payloads import event_dedupe_key
from ava_app.services.providers.vapi import VapiClient
from ava_app.services.reconcile import report_from_call, twilio_final_callback

CONTRACTS = Path(__file__).resolve().parents[1] / "fixtures" / "contracts"


def _fixture(name: str) -> dict:
    return json.loads((CONTRACTS / name).read_text())


def test_a_vapi_call_becomes_the_report_vapi_would_have_posted():
    call = _fixture("vapi-call.json")
    posted = _fixture("end-of-call-report.json")["message"]
    posted["call"]["id"] = call["id"]

    rebuilt = report_from_call(call)

    assert event_dedupe_key(rebuilt) == event_dedupe_key(posted)
    assert rebuilt["type"] == "end-of-call-report"
    assert rebuilt["endedReason"] == call["endedReason"] and rebuilt["cost"] == call["cost"]
    assert rebuilt["artifact"]["messages"] == call["artifact"]["messages"]
    assert rebuilt["artifact"]["recordingUrl"] == call["artifact"]["recordingUrl"]
    assert rebuilt["call"]["assistantId"] == call["assistantId"]
    assert not {"artifact", "messages", "costs", "analysis"} & set(rebuilt["call"])
    assert rebuilt["timestamp"] == int(datetime.fromisoformat(call["endedAt"]).timestamp() * 1000)


def test_a_call_without_artifact_keeps_its_top_level_conversation():
    call = {"id": "c-1", "status": "ended", "messages": [{"role": "user", "message": "Hi"}], "transcript": "User: Hi"}

    assert report_from_call(call)["artifact"] == {"messages": call["messages"], "transcript": "User: Hi"}


def test_a_twilio_call_record_becomes_its_final_status_callback():
    posted = _fixture("twilio-status-callback.json")
    form = posted["form"]
    record = SimpleNamespace(
        sid=form["CallSid"],
        account_sid=form["AccountSid"],
        _from=form["From"],
        to=form["To"],
        direction=form["Direction"],
        status=form["CallStatus"],
        duration=form["CallDuration"],
        start_time=None,
        end_time=datetime(2025, 6, 3, 16, 7, 3, tzinfo=UTC),
    )

    rebuilt = twilio_final_callback(record)

    original = twilio_voice.parse_twilio_form(posted["raw_body"].encode())
    assert twilio_voice.event_dedupe_key(kind="status", form=rebuilt) == twilio_voice.event_dedupe_key(
        kind="status", form=original
    )
    for name in ("CallSid", "AccountSid", "From", "To", "Direction", "CallStatus", "CallDuration", "Timestamp"):
        assert rebuilt.get(name) == original.get(name), name
    assert twilio_voice.parse_twilio_form(rebuilt.raw.encode()).pairs == rebuilt.pairs


def test_a_recording_becomes_the_record_action_twilio_would_have_posted():
    account, call_sid, recording_sid = "AC" + "a" * 32, "CA" + "b" * 32, "RE" + "c" * 32
    url = f"https://api.twilio.com/2010-04-01/Accounts/{account}/Recordings/{recording_sid}"
    record = SimpleNamespace(
        sid=call_sid, account_sid=account, _from="+16505550142", to="+14155550161", direction="inbound"
    )
    recording = SimpleNamespace(sid=recording_sid, call_sid=call_sid, media_url=url, duration="14")

    rebuilt = reconcile.twilio_record_action(record, recording)

    assert twilio_voice.is_recording_action(rebuilt)
    assert (rebuilt.get("RecordingUrl"), rebuilt.get("RecordingDuration")) == (url, "14")
    assert rebuilt.get("CallStatus") == "in-progress" and not rebuilt.get("CallbackSource")
    # Whatever CallStatus the original came with (a caller who hung up during the message: "completed"), it is the
    # same event; another recording, or the final callback carrying this one, is another.
    for status in ("in-progress", "completed"):
        original = twilio_voice.parse_twilio_form(
            (rebuilt.raw.replace("CallStatus=in-progress", f"CallStatus={status}") + "&Digits=hangup").encode()
        )
        assert twilio_voice.event_dedupe_key(kind="status", form=original) == twilio_voice.event_dedupe_key(
            kind="status", form=rebuilt
        )
    other = twilio_voice.parse_twilio_form(rebuilt.raw.replace(recording_sid, "RE" + "d" * 32).encode())
    final = twilio_voice.parse_twilio_form((rebuilt.raw + "&CallbackSource=call-progress-events").encode())
    keys = {twilio_voice.event_dedupe_key(kind="status", form=form) for form in (rebuilt, other, final)}
    assert len(keys) == 3
    assert twilio_voice.parse_twilio_form(rebuilt.raw.encode()).pairs == rebuilt.pairs


def _emulated_calls(tmp_path: Path, instants: list[str]) -> tuple[VapiClient, list[str]]:
    """A Vapi emulator holding one call per instant (several may share one), and a real client speaking to it."""
    app = create_vapi_emulator(
        db_path=tmp_path / "vapi.db", api_keys=["page-key"], public_base_url="http://vapi.test", auto_simulate=False
    )
    org = app.state.sandbox.org_for("Bearer page-key")
    ids = []
    for number, instant in enumerate(instants):
        call = {"id": f"call-{number:04d}", "orgId": org, "status": "ended", "createdAt": instant, "updatedAt": instant}
        app.state.sandbox.store.insert("call", call)
        ids.append(call["id"])
    client = VapiClient(base_url="http://vapi.test", api_key="page-key", transport=httpx.ASGITransport(app=app))
    return client, ids


def _instant(second: int) -> str:
    moment = datetime(2026, 12, 4, 12, 0, tzinfo=UTC) - timedelta(seconds=second)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # as Vapi writes them


async def test_calls_sharing_an_instant_at_a_page_boundary_are_all_found(tmp_path):
    # 250 calls, three per second: pages of 100 end in the middle of an instant's three calls.
    client, ids = _emulated_calls(tmp_path, [_instant(number // 3) for number in range(250)])
    found, cut = await reconcile._recent_calls(client, since=datetime(2026, 12, 4, tzinfo=UTC))
    assert not cut
    assert sorted(call["id"] for call in found) == sorted(ids)


async def test_a_whole_page_created_in_one_instant_does_not_stop_the_paging(tmp_path):
    instants = [_instant(0)] * (reconcile.PAGE_SIZE + 20) + [_instant(second) for second in range(1, 31)]
    client, ids = _emulated_calls(tmp_path, instants)
    found, cut = await reconcile._recent_calls(client, since=datetime(2026, 12, 4, tzinfo=UTC))
    found_ids = [call["id"] for call in found]
    assert not cut and len(found_ids) == len(set(found_ids))
    # The 30 older calls are reached; of the crowded instant, at least the first page's worth.
    assert set(ids[-30:]) <= set(found_ids) and len(found_ids) >= reconcile.PAGE_SIZE + 30
