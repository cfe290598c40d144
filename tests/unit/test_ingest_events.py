"""Vapi webhook ingestion: every server message type, inbound routing by hours, ended-reason mapping."""

from __future__ import annotations

import copy
import json
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ava_app.models import Call, WebhookEvent
from ava_app.services.ended_reasons import OUTCOMES, is_known_ended_reason, outcome_for_ended_reason
from ava_app.services.ingest import calls as ingest_calls
from ava_app.services.ingest import events as vapi_events
from ava_app.services.ingest.payloads import InvalidPayload, event_dedupe_key, parse_vapi_payload
from tests.factories import make_tenant
from tests.unit.vapi_messages import (
    FIXTURES,
    INBOUND_CALL,
    OUTBOUND_CALL,
    calls,
    lines,
    load,
    send,
)

# --- parsing and dedupe -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", '{"message"'),
        (b'{"message": "hi"}', '{"message"'),
        (b'{"message": {"call": {}}}', "message.type"),
        (b'{"message": {"type": ""}}', "message.type"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_parse_rejects_what_is_not_a_vapi_message(raw, needle):
    with pytest.raises(InvalidPayload) as caught:
        parse_vapi_payload(raw)
    assert needle in caught.value.message


def test_dedupe_key_same_for_redelivery_different_for_distinct_events():
    transcript = load("transcript")["message"]
    assert event_dedupe_key(transcript) == event_dedupe_key(copy.deepcopy(transcript))
    other_line = {**transcript, "transcript": "Something else", "timestamp": transcript["timestamp"] + 1}
    assert event_dedupe_key(other_line) != event_dedupe_key(transcript)
    ended = load("status-update.ended")["message"]
    in_progress = load("status-update")["message"]
    assert event_dedupe_key(ended) != event_dedupe_key(in_progress)
    # A status resent later (new timestamp) is still the same event.
    assert event_dedupe_key({**in_progress, "timestamp": 1}) == event_dedupe_key(in_progress)
    assert len(event_dedupe_key(load("end-of-call-report")["message"])) <= 200
    # Without a call id the content decides.
    assert event_dedupe_key({"type": "hang", "timestamp": 1}) != event_dedupe_key({"type": "hang", "timestamp": 2})


# --- status-update ------------------------------------------------------------------------------------------------


def test_status_update_creates_the_call_for_the_right_tenant(db, vapi_business):
    tenant, assistant, number = vapi_business
    result = send(db, load("status-update"))
    assert result.error is None and result.response == {}
    (call,) = calls(db)
    assert (call.tenant_id, call.assistant_id, call.phone_number_id) == (tenant.id, assistant.id, number.id)
    assert call.provider_call_id == INBOUND_CALL
    assert call.status == "in-progress"
    assert (call.direction, call.call_type) == ("inbound", "inbound")
    assert (call.caller_number, call.called_number) == ("+16505550199", "+14155550142")
    assert call.started_at.replace(tzinfo=UTC) == datetime(2025, 6, 4, 17, 20, 32, 790000, tzinfo=UTC)
    event = db.exec(select(WebhookEvent)).one()
    assert (event.event_type, event.provider_call_id, event.tenant_id) == ("status-update", INBOUND_CALL, tenant.id)
    assert event.processed_at is not None and event.error is None
    assert json.loads(event.payload) == load("status-update")


def test_status_never_moves_backwards(db, vapi_business):
    send(db, load("status-update.ended"))
    late = load("status-update")
    send(db, late)
    ringing = copy.deepcopy(late)
    ringing["message"]["status"] = "ringing"
    send(db, ringing)
    (call,) = calls(db)
    assert call.status == "ended"
    assert (call.ended_reason, call.outcome) == ("customer-ended-call", "answered")
    assert call.ended_at is not None


def test_status_update_moves_forward_and_ignores_non_lifecycle_statuses(db, vapi_business):
    queued = load("status-update")
    queued["message"]["status"] = "queued"
    queued["message"]["call"]["status"] = "queued"
    send(db, queued)
    assert calls(db)[0].status == "queued"
    send(db, load("status-update"))
    assert calls(db)[0].status == "in-progress"
    odd = load("status-update")
    odd["message"]["status"] = "not-found"
    assert send(db, odd).error is None
    assert calls(db)[0].status == "in-progress"


def test_redelivered_event_is_a_no_op(db, vapi_business):
    first = send(db, load("status-update"))
    again = send(db, load("status-update"))
    assert again.duplicate and again.event_id == first.event_id
    assert len(calls(db)) == 1
    assert len(db.exec(select(WebhookEvent)).all()) == 1


# --- transcript ---------------------------------------------------------------------------------------------------


def test_final_transcript_is_appended_and_partials_ignored(db, vapi_business):
    send(db, load("status-update"))
    send(db, load("transcript"))
    partial = load("transcript")
    partial["message"].update(transcriptType="partial", transcript="Hi, I'd", timestamp=1749057640000)
    send(db, partial)
    send(db, load("transcript"))  # redelivery
    (call,) = calls(db)
    (line,) = lines(db, call.id)
    assert (line.position, line.role) == (0, "user")
    assert line.text == "Hi, I'd like to book a cleaning for next Tuesday morning."
    assert line.seconds_from_start == pytest.approx(8.74)
    assert len(db.exec(select(WebhookEvent)).all()) == 3  # the partial is still stored


def test_transcript_lines_append_in_arrival_order_and_filtered_type_spelling(db, vapi_business):
    send(db, load("transcript"))
    reply = load("transcript")
    reply["message"].update(
        type='transcript[transcriptType="final"]', role="assistant", transcript="Sure.", timestamp=1749057643000
    )
    send(db, reply)
    (call,) = calls(db)
    assert call.status == "in-progress"  # created from the transcript's call snapshot
    assert [(line.position, line.role, line.text) for line in lines(db, call.id)][1] == (1, "assistant", "Sure.")


# --- end-of-call report -------------------------------------------------------------------------------------------


def test_end_of_call_report_stores_everything_and_asks_for_post_call_work(db, vapi_business):
    tenant, assistant, number = vapi_business
    ended = []
    result = send(db, load("end-of-call-report"), on_call_ended=ended.append)
    (call,) = calls(db)
    assert result.call_ended and result.call_id == call.id and ended == [call.id]
    assert call.provider_call_id == OUTBOUND_CALL
    assert (call.tenant_id, call.assistant_id, call.phone_number_id) == (tenant.id, assistant.id, number.id)
    assert (call.direction, call.caller_number, call.called_number) == ("outbound", "+14155550142", "+16505550199")
    assert (call.status, call.outcome, call.ended_reason) == ("ended", "answered", "customer-ended-call")
    assert call.cost == Decimal("0.2146")
    assert call.cost_breakdown["total"] == "0.2146" and call.cost_breakdown["stt"] == "0.0286"
    assert sum(Decimal(v) for k, v in call.cost_breakdown.items() if k != "total") == Decimal("0.2146")
    assert call.duration_seconds == 170
    assert call.started_at.replace(tzinfo=UTC) == datetime(2025, 6, 3, 16, 4, 13, 20000, tzinfo=UTC)
    assert call.recording_url.endswith("-mono.wav")
    assert call.transcript.startswith("AI: Hi Jordan")
    assert call.provider_analysis["structuredData"]["appointmentBooked"] is True
    got = [(line.role, line.text) for line in lines(db, call.id)]
    assert [role for role, _ in got] == [
        "assistant",
        "user",
        "tool_call",
        "tool_result",
        "assistant",
        "user",
        "assistant",
    ]
    assert got[2][1].startswith("book_appointment(")
    assert got[3][1].startswith("book_appointment: Booked: cleaning")
    # Redelivery: no second hook call, nothing duplicated.
    again = send(db, load("end-of-call-report"), on_call_ended=ended.append)
    assert again.duplicate and not again.call_ended and ended == [call.id]
    assert len(lines(db, call.id)) == 7


def test_report_replaces_live_lines_and_late_transcript_is_not_duplicated(db, vapi_business):
    report = load("end-of-call-report")
    for name in ("transcript", "status-update"):
        live = load(name)
        live["message"]["call"]["id"] = OUTBOUND_CALL
        send(db, live)
    send(db, report)
    late = load("transcript")
    late["message"]["call"]["id"] = OUTBOUND_CALL
    late["message"]["timestamp"] += 5
    assert send(db, late).error is None
    (call,) = calls(db)
    assert len(lines(db, call.id)) == 7
    assert call.status == "ended"


def test_report_with_legacy_top_level_fields(db, vapi_business):
    body = load("end-of-call-report")
    message = body["message"]
    artifact = message.pop("artifact")
    message.pop("costs")
    message.pop("startedAt")
    message.pop("endedAt")
    message["call"].pop("startedAt")
    message["call"].pop("endedAt")
    message["call"]["costBreakdown"] = {"stt": 0.0286, "total": 0.2146, "llmPromptTokens": 5123}
    message.update(
        transcript=artifact["transcript"], recordingUrl="https://example.com/r.wav", durationSeconds=169.6, cost=0.21464
    )
    send(db, body)
    (call,) = calls(db)
    assert call.recording_url == "https://example.com/r.wav"
    assert call.duration_seconds == 170
    assert call.cost == Decimal("0.2146")
    assert call.cost_breakdown == {"stt": "0.0286", "total": "0.2146", "llmPromptTokens": 5123}
    assert [line.role for line in lines(db, call.id)][:2] == ["assistant", "user"]


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("voicemail", "voicemail"),
        ("customer-did-not-answer", "missed"),
        ("assistant-forwarded-call", "forwarded"),
        ("pipeline-error-openai-llm-failed", "failed"),
        ("brand-new-reason-from-vapi", "answered"),  # a conversation happened
    ],
)
def test_report_outcome_follows_ended_reason(db, vapi_business, reason, outcome):
    body = load("end-of-call-report")
    body["message"]["endedReason"] = reason
    send(db, body)
    assert calls(db)[0].outcome == outcome


