"""Any order and any redelivery of a call's Vapi events, with the report's apply job run late or twice, ends in the
same single call (Hypothesis)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from ava_app.models import Call, CallMessage, WebhookEvent
from ava_app.services.ingest import events as vapi_events
from ava_app.services.ingest.payloads import parse_vapi_payload
from tests.unit.vapi_messages import load, setup_business

# Shared instant so check_business_hours-style decisions cannot differ between examples.
NOW = datetime(2025, 6, 4, 17, 0, tzinfo=UTC)
TAKE_MESSAGE = {"name": "Jordan Lee", "message": "Please call back about the cleaning"}
STATUS_RANK = {"ringing": 2, "in-progress": 3, "ended": 5}
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _call_events() -> dict[str, dict]:
    """One inbound call's events built from the fixtures; call snapshots made consistent, as Vapi sends them."""
    report = load("end-of-call-report")
    identity = {key: report["message"]["call"][key] for key in ("type", "phoneNumberId", "assistantId", "customer")}
    identity["startedAt"] = report["message"]["call"]["startedAt"]
    ringing = load("status-update")
    ringing["message"]["status"] = "ringing"
    ringing["message"]["call"]["status"] = "ringing"
    second_line = load("transcript")
    second_line["message"].update(role="assistant", transcript="Sure, let me check.", timestamp=1749057645000)
    take_message = load("tool-calls")
    take_message["message"]["toolCallList"] = [
        {"id": "call_msg", "type": "function", "function": {"name": "take_message", "arguments": TAKE_MESSAGE}}
    ]
    take_message["message"].pop("toolWithToolCallList")
    events = {
        "assistant-request": load("assistant-request"),
        "ringing": ringing,
        "in-progress": load("status-update"),
        "transcript-user": load("transcript"),
        "transcript-assistant": second_line,
        "conversation-update": load("conversation-update"),
        "speech-update": load("speech-update"),
        "hang": load("hang"),
        "take-message": take_message,
        "ended": load("status-update.ended"),
        "report": report,
    }
    for name, body in events.items():
        call = body["message"]["call"]
        call.update(identity)
        if name == "assistant-request":
            call.pop("startedAt")  # not answered yet
    return events


EVENTS = _call_events()
NAMES = tuple(EVENTS)
REPORT_LINES = 7
# What each event says about the call's stage (None: it never touches the call).
STAGE = {
    "assistant-request": "ringing",
    "ringing": "ringing",
    "in-progress": "in-progress",
    "transcript-user": "in-progress",
    "transcript-assistant": "in-progress",
    "take-message": "in-progress",
    "ended": "ended",
    "report": "ended",
}


@st.composite
def deliveries(draw, *, names: tuple[str, ...] | None = None) -> list[str]:
    """A permutation of some (or all) of the call's events, with a few of them delivered again anywhere."""
    chosen = names or tuple(draw(st.sets(st.sampled_from(NAMES), min_size=1)))
    sequence = list(draw(st.permutations(chosen)))
    for repeat in draw(st.lists(st.sampled_from(chosen), max_size=4)):
        sequence.insert(draw(st.integers(0, len(sequence))), repeat)
    return sequence


def _deliver(db, sequence: list[str], plan: list[int]) -> tuple[str, list[int]]:
    """Deliver through the webhook's path: deferred events wait for their apply job, which runs when ``plan`` says.

    ``plan[i]`` after delivery i: 0 leaves queued jobs waiting, 1 runs them, 2 runs each of them twice (a job
    re-enqueued by the sweep while its first copy was still queued). Whatever is left runs at the end.
    """
    call_id = f"prop-{uuid.uuid4()}"
    ended: list[int] = []
    queued: list[int] = []

    def run_jobs(times: int) -> None:
        for event_id in list(queued):
            for _ in range(times):
                result = vapi_events.apply_stored_event(db, event_id=event_id, on_call_ended=ended.append)
                assert result.error is None, result.error
        queued.clear()

    for index, name in enumerate(sequence):
        body = copy.deepcopy(EVENTS[name])
        body["message"]["call"]["id"] = call_id
        raw = json.dumps(body)
        result = vapi_events.accept_vapi_event(
            db,
            message=parse_vapi_payload(raw),
            raw=raw,
            enqueue_apply=queued.append,
            on_call_ended=ended.append,
            now=NOW,
        )
        assert result.error is None, (name, result.error)
        if name == "take-message":
            assert "result" in result.response["results"][0]
        step = plan[index % len(plan)]
        if step:
            run_jobs(step)
    run_jobs(1)
    return call_id, ended


def _state(db, call_id: str):
    db.expire_all()
    found = db.exec(select(Call).where(Call.provider_call_id == call_id)).all()
    events = db.exec(select(WebhookEvent).where(WebhookEvent.provider_call_id == call_id)).all()
    call = found[0] if found else None
    texts = []
    if call is not None:
        rows = db.exec(select(CallMessage).where(CallMessage.call_id == call.id).order_by(CallMessage.position)).all()
        assert [row.position for row in rows] == list(range(len(rows)))
        texts = [row.text for row in rows]
    return found, call, events, texts


@pytest.fixture()
def owner(db):
    return setup_business(db)


JOB_PLANS = st.lists(st.integers(0, 2), min_size=1, max_size=8)


@PROPERTY_SETTINGS
@given(sequence=deliveries(names=NAMES), plan=JOB_PLANS)
def test_every_order_of_the_full_call_ends_in_one_complete_call(db, owner, sequence, plan):
    call_id, ended = _deliver(db, sequence, plan)
    found, call, events, texts = _state(db, call_id)
    assert len(found) == 1
    assert (call.status, call.outcome, call.ended_reason) == ("ended", "answered", "customer-ended-call")
    assert call.cost == Decimal("0.2146") and call.duration_seconds == 170
    assert len(texts) == REPORT_LINES and texts[0].startswith("Hi Jordan")
    assert call.data_fields == TAKE_MESSAGE and call.action_needed
    assert ended == [call.id]
    assert len(events) == len(set(sequence)) and all(event.error is None for event in events)


@PROPERTY_SETTINGS
@given(sequence=deliveries(), plan=JOB_PLANS)
def test_any_subset_in_any_order_matches_the_model(db, owner, sequence, plan):
    call_id, ended = _deliver(db, sequence, plan)
    found, call, events, texts = _state(db, call_id)
    present = set(sequence)
    stages = [STAGE[name] for name in present if STAGE.get(name)]
    assert len(events) == len(present)
    if not stages:
        assert found == [] and ended == []
        return
    assert len(found) == 1
    assert call.status == max(stages, key=STATUS_RANK.__getitem__)
    ended_known = "report" in present or "ended" in present
    assert call.outcome == ("answered" if ended_known else None)
    assert call.data_fields == (TAKE_MESSAGE if "take-message" in present else None)
    assert ended == ([call.id] if "report" in present else [])
    if "report" in present:
        assert len(texts) == REPORT_LINES
    else:
        live = [EVENTS[name]["message"]["transcript"] for name in present if name.startswith("transcript")]
        assert sorted(texts) == sorted(live)
