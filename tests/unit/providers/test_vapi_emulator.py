"""The Vapi emulator: REST contract (auth, shapes, validation, lists), its own store, and simulated calls."""

from __future__ import annotations

import asyncio
import json
import re
import time
import wave
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from vapi import types as vt
from vapi.calls.client import AsyncCallsClient

from ava_app.models import Assistant
from ava_app.sandbox.vapi import contract
from ava_app.sandbox.vapi.app import create_vapi_emulator, simulate_call
from ava_app.sandbox.vapi.recording import write_tone_recording
from ava_app.sandbox.vapi.scenarios import ToolStep, Turn, build_scenario
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.services.providers.vapi import (
    BUILTIN_TOOLS,
    VapiClient,
    vapi_assistant_config,
)
from tests.unit.providers.conftest import (
    BOOKING_TOOL,
    EMULATOR_URL,
    RECEIVER_URL,
    WEBHOOK_SECRET,
    assert_matches_sdk,
    assistant_config,
    sdk_parameters,
)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TWILIO_NUMBER = {
    "provider": "twilio",
    "number": "+14155550142",
    "twilioAccountSid": "ACa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    "twilioAuthToken": "token",
    "name": "Bright Smile main line",
}


def _aliases(model) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


# --- the whitelists are the SDK's -----------------------------------------------------------------------------


def test_whitelists_match_the_sdk_dtos():
    assert _aliases(vt.CreateAssistantDto) == contract.ASSISTANT_FIELDS
    assert _aliases(vt.CreateTwilioPhoneNumberDto) | {"provider"} == contract.TWILIO_NUMBER_FIELDS
    assert _aliases(vt.CreateVapiPhoneNumberDto) | {"provider"} == contract.VAPI_NUMBER_FIELDS
    assert _aliases(vt.UpdateVapiPhoneNumberDto) | {"provider"} == contract.VAPI_NUMBER_UPDATE_FIELDS
    assert _aliases(vt.CreateWebCallDto) == contract.WEB_CALL_FIELDS
    assert sdk_parameters(AsyncCallsClient.create) == contract.CALL_FIELDS


# --- auth and errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic {key}"])
async def test_requests_without_a_valid_bearer_key_get_vapis_401(emulator, header):
    headers = {"Authorization": header.format(key=sandbox_keys().vapi_api_key)} if header else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url=EMULATOR_URL) as http:
        response = await http.get("/assistant", headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "message": "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.",
        "error": "Unauthorized",
        "statusCode": 401,
    }


INVALID_KEY = {
    "message": "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.",
    "error": "Unauthorized",
    "statusCode": 401,
}


async def test_web_calls_take_the_public_key_and_every_other_route_the_private_one(emulator, raw):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()
    public = {"Authorization": f"Bearer {sandbox_keys().vapi_public_key}"}

    private_on_web = await raw.post("/call/web", json={"assistantId": assistant["id"]})
    web = await raw.post("/call/web", json={"assistantId": assistant["id"]}, headers=public)
    public_on_private = [
        await raw.get("/assistant", headers=public),
        await raw.get(f"/assistant/{assistant['id']}", headers=public),
        await raw.post("/assistant", json=assistant_config(), headers=public),
        await raw.get("/call", headers=public),
    ]

    assert private_on_web.status_code == 401 and private_on_web.json() == INVALID_KEY
    assert web.status_code == 201 and web.json()["type"] == "webCall" and web.json()["orgId"] == assistant["orgId"]
    assert [r.status_code for r in public_on_private] == [401] * 4
    assert all(r.json() == INVALID_KEY for r in public_on_private)


async def test_a_public_key_only_reaches_its_own_org(tmp_path):
    emulator = create_vapi_emulator(
        db_path=tmp_path / "v.db",
        api_keys=["key-a", "key-b"],
        public_keys={"pub-a": "key-a", "pub-orphan": "key-gone"},
        public_base_url=EMULATOR_URL,
        auto_simulate=False,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator), base_url=EMULATOR_URL) as http:
        created = await http.post("/assistant", json=assistant_config(), headers={"Authorization": "Bearer key-b"})
        theirs = await http.post(
            "/call/web", json={"assistantId": created.json()["id"]}, headers={"Authorization": "Bearer pub-a"}
        )
        orphan = await http.post(
            "/call/web", json={"assistantId": created.json()["id"]}, headers={"Authorization": "Bearer pub-orphan"}
        )

    assert theirs.status_code == 400 and "Couldn't Find Assistant" in theirs.json()["message"][0]
    assert orphan.status_code == 401


