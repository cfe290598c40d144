"""The assistant's built-in tools, answered on Vapi's tool-calls messages: results, errors, the tool registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ava_app.services.assistant_tools import TOOLS, best_faq_match
from ava_app.services.providers.vapi import BOOKING_TOOLS, BUILTIN_TOOLS
from tests.unit.vapi_messages import (
    LA_WEDNESDAY_8PM,
    LA_WEDNESDAY_10AM,
    calls,
    load,
    send,
    tool_call_body,
)


def test_every_declared_tool_is_one_the_webhook_answers():
    assert tuple(TOOLS) == BUILTIN_TOOLS + BOOKING_TOOLS


# --- tool-calls -----------------------------------------------------------------------------------------------------


def test_unknown_tool_gets_an_error_result(db, vapi_business):
    body = load("tool-calls")
    body["message"]["toolCallList"][0]["function"]["name"] = "order_pizza"
    result = send(db, body)
    (item,) = result.response["results"]
    assert item["toolCallId"] == "call_7hR2kVq9Lm4Tz8Xc1Bn5Jd0W" and item["name"] == "order_pizza"
    assert "Unknown tool" in item["error"] and "result" not in item


@pytest.mark.parametrize("as_string", [True, False])
def test_take_message_stores_fields_on_the_call(db, vapi_business, as_string):
    arguments = {"name": "Jordan Lee", "phone": "+16505550199", "message": "Call me back about my crown"}
    send(db, load("status-update"))
    body = tool_call_body("take_message", json.dumps(arguments) if as_string else arguments)
    (item,) = send(db, body).response["results"]
    assert item["toolCallId"] == "call_test_1" and "saved" in item["result"]
    (call,) = calls(db)
    assert call.data_fields == arguments and call.action_needed is True
    more = tool_call_body("take_message", {"urgent": True}, tool_id="call_test_2")
    send(db, more)
    assert calls(db)[0].data_fields == {**arguments, "urgent": True}


def test_take_message_before_any_status_creates_the_call(db, vapi_business):
    send(db, tool_call_body("take_message", {"message": "hello"}))
    (call,) = calls(db)
    assert call.data_fields == {"message": "hello"} and call.status == "in-progress"


def test_object_arguments_fixture_variant_is_accepted(db, vapi_business):
    body = load("tool-calls.object-arguments")
    body["message"]["toolCallList"][0]["function"]["name"] = "take_message"
    (item,) = send(db, body).response["results"]
    assert "result" in item
    assert calls(db)[0].data_fields["patientName"] == "Jordan Lee"


def test_bad_arguments_give_an_error_result(db, vapi_business):
    (item,) = send(db, tool_call_body("take_message", "{oops")).response["results"]
    assert "not valid JSON" in item["error"]
    (item,) = send(db, tool_call_body("take_message", "[1]", tool_id="x2")).response["results"]
    assert "JSON object" in item["error"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # A Los Angeles business: times as the US writes them.
        (LA_WEDNESDAY_10AM, "Open now until 5 PM. Hours today: 9 AM to 5 PM."),
        (LA_WEDNESDAY_8PM, "Closed now. Hours today: 9 AM to 5 PM. Next opening: Thursday at 9 AM."),
        (datetime(2025, 7, 4, 17, 0, tzinfo=UTC), "Closed today for a holiday. Next opening: Monday at 9 AM."),
    ],
)
def test_check_business_hours_in_tenant_timezone(db, vapi_business, now, expected):
    (item,) = send(db, tool_call_body("check_business_hours", "{}"), now=now).response["results"]
    assert item["result"] == expected


def test_transfer_to_human_gives_the_forwarding_number(db, vapi_business):
    (item,) = send(db, tool_call_body("transfer_to_human", {"reason": "billing"})).response["results"]
    assert "+14155550100" in item["result"]
    _, _, number = vapi_business
    number.forwarding_number = None
    db.add(number)
    db.commit()
    (item,) = send(db, tool_call_body("transfer_to_human", {}, tool_id="t2")).response["results"]
    assert "No forwarding number" in item["error"]


def test_lookup_faq_answers_from_the_knowledge_base(db, vapi_business):
    body = tool_call_body("lookup_faq", {"question": "where's your clinic located?"})
    (item,) = send(db, body).response["results"]
    assert item["result"] == "We are at 500 Market Street, San Francisco."
    body = tool_call_body("lookup_faq", {"question": "do you do tattoos"}, tool_id="t2")
    (item,) = send(db, body).response["results"]
    assert "No answer" in item["result"]


def test_several_tool_calls_and_the_legacy_flat_shape(db, vapi_business):
    body = load("tool-calls")
    body["message"]["toolCallList"] = [
        {"id": "a", "type": "function", "function": {"name": "lookup_faq", "arguments": '{"question": "insurance"}'}},
        {"id": "b", "name": "transfer_to_human", "parameters": {}},
        {"id": "c", "type": "function", "function": {"name": "nope", "arguments": "{}"}},
    ]
    results = send(db, body).response["results"]
    assert [item["toolCallId"] for item in results] == ["a", "b", "c"]
    assert results[0]["result"] == "Yes, most PPO dental plans."
    assert "+14155550100" in results[1]["result"]
    assert "error" in results[2]


def test_tool_calls_for_unknown_business_answer_errors(db):
    (item,) = send(db, tool_call_body("check_business_hours", "{}")).response["results"]
    assert "does not belong" in item["error"]


def test_redelivered_tool_calls_are_answered_again(db, vapi_business):
    first = send(db, tool_call_body("lookup_faq", {"question": "insurance"}))
    second = send(db, tool_call_body("lookup_faq", {"question": "insurance"}))
    assert second.duplicate and second.response == first.response


def test_best_faq_match_prefers_question_words():
    base = [
        {"question": "Parking?", "answer": "Free parking behind the building, the clinic is on the 2nd floor."},
        {"question": "Where is the clinic?", "answer": "500 Market Street."},
    ]
    assert best_faq_match(base, question="where is your clinic")["answer"] == "500 Market Street."
    assert best_faq_match(base, question="the a of") is None
    assert best_faq_match([], question="anything") is None
