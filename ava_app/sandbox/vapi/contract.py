"""What the emulator accepts and how it answers errors: Vapi's field whitelists and NestJS-style error bodies.

The whitelists are Vapi's DTO property names (vapi-server-sdk 3.0.0); a test checks them against the SDK so they cannot
drift. Vapi rejects any other top-level property with 400 ``property X should not exist``.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

INVALID_KEY_MESSAGE = "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa."
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

ASSISTANT_FIELDS = frozenset(
    {
        "analysisPlan", "artifactPlan", "backgroundSound", "backgroundSpeechDenoisingPlan", "clientMessages",
        "compliancePlan", "credentialIds", "credentials", "endCallMessage", "endCallPhrases", "firstMessage",
        "firstMessageInterruptionsEnabled", "firstMessageMode", "hooks", "keypadInputPlan", "maxDurationSeconds",
        "metadata", "model", "modelOutputInMessagesEnabled", "monitorPlan", "name", "observabilityPlan", "server",
        "serverMessages", "startSpeakingPlan", "stopSpeakingPlan", "transcriber", "transportConfigurations", "voice",
        "voicemailDetection", "voicemailMessage",
    }
)  # fmt: skip
_NUMBER_COMMON = {"assistantId", "fallbackDestination", "hooks", "name", "server", "squadId", "workflowId"}
TWILIO_NUMBER_FIELDS = frozenset(
    _NUMBER_COMMON
    | {"provider", "number", "smsEnabled", "twilioAccountSid", "twilioApiKey", "twilioApiSecret", "twilioAuthToken"}
)
VAPI_NUMBER_FIELDS = frozenset(_NUMBER_COMMON | {"provider", "authentication", "numberDesiredAreaCode", "sipUri"})
VAPI_NUMBER_UPDATE_FIELDS = frozenset(_NUMBER_COMMON | {"provider", "authentication", "sipUri"})
CALL_FIELDS = frozenset(
    {
        "assistant", "assistantId", "assistantOverrides", "assistantVersion", "customer", "customerId", "customers",
        "name", "phoneNumber", "phoneNumberId", "schedulePlan", "squad", "squadId", "squadOverrides", "squadVersion",
        "transport", "workflow", "workflowId", "workflowOverrides",
    }
)  # fmt: skip
WEB_CALL_FIELDS = frozenset(
    {
        "assistant", "assistantId", "assistantOverrides", "assistantVersion", "roomDeleteOnUserLeaveEnabled", "squad",
        "squadId", "squadOverrides", "squadVersion", "workflow", "workflowId", "workflowOverrides",
    }
)  # fmt: skip
CALL_UPDATE_FIELDS = frozenset({"name"})
# Secrets Vapi stores but AVA must never expect back; the emulator does not echo them.
SECRET_FIELDS = frozenset({"twilioAuthToken", "twilioApiSecret"})
LIST_FILTERS = {
    f"{field}{op}": (field, op)
    for field in ("createdAt", "updatedAt")
    for op in ("Gt", "Lt", "Ge", "Le")
}  # fmt: skip
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# ``model.tools`` item types the sandbox plays or at least accepts (a subset of the SDK's tool union).
TOOL_TYPES = frozenset({"function", "transferCall", "endCall", "dtmf", "voicemail", "apiRequest", "query", "sms"})
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class VapiHttpError(Exception):
    """An error the emulator answers with Vapi's (NestJS) error body."""

    def __init__(self, status: int, message: str | list[str], *, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "error": REASONS.get(self.status, "Error"), "statusCode": self.status}


def bad_request(problems: list[str]) -> VapiHttpError:
    """400 with one message per problem, as NestJS validation does."""
    return VapiHttpError(400, problems)


def now_iso() -> str:
    """Current UTC time as Vapi formats it (ISO-8601 with milliseconds and Z)."""
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_from_ms(epoch_ms: float) -> str:
    return iso(datetime.fromtimestamp(epoch_ms / 1000, UTC))


def normalise_timestamp(value: str) -> str:
    """A query timestamp (``2025-06-01T00:00:00Z`` or with offset) in stored form, so string comparison is exact."""
    try:
        return iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise bad_request([f"{value} must be a valid ISO 8601 date string"]) from None