async def test_scripted_failures_answer_before_auth_with_nestjs_bodies(emulator, raw):
    sandbox = emulator.state.sandbox
    sandbox.fail_next(2, status=503, retry_after=1.5)
    sandbox.fail_next(status=429)

    outage = await raw.get("/assistant", headers={"Authorization": "Bearer not-even-a-key"})
    second = await raw.post("/assistant", json=assistant_config())
    throttled = await raw.get("/call")
    healthy = await raw.get("/assistant")

    assert outage.status_code == 503 and outage.headers["retry-after"] == "2"
    assert outage.json() == {"message": "Service Unavailable", "error": "Service Unavailable", "statusCode": 503}
    assert second.status_code == 503
    assert throttled.status_code == 429 and "retry-after" not in throttled.headers
    assert throttled.json()["error"] == "Too Many Requests"
    assert healthy.status_code == 200 and sandbox.failures_served == 3
    sandbox.fail_next(5)
    sandbox.reset_failures()
    assert (await raw.get("/assistant")).status_code == 200
    with pytest.raises(ValueError):
        sandbox.fail_next(status=418)


async def test_unknown_ids_and_routes_get_nestjs_404s(raw):
    missing = await raw.get("/assistant/00000000-0000-0000-0000-000000000000")
    route = await raw.get("/nope")

    assert missing.status_code == 404
    assert missing.json() == {"message": "Assistant not found", "error": "Not Found", "statusCode": 404}
    assert route.status_code == 404 and route.json()["message"] == "Cannot GET /nope"


async def test_unknown_properties_and_bad_values_get_a_400_per_problem(raw):
    response = await raw.post(
        "/assistant", json={"name": "Ava", "serverUrl": "https://x", "summaryPrompt": "x", "maxDurationSeconds": 5}
    )

    assert response.status_code == 400
    assert response.json() == {
        "message": [
            "property serverUrl should not exist",
            "property summaryPrompt should not exist",
            "maxDurationSeconds must not be less than 10 and not greater than 43200",
        ],
        "error": "Bad Request",
        "statusCode": 400,
    }


async def test_required_fields_are_enforced(raw):
    no_provider = await raw.post("/phone-number", json={"number": "+14155550142"})
    twilio = await raw.post("/phone-number", json={"provider": "twilio"})
    call = await raw.post("/call", json={"customer": {"number": "6505550199"}})
    broken = await raw.post("/assistant", content=b"{not json", headers={"content-type": "application/json"})

    assert no_provider.status_code == 400 and "provider must be one of" in no_provider.json()["message"][0]
    assert set(twilio.json()["message"]) >= {"number must be a string", "twilioAccountSid must be a string"}
    assert "Couldn't Get Phone Number. Need Either `phoneNumberId` Or `phoneNumber`." in call.json()["message"]
    assert "customer.number must be a valid phone number in E.164 format" in call.json()["message"]
    assert broken.status_code == 400 and broken.json()["error"] == "Bad Request"


# --- shapes ---------------------------------------------------------------------------------------------------


async def test_created_objects_have_vapi_shapes(raw):
    config = assistant_config(model={**assistant_config()["model"], "tools": [BOOKING_TOOL]})
    assistant = (await raw.post("/assistant", json=config)).json()
    free = await raw.post("/phone-number", json={"provider": "vapi", "numberDesiredAreaCode": "415"})
    twilio = await raw.post("/phone-number", json={**TWILIO_NUMBER, "assistantId": assistant["id"]})
    call = await raw.post(
        "/call",
        json={
            "assistantId": assistant["id"],
            "phoneNumberId": twilio.json()["id"],
            "customer": {"number": "+16505550199"},
        },
    )

    assert free.status_code == twilio.status_code == call.status_code == 201
    for obj in (assistant, free.json(), twilio.json(), call.json()):
        assert obj["id"] and obj["orgId"]
        assert ISO_MS.match(obj["createdAt"]) and ISO_MS.match(obj["updatedAt"])
    assert_matches_sdk(vt.Assistant, assistant)
    assert_matches_sdk(vt.VapiPhoneNumber, free.json(), ignore=("provider",))
    assert_matches_sdk(vt.TwilioPhoneNumber, twilio.json(), ignore=("provider",))
    assert_matches_sdk(vt.Call, call.json())
    assert free.json()["status"] == "active" and re.fullmatch(r"\+1415555010\d", free.json()["number"])
    assert "twilioAuthToken" not in twilio.json()
    assert call.json()["status"] == "queued" and call.json()["phoneCallProvider"] == "twilio"


