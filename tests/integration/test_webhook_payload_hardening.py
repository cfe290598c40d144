"""Webhook payloads an attacker shapes: too deep, lone surrogates, NUL bytes. None answers 500, none loses a call."""

from __future__ import annotations

import json

from sqlmodel import select

from ava_app.models import Call, CallMessage, WebhookEvent
from tests.integration.test_vapi_webhook_api import SECRET, URL, api, business, client, stored

__all__ = ["api", "business", "client"]

ASSISTANT_ID = "d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60"
HEADERS = {"X-Vapi-Secret": SECRET, "Content-Type": "application/json"}
# Placeholders swapped for JSON escapes in the body's text: json.dumps would write the surrogate as \ud800 too, but
# spelling the escapes out keeps the test about what arrives on the wire.
LONE = "@LONE@"
NUL = "@NUL@"


def wire(body: dict) -> bytes:
    return json.dumps(body).replace(LONE, "\\ud800").replace(NUL, "\\u0000").encode()


def report(call_id: str) -> dict:
    return {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "startedAt": "2025-06-03T16:04:13.020Z",
            "endedAt": "2025-06-03T16:07:02.881Z",
            "cost": 0.21,
            "call": {"id": call_id, "assistantId": ASSISTANT_ID, "type": "inboundPhoneCall"},
            "artifact": {
                "transcript": f"AI: Hello{NUL}\nUser: I broke a tooth {LONE} today",
                "messages": [
                    {"role": "bot", "message": "Bright Smile Dental, how can I help?", "secondsFromStart": 0.5},
                    {"role": "user", "message": f"I broke a tooth {LONE} today{NUL}", "secondsFromStart": 3.0},
                ],
            },
            "analysis": {"summary": f"Broken tooth {LONE}"},
        }
    }


def transcript(call_id: str) -> dict:
    return {
        "message": {
            "type": "transcript",
            "transcriptType": "final",
            "role": "user",
            "transcript": f"my name is Zo{LONE}e{NUL}",
            "timestamp": 1748966660000,
            "call": {"id": call_id, "assistantId": ASSISTANT_ID, "status": "in-progress"},
        }
    }


async def test_json_nested_past_the_parser_depth_is_400_not_500(client, db, business):
    for depth in (70, 5_000, 200_000):
        body = b'{"message": {"type": "hang", "x": ' + b"[" * depth + b"]" * depth + b"}}"
        response = await client.post(URL, content=body, headers=HEADERS)
        assert response.status_code == 400, (depth, response.text)
        assert "nested deeper" in response.json()["message"]
    assert stored(db) == []


async def test_end_of_call_report_with_a_lone_surrogate_is_stored_with_replacement_characters(
    client, db, business, jobs, smtp_env
):
    response = await client.post(URL, content=wire(report("call-surrogate-1")), headers=HEADERS)
    assert response.status_code == 200, response.text
    (event,) = stored(db)
    assert event.error is None and event.processed_at is not None
    call = db.exec(select(Call).where(Call.provider_call_id == "call-surrogate-1")).one()
    assert call.status == "ended" and call.tenant_id == business.id
    assert call.transcript == "AI: Hello\ufffd\nUser: I broke a tooth \ufffd today"
    assert call.provider_analysis == {"summary": "Broken tooth \ufffd"}
    lines = db.exec(select(CallMessage.text).where(CallMessage.call_id == call.id).order_by(CallMessage.position)).all()
    assert lines == ["Bright Smile Dental, how can I help?", "I broke a tooth \ufffd today\ufffd"]
    # The raw body is kept as it came, escapes and all.
    assert "\\ud800" in event.payload


async def test_transcript_with_a_lone_surrogate_is_stored_once_and_answered_200(client, db, business):
    for _ in range(2):  # a redelivery is a duplicate, not another 503
        response = await client.post(URL, content=wire(transcript("call-surrogate-2")), headers=HEADERS)
        assert response.status_code == 200, response.text
    (event,) = stored(db)
    assert event.error is None and event.processed_at is not None
    call = db.exec(select(Call).where(Call.provider_call_id == "call-surrogate-2")).one()
    lines = db.exec(select(CallMessage.text).where(CallMessage.call_id == call.id)).all()
    assert lines == ["my name is Zo\ufffde\ufffd"]


async def test_surrogate_in_a_key_or_the_type_is_stored_not_refused(client, db, business):
    body = {"message": {"type": f"odd{LONE}", f"k{LONE}": [NUL], "call": {"id": "call-surrogate-3"}}}
    response = await client.post(URL, content=wire(body), headers=HEADERS)
    assert response.status_code == 200, response.text
    (event,) = db.exec(select(WebhookEvent)).all()
    assert event.event_type == "odd\ufffd" and event.error is None
