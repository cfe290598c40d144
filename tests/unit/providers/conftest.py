"""Fixtures for the Vapi provider tests: the emulator in-process, the real client on it, a webhook receiver."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from ava_app.sandbox.vapi.app import create_vapi_emulator
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.services.providers.vapi import VapiClient, reset_circuit_breakers
from tests.fixtures import CONTRACT_FIXTURES

FIXTURES = CONTRACT_FIXTURES
EMULATOR_URL = "http://vapi.test"
RECEIVER_URL = "http://ava.test/api/v1/webhooks/vapi"
WEBHOOK_SECRET = "whsec_test_secret_1234"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def sdk_extras(value: Any, path: str = "$") -> list[str]:
    """Every key the SDK model did not declare (its models accept extras, so strictness is checked here)."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{path}.{key}" for key in (value.model_extra or {})]
        for name in type(value).model_fields:
            found += sdk_extras(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += sdk_extras(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += sdk_extras(item, f"{path}.{key}")
    return found


def assert_matches_sdk(model: type[BaseModel], payload: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> BaseModel:
    """Validate ``payload`` with a vapi-server-sdk 3.0.0 model, rejecting any property the model does not know."""
    parsed = model.model_validate({k: v for k, v in payload.items() if k not in ignore})
    assert sdk_extras(parsed) == [], f"{model.__name__} does not know {sdk_extras(parsed)}"
    return parsed


def sdk_parameters(method: Any) -> set[str]:
    """The JSON names (camelCase) of an SDK method's keyword parameters."""
    names = [name for name in inspect.signature(method).parameters if name not in {"self", "request_options"}]
    return {name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:]) for name in names}


@dataclass
class Receiver:
    """A stand-in for AVA's webhook route: records every delivery and answers tool calls / assistant requests."""

    deliveries: list[dict[str, Any]] = field(default_factory=list)
    tool_result: str = "Booked: cleaning on Tuesday at 9:30 AM. Confirmation BSD-4821."
    # Per tool name: the result string, or None to answer with an error result instead.
    tool_results: dict[str, str | None] = field(default_factory=dict)
    assistant_answer: Any = None
    fail_with: int | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/webhooks/vapi")
        async def webhook(request: Request) -> Any:
            body = await request.json()
            self.deliveries.append({"headers": dict(request.headers), "body": body})
            message = body["message"]
            if message["type"] == "assistant-request":
                if self.fail_with:
                    from fastapi.responses import JSONResponse

                    return JSONResponse({"error": "boom"}, status_code=self.fail_with)
                return self.assistant_answer
            if message["type"] == "tool-calls":
                results = []
                for call in message["toolCallList"]:
                    name = call["function"]["name"]
                    result = self.tool_results.get(name, self.tool_result)
                    answer = {"result": result} if result is not None else {"error": "The tool failed."}
                    results.append({"toolCallId": call["id"], "name": name, **answer})
                return {"results": results}
            return {}

        return app

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [d["body"]["message"] for d in self.deliveries if kind is None or d["body"]["message"]["type"] == kind]


@pytest.fixture(autouse=True)
def fresh_circuit_breakers():
    """Breakers are shared per Vapi account for the whole process: each test starts with all of them closed."""
    reset_circuit_breakers()
    yield
    reset_circuit_breakers()


@pytest.fixture()
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture()
def emulator(tmp_path: Path, receiver: Receiver):
    """The emulator on a temp SQLite file, delivering webhooks to ``receiver`` in-process."""
    return create_vapi_emulator(
        db_path=tmp_path / "sandbox_vapi.db",
        public_base_url=EMULATOR_URL,
        webhook_transport=httpx.ASGITransport(app=receiver.app()),
        auto_simulate=False,
    )


@pytest.fixture()
async def client(emulator):
    """The real client, talking HTTP to the emulator through an ASGI transport."""
    vapi = VapiClient(
        base_url=EMULATOR_URL,
        api_key=sandbox_keys().vapi_api_key,
        public_key=sandbox_keys().vapi_public_key,
        transport=httpx.ASGITransport(app=emulator),
    )
    yield vapi
    await vapi.aclose()


@pytest.fixture()
async def raw(emulator):
    """A plain HTTP client on the emulator (for status codes and bodies the client turns into errors)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator),
        base_url=EMULATOR_URL,
        headers={"Authorization": f"Bearer {sandbox_keys().vapi_api_key}"},
    ) as http:
        yield http


def assistant_config(**overrides: Any) -> dict[str, Any]:
    """A CreateAssistantDTO like the one AVA sends, pointed at the test receiver."""
    config: dict[str, Any] = {
        "name": "Ava - Bright Smile Dental",
        "firstMessage": "Thanks for calling Bright Smile Dental, this is Ava. How can I help you today?",
        "endCallMessage": "Thanks for calling Bright Smile Dental. Goodbye!",
        "voicemailMessage": "Hi, this is Ava from Bright Smile Dental. Please call us back.",
        "model": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "messages": [
                {
                    "role": "system",
                    "content": "You are Ava.\n\nKnowledge base (answer only from these facts):\n"
                    "- Q: Do you have parking? A: Yes, free parking is behind the building.",
                }
            ],
        },
        "voice": {"provider": "vapi", "voiceId": "Elliot"},
        "transcriber": {"provider": "deepgram", "model": "nova-2", "language": "en"},
        "serverMessages": ["status-update", "transcript", "conversation-update", "tool-calls", "end-of-call-report"],
        "server": {"url": RECEIVER_URL, "timeoutSeconds": 20, "headers": {"X-Vapi-Secret": WEBHOOK_SECRET}},
        "analysisPlan": {
            "summaryPlan": {"enabled": True},
            "structuredDataPlan": {
                "enabled": True,
                "schema": {
                    "type": "object",
                    "properties": {"callerName": {"type": "string"}, "appointmentBooked": {"type": "boolean"}},
                },
            },
        },
        "metadata": {"avaTenantId": "1", "avaAssistantId": "7"},
    }
    config.update(overrides)
    return config


BOOKING_TOOL = {
    "type": "function",
    "async": False,
    "function": {
        "name": "book_appointment",
        "description": "Book an appointment for the caller.",
        "parameters": {
            "type": "object",
            "properties": {
                "patientName": {"type": "string"},
                "service": {"type": "string", "enum": ["cleaning", "checkup"]},
                "startTime": {"type": "string"},
            },
            "required": ["patientName", "service", "startTime"],
        },
    },
}