async def test_lists_are_bare_arrays_honouring_limit_and_created_at_filters(raw):
    ids = []
    for index in range(3):
        ids.append((await raw.post("/assistant", json={"name": f"A{index}"})).json()["id"])
        await asyncio.sleep(0.003)  # distinct millisecond timestamps
    middle = (await raw.get(f"/assistant/{ids[1]}")).json()["createdAt"]

    everything = (await raw.get("/assistant")).json()
    two = (await raw.get("/assistant", params={"limit": 2})).json()
    older = (await raw.get("/assistant", params={"createdAtLt": middle})).json()
    newer_or_same = (await raw.get("/assistant", params={"createdAtGe": middle})).json()
    unknown = await raw.get("/assistant", params={"page": 2})

    assert [a["id"] for a in everything] == ids[::-1]
    assert [a["id"] for a in two] == ids[:0:-1]
    assert [a["id"] for a in older] == [ids[0]]
    assert [a["id"] for a in newer_or_same] == [ids[2], ids[1]]
    assert unknown.status_code == 400 and unknown.json()["message"] == ["property page should not exist"]


async def test_patch_is_a_shallow_merge_and_delete_returns_the_object(raw):
    created = (await raw.post("/assistant", json=assistant_config())).json()

    patched = await raw.patch(f"/assistant/{created['id']}", json={"model": {"provider": "openai", "model": "gpt-4o"}})
    deleted = await raw.delete(f"/assistant/{created['id']}")
    gone = await raw.get(f"/assistant/{created['id']}")

    assert patched.status_code == 200
    assert patched.json()["model"] == {"provider": "openai", "model": "gpt-4o"}, "a key sent replaces the whole value"
    assert patched.json()["firstMessage"] == created["firstMessage"], "keys not sent are kept"
    assert patched.json()["updatedAt"] >= created["updatedAt"]
    assert deleted.status_code == 200 and deleted.json()["id"] == created["id"]
    assert gone.status_code == 404


async def test_phone_number_update_rules(raw):
    assistant = (await raw.post("/assistant", json={"name": "Ava"})).json()
    number = (await raw.post("/phone-number", json={**TWILIO_NUMBER, "assistantId": assistant["id"]})).json()

    unassigned = await raw.patch(f"/phone-number/{number['id']}", json={"assistantId": None})
    legacy = await raw.patch(f"/phone-number/{number['id']}", json={"serverUrl": "https://x"})
    unknown_assistant = await raw.patch(f"/phone-number/{number['id']}", json={"assistantId": "missing"})
    duplicate = await raw.post("/phone-number", json=TWILIO_NUMBER)

    assert unassigned.json()["assistantId"] is None
    assert legacy.json()["message"] == ["property serverUrl should not exist"]
    assert unknown_assistant.status_code == 400
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["message"][0]


async def test_free_numbers_come_from_the_fiction_range_at_most_five_per_org(emulator, raw):
    numbers = [(await raw.post("/phone-number", json={"provider": "vapi", "numberDesiredAreaCode": "212"})).json()
               for _ in range(5)]  # fmt: skip
    sixth = await raw.post("/phone-number", json={"provider": "vapi", "numberDesiredAreaCode": "212"})
    bad_area = await raw.post("/phone-number", json={"provider": "vapi", "numberDesiredAreaCode": "44"})

    assert [n["number"] for n in numbers] == [f"+121255501{i:02d}" for i in range(5)]
    assert sixth.status_code == 400 and "at most 5" in sixth.json()["message"][0]
    assert bad_area.status_code == 400


