"""The LLM provider through the real ``openai`` SDK against the OpenAI emulator over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from ava_app.sandbox.openai.app import create_openai_emulator
from ava_app.services.errors import ProviderError, ProviderUnavailable
from ava_app.services.providers import llm
from ava_app.settings import get_settings
from tests.servers import serve_app

API_KEY = "sk-emulator-7f3a9c2e"
TRANSCRIPT = (
    "AI: Bright Smile Dental, this is Ava. How can I help?\n"
    "User: Hi, my name is Jordan Lee. I'd like to book a cleaning next Tuesday morning.\n"
    "AI: Of course. Can I have a number to confirm?\n"
    "User: Sure, it's 415 555 0142. Thanks a lot!"
)
ASSISTANT = {
    "name": "Ava",
    "business_name": "Bright Smile Dental",
    "language": "en",
    "tone": "friendly",
    "first_message": "Bright Smile Dental, this is Ava. How can I help?",
    "knowledge_base": [{"question": "Do you take new patients?", "answer": "Yes, we welcome new patients."}],
}


@pytest.fixture()
def openai_app():
    return create_openai_emulator(api_key=API_KEY)


@pytest.fixture()
def control(openai_app, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator:
    """A running emulator with AVA's settings pointing at it; yields its control object."""
    with serve_app(openai_app) as base_url:
        monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("AVA_OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("AVA_OPENAI_BASE_URL", base_url + "/v1")
        monkeypatch.setenv("AVA_OPENAI_MODEL", "gpt-4o-mini")
        get_settings.cache_clear()
        openai_app.state.base_url = base_url
        yield openai_app.state.control
    get_settings.cache_clear()


@pytest.fixture()
def no_key(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AVA_OPENAI_API_KEY", "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _summary_json(**overrides) -> str:
    answer = {
        "summary": "Jordan Lee wants a cleaning next Tuesday morning.",
        "intent": "Book a cleaning",
        "action_needed": True,
        "topics": ["Appointment", " cleaning ", ""],
        "sentiment": "positive",
        "data": {"patient_name": "Jordan Lee", "phone": "415 555 0142"},
    }
    return json.dumps({**answer, **overrides})


# --- summaries ----------------------------------------------------------------------------------------------


async def test_summary_asks_for_the_schema_and_parses_the_answer(control):
    result = await llm.summarise_call(transcript=TRANSCRIPT, language="en", data_fields=["patient_name", "phone"])
    assert result.source == "llm"
    assert result.data == {"patient_name": "emulated patient_name", "phone": "emulated phone"}
    assert result.sentiment in ("positive", "neutral", "negative")
    assert isinstance(result.action_needed, bool)
    (request,) = control.requests
    assert request["model"] == "gpt-4o-mini"
    schema_format = request["response_format"]
    assert schema_format["type"] == "json_schema"
    assert schema_format["json_schema"]["name"] == "call_summary"
    assert schema_format["json_schema"]["strict"] is True
    assert schema_format["json_schema"]["schema"]["properties"]["data"]["required"] == ["patient_name", "phone"]
    assert request["messages"][0]["role"] == "system"
    assert "Jordan Lee" in request["messages"][1]["content"]


async def test_summary_prompt_speaks_the_call_language(control):
    await llm.summarise_call(transcript="User: Bonjour, je voudrais un rendez-vous.", language="fr-FR")
    await llm.summarise_call(transcript="User: Hola, quiero una cita.", language="es")
    french, spanish = control.requests
    assert "Tu résumes des appels" in french["messages"][0]["content"]
    assert "Transcription" in french["messages"][1]["content"]
    # Spanish is not a language AVA speaks: its prompts are the English ones.
    assert "You summarise phone calls" in spanish["messages"][0]["content"]


async def test_summary_values_come_from_the_model(control):
    control.respond_next(_summary_json())
    result = await llm.summarise_call(transcript=TRANSCRIPT, data_fields=["patient_name", "phone", "date"])
    assert result.summary == "Jordan Lee wants a cleaning next Tuesday morning."
    assert result.intent == "Book a cleaning"
    assert result.action_needed is True
    assert result.topics == ["appointment", "cleaning"]
    # A requested field the model left out is None; extra keys are dropped.
    assert result.data == {"patient_name": "Jordan Lee", "phone": "415 555 0142", "date": None}


async def test_rate_limits_are_retried_by_the_sdk(control):
    control.fail_next(2, status=429)
    result = await llm.summarise_call(transcript=TRANSCRIPT)
    assert result.source == "llm"
    assert len(control.requests) == 3


async def test_server_errors_are_retried_then_recover(control):
    control.fail_next(1, status=500, retry_after=None)
    assert (await llm.summarise_call(transcript=TRANSCRIPT)).source == "llm"
    assert len(control.requests) == 2


async def test_persistent_server_errors_become_provider_unavailable(control):
    control.fail_next(3, status=500)
    with pytest.raises(ProviderUnavailable) as caught:
        await llm.summarise_call(transcript=TRANSCRIPT)
    assert caught.value.code == "openai_unavailable"
    assert len(control.requests) == 3


async def test_persistent_rate_limit_becomes_provider_unavailable(control):
    control.fail_next(3, status=429, retry_after=0.05)
    with pytest.raises(ProviderUnavailable) as caught:
        await llm.summarise_call(transcript=TRANSCRIPT)
    assert caught.value.code == "openai_rate_limited"


async def test_malformed_answer_is_retried_once(control):
    control.malformed_next(1)
    result = await llm.summarise_call(transcript=TRANSCRIPT, data_fields=["phone"])
    assert result.source == "llm" and result.data == {"phone": "emulated phone"}
    first, second = control.requests
    # The retry shows the model its bad answer and asks again.
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2]["role"] == "assistant"
    assert second["messages"][-1]["content"].startswith("Your previous answer was not valid JSON")


async def test_malformed_twice_is_summary_failed(control):
    control.malformed_next(2)
    with pytest.raises(llm.SummaryFailed) as caught:
        await llm.summarise_call(transcript=TRANSCRIPT)
    assert isinstance(caught.value, ProviderError)
    assert caught.value.code == "summary_failed"
    assert len(control.requests) == 2


async def test_json_that_breaks_the_schema_counts_as_malformed(control):
    control.respond_next(_summary_json(sentiment="happy"))
    control.respond_next(_summary_json(action_needed="yes"))
    with pytest.raises(llm.SummaryFailed):
        await llm.summarise_call(transcript=TRANSCRIPT)


async def test_wrong_key_is_a_clear_provider_error(control, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AVA_OPENAI_API_KEY", "sk-wrong-key-000")
    get_settings.cache_clear()
    with pytest.raises(ProviderError) as caught:
        await llm.summarise_call(transcript=TRANSCRIPT)
    assert caught.value.code == "openai_credentials_rejected"


def test_emulator_401_uses_openais_error_shape(control, openai_app):
    response = httpx.post(
        openai_app.state.base_url + "/v1/chat/completions",
        headers={"Authorization": "Bearer sk-bad-123456789"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_api_key")


def test_emulator_streams_server_sent_events(control, openai_app):
    response = httpx.post(
        openai_app.state.base_url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "Are you open on Sunday?"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.split("\n\n") if line]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(event.removeprefix("data: ")) for event in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    text = "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in chunks if chunk["choices"])
    assert text == "Emulated reply to: Are you open on Sunday?"


async def test_unreachable_openai_is_provider_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AVA_OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("AVA_OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    get_settings.cache_clear()
    try:
        with pytest.raises(ProviderUnavailable):
            await llm.summarise_call(transcript=TRANSCRIPT)
    finally:
        get_settings.cache_clear()


# --- test-call replies --------------------------------------------------------------------------------------


async def test_reply_streams_chunks_from_the_model(control):
    conversation = [
        {"role": "assistant", "content": ASSISTANT["first_message"]},
        {"role": "user", "content": "Do you take new patients?"},
    ]
    reply = llm.stream_test_call_reply(assistant=ASSISTANT, conversation=conversation)
    assert reply.source == "llm"
    chunks = [chunk async for chunk in reply]
    assert len(chunks) > 1
    assert "".join(chunks) == "Emulated reply: Yes, we welcome new patients."
    (request,) = control.requests
    assert request["stream"] is True
    system = request["messages"][0]
    assert system["role"] == "system"
    assert "Bright Smile Dental" in system["content"] and "Yes, we welcome new patients." in system["content"]
    assert [m["role"] for m in request["messages"][1:]] == ["assistant", "user"]


async def test_reply_in_french_uses_the_french_prompt(control):
    assistant = {**ASSISTANT, "language": "fr", "knowledge_base": []}
    text = await llm.stream_test_call_reply(
        assistant=assistant, conversation=[{"role": "user", "content": "Bonjour"}]
    ).text()
    assert text == "Réponse émulée à : Bonjour"
    assert "Parle français" in control.requests[0]["messages"][0]["content"]


async def test_reply_recovers_from_a_rate_limit(control):
    control.fail_next(1, status=429)
    reply = llm.stream_test_call_reply(assistant=ASSISTANT, conversation=[{"role": "user", "content": "Hello"}])
    assert await reply.text() == "Emulated reply to: Hello"
    assert len(control.requests) == 2


async def test_error_in_the_middle_of_a_stream_is_a_domain_error(control):
    control.break_next_stream()
    reply = llm.stream_test_call_reply(assistant=ASSISTANT, conversation=[{"role": "user", "content": "Hello there"}])
    received = []
    with pytest.raises(ProviderError):
        async for chunk in reply:
            received.append(chunk)
    assert received == ["Emulated "]


# --- without a key: the local fallback ----------------------------------------------------------------------


async def test_without_a_key_the_summary_is_local(no_key):
    result = await llm.summarise_call(transcript=TRANSCRIPT, language="en", data_fields=["patient_name"])
    assert result.source == "local"
    assert "appointment" in result.topics
    assert result.data == {"patient_name": "Jordan Lee"}


async def test_without_a_key_the_reply_is_local(no_key):
    reply = llm.stream_test_call_reply(assistant=ASSISTANT, conversation=[{"role": "user", "content": "New patients?"}])
    assert reply.source == "local"
    chunks = [chunk async for chunk in reply]
    assert "".join(chunks) == "Yes, we welcome new patients."
    assert len(chunks) == 5


async def test_an_empty_call_is_summarised_without_any_model(control):
    result = await llm.summarise_call(transcript="  \n", language="fr", data_fields=["name"])
    assert (result.summary, result.source, result.data) == (
        "Aucune conversation n'a été enregistrée.",
        "local",
        {"name": None},
    )
    assert control.requests == []
