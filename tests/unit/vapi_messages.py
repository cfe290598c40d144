"""Vapi server messages for the ingestion and tool tests: the contract fixtures, a business they belong to, helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, select

from ava_app.models import Call, CallMessage
from ava_app.services.ingest.events import IngestResult, ingest_vapi_event
from ava_app.services.ingest.payloads import parse_vapi_payload
from tests.factories import make_assistant, make_phone_number, make_tenant
from tests.fixtures import CONTRACT_FIXTURES

FIXTURES = CONTRACT_FIXTURES
ASSISTANT_ID = "d2a1c6f4-3b8e-4c7a-9f0e-1b2c3d4e5f60"
NUMBER_ID = "a7e5b3c1-9d2f-4e8a-b6c4-0d1e2f3a4b5c"
INBOUND_CALL = "0197a3d9-0c4a-7b12-8e55-3f1a9c7d2e60"
OUTBOUND_CALL = "0197a3c2-5b1e-7d44-9a21-6c8f0e2d4b13"
WEEKDAY_HOURS = {day: [{"open": "09:00", "close": "17:00"}] for day in ("monday", "tuesday", "wednesday", "thursday")}
WEEKDAY_HOURS["friday"] = [{"open": "09:00", "close": "12:00"}, {"open": "13:00", "close": "17:00"}]
# Wednesday 2025-06-04 10:00 in San Francisco (PDT, UTC-7).
LA_WEDNESDAY_10AM = datetime(2025, 6, 4, 17, 0, tzinfo=UTC)
LA_WEDNESDAY_8PM = datetime(2025, 6, 5, 3, 0, tzinfo=UTC)


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def send(db: Session, body: dict, **options) -> IngestResult:
    raw = json.dumps(body)
    return ingest_vapi_event(db, message=parse_vapi_payload(raw), raw=raw, **options)


def tool_call_body(name: str, arguments, *, tool_id: str = "call_test_1") -> dict:
    body = load("tool-calls")
    message = body["message"]
    message["toolCallList"] = [{"id": tool_id, "type": "function", "function": {"name": name, "arguments": arguments}}]
    message.pop("toolWithToolCallList")
    return body


def calls(db: Session) -> list[Call]:
    db.expire_all()
    return list(db.exec(select(Call)).all())


def lines(db: Session, call_id: int) -> list[CallMessage]:
    return list(db.exec(select(CallMessage).where(CallMessage.call_id == call_id).order_by(CallMessage.position)))


def setup_business(db: Session):
    """The fixtures' business: Bright Smile Dental in San Francisco, its Vapi assistant and its Twilio number."""
    tenant = make_tenant(db, name="Bright Smile Dental", timezone="America/Los_Angeles")
    assistant = make_assistant(
        db,
        tenant=tenant,
        provider_assistant_id=ASSISTANT_ID,
        voicemail_message="You reached Bright Smile after hours. Leave a message.",
        knowledge_base=[
            {"question": "Where is the clinic?", "answer": "We are at 500 Market Street, San Francisco."},
            {"question": "Do you accept insurance?", "answer": "Yes, most PPO dental plans."},
            {"question": "What are your opening hours?", "answer": "Monday to Friday, 9 to 5."},
        ],
    )
    number = make_phone_number(
        db,
        tenant=tenant,
        e164="+14155550142",
        provider_number_id=NUMBER_ID,
        assistant_id=assistant.id,
        business_hours=WEEKDAY_HOURS,
        holidays=["2025-07-04"],
        forwarding_number="+14155550100",
    )
    return tenant, assistant, number