async def test_orgs_are_isolated_by_key_and_state_survives_a_restart(tmp_path, receiver):
    db = tmp_path / "vapi.db"
    first = create_vapi_emulator(db_path=db, api_keys=["key-a", "key-b"], public_base_url=EMULATOR_URL)

    async def http(app, key):
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=EMULATOR_URL, headers={"Authorization": f"Bearer {key}"}
        )

    async with await http(first, "key-a") as a, await http(first, "key-b") as b:
        created = (await a.post("/assistant", json={"name": "Mine"})).json()
        assert (await b.get(f"/assistant/{created['id']}")).status_code == 404
        assert (await b.get("/assistant")).json() == []

    second = create_vapi_emulator(db_path=db, api_keys=["key-a"], public_base_url=EMULATOR_URL)
    async with await http(second, "key-a") as a:
        assert (await a.get(f"/assistant/{created['id']}")).json() == created
    assert db.exists()


async def test_mounted_under_a_prefix_like_the_app_does(tmp_path):
    app = FastAPI()
    app.mount("/sandbox/vapi", create_vapi_emulator(db_path=tmp_path / "v.db", public_base_url="http://ava.test/x"))
    client = VapiClient(
        base_url="http://ava.test/sandbox/vapi",
        api_key=sandbox_keys().vapi_api_key,
        transport=httpx.ASGITransport(app=app),
    )

    created = await client.create_assistant(config={"name": "Ava"})
    fetched = await client.get_assistant(assistant_id=created["id"])
    await client.aclose()

    assert fetched == created


# --- simulated calls ------------------------------------------------------------------------------------------

MESSAGE_MODELS = {
    "status-update": vt.ServerMessageStatusUpdate,
    "transcript": vt.ServerMessageTranscript,
    "conversation-update": vt.ServerMessageConversationUpdate,
    "tool-calls": vt.ServerMessageToolCalls,
    "end-of-call-report": vt.ServerMessageEndOfCallReport,
    "speech-update": vt.ServerMessageSpeechUpdate,
    "assistant-request": vt.ServerMessageAssistantRequest,
}


async def _booking_setup(raw) -> tuple[dict[str, Any], dict[str, Any]]:
    config = assistant_config(model={**assistant_config()["model"], "tools": [BOOKING_TOOL]})
    assistant = (await raw.post("/assistant", json=config)).json()
    number = (await raw.post("/phone-number", json={**TWILIO_NUMBER, "assistantId": assistant["id"]})).json()
    return assistant, number