# --- stored-only and unknown types ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["conversation-update", "speech-update", "hang"])
def test_informational_events_are_stored_without_error(db, vapi_business, name):
    result = send(db, load(name))
    assert result.response == {} and result.error is None
    event = db.exec(select(WebhookEvent)).one()
    assert event.event_type == name and event.processed_at is not None and event.error is None
    assert calls(db) == []


def test_unknown_type_is_stored_and_answered_empty(db, vapi_business):
    body = load("hang")
    body["message"]["type"] = "model-output"
    result = send(db, body)
    assert result.response == {} and result.error is None
    assert db.exec(select(WebhookEvent)).one().event_type == "model-output"


def test_event_for_an_unknown_business_is_kept_with_its_error(db):
    result = send(db, load("status-update"))
    assert result.response == {}
    assert calls(db) == []
    event = db.exec(select(WebhookEvent)).one()
    assert "no tenant" in event.error


def test_tenant_secret_cannot_touch_another_tenants_calls(db, vapi_business):
    other = make_tenant(db, name="Other")
    send(db, load("status-update"), tenant_id=other.id)
    assert calls(db) == []
    send(db, load("status-update"))  # platform secret: creates it for its real owner
    result = send(db, load("status-update.ended"), tenant_id=other.id)
    assert "another tenant" in result.error
    assert calls(db)[0].status == "in-progress"


