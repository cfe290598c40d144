"""Vapi's assistant-request: the assistant, a voicemail or a forward for an inbound call, by the number's hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import make_phone_number, make_tenant
from tests.unit.vapi_messages import (
    ASSISTANT_ID,
    INBOUND_CALL,
    LA_WEDNESDAY_8PM,
    LA_WEDNESDAY_10AM,
    calls,
    load,
    send,
)


def test_assistant_request_in_hours_hands_the_call_to_the_assistant(db, vapi_business):
    result = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM)
    assert result.response["assistantId"] == ASSISTANT_ID
    assert result.response["assistantOverrides"]["variableValues"]["isOpen"] == "yes"
    assert set(result.response) <= set(load("assistant-request.response"))
    (call,) = calls(db)
    assert call.status == "ringing" and call.provider_call_id == INBOUND_CALL


def test_after_hours_voicemail_uses_the_number_then_assistant_message(db, vapi_business):
    _, _, number = vapi_business
    response = send(db, load("assistant-request"), now=LA_WEDNESDAY_8PM).response
    assert response["assistantId"] == ASSISTANT_ID
    assert response["assistantOverrides"]["firstMessage"] == "You reached Bright Smile after hours. Leave a message."
    number.voicemail_message = "Number-specific voicemail."
    db.add(number)
    db.commit()
    response = send(db, load("assistant-request"), now=LA_WEDNESDAY_8PM).response
    assert response["assistantOverrides"]["voicemailMessage"] == "Number-specific voicemail."


@pytest.mark.parametrize(
    ("action", "forwarding", "expected"),
    [
        ("forward", "+14155550100", {"destination"}),
        ("forward", None, {"assistantId", "assistantOverrides"}),  # nowhere to forward: voicemail instead
        ("ai", "+14155550100", {"assistantId", "assistantOverrides"}),
    ],
)
def test_after_hours_action_as_configured(db, vapi_business, action, forwarding, expected):
    _, _, number = vapi_business
    number.after_hours_action = action
    number.forwarding_number = forwarding
    db.add(number)
    db.commit()
    response = send(db, load("assistant-request"), now=LA_WEDNESDAY_8PM).response
    assert set(response) == expected
    if action == "forward" and forwarding:
        assert response["destination"] == {
            "type": "number",
            "number": "+14155550100",
            "message": "Please hold while I connect you.",
        }
    if action == "ai":
        assert "firstMessage" not in response["assistantOverrides"]


def test_holiday_is_after_hours(db, vapi_business):
    response = send(db, load("assistant-request"), now=datetime(2025, 7, 4, 17, 0, tzinfo=UTC)).response
    assert response["assistantOverrides"]["variableValues"]["isOpen"] == "no"
    assert "firstMessage" in response["assistantOverrides"]


def test_same_instant_open_or_closed_depending_on_tenant_timezone(db, vapi_business):
    tenant, _, _ = vapi_business
    assert send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response["assistantOverrides"]["variableValues"][
        "isOpen"
    ] == ("yes")
    tenant.timezone = "Europe/Paris"  # 19:00 there
    db.add(tenant)
    db.commit()
    response = send(db, load("assistant-request"), now=LA_WEDNESDAY_10AM).response
    assert response["assistantOverrides"]["variableValues"]["isOpen"] == "no"


def test_unknown_number_gets_an_error_message(db):
    result = send(db, load("assistant-request"))
    assert set(result.response) == {"error"} and result.response["error"]
    assert calls(db) == []


def test_number_without_assistant_forwards_or_refuses(db):
    tenant = make_tenant(db)
    number = make_phone_number(db, tenant=tenant, e164="+14155550142", forwarding_number="+14155550100")
    assert "destination" in send(db, load("assistant-request")).response
    number.forwarding_number = None
    db.add(number)
    db.commit()
    assert set(send(db, load("assistant-request")).response) == {"error"}