async def test_simulated_booking_call_posts_the_vapi_webhook_sequence(emulator, raw, receiver):
    receiver.tool_result = "Booked: cleaning on Tuesday at 9:30 AM. Confirmation BSD-4821."
    assistant, number = await _booking_setup(raw)

    call = await simulate_call(emulator, intent="booking", phone_number_id=number["id"], speed=0)

    # every delivery carries the assistant's server headers and the {"message": {...}} envelope
    assert receiver.deliveries and all(d["headers"]["x-vapi-secret"] == WEBHOOK_SECRET for d in receiver.deliveries)
    kinds = [m["type"] for m in receiver.messages()]
    statuses = [m["status"] for m in receiver.messages("status-update")]
    assert statuses == ["ringing", "in-progress", "ended"]
    assert kinds[:2] == ["status-update", "status-update"] and kinds[-2:] == ["status-update", "end-of-call-report"]
    assert kinds.index("tool-calls") < kinds.index("end-of-call-report")
    assert "speech-update" not in kinds, "the assistant did not subscribe to speech-update"
    transcripts = receiver.messages("transcript")
    assert {t["transcriptType"] for t in transcripts} == {"partial", "final"}
    assert transcripts[0]["transcriptType"] == "partial", "a partial comes before the final of a long utterance"
    greeting = next(t for t in transcripts if t["transcriptType"] == "final")
    assert greeting["role"] == "assistant" and greeting["transcript"].startswith("Thanks for calling Bright Smile")

    # shapes are exactly Vapi's (SDK models, no unknown keys)
    for message in receiver.messages():
        assert_matches_sdk(MESSAGE_MODELS[message["type"]], message)
        assert message["call"]["id"] == call["id"] and message["phoneNumber"]["number"] == "+14155550142"

    # the tool call was answered and its result fed back into the conversation
    tool_message = receiver.messages("tool-calls")[0]
    tool_call = tool_message["toolCallList"][0]
    assert tool_call["function"]["name"] == "book_appointment" and isinstance(tool_call["function"]["arguments"], str)
    report = receiver.messages("end-of-call-report")[0]
    roles = [m["role"] for m in report["artifact"]["messages"]]
    assert (
        roles[0] == "system"
        and "tool_calls" in roles
        and roles.index("tool_call_result") == roles.index("tool_calls") + 1
    )
    result = report["artifact"]["messages"][roles.index("tool_call_result")]
    assert result["toolCallId"] == tool_call["id"] and result["result"] == receiver.tool_result
    assert "Confirmation BSD-4821" in report["artifact"]["transcript"]
    assert all(line.startswith(("AI: ", "User: ")) for line in report["artifact"]["transcript"].splitlines())

    # report: times, costs, analysis
    assert report["endedReason"] == "customer-ended-call"
    assert ISO_MS.match(report["startedAt"]) and report["endedAt"] > report["startedAt"]
    assert report["cost"] == pytest.approx(sum(c["cost"] for c in report["costs"]), abs=1e-3)
    assert {c["type"] for c in report["costs"]} == {"transport", "transcriber", "model", "voice", "vapi", "analysis"}
    assert report["analysis"]["structuredData"]["appointmentBooked"] is True
    assert report["analysis"]["structuredData"]["callerName"] == tool_call_name(tool_call)
    assert report["analysis"]["successEvaluation"] == "true" and report["analysis"]["summary"]

    # the call as GET /call/{id} shows it afterwards
    stored = (await raw.get(f"/call/{call['id']}")).json()
    assert stored["status"] == "ended" and stored["costBreakdown"]["total"] == report["cost"]
    assert_matches_sdk(vt.Call, stored)

    # the recording is real audio served by the emulator
    url = report["artifact"]["recordingUrl"]
    assert url.startswith(EMULATOR_URL + "/recording/")
    audio = await raw.get(url.removeprefix(EMULATOR_URL), headers={"Authorization": ""})
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF" and audio.content[8:12] == b"WAVE" and len(audio.content) > 8000


def tool_call_name(tool_call: dict[str, Any]) -> str:
    return json.loads(tool_call["function"]["arguments"])["patientName"]


async def test_question_call_answers_from_the_knowledge_base(emulator, raw, receiver):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()

    call = await simulate_call(emulator, intent="question", assistant_id=assistant["id"], speed=0)

    assert call["type"] == "webCall" and "phoneNumber" not in receiver.messages()[0]
    assert "Do you have parking?" in call["artifact"]["transcript"]
    assert "AI: Yes, free parking is behind the building." in call["artifact"]["transcript"]
    assert not receiver.messages("tool-calls")


# --- scenarios that call AVA's own tools -----------------------------------------------------------------------


def _ava_config(**fields: Any) -> dict[str, Any]:
    """What ``vapi_assistant_config`` makes of an AVA assistant, with its webhook at the test receiver."""
    values: dict[str, Any] = {
        "id": 7,
        "tenant_id": 1,
        "name": "Ava - Bright Smile Dental",
        "first_message": "Thanks for calling Bright Smile Dental, this is Ava. How can I help you today?",
        "end_call_message": "Thanks for calling Bright Smile Dental. Goodbye!",
        "knowledge_base": [{"question": "Do you have parking?", "answer": "Yes, free parking is behind the building."}],
        "data_fields": [{"key": "reason", "label": "Reason for calling", "type": "string"}],
        "enabled_integrations": list(BUILTIN_TOOLS),
    }
    values.update(fields)
    config = vapi_assistant_config(
        assistant=Assistant(**values), public_url="http://ava.test", webhook_secret=WEBHOOK_SECRET
    )
    assert config["server"]["url"] == RECEIVER_URL
    return config


def _tool_deliveries(receiver) -> list[dict[str, Any]]:
    return [d for d in receiver.deliveries if d["body"]["message"]["type"] == "tool-calls"]


def _line_after_tool(call: dict[str, Any], name: str) -> str:
    """What the assistant said right after the result of tool ``name`` came back."""
    messages = call["artifact"]["messages"]
    index = next(i for i, m in enumerate(messages) if m["role"] == "tool_call_result" and m["name"] == name)
    return next(m["message"] for m in messages[index + 1 :] if m["role"] == "bot")


