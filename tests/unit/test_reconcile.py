"""The messages reconciliation rebuilds are the ones the providers would have sent: same shape, same dedupe key, so a
late original and a rebuilt copy are one event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from ava_app.services import twilio_voice
from ava_app.services.ingest.payloads import event_dedupe_key
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