def test_tenant_resolved_from_assistant_metadata(db):
    tenant = make_tenant(db, name="Metadata Co")
    body = load("status-update")
    body["message"]["call"].pop("phoneNumberId")
    body["message"]["phoneNumber"] = {"number": "+19999999999"}
    body["message"]["assistant"]["metadata"]["avaTenantId"] = str(tenant.id)
    send(db, body)
    (call,) = calls(db)
    assert call.tenant_id == tenant.id and call.phone_number_id is None


def test_handler_crash_keeps_event_with_error_and_answers(db, vapi_business, monkeypatch):
    def explode(session, event):
        raise RuntimeError("boom")

    monkeypatch.setitem(vapi_events._HANDLERS, "status-update", explode)
    result = send(db, load("status-update"))
    assert result.response == {} and "boom" in result.error
    event = db.exec(select(WebhookEvent)).one()
    assert "RuntimeError: boom" in event.error and event.processed_at is None
    monkeypatch.undo()
    # The redelivery of a failed event is processed again.
    retry = send(db, load("status-update"))
    assert retry.error is None and len(calls(db)) == 1
    db.expire_all()
    assert db.exec(select(WebhookEvent)).one().error is None


def test_post_call_hook_failure_is_recorded_and_call_kept(db, vapi_business):
    def broken(call_id):
        raise ConnectionError("queue down")

    result = send(db, load("end-of-call-report"), on_call_ended=broken)
    assert "queue down" in result.error
    assert calls(db)[0].status == "ended"
    assert "queue down" in db.exec(select(WebhookEvent)).one().error