async def test_a_question_goes_through_lookup_faq_then_check_business_hours(emulator, raw, receiver):
    receiver.tool_results = {
        "lookup_faq": "Yes: free parking behind the building, and two bike racks.",
        "check_business_hours": "Open now until 17:00. Hours today: 09:00-17:00.",
    }
    assistant = (await raw.post("/assistant", json=_ava_config())).json()

    call = await simulate_call(emulator, intent="question", assistant_id=assistant["id"], speed=0)

    deliveries = _tool_deliveries(receiver)
    assert [d["body"]["message"]["toolCallList"][0]["function"]["name"] for d in deliveries] == [
        "lookup_faq",
        "check_business_hours",
    ]
    for delivery in deliveries:
        # Posted to the tool's own server, with the secret header the contract says.
        assert delivery["headers"]["x-vapi-secret"] == WEBHOOK_SECRET
        message = delivery["body"]["message"]
        # ``call`` is left out: a web call's ``webCallUrl`` is real Vapi output the 3.0.0 Call model lacks.
        assert_matches_sdk(vt.ServerMessageToolCalls, message, ignore=("call",))
        (declared,) = message["toolWithToolCallList"]
        assert declared["server"]["url"] == RECEIVER_URL and declared["toolCall"] == message["toolCallList"][0]
    faq_call = deliveries[0]["body"]["message"]["toolCallList"][0]
    assert json.loads(faq_call["function"]["arguments"]) == {"question": "Do you have parking?"}
    assert _line_after_tool(call, "lookup_faq") == receiver.tool_results["lookup_faq"]
    assert _line_after_tool(call, "check_business_hours") == receiver.tool_results["check_business_hours"]
    assert "AI: Open now until 17:00." in call["artifact"]["transcript"]


async def test_without_a_knowledge_base_a_question_about_hours_checks_them(emulator, raw, receiver):
    receiver.tool_results = {"check_business_hours": "Closed now. Next opening: Monday at 09:00."}
    assistant = (await raw.post("/assistant", json=_ava_config(knowledge_base=[]))).json()

    call = await simulate_call(emulator, intent="question", assistant_id=assistant["id"], speed=0)

    (delivery,) = _tool_deliveries(receiver)
    assert delivery["body"]["message"]["toolCallList"][0]["function"]["name"] == "check_business_hours"
    assert _line_after_tool(call, "check_business_hours") == "Closed now. Next opening: Monday at 09:00."
    assert "opening hours" in call["artifact"]["transcript"]


@pytest.mark.parametrize(
    ("intent", "said", "reason"),
    [
        ("complaint", "I've logged your complaint", "double charge complaint"),
        ("voicemail", "I'll pass your message on", "message left"),
        ("booking", "I've noted your request", "appointment next"),
    ],
)
async def test_messages_complaints_and_bookings_without_a_booking_tool_use_take_message(
    emulator, raw, receiver, intent, said, reason
):
    receiver.tool_results = {"take_message": "Message saved for the team."}
    assistant = (await raw.post("/assistant", json=_ava_config())).json()

    call = await simulate_call(emulator, intent=intent, assistant_id=assistant["id"], speed=0)

    (delivery,) = _tool_deliveries(receiver)
    tool_call = delivery["body"]["message"]["toolCallList"][0]
    arguments = json.loads(tool_call["function"]["arguments"])
    assert tool_call["function"]["name"] == "take_message" and arguments["message"]
    assert arguments["caller_name"] and arguments["caller_name"] in call["artifact"]["transcript"]
    assert arguments["reason"].startswith(reason), "the owner's data field is filled too"
    assert said in _line_after_tool(call, "take_message")


async def test_a_failed_take_message_is_not_presented_as_saved(emulator, raw, receiver):
    receiver.tool_results = {"take_message": None}
    assistant = (await raw.post("/assistant", json=_ava_config())).json()

    call = await simulate_call(emulator, intent="complaint", assistant_id=assistant["id"], speed=0)

    line = _line_after_tool(call, "take_message")
    assert "couldn't save your message" in line and "logged" not in line