def new_id() -> str:
    return str(uuid.uuid4())


def new_call_id() -> str:
    """A UUIDv7-looking id (time-ordered), like Vapi's call ids."""
    value = (int(time.time() * 1000) << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62)
    return str(uuid.UUID(int=value | secrets.randbits(62)))


def org_id_for_key(api_key: str) -> str:
    """Each API key is its own org, so tenants with their own keys stay apart in the emulator."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ava-sandbox-vapi-org:{api_key}"))


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(["request body must be an object"])
    return body


def unknown_properties(body: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    return [f"property {key} should not exist" for key in body if key not in allowed]


def check_assistant(body: dict[str, Any]) -> None:
    """Validate a CreateAssistantDTO / UpdateAssistantDTO the way Vapi's whitelist validation would."""
    problems = unknown_properties(body, ASSISTANT_FIELDS)
    for key in ("name", "firstMessage", "endCallMessage", "voicemailMessage", "firstMessageMode"):
        if key in body and not isinstance(body[key], str):
            problems.append(f"{key} must be a string")
    if isinstance(body.get("name"), str) and len(body["name"]) > 40:
        problems.append("name must be shorter than or equal to 40 characters")
    for key in ("model", "voice", "transcriber", "server", "metadata", "analysisPlan", "artifactPlan"):
        if key in body and not isinstance(body[key], dict):
            problems.append(f"{key} must be an object")
    for part, required in (("model", ("provider", "model")), ("voice", ("provider", "voiceId"))):
        if isinstance(body.get(part), dict):
            problems += [f"{part}.{key} should not be empty" for key in required if not body[part].get(key)]
    if isinstance(body.get("server"), dict) and not _is_url(body["server"].get("url")):
        problems.append("server.url must be a URL address")
    if "maxDurationSeconds" in body:
        value = body["maxDurationSeconds"]
        if not isinstance(value, int | float) or isinstance(value, bool):
            problems.append("maxDurationSeconds must be a number")
        elif not 10 <= value <= 43200:
            problems.append("maxDurationSeconds must not be less than 10 and not greater than 43200")
    if "serverMessages" in body and not isinstance(body["serverMessages"], list):
        problems.append("serverMessages must be an array")
    if isinstance(body.get("model"), dict) and "tools" in body["model"]:
        problems += _check_tools(body["model"]["tools"])
    if problems:
        raise bad_request(problems)


def _check_tools(tools: Any) -> list[str]:
    """``model.tools``: typed items; function tools need a valid name, transfers need E.164 number destinations."""
    if not isinstance(tools, list):
        return ["model.tools must be an array"]
    problems = []
    for index, tool in enumerate(tools):
        where = f"model.tools.{index}"
        if not isinstance(tool, dict) or tool.get("type") not in TOOL_TYPES:
            problems.append(f"{where}.type must be one of the following values: {', '.join(sorted(TOOL_TYPES))}")
            continue
        server = tool.get("server")
        if server is not None and (not isinstance(server, dict) or not _is_url(server.get("url"))):
            problems.append(f"{where}.server.url must be a URL address")
        if tool["type"] == "function":
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
                problems.append(f"{where}.function.name must match /^[a-zA-Z0-9_-]{{1,64}}$/")
            parameters = function.get("parameters") if isinstance(function, dict) else None
            if parameters is not None and not isinstance((parameters or {}).get("properties"), dict):
                problems.append(f"{where}.function.parameters.properties must be an object")
        elif tool["type"] == "transferCall":
            for slot, destination in enumerate(tool.get("destinations") or []):
                if not isinstance(destination, dict) or destination.get("type") not in {"number", "sip", "assistant"}:
                    problems.append(f"{where}.destinations.{slot}.type must be one of: number, sip, assistant")
                elif destination["type"] == "number" and not E164.match(str(destination.get("number", ""))):
                    problems.append(f"{where}.destinations.{slot}.number must be a valid phone number in E.164 format")
    return problems


