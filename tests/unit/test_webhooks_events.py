"""Outgoing webhook events come from the real places: ingestion (call.started, call.ended), take_message, the
post-call job (call.summarized) and bookings (the assistant's tools and the Bookings page), each sent after the
commit, once, and verifiable with the ``standardwebhooks`` package. An organisation without endpoints pays one query.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event
from standardwebhooks import Webhook

from ava_app.services import booking_admin, post_call, webhooks_out
from ava_app.services.principal import Principal
from tests.factories import make_user
from tests.unit.test_booking_tools import answer, clinic
from tests.unit.test_post_call import business, ended_call
from tests.unit.vapi_messages import calls, load, send, tool_call_body

__all__ = ["business", "clinic"]


class Receiver:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.secret = ""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200)

    def bodies(self) -> list[dict]:
        """Each request's body, after checking its signature as a receiver would."""
        return [Webhook(self.secret).verify(request.content, dict(request.headers)) for request in self.requests]

    def types(self) -> list[str]:
        return [body["type"] for body in self.bodies()]


@pytest.fixture()
def subscribe(db, monkeypatch, jobs):
    """Subscribe a tenant's endpoint to every event type; returns the receiver its deliveries reach."""

    def install(tenant) -> Receiver:
        receiver = Receiver()
        monkeypatch.setattr(webhooks_out, "transport_override", lambda: httpx.MockTransport(receiver))
        admin = make_user(db, tenant=tenant, role="admin")
        principal = Principal(user_id=admin.id, tenant_id=tenant.id, role="admin")
        created = webhooks_out.create_endpoint(
            db, principal=principal, url="https://hooks.example.com/ava", event_types=list(webhooks_out.EVENT_TYPES)
        )
        receiver.secret = created.secret
        return receiver

    return install


def test_call_started_and_ended_once_each_from_ingestion(db, vapi_business, subscribe):
    tenant, _, _ = vapi_business
    receiver = subscribe(tenant)
    send(db, load("status-update"))
    send(db, load("status-update"))  # redelivered by the provider
    assert receiver.types() == ["call.started"]
    send(db, load("end-of-call-report"))
    send(db, load("end-of-call-report"))
    assert receiver.types() == ["call.started", "call.ended"]
    ended = receiver.bodies()[1]["data"]
    [call] = [call for call in calls(db) if call.id == ended["call_id"]]
    assert call.status == "ended" and ended["duration_seconds"] == call.duration_seconds
    assert ended["status"] == "ended" and ended["url"].endswith(f"/calls/{call.id}")
    assert ended["caller_number"] == call.caller_number


def test_take_message_sends_message_taken(db, vapi_business, subscribe):
    tenant, _, _ = vapi_business
    receiver = subscribe(tenant)
    send(db, tool_call_body("take_message", {"name": "Jordan Lee", "message": "Call me back"}))
    message = [body for body in receiver.bodies() if body["type"] == "message.taken"]
    assert len(message) == 1
    assert message[0]["data"]["fields"] == {"name": "Jordan Lee", "message": "Call me back"}
    assert message[0]["data"]["call_id"] == calls(db)[0].id


def test_post_call_summary_sends_call_summarized(db, business, subscribe, smtp_env):
    tenant, _, assistant = business
    receiver = subscribe(tenant)
    call = ended_call(db, tenant, assistant)
    post_call.run_post_call(call.id)
    post_call.run_post_call(call.id)  # a second run (retry, sweep) sends nothing more
    [summarized] = receiver.bodies()
    assert summarized["type"] == "call.summarized"
    assert summarized["data"]["call_id"] == call.id and summarized["data"]["summary"]
    assert isinstance(summarized["data"]["topics"], list)


def test_bookings_by_the_assistant_and_by_the_owner(db, clinic, subscribe):
    tenant, _, cleaning = clinic
    receiver = subscribe(tenant)
    answer(db, "book_appointment", {"service": "Cleaning", "slot": "2025-06-04T11:00", "caller_name": "Jordan Lee"})
    [created] = [body for body in receiver.bodies() if body["type"] == "booking.created"]
    assert created["data"]["caller_name"] == "Jordan Lee" and created["data"]["source"] == "assistant"
    assert created["data"]["start_at"] == "2025-06-04T18:00:00Z"

    owner = make_user(db, tenant=tenant, role="admin")
    principal = Principal(user_id=owner.id, tenant_id=tenant.id, role="admin")
    start = datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=2)
    booking = booking_admin.book(
        db, principal=principal, service_id=cleaning.id, start_at=start, caller_name="Sam", caller_phone=None
    )
    db.commit()
    moved = booking_admin.move(db, principal=principal, booking_id=booking.id, start_at=start + timedelta(hours=1))
    db.commit()
    booking_admin.cancel(db, principal=principal, booking_id=moved.id)
    db.commit()
    owners = [body for body in receiver.bodies() if body["data"].get("booking_id") == booking.id]
    assert [body["type"] for body in owners] == ["booking.created", "booking.updated", "booking.cancelled"]
    assert owners[-1]["data"]["status"] == "cancelled" and owners[0]["data"]["source"] == "owner"


def test_an_organisation_without_endpoints_pays_one_query(db, vapi_business, engine):
    tenant, _, _ = vapi_business
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert webhooks_out.emit(db, tenant_id=tenant.id, event_type="call.ended", data=lambda: 1 / 0) == 0
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "webhookendpoint" in statements[0]
    assert json.dumps(statements)  # plain SQL text