def test_scenarios_only_call_the_tools_the_assistant_declares():
    without = build_scenario(intent="complaint", assistant=assistant_config(), direction="inbound", seed="s")
    only_faq = build_scenario(
        intent="question", assistant=_ava_config(enabled_integrations=["lookup_faq"]), direction="inbound", seed="s"
    )

    assert all(isinstance(step, Turn) for step in without.steps)
    tools = [step.tool["function"]["name"] for step in only_faq.steps if isinstance(step, ToolStep)]
    assert tools == ["lookup_faq"]


@pytest.mark.parametrize(
    ("intent", "ended_reason", "spoken"),
    [
        ("complaint", "customer-ended-call", "charged twice"),
        ("wrong_number", "customer-ended-call", "wrong number"),
        ("hang_up", "customer-ended-call", None),
    ],
)
async def test_other_intents(emulator, raw, receiver, intent, ended_reason, spoken):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()

    call = await simulate_call(emulator, intent=intent, assistant_id=assistant["id"], speed=0)

    assert call["endedReason"] == ended_reason
    users = [m for m in call["artifact"]["messages"] if m["role"] == "user"]
    if spoken:
        assert any(spoken in m["message"] for m in users)
    else:
        assert users == [] and call["analysis"]["successEvaluation"] == "false"


async def test_outbound_call_reaching_voicemail_leaves_the_voicemail_message(tmp_path, receiver):
    emulator = create_vapi_emulator(
        db_path=tmp_path / "v.db",
        public_base_url=EMULATOR_URL,
        webhook_transport=httpx.ASGITransport(app=receiver.app()),
        auto_simulate=True,
        default_intent="voicemail",
        call_speed=0,
        use_speech=False,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator),
        base_url=EMULATOR_URL,
        headers={"Authorization": f"Bearer {sandbox_keys().vapi_api_key}"},
    ) as raw:
        assistant, number = await _booking_setup(raw)
        created = await raw.post(
            "/call",
            json={
                "assistantId": assistant["id"],
                "phoneNumberId": number["id"],
                "customer": {"number": "+16505550199"},
            },
        )
        await emulator.state.sandbox.drain()
        stored = (await raw.get(f"/call/{created.json()['id']}")).json()

    report = receiver.messages("end-of-call-report")[0]
    assert created.status_code == 201 and created.json()["status"] == "queued"
    assert report["call"]["type"] == "outboundPhoneCall" and report["endedReason"] == "voicemail"
    assert report["artifact"]["messages"][-1]["message"] == assistant["voicemailMessage"]
    assert stored["status"] == "ended" and stored["endedReason"] == "voicemail"


async def test_simulate_route_starts_a_call_over_http(emulator, raw, receiver):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()

    started = await raw.post(
        "/sandbox/simulate-call", json={"assistantId": assistant["id"], "intent": "question", "speed": 0}
    )
    await emulator.state.sandbox.drain()
    bad = await raw.post("/sandbox/simulate-call", json={"assistantId": assistant["id"], "intent": "sing"})
    missing = await raw.post("/sandbox/simulate-call", json={"assistantId": "nope", "intent": "question"})

    assert started.status_code == 201 and started.json()["status"] == "queued"
    assert (await raw.get(f"/call/{started.json()['id']}")).json()["status"] == "ended"
    assert receiver.messages("end-of-call-report")
    assert bad.status_code == 400 and "intent must be one of" in bad.json()["message"][0]
    assert missing.status_code == 404


async def test_speed_spaces_the_call_in_real_time_scaled(emulator, raw, receiver):
    assistant = (await raw.post("/assistant", json=assistant_config())).json()

    started = time.monotonic()
    call = await simulate_call(emulator, intent="hang_up", assistant_id=assistant["id"], speed=25)
    elapsed = time.monotonic() - started

    call_seconds = call["artifact"]["messages"][-1]["endTime"] / 1000 - call["artifact"]["messages"][0]["time"] / 1000
    assert call_seconds > 2, "the call's own clock keeps realistic timings"
    assert elapsed >= call_seconds / 25 * 0.9


# --- inbound: assistant-request -------------------------------------------------------------------------------


async def _unrouted_number(raw) -> dict[str, Any]:
    number = {**TWILIO_NUMBER, "server": {"url": RECEIVER_URL, "headers": {"X-Vapi-Secret": WEBHOOK_SECRET}}}
    return (await raw.post("/phone-number", json=number)).json()


