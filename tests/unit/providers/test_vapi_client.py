"""The real Vapi client: against the emulator over HTTP, request bodies checked against the SDK, failure handling."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from vapi import AsyncVapi
from vapi import types as vt
from vapi.calls.client import AsyncCallsClient

from ava_app.models import Assistant
from ava_app.sandbox.vapi.app import REDACTED
from ava_app.services.errors import Invalid, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.providers.sandbox_keys import sandbox_keys, sandbox_keys_in
from ava_app.services.providers.vapi import (
    BOOKING_TOOLS,
    BUILTIN_TOOLS,
    SERVER_MESSAGES,
    UNAVAILABLE_MESSAGE,
    VapiClient,
    vapi_assistant_config,
    vapi_endpoint,
)
from ava_app.settings import Settings
from tests.unit.providers.conftest import (
    EMULATOR_URL,
    FIXTURES,
    assert_matches_sdk,
    assistant_config,
    load_fixture,
    sdk_extras,
    sdk_parameters,
)

# --- endpoint per mode ----------------------------------------------------------------------------------------


def test_sandbox_mode_points_at_the_emulator_mounted_in_the_app(tmp_path):
    settings = Settings(vapi_api_key="", public_url="https://ava.example.com/", data_dir=tmp_path, secret_key="x" * 40)

    endpoint = vapi_endpoint(settings=settings)

    assert endpoint.sandbox is True
    assert endpoint.base_url == "https://ava.example.com/sandbox/vapi"
    assert endpoint.api_key == sandbox_keys_in(tmp_path).vapi_api_key


def test_with_a_key_the_client_talks_to_vapi(tmp_path):
    settings = Settings(vapi_api_key="sk-live-123", data_dir=tmp_path, secret_key="x" * 40)

    endpoint = vapi_endpoint(settings=settings)

    assert (endpoint.sandbox, endpoint.base_url, endpoint.api_key) == (False, "https://api.vapi.ai", "sk-live-123")


# --- AVA assistant -> CreateAssistantDTO ----------------------------------------------------------------------


def _assistant(**fields: Any) -> Assistant:
    values: dict[str, Any] = {
        "id": 7,
        "tenant_id": 3,
        "name": "Ava - Bright Smile Dental",
        "language": "fr",
        "voice_provider": "11labs",
        "voice_id": "sarah",
        "first_message": "Bonjour, cabinet Bright Smile, Ava à l'appareil.",
        "system_prompt": "Tu es Ava, la réceptionniste du cabinet.",
        "conversation_rules": "Ne donne jamais de conseil médical.",
        "knowledge_base": [
            {"question": "Avez-vous un parking ?", "answer": "Oui, derrière le bâtiment."},
            {"title": "Horaires", "content": "Du lundi au vendredi, 9h-18h."},
            "Paiement par carte accepté.",
        ],
        "data_fields": [
            {"name": "patient_name", "type": "text", "label": "Patient name"},
            {"key": "appointmentBooked", "type": "boolean"},
            "Reason for call",
        ],
        "end_call_message": "Merci de votre appel, au revoir !",
        "voicemail_message": "Bonjour, ici Ava du cabinet Bright Smile. Rappelez-nous.",
        "max_duration_seconds": 900,
    }
    values.update(fields)
    return Assistant(**values)


def test_assistant_mapping_is_a_valid_create_assistant_dto_with_everything_ava_needs():
    config = vapi_assistant_config(
        assistant=_assistant(), public_url="https://ava.example.com", webhook_secret="whsec_abc"
    )

    assert_matches_sdk(vt.CreateAssistantDto, config)
    prompt = config["model"]["messages"][0]["content"]
    assert config["model"]["provider"] == "openai" and config["model"]["messages"][0]["role"] == "system"
    assert "Tu es Ava" in prompt and "Ne donne jamais de conseil médical." in prompt
    assert "- Q: Avez-vous un parking ? A: Oui, derrière le bâtiment." in prompt
    assert "- Horaires: Du lundi au vendredi, 9h-18h." in prompt and "- Paiement par carte accepté." in prompt
    assert config["voice"] == {"provider": "11labs", "voiceId": "sarah", "model": "eleven_turbo_v2_5"}
    assert config["transcriber"]["language"] == "fr"
    assert config["firstMessage"].startswith("Bonjour")
    assert config["endCallMessage"] == "Merci de votre appel, au revoir !"
    assert config["voicemailMessage"].startswith("Bonjour, ici Ava")
    assert config["maxDurationSeconds"] == 900
    assert "transcript" in config["serverMessages"] and "end-of-call-report" in config["serverMessages"]
    assert config["server"] == {
        "url": "https://ava.example.com/api/v1/webhooks/vapi",
        "timeoutSeconds": 20,
        "headers": {"X-Vapi-Secret": "whsec_abc"},
    }
    assert config["metadata"] == {"avaTenantId": "3", "avaAssistantId": "7"}
    plan = config["analysisPlan"]
    assert plan["summaryPlan"] == {"enabled": True}
    assert plan["structuredDataPlan"]["schema"]["properties"] == {
        "patientName": {"type": "string", "description": "Patient name"},
        "appointmentBooked": {"type": "boolean"},
        "reasonForCall": {"type": "string", "description": "Reason for call"},
    }


def test_assistant_mapping_leaves_out_empty_messages_and_clamps_limits():
    assistant = _assistant(
        first_message="",
        end_call_message="",
        voicemail_message="",
        data_fields=[],
        max_duration_seconds=5,
        language="xx",
        name="A" * 60,
    )

    config = vapi_assistant_config(assistant=assistant, public_url="http://localhost:3000", webhook_secret="s")

    assert_matches_sdk(vt.CreateAssistantDto, config)
    assert not {"firstMessage", "endCallMessage", "voicemailMessage"} & config.keys()
    assert "structuredDataPlan" not in config["analysisPlan"]
    assert config["maxDurationSeconds"] == 10
    assert config["transcriber"]["language"] == "multi"
    assert len(config["name"]) == 40


# --- AVA's built-in tools in model.tools ------------------------------------------------------------------------


def _tools(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {tool.get("function", {}).get("name", tool["type"]): tool for tool in config["model"].get("tools", [])}


def test_builtin_tools_are_function_tools_the_sdk_accepts_pointing_at_avas_webhook():
    assistant = _assistant(enabled_integrations=list(BUILTIN_TOOLS))
    config = vapi_assistant_config(assistant=assistant, public_url="https://ava.example.com", webhook_secret="whsec_a")

    parsed = assert_matches_sdk(vt.CreateAssistantDto, config)
    tools = _tools(config)
    assert list(tools) == list(BUILTIN_TOOLS)
    assert [type(tool).__name__ for tool in parsed.model.tools] == ["OpenAiModelToolsItem_Function"] * 4
    for name, tool in tools.items():
        assert_matches_sdk(vt.OpenAiModelToolsItem_Function, tool)
        assert_matches_sdk(vt.CreateFunctionToolDto, tool, ignore=("type",))
        assert tool["function"]["description"] and tool["function"]["parameters"]["type"] == "object"
        # Tool calls go to the tool's own server: the secret header must be there, as on the assistant's server.
        assert tool["server"] == config["server"] and tool["server"] is not config["server"]
        assert tool["server"]["headers"] == {"X-Vapi-Secret": "whsec_a"}, name
    assert tools["lookup_faq"]["function"]["parameters"]["required"] == ["question"]
    message = tools["take_message"]["function"]["parameters"]
    assert message["required"] == ["message"]
    assert {"caller_name", "callback_number", "message"} <= message["properties"].keys()
    # The owner's data fields (by their own key) can be captured with the message; labels-only entries cannot.
    assert message["properties"]["patient_name"] == {"type": "string", "description": "Patient name"}
    assert message["properties"]["appointmentBooked"] == {"type": "boolean"}


def test_a_forwarding_number_makes_transfer_a_real_vapi_transfer_call():
    assistant = _assistant(enabled_integrations=["transfer_to_human", "take_message"])
    config = vapi_assistant_config(
        assistant=assistant,
        public_url="https://ava.example.com",
        webhook_secret="s",
        transfer_numbers=["+14155550100", "+14155550100", "+14155550111"],
        hold_message="Veuillez patienter, je vous mets en relation.",
    )

    assert_matches_sdk(vt.CreateAssistantDto, config)
    tools = _tools(config)
    assert list(tools) == ["take_message", "transferCall"], "transfer_to_human is replaced, not duplicated"
    transfer = tools["transferCall"]
    assert_matches_sdk(vt.OpenAiModelToolsItem_TransferCall, transfer)
    assert_matches_sdk(vt.CreateTransferCallToolDto, transfer, ignore=("type",))
    assert [d["number"] for d in transfer["destinations"]] == ["+14155550100", "+14155550111"]
    assert all(d["type"] == "number" and d["description"] for d in transfer["destinations"])
    assert transfer["destinations"][0]["message"] == "Veuillez patienter, je vous mets en relation."


def test_without_a_forwarding_number_transfer_stays_avas_function_tool():
    assistant = _assistant(enabled_integrations=["transfer_to_human"])
    config = vapi_assistant_config(assistant=assistant, public_url="https://a.example", webhook_secret="s")

    (tool,) = config["model"]["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "transfer_to_human"


def test_booking_tools_and_their_prompt_come_with_the_booking_rule_only():
    assistant = _assistant(enabled_integrations=["lookup_faq"])
    config = vapi_assistant_config(
        assistant=assistant, public_url="https://a.example", webhook_secret="s", booking_rule="Bookings: you can book."
    )

    assert_matches_sdk(vt.CreateAssistantDto, config)
    tools = _tools(config)
    assert list(tools) == ["lookup_faq", *BOOKING_TOOLS]
    for name in BOOKING_TOOLS:
        assert_matches_sdk(vt.CreateFunctionToolDto, tools[name], ignore=("type",))
        assert tools[name]["server"]["headers"] == {"X-Vapi-Secret": "s"}
    assert tools["book_appointment"]["function"]["parameters"]["required"] == ["service", "slot", "caller_name"]
    assert config["model"]["messages"][0]["content"].endswith("Bookings: you can book.")

    without = vapi_assistant_config(assistant=assistant, public_url="https://a.example", webhook_secret="s")
    assert list(_tools(without)) == ["lookup_faq"]
    assert "Bookings" not in without["model"]["messages"][0]["content"]


@pytest.mark.parametrize(
    ("enabled", "declared"),
    [
        ([], None),
        (None, list(BUILTIN_TOOLS)),
        (["lookup_faq", "a_tool_ava_dropped", 3], ["lookup_faq"]),
        (["lookup_faq", "check_business_hours"], ["check_business_hours", "lookup_faq"]),
    ],
)
def test_only_enabled_tools_are_declared_and_odd_old_values_do_not_break_the_push(enabled, declared):
    assistant = _assistant(enabled_integrations=enabled)
    config = vapi_assistant_config(assistant=assistant, public_url="https://a.example", webhook_secret="s")

    assert_matches_sdk(vt.CreateAssistantDto, config)
    if declared is None:
        assert "tools" not in config["model"]
    else:
        assert [tool["function"]["name"] for tool in config["model"]["tools"]] == declared


async def test_the_emulator_accepts_avas_tools_and_refuses_malformed_ones(client):
    config = vapi_assistant_config(
        assistant=_assistant(enabled_integrations=list(BUILTIN_TOOLS)),
        public_url="https://a.example",
        webhook_secret="s",
        transfer_numbers=["+14155550100"],
    )
    created = await client.create_assistant(config=config)
    # Kept as sent, the webhook secret in each tool's server headers hidden from readers.
    hidden = {"headers": {"X-Vapi-Secret": REDACTED}}
    expected = [
        {**tool, "server": {**tool["server"], **hidden}} if "server" in tool else tool
        for tool in config["model"]["tools"]
    ]
    assert created["model"]["tools"] == expected

    broken = {
        **config["model"],
        "tools": [
            {"type": "magic"},
            {"type": "function", "function": {"name": "has spaces"}},
            {"type": "transferCall", "destinations": [{"type": "number", "number": "0415"}]},
        ],
    }
    with pytest.raises(Invalid) as error:
        await client.update_assistant(assistant_id=created["id"], changes={"model": broken})
    messages = error.value.details["messages"]
    assert any(m.startswith("model.tools.0.type must be one of") for m in messages)
    assert any(m.startswith("model.tools.1.function.name must match") for m in messages)
    assert "model.tools.2.destinations.0.number must be a valid phone number in E.164 format" in messages


def test_every_server_message_we_subscribe_to_is_one_vapi_knows():
    allowed = set(vt.CreateAssistantDtoServerMessagesItem.__args__[0].__args__)

    assert set(SERVER_MESSAGES) <= allowed


# --- request bodies against the SDK ---------------------------------------------------------------------------


class Recorder:
    """An httpx transport that records requests and answers with canned JSON."""

    def __init__(self, respond: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond or (lambda request: httpx.Response(201, json={"id": "x", "createdAt": "z"}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


def _client(recorder: Recorder, **options: Any) -> VapiClient:
    options.setdefault("backoff_initial", 0)
    return VapiClient(base_url="https://api.vapi.test", api_key="k", transport=httpx.MockTransport(recorder), **options)


async def test_assistant_requests_match_the_sdk():
    recorder = Recorder()
    client = _client(recorder)
    config = vapi_assistant_config(assistant=_assistant(), public_url="https://a.example", webhook_secret="s")

    await client.create_assistant(config=config)
    await client.update_assistant(assistant_id="a1", changes={"firstMessage": "Hi", "model": config["model"]})

    create, update = recorder.requests
    assert (create.method, create.url.path) == ("POST", "/assistant")
    assert create.headers["authorization"] == "Bearer k"
    assert_matches_sdk(vt.CreateAssistantDto, recorder.body(0))
    assert (update.method, update.url.path) == ("PATCH", "/assistant/a1")
    assert_matches_sdk(vt.CreateAssistantDto, recorder.body(1))


async def test_phone_number_requests_match_the_sdk():
    recorder = Recorder()
    client = _client(recorder)

    await client.create_free_number(area_code="415", name="Main line", assistant_id="a1")
    await client.import_twilio_number(
        number="+14155550142",
        twilio_account_sid="AC" + "a" * 32,
        twilio_auth_token="token",
        name="Bright Smile main line",
        assistant_id="a1",
        server={"url": "https://a.example/api/v1/webhooks/vapi"},
    )
    await client.update_phone_number(
        phone_number_id="p1",
        assistant_id=None,
        fallback_destination={"type": "number", "number": "+14155550100", "message": "One moment."},
        server={"url": "https://a.example/api/v1/webhooks/vapi", "headers": {"X-Vapi-Secret": "s"}},
    )
    await client.release_phone_number(phone_number_id="p1")

    free, twilio, update, release = recorder.requests
    assert recorder.body(0)["provider"] == "vapi"
    assert_matches_sdk(vt.CreateVapiPhoneNumberDto, recorder.body(0), ignore=("provider",))
    assert recorder.body(1)["provider"] == "twilio"
    assert_matches_sdk(vt.CreateTwilioPhoneNumberDto, recorder.body(1), ignore=("provider",))
    assert_matches_sdk(vt.UpdateTwilioPhoneNumberDto, recorder.body(2))
    assert_matches_sdk(vt.UpdateVapiPhoneNumberDto, recorder.body(2))
    assert recorder.body(2)["assistantId"] is None, "None must be sent to unassign, not dropped"
    assert (update.method, update.url.path, release.method, release.url.path) == (
        "PATCH", "/phone-number/p1", "DELETE", "/phone-number/p1",
    )  # fmt: skip


async def test_outbound_call_body_is_exactly_what_the_sdk_sends():
    ours, theirs = Recorder(), Recorder()
    await _client(ours).create_outbound_call(
        assistant_id="a1",
        phone_number_id="p1",
        customer_number="+16505550199",
        customer_name="Jordan Lee",
        name="Recall: Jordan Lee",
        variable_values={"customerName": "Jordan"},
    )
    sdk = AsyncVapi(token="k", base_url="https://api.vapi.test", httpx_client=httpx.AsyncClient(
        transport=httpx.MockTransport(theirs)
    ))  # fmt: skip
    await sdk.calls.create(
        assistant_id="a1",
        phone_number_id="p1",
        customer=vt.CreateCustomerDto(number="+16505550199", name="Jordan Lee"),
        name="Recall: Jordan Lee",
        assistant_overrides=vt.AssistantOverrides(variable_values={"customerName": "Jordan"}),
        request_options={"max_retries": 0},
    )

    assert ours.requests[0].url.path == theirs.requests[0].url.path == "/call"
    assert ours.body() == theirs.body()


async def test_call_fields_and_web_call_body_match_the_sdk():
    recorder = Recorder()
    await _client(recorder, public_key="pub-k").create_web_call(assistant_id="a1", variable_values={"x": "1"})

    assert recorder.requests[0].url.path == "/call/web"
    assert_matches_sdk(vt.CreateWebCallDto, recorder.body())


async def test_web_calls_go_with_the_public_key_and_everything_else_with_the_private_one():
    recorder = Recorder()
    client = _client(recorder, public_key="pub-k")

    await client.create_web_call(assistant_id="a1")
    await client.get_call(call_id="c1")

    web, private = recorder.requests
    assert web.headers["authorization"] == "Bearer pub-k"
    assert private.headers["authorization"] == "Bearer k"


async def test_a_web_call_without_a_public_key_says_which_setting_is_missing():
    recorder = Recorder()

    with pytest.raises(ProviderError) as error:
        await _client(recorder).create_web_call(assistant_id="a1")

    assert error.value.code == "vapi_public_key_missing" and "AVA_VAPI_PUBLIC_KEY" in error.value.message
    assert recorder.requests == [], "the private key must never be sent to /call/web"


def test_sandbox_and_real_endpoints_carry_their_public_key(tmp_path):
    sandbox = vapi_endpoint(settings=Settings(vapi_api_key="", data_dir=tmp_path, secret_key="x" * 40))
    real = vapi_endpoint(
        settings=Settings(vapi_api_key="priv", vapi_public_key="pub", data_dir=tmp_path, secret_key="x" * 40)
    )

    assert sandbox.public_key == sandbox_keys_in(tmp_path).vapi_public_key
    assert (real.api_key, real.public_key) == ("priv", "pub")


async def test_list_requests_send_limit_and_filters_and_sort_newest_first():
    items = [
        {"id": "old", "createdAt": "2025-01-01T00:00:00.000Z"},
        {"id": "new", "createdAt": "2025-02-01T00:00:00.000Z"},
    ]
    recorder = Recorder(lambda request: httpx.Response(200, json=items))

    calls = await _client(recorder).list_calls(limit=5, created_at_lt="2025-03-01T00:00:00Z", assistant_id="a1")

    assert [c["id"] for c in calls] == ["new", "old"]
    params = recorder.requests[0].url.params
    assert (params["limit"], params["createdAtLt"], params["assistantId"]) == ("5", "2025-03-01T00:00:00Z", "a1")
    assert set(params) <= sdk_parameters(AsyncCallsClient.list)


# --- fixtures parse -------------------------------------------------------------------------------------------

FIXTURE_MODELS = {
    "assistant-request.json": vt.ServerMessageAssistantRequest,
    "assistant-request.response.json": vt.ServerMessageResponseAssistantRequest,
    "conversation-update.json": vt.ServerMessageConversationUpdate,
    "end-of-call-report.json": vt.ServerMessageEndOfCallReport,
    "hang.json": vt.ServerMessageHang,
    "speech-update.json": vt.ServerMessageSpeechUpdate,
    "status-update.json": vt.ServerMessageStatusUpdate,
    "status-update.ended.json": vt.ServerMessageStatusUpdate,
    "tool-calls.json": vt.ServerMessageToolCalls,
    "tool-calls.response.json": vt.ServerMessageResponseToolCalls,
    "transcript.json": vt.ServerMessageTranscript,
    "vapi-assistant.json": vt.Assistant,
    "vapi-call-created.json": vt.Call,
    "vapi-call.json": vt.Call,
    "vapi-phone-number.json": vt.TwilioPhoneNumber,
}


def test_every_vapi_fixture_is_covered():
    vapi_fixtures = {p.name for p in FIXTURES.glob("*.json") if not p.name.startswith("twilio-")}

    assert vapi_fixtures == set(FIXTURE_MODELS) | {"tool-calls.object-arguments.json", "vapi-ended-reasons.json"}


@pytest.mark.parametrize("name", sorted(FIXTURE_MODELS))
def test_fixture_parses_with_the_sdk_model(name):
    payload = load_fixture(name)
    payload = payload.get("message", payload)

    # The SDK's phone-number classes drop the ``provider`` discriminator (it lives on the union), so skip it.
    ignore = ("provider",) if "PhoneNumber" in FIXTURE_MODELS[name].__name__ else ()
    assert_matches_sdk(FIXTURE_MODELS[name], payload, ignore=ignore)


def test_tool_calls_with_object_arguments_parse_leniently_but_not_strictly():
    message = load_fixture("tool-calls.object-arguments.json")["message"]

    arguments = message["toolCallList"][0]["function"]["arguments"]
    assert isinstance(arguments, dict) and arguments["patientName"]
    with pytest.raises(ValueError):
        vt.ServerMessageToolCalls.model_validate(message)


def test_ended_reasons_fixture_is_the_sdk_enum():
    reasons = load_fixture("vapi-ended-reasons.json")
    literal = vt.ServerMessageEndOfCallReportEndedReason.__args__[0].__args__

    assert len(reasons) == 604 and set(reasons) == set(literal)


# --- against the emulator -------------------------------------------------------------------------------------


async def test_assistant_lifecycle_against_the_emulator(client):
    created = await client.create_assistant(config=assistant_config())
    fetched = await client.get_assistant(assistant_id=created["id"])
    updated = await client.update_assistant(assistant_id=created["id"], changes={"firstMessage": "Hello!"})
    listed = await client.list_assistants()
    deleted = await client.delete_assistant(assistant_id=created["id"])

    assert fetched == created
    assert updated["firstMessage"] == "Hello!" and updated["name"] == created["name"]
    assert [a["id"] for a in listed] == [created["id"]]
    assert deleted["id"] == created["id"]
    with pytest.raises(NotFound):
        await client.get_assistant(assistant_id=created["id"])


async def test_phone_numbers_and_calls_against_the_emulator(client):
    assistant = await client.create_assistant(config=assistant_config())
    free = await client.create_free_number(area_code="212", assistant_id=assistant["id"])
    imported = await client.import_twilio_number(
        number="+14155550142", twilio_account_sid="AC" + "b" * 32, twilio_auth_token="secret-token"
    )
    routed = await client.update_phone_number(
        phone_number_id=imported["id"],
        assistant_id=assistant["id"],
        fallback_destination={"type": "number", "number": "+14155550100"},
    )
    call = await client.create_outbound_call(
        assistant_id=assistant["id"], phone_number_id=imported["id"], customer_number="+16505550199"
    )
    web = await client.create_web_call(assistant_id=assistant["id"])

    assert re.fullmatch(r"\+1212555010\d", free["number"]) and free["provider"] == "vapi"
    assert "twilioAuthToken" not in imported
    assert routed["assistantId"] == assistant["id"] and routed["fallbackDestination"]["number"] == "+14155550100"
    assert call["status"] == "queued" and call["type"] == "outboundPhoneCall"
    assert web["type"] == "webCall" and web["webCallUrl"].startswith(EMULATOR_URL)
    assert (await client.get_call(call_id=call["id"]))["id"] == call["id"]
    assert [c["id"] for c in await client.list_calls(phone_number_id=imported["id"])] == [call["id"]]
    assert {n["id"] for n in await client.list_phone_numbers()} == {free["id"], imported["id"]}
    released = await client.release_phone_number(phone_number_id=free["id"])
    assert released["number"] == free["number"]


async def test_free_number_rules_are_checked_before_calling_vapi():
    recorder = Recorder()
    client = _client(recorder)

    with pytest.raises(Invalid) as non_us:
        await client.create_free_number(area_code="020", country="GB")
    with pytest.raises(Invalid) as bad_code:
        await client.create_free_number(area_code="123")

    assert non_us.value.code == "number_country_unsupported" and "US" in non_us.value.message
    assert bad_code.value.code == "area_code_invalid" and "area_code" in bad_code.value.details["fields"]
    assert recorder.requests == []


async def test_free_numbers_are_limited_to_five_per_org(client):
    for _ in range(5):
        await client.create_free_number(area_code="415")

    with pytest.raises(Invalid) as error:
        await client.create_free_number(area_code="415")

    assert "at most 5" in error.value.message


async def test_validation_errors_become_invalid_with_vapi_messages(client):
    with pytest.raises(Invalid) as error:
        await client.create_assistant(config={"name": "Ava", "serverUrl": "https://old.example"})

    assert error.value.details["messages"] == ["property serverUrl should not exist"]
    assert error.value.details["fields"] == {"serverUrl": "property serverUrl should not exist"}


async def test_a_wrong_key_is_a_provider_error_not_a_logout(emulator):
    client = VapiClient(base_url=EMULATOR_URL, api_key="wrong", transport=httpx.ASGITransport(app=emulator))

    with pytest.raises(ProviderError) as error:
        await client.list_assistants()

    assert error.value.code == "provider_auth_failed" and error.value.status_code == 502
    assert "Invalid Key" in error.value.details["messages"][0]


# --- failures, retries and the breaker ------------------------------------------------------------------------


class Script:
    """Answers requests from a list of responses/exceptions, then repeats the last one."""

    def __init__(self, *steps: Any) -> None:
        self.steps = list(steps)
        self.count = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        step = self.steps[min(self.count, len(self.steps) - 1)]
        self.count += 1
        if isinstance(step, Exception):
            raise step
        return step


def _scripted(script: Script, **options: Any) -> tuple[VapiClient, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    options.setdefault("backoff_initial", 0.01)
    client = VapiClient(
        base_url="https://api.vapi.test", api_key="k", transport=httpx.MockTransport(script), sleep=sleep, **options
    )
    return client, waits


async def test_429_is_retried_after_the_retry_after_header():
    script = Script(httpx.Response(429, headers={"Retry-After": "2"}, json={"message": "slow down"}),
                    httpx.Response(200, json=[]))  # fmt: skip
    client, waits = _scripted(script)

    assert await client.list_assistants() == []
    assert script.count == 2 and waits == [2.0]


async def test_429_that_persists_becomes_provider_unavailable_with_retry_after():
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}))
    client, waits = _scripted(script, max_attempts=3)

    with pytest.raises(ProviderUnavailable) as error:
        await client.list_calls()

    assert script.count == 3 and waits == [7.0, 7.0]
    assert error.value.message == UNAVAILABLE_MESSAGE and error.value.details["retry_after"] == 7.0


async def test_500_on_a_read_is_retried_with_backoff_then_reported_unavailable():
    script = Script(httpx.Response(500, json={"message": "Internal server error"}))
    client, waits = _scripted(script, max_attempts=3)

    with pytest.raises(ProviderUnavailable):
        await client.get_call(call_id="c1")

    assert script.count == 3 and len(waits) == 2 and all(w >= 0 for w in waits)


async def test_500_after_a_post_is_not_retried_because_vapi_may_have_acted():
    script = Script(httpx.Response(500, json={"message": "Internal server error"}))
    client, waits = _scripted(script)

    with pytest.raises(ProviderUnavailable):
        await client.create_outbound_call(assistant_id="a", phone_number_id="p", customer_number="+16505550199")

    assert script.count == 1 and waits == []


async def test_timeouts_are_retried_on_reads_only():
    read = Script(httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "a1"}))
    post = Script(httpx.ReadTimeout("slow"))
    reader, _ = _scripted(read)
    poster, _ = _scripted(post)

    assert await reader.get_assistant(assistant_id="a1") == {"id": "a1"}
    with pytest.raises(ProviderUnavailable):
        await poster.create_assistant(config={"name": "Ava"})
    assert (read.count, post.count) == (2, 1)


async def test_connection_refused_is_retried_even_for_a_post():
    script = Script(httpx.ConnectError("refused"), httpx.Response(201, json={"id": "a1"}))
    client, _ = _scripted(script)

    assert (await client.create_assistant(config={"name": "Ava"}))["id"] == "a1"
    assert script.count == 2


async def test_a_server_that_never_answers_times_out_quickly():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        await asyncio.sleep(5)  # accept the request, never answer
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = VapiClient(
        base_url=f"http://127.0.0.1:{port}", api_key="k", timeout=0.1, max_attempts=2, backoff_initial=0
    )
    started = asyncio.get_running_loop().time()
    try:
        with pytest.raises(ProviderUnavailable) as error:
            await client.get_call(call_id="c1")
    finally:
        await client.aclose()
        server.close()

    assert asyncio.get_running_loop().time() - started < 1.5
    assert "ReadTimeout" in error.value.details["reason"]


async def test_malformed_json_is_a_provider_error_and_not_retried():
    script = Script(httpx.Response(200, content=b"<html>gateway</html>", headers={"content-type": "text/html"}))
    client, _ = _scripted(script)

    with pytest.raises(ProviderError) as error:
        await client.get_assistant(assistant_id="a1")

    assert error.value.code == "provider_bad_response" and script.count == 1


async def test_404_and_409_map_to_domain_errors():
    client, _ = _scripted(
        Script(httpx.Response(404, json={"message": "nope", "error": "Not Found", "statusCode": 404}))
    )
    conflict, _ = _scripted(Script(httpx.Response(409, json={"error": "assistant_pinned", "message": "pinned"})))

    with pytest.raises(NotFound):
        await client.get_call(call_id="missing")
    with pytest.raises(ProviderError.__mro__[1]) as error:  # Conflict is a DomainError
        await conflict.delete_assistant(assistant_id="a1")
    assert error.value.code == "conflict" and error.value.message == "pinned"


async def test_breaker_opens_after_repeated_outages_and_closes_after_its_reset_timeout():
    healthy = httpx.Response(200, json=[])
    script = Script(httpx.Response(503), httpx.Response(503), healthy)
    client, _ = _scripted(script, max_attempts=1, breaker_threshold=2, breaker_reset_seconds=0.2)

    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            await client.list_assistants()
    with pytest.raises(ProviderUnavailable) as fast:
        await client.list_assistants()
    assert script.count == 2, "an open breaker must not call Vapi at all"
    assert fast.value.message == "voice provider unavailable, retrying"
    assert 0 < fast.value.details["retry_after"] <= 0.2

    await asyncio.sleep(0.25)
    assert await client.list_assistants() == []
    assert await client.list_assistants() == []
    assert script.count == 4


async def test_fresh_clients_of_one_account_share_its_breaker():
    script = Script(httpx.Response(503))

    for _ in range(2):
        client, _ = _scripted(script, max_attempts=1, breaker_threshold=2)
        with pytest.raises(ProviderUnavailable):
            await client.list_assistants()
    other_account = VapiClient(
        base_url="https://api.vapi.test",
        api_key="another-org-key",
        transport=httpx.MockTransport(Script(httpx.Response(200, json=[]))),
        max_attempts=1,
        breaker_threshold=2,
    )
    third, _ = _scripted(script, max_attempts=1, breaker_threshold=2)

    with pytest.raises(ProviderUnavailable) as fast:
        await third.get_call(call_id="c1")
    assert script.count == 2, "a client made after the outage must not call Vapi while the breaker is open"
    assert fast.value.message == "voice provider unavailable, retrying"
    assert await other_account.list_assistants() == [], "another Vapi account has a breaker of its own"


async def test_breaker_opens_for_fresh_clients_against_the_emulator_set_to_fail(emulator):
    sandbox = emulator.state.sandbox
    sandbox.fail_next(1000, status=503, retry_after=0)

    def fresh() -> VapiClient:
        # What the services do: a new client for every operation.
        return VapiClient(
            base_url=EMULATOR_URL,
            api_key=sandbox_keys().vapi_api_key,
            transport=httpx.ASGITransport(app=emulator),
            backoff_initial=0,
            breaker_threshold=3,
            breaker_reset_seconds=0.3,
        )

    for _ in range(3):
        with pytest.raises(ProviderUnavailable) as slow:
            await fresh().list_assistants()
        assert slow.value.details["reason"] == "HTTP 503"
    served = sandbox.failures_served
    assert served == 9, "three attempts per operation"
    started = asyncio.get_running_loop().time()
    with pytest.raises(ProviderUnavailable) as fast:
        await fresh().create_assistant(config=assistant_config())
    assert asyncio.get_running_loop().time() - started < 0.05
    assert sandbox.failures_served == served and fast.value.message == UNAVAILABLE_MESSAGE
    assert 0 < fast.value.details["retry_after"] <= 0.3

    sandbox.reset_failures()
    await asyncio.sleep(0.35)
    assert await fresh().list_assistants() == []


async def test_client_errors_do_not_open_the_breaker():
    script = Script(httpx.Response(404, json={"message": "gone"}))
    client, _ = _scripted(script, breaker_threshold=2)

    for _ in range(4):
        with pytest.raises(NotFound):
            await client.get_assistant(assistant_id="a1")

    assert script.count == 4


def test_sdk_extras_helper_catches_unknown_nested_keys():
    parsed = vt.CreateAssistantDto.model_validate({"server": {"url": "https://x", "secret": "legacy"}})

    assert sdk_extras(parsed) == ["$.server.secret"]