def test_racing_deliveries_for_a_new_call_end_with_one_call(engine, db, vapi_business):
    names = ["status-update", "transcript", "status-update.ended", "end-of-call-report", "hang", "speech-update"]
    bodies = []
    for name in names:
        body = load(name)
        body["message"]["call"]["id"] = "race-call"
        bodies.append(body)
    barrier = threading.Barrier(len(bodies))
    errors = []

    def deliver(body):
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                result = send(session, body)
                if result.error:
                    errors.append(result.error)
            except Exception as exc:  # the assertion below reports it
                errors.append(repr(exc))

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    (call,) = calls(db)
    assert (call.status, call.outcome) == ("ended", "answered")
    assert len(lines(db, call.id)) == 7


def test_losing_the_insert_race_retries_and_updates_the_winner(engine, db, vapi_business, monkeypatch):
    tenant, _, _ = vapi_business
    real_resolve = ingest_calls.resolve_routing
    retries = []

    def resolve_while_another_delivery_wins(session, event):
        routing = real_resolve(session, event)
        if not retries:
            with Session(engine) as other:
                other.add(Call(tenant_id=tenant.id, provider_call_id=event.provider_call_id, status="ringing"))
                other.commit()
        retries.append(1)
        return routing

    monkeypatch.setattr(ingest_calls, "resolve_routing", resolve_while_another_delivery_wins)
    result = send(db, load("status-update"))
    assert result.error is None and len(retries) == 1  # second attempt found the row and did not resolve again
    (call,) = calls(db)
    assert call.status == "in-progress"


# --- ended reasons ----------------------------------------------------------------------------------------------------


def test_every_known_vapi_ended_reason_has_a_business_outcome():
    reasons = json.loads((FIXTURES / "vapi-ended-reasons.json").read_text())
    assert len(reasons) == 604
    outcomes = {reason: outcome_for_ended_reason(reason) for reason in reasons}
    assert set(outcomes.values()) <= set(OUTCOMES)
    assert [reason for reason in reasons if not is_known_ended_reason(reason)] == []
    assert {"answered", "missed", "voicemail", "forwarded", "failed"} <= set(outcomes.values())


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        ("customer-ended-call", "answered"),
        ("assistant-said-end-call-phrase", "answered"),
        ("silence-timed-out", "answered"),
        ("exceeded-max-duration", "answered"),
        ("voicemail", "voicemail"),
        ("assistant-forwarded-call", "forwarded"),
        ("assistant-request-returned-forwarding-phone-number", "forwarded"),
        ("customer-busy", "missed"),
        ("call.forwarding.no-answer", "missed"),
        ("call.ringing.sip-inbound-caller-hungup-before-call-connect", "missed"),
        ("assistant-request-failed", "failed"),
        ("call.start.error-subscription-insufficient-credits", "failed"),
        ("call.in-progress.error-vapifault-openai-llm-failed", "failed"),
        ("pipeline-error-openai-llm-failed", "failed"),
    ],
)
def test_ended_reason_examples(reason, outcome):
    assert outcome_for_ended_reason(reason) == outcome


def test_a_caller_who_hangs_up_during_the_greeting_is_a_missed_call(db, vapi_business):
    assert outcome_for_ended_reason("customer-ended-call", caller_spoke=False) == "missed"
    assert outcome_for_ended_reason("customer-ended-call", caller_spoke=True) == "answered"
    assert outcome_for_ended_reason("customer-ended-call", caller_spoke=None) == "answered"  # transcript unknown
    assert outcome_for_ended_reason("voicemail", caller_spoke=False) == "voicemail"

    body = load("end-of-call-report")
    message = body["message"]
    message["artifact"]["messages"] = [
        m for m in message["artifact"]["messages"] if m.get("role") in ("system", "bot")
    ][:2]
    message["artifact"].pop("messagesOpenAIFormatted", None)
    send(db, body)
    (call,) = calls(db)
    assert (call.ended_reason, call.outcome) == ("customer-ended-call", "missed")


def test_unknown_ended_reason_is_other_unless_people_talked():
    assert outcome_for_ended_reason("something-new") == "other"
    assert outcome_for_ended_reason("something-new", had_conversation=True) == "answered"
    assert outcome_for_ended_reason(None) == "other"
    assert outcome_for_ended_reason("", had_conversation=True) == "answered"