async def test_assistant_request_with_assistant_id_and_overrides(emulator, raw, receiver):
    assistant = (
        await raw.post("/assistant", json=assistant_config(firstMessage="Hi {{customerName}}, how can I help?"))
    ).json()
    number = await _unrouted_number(raw)
    receiver.assistant_answer = {
        "assistantId": assistant["id"],
        "assistantOverrides": {"variableValues": {"customerName": "Jordan"}},
    }

    call = await simulate_call(emulator, intent="wrong_number", phone_number_id=number["id"], speed=0)

    request = receiver.messages()[0]
    assert request["type"] == "assistant-request" and request["call"]["status"] == "ringing"
    assert_matches_sdk(vt.ServerMessageAssistantRequest, request)
    assert call["assistantId"] == assistant["id"]
    assert call["artifact"]["transcript"].startswith("AI: Hi Jordan, how can I help?")


async def test_assistant_request_with_a_transient_assistant(emulator, raw, receiver):
    number = await _unrouted_number(raw)
    receiver.assistant_answer = {"assistant": assistant_config(firstMessage="Transient hello")}

    call = await simulate_call(emulator, intent="hang_up", phone_number_id=number["id"], speed=0)

    assert call["artifact"]["transcript"] == "AI: Transient hello"


@pytest.mark.parametrize(
    ("answer", "fail_with", "ended_reason"),
    [
        (
            {"destination": {"type": "number", "number": "+14155550100"}},
            None,
            "assistant-request-returned-forwarding-phone-number",
        ),
        ({"error": "Sorry, we are closed."}, None, "assistant-request-returned-error"),
        ({}, None, "assistant-request-returned-no-assistant"),
        (None, 500, "assistant-request-failed"),
        ({"assistantId": "does-not-exist"}, None, "assistant-not-found"),
    ],
)
async def test_assistant_request_variants(emulator, raw, receiver, answer, fail_with, ended_reason):
    number = await _unrouted_number(raw)
    receiver.assistant_answer, receiver.fail_with = answer, fail_with

    call = await simulate_call(emulator, intent="booking", phone_number_id=number["id"], speed=0)

    assert call["status"] == "ended" and call["endedReason"] == ended_reason
    report = receiver.messages("end-of-call-report")[0]
    assert report["endedReason"] == ended_reason
    assert_matches_sdk(vt.ServerMessageEndOfCallReport, report)
    if answer and "error" in answer:
        assert call["artifact"]["transcript"] == "AI: Sorry, we are closed."
    if answer and "destination" in answer:
        assert report["destination"]["number"] == "+14155550100"
        assert "forwarding" in [m["status"] for m in receiver.messages("status-update")]


# --- recordings -----------------------------------------------------------------------------------------------


def test_tone_fallback_writes_a_valid_wav(tmp_path):
    path = write_tone_recording(
        turns=[("bot", "Hello there, how can I help?"), ("user", "Hi")], path=tmp_path / "r.wav"
    )

    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getnframes() / audio.getframerate() > 2


async def test_recording_route_rejects_other_paths(raw):
    assert (await raw.get("/recording/..%2Fsandbox_vapi.db")).status_code == 404
    assert (await raw.get("/recording/not-a-call-mono.wav")).status_code == 404


def test_an_urgent_caller_is_transferred_when_the_assistant_has_a_transfer_tool():
    with_transfer = vapi_assistant_config(
        assistant=Assistant(id=7, tenant_id=1, name="Ava", enabled_integrations=list(BUILTIN_TOOLS)),
        public_url="http://ava.test",
        webhook_secret=WEBHOOK_SECRET,
        transfer_numbers=["+33199000199"],
    )
    transferred = build_scenario(intent="transfer", assistant=with_transfer, direction="inbound", seed="s")
    message_taken = build_scenario(intent="transfer", assistant=_ava_config(), direction="inbound", seed="s")

    assert transferred.ended_reason == "assistant-forwarded-call"
    assert transferred.facts["transferredTo"] == "+33199000199"
    assert message_taken.ended_reason == "customer-ended-call"
    assert [step.tool["function"]["name"] for step in message_taken.steps if isinstance(step, ToolStep)] == [
        "take_message"
    ]