def check_phone_number_create(body: dict[str, Any]) -> None:
    """Validate a Create<Provider>PhoneNumberDTO (discriminated by ``provider``)."""
    provider = body.get("provider")
    if provider == "twilio":
        problems = unknown_properties(body, TWILIO_NUMBER_FIELDS)
        for key in ("number", "twilioAccountSid"):
            if not isinstance(body.get(key), str) or not body.get(key):
                problems.append(f"{key} must be a string")
        if isinstance(body.get("number"), str) and body["number"] and not E164.match(body["number"]):
            problems.append("number must be a valid phone number in E.164 format")
        if not (body.get("twilioAuthToken") or (body.get("twilioApiKey") and body.get("twilioApiSecret"))):
            problems.append("twilioAuthToken or twilioApiKey and twilioApiSecret must be provided")
    elif provider == "vapi":
        problems = unknown_properties(body, VAPI_NUMBER_FIELDS)
        code = body.get("numberDesiredAreaCode")
        if code is not None and not (isinstance(code, str) and re.fullmatch(r"[2-9]\d\d", code)):
            problems.append("numberDesiredAreaCode must be a valid 3-digit US area code")
    else:
        problems = ["provider must be one of the following values: twilio, vapi, byo-phone-number, vonage, telnyx"]
        if provider in {"byo-phone-number", "vonage", "telnyx"}:
            problems = [f"provider {provider} is not available in the AVA sandbox; use twilio or vapi"]
    problems += _check_common_number_fields(body)
    if problems:
        raise bad_request(problems)


def check_phone_number_update(body: dict[str, Any], *, provider: str) -> None:
    allowed = TWILIO_NUMBER_FIELDS if provider == "twilio" else VAPI_NUMBER_UPDATE_FIELDS
    problems = unknown_properties(body, allowed)
    if "provider" in body and body["provider"] != provider:
        problems.append(f"provider must be {provider}")
    problems += _check_common_number_fields(body)
    if problems:
        raise bad_request(problems)


def _check_common_number_fields(body: dict[str, Any]) -> list[str]:
    problems = []
    if "name" in body and body["name"] is not None:
        if not isinstance(body["name"], str):
            problems.append("name must be a string")
        elif len(body["name"]) > 40:
            problems.append("name must be shorter than or equal to 40 characters")
    if "assistantId" in body and body["assistantId"] is not None and not isinstance(body["assistantId"], str):
        problems.append("assistantId must be a string")
    server = body.get("server")
    if server is not None and (not isinstance(server, dict) or not _is_url(server.get("url"))):
        problems.append("server.url must be a URL address")
    destination = body.get("fallbackDestination")
    if destination is not None:
        if not isinstance(destination, dict) or destination.get("type") not in {"number", "sip"}:
            problems.append("fallbackDestination.type must be one of the following values: number, sip")
        elif destination["type"] == "number" and not E164.match(str(destination.get("number", ""))):
            problems.append("fallbackDestination.number must be a valid phone number in E.164 format")
    return problems


def check_call_create(body: dict[str, Any]) -> None:
    problems = unknown_properties(body, CALL_FIELDS)
    if "customers" in body:
        problems.append("customers (batch calls) is not available in the AVA sandbox")
    if not (body.get("phoneNumberId") or body.get("phoneNumber")):
        problems.append("Couldn't Get Phone Number. Need Either `phoneNumberId` Or `phoneNumber`.")
    customer = body.get("customer")
    if not isinstance(customer, dict) or not isinstance(customer.get("number"), str):
        problems.append("customer.number must be a string")
    elif customer.get("numberE164CheckEnabled", True) and not E164.match(customer["number"]):
        problems.append("customer.number must be a valid phone number in E.164 format")
    if not (body.get("assistantId") or body.get("assistant")):
        problems.append("Need Either `assistantId` Or `assistant` (squads and workflows are not in the AVA sandbox).")
    if problems:
        raise bad_request(problems)


def check_web_call_create(body: dict[str, Any]) -> None:
    problems = unknown_properties(body, WEB_CALL_FIELDS)
    if not (body.get("assistantId") or body.get("assistant")):
        problems.append("Need Either `assistantId` Or `assistant` (squads and workflows are not in the AVA sandbox).")
    if problems:
        raise bad_request(problems)


def check_call_update(body: dict[str, Any]) -> None:
    problems = unknown_properties(body, CALL_UPDATE_FIELDS)
    if "name" in body and not isinstance(body["name"], str):
        problems.append("name must be a string")
    if problems:
        raise bad_request(problems)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))
