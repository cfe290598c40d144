"""Vapi: the real REST client (assistants, phone numbers, calls) and the mapping from AVA's assistant to Vapi's config.

In sandbox mode (no ``AVA_VAPI_API_KEY``) the same client talks to the local emulator mounted at
``{public_url}/sandbox/vapi`` (see ``ava_app.sandbox.vapi``), so one code path is exercised everywhere.
Wire contract: ``docs/contracts/vapi.md``. Every method returns Vapi's JSON as plain dicts/lists.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

import httpx
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ava_app import routes
from ava_app.observability import metrics
from ava_app.services.errors import Conflict, DomainError, Invalid, NotFound, ProviderError, ProviderUnavailable
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.settings import Settings, get_settings

WEBHOOK_SECRET_HEADER = "X-Vapi-Secret"
UNAVAILABLE_MESSAGE = "voice provider unavailable, retrying"

# What AVA needs to hear about; "transcript" is not a Vapi default and powers the live transcript of test calls.
SERVER_MESSAGES = ["status-update", "transcript", "conversation-update", "tool-calls", "hang", "end-of-call-report"]
KNOWLEDGE_BASE_HEADING = "Knowledge base (answer only from these facts):"
# Deepgram languages of the languages AVA speaks (``ava_app.languages``); anything else gets the multilingual model.
DEEPGRAM_LANGUAGES = {"en", "en-US", "en-GB", "fr", "fr-CA"}
_JSON_TYPES = {"string", "number", "integer", "boolean", "array"}
_NOT_SET: Any = object()
# AVA's own function tools, answered by its webhook (``assistant_tools.TOOLS``), in the order they are declared to Vapi.
BUILTIN_TOOLS = ("check_business_hours", "take_message", "transfer_to_human", "lookup_faq")
# The booking tools (``bookings.call_tools``): declared, after the built-in ones, while the business takes bookings.
BOOKING_TOOLS = (
    "check_availability",
    "book_appointment",
    "find_my_appointment",
    "reschedule_appointment",
    "cancel_appointment",
)
TRANSFER_TOOL_TYPE = "transferCall"


@dataclass(frozen=True)
class VapiEndpoint:
    """Where Vapi requests go: base URL, private key (public key for browser calls), and whether it is the emulator."""

    base_url: str
    api_key: str
    sandbox: bool
    public_key: str = ""


def vapi_endpoint(*, settings: Settings | None = None) -> VapiEndpoint:
    """The Vapi endpoint for the current mode: the real API with its keys, or the emulator when no key is set."""
    settings = settings or get_settings()
    if settings.vapi_sandbox:
        keys = sandbox_keys(settings)
        return VapiEndpoint(
            base_url=settings.public_url + routes.SANDBOX_VAPI,
            api_key=keys.vapi_api_key,
            sandbox=True,
            public_key=keys.vapi_public_key,
        )
    return VapiEndpoint(
        base_url=settings.vapi_base_url,
        api_key=settings.vapi_api_key,
        sandbox=False,
        public_key=settings.vapi_public_key,
    )


# --- AVA assistant -> Vapi CreateAssistantDTO -------------------------------------------------------------


def vapi_assistant_config(
    *,
    assistant: Any,
    public_url: str,
    webhook_secret: str,
    llm_model: str = "gpt-4o-mini",
    transfer_numbers: Sequence[str] = (),
    hold_message: str = "",
    knowledge: Sequence[Any] | None = None,
    unconfirmed_rule: str = "",
    booking_rule: str = "",
) -> dict[str, Any]:
    """Map an AVA ``Assistant`` row to Vapi's CreateAssistantDTO (also valid as an update body). Pure function.

    ``booking_rule``: set while the business takes bookings (the services' paragraph in the assistant's language):
    it is added to the prompt and the ``BOOKING_TOOLS`` are declared; empty, neither.

    ``knowledge``: the facts to put in the prompt instead of the row's raw knowledge base (the services add the
    business profile and withhold unreviewed guesses); ``unconfirmed_rule`` says what to do with a withheld one.
    ``transfer_numbers`` are the forwarding numbers of the lines routed to this assistant: with one, the
    ``transfer_to_human`` tool becomes Vapi's own ``transferCall`` tool, so Vapi really transfers the caller, saying
    ``hold_message`` first (the services' caller phrase in the assistant's language; none when empty).
    """
    server = {
        "url": routes.absolute(public_url, routes.api(routes.VAPI_WEBHOOK)),
        "timeoutSeconds": 20,
        "headers": {WEBHOOK_SECRET_HEADER: webhook_secret},
    }
    model: dict[str, Any] = {
        "provider": "openai",
        "model": llm_model,
        "temperature": 0.4,
        "messages": [
            {"role": "system", "content": _system_prompt(assistant, knowledge, unconfirmed_rule, booking_rule)}
        ],
    }
    tools = builtin_tools(
        assistant=assistant,
        server=server,
        transfer_numbers=transfer_numbers,
        hold_message=hold_message,
        booking=bool(booking_rule),
    )
    if tools:
        model["tools"] = tools
    config: dict[str, Any] = {
        # Vapi caps assistant names at 40 characters.
        "name": (assistant.name or "Ava")[:40],
        "model": model,
        "voice": _voice(assistant),
        "transcriber": _transcriber(assistant.language or "en"),
        "maxDurationSeconds": min(max(int(assistant.max_duration_seconds or 600), 10), 43200),
        "serverMessages": list(SERVER_MESSAGES),
        "server": server,
        "analysisPlan": _analysis_plan(assistant.data_fields or []),
        "artifactPlan": {"recordingEnabled": True},
        "metadata": {"avaTenantId": str(assistant.tenant_id), "avaAssistantId": str(assistant.id)},
    }
    # Empty strings would make Vapi say nothing; leaving the key out keeps Vapi's own behaviour.
    if assistant.first_message:
        config["firstMessage"] = assistant.first_message
        config["firstMessageMode"] = "assistant-speaks-first"
    if assistant.end_call_message:
        config["endCallMessage"] = assistant.end_call_message
    if assistant.voicemail_message:
        config["voicemailMessage"] = assistant.voicemail_message
    return config


def enabled_tools(value: Any) -> list[str]:
    """The built-in tools an assistant has switched on, in declaration order.

    ``None`` (a row from before tools could be chosen) means every tool; unknown names are ignored, so a tool
    AVA no longer offers cannot break the push.
    """
    if value is None:
        return list(BUILTIN_TOOLS)
    chosen = {item for item in value if isinstance(item, str)} if isinstance(value, list | tuple) else set()
    return [name for name in BUILTIN_TOOLS if name in chosen]


def builtin_tools(
    *,
    assistant: Any,
    server: dict[str, Any],
    transfer_numbers: Sequence[str] = (),
    hold_message: str = "",
    booking: bool = False,
) -> list[dict]:
    """``model.tools`` for the assistant's enabled built-in tools, and the booking tools with ``booking``, each sent
    to AVA's webhook with its secret."""
    tools: list[dict[str, Any]] = []
    names = enabled_tools(assistant.enabled_integrations) + (list(BOOKING_TOOLS) if booking else [])
    for name in names:
        if name == "transfer_to_human" and transfer_numbers:
            tools.append(_transfer_tool(transfer_numbers, message=hold_message))
            continue
        description, parameters = _TOOL_SPECS[name]
        if name == "take_message":
            parameters = _take_message_parameters(assistant.data_fields or [])
        tools.append(
            {
                "type": "function",
                "function": {"name": name, "description": description, "parameters": parameters},
                # Vapi sends a tool's calls to its own server when it has one, so the secret must travel here too.
                "server": {**server, "headers": dict(server.get("headers") or {})},
            }
        )
    return tools


def message_tool(assistant: Any) -> list[dict]:
    """``model.tools`` with only ``take_message``, for a call overridden to take messages only. Without a server of
    its own, Vapi sends the tool's calls to the assistant's server (AVA's webhook, with its secret)."""
    description, _ = _TOOL_SPECS["take_message"]
    parameters = _take_message_parameters(assistant.data_fields or [])
    function = {"name": "take_message", "description": description, "parameters": parameters}
    return [{"type": "function", "function": function}]


def _transfer_tool(numbers: Sequence[str], *, message: str) -> dict[str, Any]:
    destinations = [
        {
            "type": "number",
            "number": number,
            **({"message": message} if message else {}),
            "description": "The business's own team, for a caller who asks for a person or has an urgent matter.",
        }
        for number in dict.fromkeys(numbers)
    ]
    return {"type": TRANSFER_TOOL_TYPE, "destinations": destinations}


def _take_message_parameters(data_fields: list) -> dict[str, Any]:
    """take_message's parameters: who, a call-back number and the message, plus the data the owner wants captured."""
    properties: dict[str, Any] = {
        "caller_name": {"type": "string", "description": "The caller's name, as they gave it."},
        "callback_number": {
            "type": "string",
            "description": "A number to call back on, only if it is not the number the caller is calling from.",
        },
        "message": {"type": "string", "description": "The message for the team, in a sentence or two."},
    }
    for field in data_fields:
        if not isinstance(field, dict):
            continue
        # The key as the owner defined it: a message's fields are stored on the call under these names.
        key = str(field.get("key") or field.get("name") or "").strip()
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", key) or key in properties:
            continue
        kind = str(field.get("type") or "string").lower()
        schema: dict[str, Any] = {"type": kind if kind in _JSON_TYPES - {"array"} else "string"}
        if field.get("label"):
            schema["description"] = str(field["label"])[:200]
        properties[key] = schema
    return {"type": "object", "properties": properties, "required": ["message"]}


_TOOL_SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "check_business_hours": (
        "Check whether the business is open right now and its hours today. Use it before answering any question "
        "about opening hours or whether the caller can come in now.",
        {"type": "object", "properties": {}},
    ),
    "take_message": (
        "Save a message for the team: a call-back request, a complaint, or anything you cannot settle on the call. "
        "The team is notified and calls back.",
        {"type": "object", "properties": {}},
    ),
    "transfer_to_human": (
        "Ask for a transfer to a person on the team when the caller insists or the matter is urgent. Returns the "
        "number to transfer to, or says that no one can take the call (then offer to take a message).",
        {
            "type": "object",
            "properties": {"reason": {"type": "string", "description": "Why the caller wants a person."}},
        },
    ),
    "lookup_faq": (
        "Look up the business's own answer to the caller's question (services, prices, policies, access...). "
        "Answer from the result only.",
        {
            "type": "object",
            "properties": {"question": {"type": "string", "description": "The caller's question, in their words."}},
            "required": ["question"],
        },
    ),
    "check_availability": (
        "Find free times for a service in the business's calendar. Use it before offering any time; offer only "
        "the times it returns, each with its slot to pass to book_appointment or reschedule_appointment.",
        {
            "type": "object",
            "properties": {
                "service": {"type": "string", "description": "The service the caller wants, as they named it."},
                "date": {
                    "type": "string",
                    "description": "The day the caller prefers, YYYY-MM-DD in the business's timezone (or today, "
                    "tomorrow, a weekday name). Leave out for the soonest times.",
                },
                "date_to": {"type": "string", "description": "Last day of a range of days, YYYY-MM-DD."},
                "part_of_day": {"type": "string", "enum": ["morning", "afternoon", "evening"]},
                "staff": {"type": "string", "description": "A staff member the caller asks for by name."},
            },
        },
    ),
    "book_appointment": (
        "Book a service at a free time that check_availability returned, once the caller has agreed to it and given "
        "their name. Returns the booking to confirm, or other times to offer if that one is no longer free.",
        {
            "type": "object",
            "properties": {
                "service": {"type": "string", "description": "The service to book."},
                "slot": {"type": "string", "description": "The slot exactly as check_availability gave it."},
                "caller_name": {"type": "string", "description": "The name the appointment is under."},
                "phone": {
                    "type": "string",
                    "description": "A number to reach the caller, only if it is not the number they are calling from.",
                },
                "email": {
                    "type": "string",
                    "description": "The caller's email address, only if they want the confirmation by email; have "
                    "them spell it and read it back.",
                },
                "notes": {"type": "string", "description": "Anything the team should know, in a sentence."},
                "staff": {"type": "string", "description": "The staff member, if the caller chose one."},
            },
            "required": ["service", "slot", "caller_name"],
        },
    ),
    "find_my_appointment": (
        "Find the caller's appointments to come, by the number they are calling from. Use it before moving or "
        "cancelling one. If they booked from another number (or their number is hidden), pass that number as "
        "phone: a code is texted to it; then call again with phone and the code the caller reads out.",
        {
            "type": "object",
            "properties": {
                "phone": {
                    "type": "string",
                    "description": "The number the appointment was booked with, only if it is not the one the caller "
                    "is calling from.",
                },
                "code": {"type": "string", "description": "The code texted to that number, as the caller reads it."},
            },
        },
    ),
    "reschedule_appointment": (
        "Move one of the caller's appointments to a free time that check_availability returned.",
        {
            "type": "object",
            "properties": {
                "booking_id": {"type": "integer", "description": "The booking number find_my_appointment gave."},
                "slot": {"type": "string", "description": "The new slot exactly as check_availability gave it."},
            },
            "required": ["slot"],
        },
    ),
    "cancel_appointment": (
        "Cancel one of the caller's appointments, once they have confirmed which one.",
        {
            "type": "object",
            "properties": {
                "booking_id": {"type": "integer", "description": "The booking number find_my_appointment gave."},
            },
        },
    ),
}


def _system_prompt(
    assistant: Any, knowledge: Sequence[Any] | None = None, unconfirmed_rule: str = "", booking_rule: str = ""
) -> str:
    parts = [assistant.system_prompt.strip()] if assistant.system_prompt else []
    if assistant.conversation_rules:
        parts.append("Conversation rules:\n" + assistant.conversation_rules.strip())
    facts = assistant.knowledge_base if knowledge is None else knowledge
    entries = [line for line in (_knowledge_line(item) for item in facts or []) if line]
    if entries:
        parts.append(KNOWLEDGE_BASE_HEADING + "\n" + "\n".join(entries))
    if entries and unconfirmed_rule:
        parts.append(unconfirmed_rule)
    if booking_rule:
        parts.append(booking_rule)
    return "\n\n".join(parts) or f"You are {assistant.name or 'Ava'}, a friendly phone receptionist."


def _knowledge_line(item: Any) -> str:
    """One knowledge-base entry as a prompt line; entries are Q/A pairs, titled notes or plain text."""
    if isinstance(item, str):
        return f"- {item.strip()}" if item.strip() else ""
    if not isinstance(item, dict):
        return ""
    question = item.get("question") or item.get("q")
    answer = item.get("answer") or item.get("a")
    if question and answer:
        return f"- Q: {question.strip()} A: {answer.strip()}"
    title = item.get("title") or item.get("name") or ""
    body = item.get("content") or item.get("text") or item.get("answer") or ""
    if title and body:
        return f"- {title.strip()}: {body.strip()}"
    return f"- {(title or body).strip()}" if (title or body) else ""


def _voice(assistant: Any) -> dict[str, Any]:
    provider = assistant.voice_provider or "vapi"
    voice: dict[str, Any] = {"provider": provider, "voiceId": assistant.voice_id or "Elliot"}
    if provider == "11labs":
        # The turbo v2.5 model is ElevenLabs' multilingual low-latency one, so French voices work too.
        voice["model"] = "eleven_turbo_v2_5"
    return voice


def _transcriber(language: str) -> dict[str, Any]:
    if language in DEEPGRAM_LANGUAGES:
        return {"provider": "deepgram", "model": "nova-2", "language": language, "smartFormat": True}
    return {"provider": "deepgram", "model": "nova-3", "language": "multi", "smartFormat": True}


def _analysis_plan(data_fields: list) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "summaryPlan": {"enabled": True},
        "successEvaluationPlan": {"enabled": True, "rubric": "PassFail"},
    }
    properties = dict(item for item in (_data_field_schema(field) for field in data_fields) if item)
    if properties:
        plan["structuredDataPlan"] = {"enabled": True, "schema": {"type": "object", "properties": properties}}
    return plan


def _data_field_schema(field: Any) -> tuple[str, dict[str, Any]] | None:
    """A data field (a label, or ``{name|key|label, type, description}``) as one JSON-schema property."""
    if isinstance(field, str):
        field = {"label": field}
    if not isinstance(field, dict):
        return None
    key = _property_key(str(field.get("key") or field.get("name") or field.get("label") or ""))
    if not key:
        return None
    kind = str(field.get("type") or "string").lower()
    schema: dict[str, Any] = {"type": kind if kind in _JSON_TYPES else "string"}
    if schema["type"] == "array":
        schema["items"] = {"type": "string"}
    description = field.get("description") or field.get("label")
    if description:
        schema["description"] = str(description)
    return key, schema


def _property_key(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    if not words:
        return ""
    return words[0][0].lower() + words[0][1:] + "".join(word[:1].upper() + word[1:] for word in words[1:])


# --- the client -------------------------------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying (429, 5xx, timeouts, connection errors); ``retry_after`` in seconds if Vapi said."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def _new_breaker_factory() -> AsyncCircuitBreakerFactory:
    # Only outages open the circuit: a 404 or a validation error says Vapi is up and answering.
    return AsyncCircuitBreakerFactory(
        exclude=[asyncio.CancelledError, (DomainError, lambda exc: not isinstance(exc, ProviderUnavailable))],
    )


# One breaker per Vapi account for the whole process: services make a fresh client per operation (a pooled async
# client cannot outlive the event loop it was made on), so a breaker per client would never see a second failure.
_breakers = _new_breaker_factory()


def reset_circuit_breakers() -> None:
    """Forget every breaker's failures and open state (tests, or after an operator fixed the account)."""
    global _breakers
    _breakers = _new_breaker_factory()


def _circuit_name(*, base_url: str, api_key: str, threshold: int, reset_seconds: float) -> str:
    """The breaker of one Vapi account (URL + key); the key only as a digest, since names show up in logs."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"vapi|{base_url}|{digest}|{threshold}|{reset_seconds}"


class VapiClient:
    """Async Vapi REST client with timeouts, retries (429/5xx/timeouts only) and a circuit breaker.

    The breaker is shared by every client of the same account (base URL + private key) in the process, so an
    outage seen by one operation makes the next ones fail fast with "voice provider unavailable, retrying".
    ``public_key`` is only for ``create_web_call`` (Vapi refuses the private key there).
    ``transport`` lets tests route requests to the emulator in-process; ``sleep`` lets them observe back-off waits.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        public_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        max_attempts: int = 3,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_after: float = 30.0,
        breaker_threshold: int = 5,
        breaker_reset_seconds: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._public_key = public_key or ""
        self._transport = transport
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._max_attempts = max_attempts
        self._backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max, jitter=backoff_initial)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._breaker_threshold = breaker_threshold
        self._breaker_reset_seconds = breaker_reset_seconds
        self._circuit = _circuit_name(
            base_url=self.base_url, api_key=api_key, threshold=breaker_threshold, reset_seconds=breaker_reset_seconds
        )
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(cls, *, settings: Settings | None = None, **options: Any) -> VapiClient:
        """A client for the current mode (real Vapi, or the emulator in sandbox mode)."""
        endpoint = vapi_endpoint(settings=settings)
        options.setdefault("public_key", endpoint.public_key)
        return cls(base_url=endpoint.base_url, api_key=endpoint.api_key, **options)

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # --- assistants

    async def create_assistant(self, *, config: dict[str, Any]) -> dict[str, Any]:
        """Create an assistant from a CreateAssistantDTO (see ``vapi_assistant_config``)."""
        return await self._call("POST", "/assistant", json=config, what="assistant")

    async def get_assistant(self, *, assistant_id: str) -> dict[str, Any]:
        """One assistant by Vapi id."""
        return await self._call("GET", f"/assistant/{assistant_id}", what="assistant")

    async def list_assistants(self, *, limit: int = 100, created_at_lt: str | None = None) -> list[dict[str, Any]]:
        """Assistants, newest first; page by passing the oldest ``createdAt`` seen as ``created_at_lt``."""
        items = await self._call("GET", "/assistant", params=_list_params(limit, created_at_lt), what="assistant")
        return _newest_first(items)

    async def update_assistant(self, *, assistant_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Replace the given top-level keys of an assistant (each key must be a complete value)."""
        return await self._call("PATCH", f"/assistant/{assistant_id}", json=changes, what="assistant")

    async def delete_call(self, *, call_id: str) -> dict[str, Any]:
        """Delete a call at Vapi with its recording and transcript; returns the deleted object."""
        return await self._call("DELETE", f"/call/{call_id}", what="call")

    async def delete_assistant(self, *, assistant_id: str) -> dict[str, Any]:
        """Delete an assistant; returns the deleted object."""
        return await self._call("DELETE", f"/assistant/{assistant_id}", what="assistant")

    # --- phone numbers

    async def list_phone_numbers(self, *, limit: int = 100, created_at_lt: str | None = None) -> list[dict[str, Any]]:
        """Phone numbers of the org, newest first."""
        items = await self._call("GET", "/phone-number", params=_list_params(limit, created_at_lt), what="phone number")
        return _newest_first(items)

    async def get_phone_number(self, *, phone_number_id: str) -> dict[str, Any]:
        """One phone number by Vapi id."""
        return await self._call("GET", f"/phone-number/{phone_number_id}", what="phone number")

    async def create_free_number(
        self,
        *,
        area_code: str,
        country: str = "US",
        name: str | None = None,
        assistant_id: str | None = None,
        server: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Get a free Vapi number in a US area code (Vapi offers free numbers in the US only)."""
        if country.upper() != "US":
            raise Invalid(
                "Free numbers are only available in the US. Import a Twilio number for other countries.",
                code="number_country_unsupported",
                fields={"country": "Only US numbers are free"},
            )
        area_code = (area_code or "").strip()
        # A NANP area code is three digits and never starts with 0 or 1.
        if not re.fullmatch(r"[2-9]\d\d", area_code):
            raise Invalid(
                "Enter a 3-digit US area code, for example 415.",
                code="area_code_invalid",
                fields={"area_code": "Must be a 3-digit US area code"},
            )
        body: dict[str, Any] = {"provider": "vapi", "numberDesiredAreaCode": area_code}
        body.update(_present(name=name, assistantId=assistant_id, server=server))
        return await self._call("POST", "/phone-number", json=body, what="phone number")

    async def import_twilio_number(
        self,
        *,
        number: str,
        twilio_account_sid: str,
        twilio_auth_token: str,
        name: str | None = None,
        assistant_id: str | None = None,
        server: dict[str, Any] | None = None,
        sms_enabled: bool | None = None,
    ) -> dict[str, Any]:
        """Import a number the tenant owns at Twilio; Vapi then answers it."""
        body: dict[str, Any] = {
            "provider": "twilio",
            "number": number,
            "twilioAccountSid": twilio_account_sid,
            "twilioAuthToken": twilio_auth_token,
        }
        body.update(_present(name=name, assistantId=assistant_id, server=server, smsEnabled=sms_enabled))
        return await self._call("POST", "/phone-number", json=body, what="phone number")

    async def update_phone_number(
        self,
        *,
        phone_number_id: str,
        assistant_id: str | None = _NOT_SET,
        fallback_destination: dict[str, Any] | None = _NOT_SET,
        server: dict[str, Any] | None = _NOT_SET,
        name: str | None = _NOT_SET,
    ) -> dict[str, Any]:
        """Change routing of a number; only arguments you pass are sent (``assistant_id=None`` unassigns)."""
        changes = {
            key: value
            for key, value in {
                "assistantId": assistant_id,
                "fallbackDestination": fallback_destination,
                "server": server,
                "name": name,
            }.items()
            if value is not _NOT_SET
        }
        return await self._call("PATCH", f"/phone-number/{phone_number_id}", json=changes, what="phone number")

    async def release_phone_number(self, *, phone_number_id: str) -> dict[str, Any]:
        """Release (delete) a number; returns the deleted object."""
        return await self._call("DELETE", f"/phone-number/{phone_number_id}", what="phone number")

    # --- calls

    async def list_calls(
        self,
        *,
        limit: int = 100,
        created_at_lt: str | None = None,
        created_at_le: str | None = None,
        assistant_id: str | None = None,
        phone_number_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Calls of the org, newest first, optionally for one assistant or number, created before (``lt``) or at
        or before (``le``) a time."""
        params = _list_params(limit, created_at_lt) | _present(
            createdAtLe=created_at_le, assistantId=assistant_id, phoneNumberId=phone_number_id
        )
        return _newest_first(await self._call("GET", "/call", params=params, what="call"))

    async def get_call(self, *, call_id: str) -> dict[str, Any]:
        """One call by Vapi id."""
        return await self._call("GET", f"/call/{call_id}", what="call")

    async def create_outbound_call(
        self,
        *,
        assistant_id: str,
        phone_number_id: str,
        customer_number: str,
        customer_name: str | None = None,
        name: str | None = None,
        variable_values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Place an outbound phone call from one of the org's numbers; returns the queued Call."""
        customer = {"number": customer_number} | _present(name=customer_name)
        body: dict[str, Any] = {"assistantId": assistant_id, "phoneNumberId": phone_number_id, "customer": customer}
        body.update(_present(name=name))
        if variable_values:
            body["assistantOverrides"] = {"variableValues": variable_values}
        return await self._call("POST", "/call", json=body, what="call")

    async def create_web_call(
        self, *, assistant_id: str, variable_values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Start a browser call to an assistant; the returned Call carries ``webCallUrl``.

        Sent with the org's public key, as Vapi's browser SDK does: ``/call/web`` answers 401 to the private key.
        """
        if not self._public_key:
            raise ProviderError(
                "Browser calls need the Vapi public key of this account (AVA_VAPI_PUBLIC_KEY).",
                code="vapi_public_key_missing",
            )
        body: dict[str, Any] = {"assistantId": assistant_id}
        if variable_values:
            body["assistantOverrides"] = {"variableValues": variable_values}
        headers = {"Authorization": f"Bearer {self._public_key}"}
        return await self._call("POST", "/call/web", json=body, what="call", headers=headers)

    # --- transport, retries, breaker

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
                timeout=self._timeout,
                transport=self._transport,
            )
        return self._http

    async def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        breaker = await _breakers.get_breaker(
            self._circuit, threshold=self._breaker_threshold, ttl=self._breaker_reset_seconds
        )
        try:
            async with breaker:
                response = await self._send_with_retries(method, path, json=json, params=params, headers=headers)
                return _decode(response, what=what)
        except OpenedState as exc:
            retry_after = max(0.0, exc.opened_at + self._breaker_reset_seconds - time.time())
            raise ProviderUnavailable(UNAVAILABLE_MESSAGE, retry_after=round(retry_after, 1)) from None
        finally:
            # The account's digest, as in the breaker's name: one series per Vapi account, no key in the label.
            circuit = self._circuit.split("|")[2][:8]
            metrics.record_circuit_state(provider="vapi", circuit=circuit, state=breaker.context.state)

    async def _send_with_retries(self, method: str, path: str, **request: Any) -> httpx.Response:
        """Send with retries on transient failures; ``request`` is httpx's ``json``, ``params`` and ``headers``."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send_once(method, path, **request)
        except _Transient as exc:
            details: dict[str, Any] = {"retry_after": exc.retry_after} if exc.retry_after is not None else {}
            raise ProviderUnavailable(UNAVAILABLE_MESSAGE, reason=str(exc), **details) from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")

    async def _send_once(self, method: str, path: str, **request: Any) -> httpx.Response:
        """One attempt, counted by operation (method and resource, ids left out) and outcome."""
        operation = f"{method} /{path.strip('/').split('/')[0]}"
        with metrics.provider_call("vapi", operation):
            return await self._attempt(method, path, idempotent=method != "POST", **request)

    async def _attempt(self, method: str, path: str, *, idempotent: bool, **request: Any) -> httpx.Response:
        # A POST that may have reached Vapi must not be repeated (it could create a second call or number):
        # only retry it when Vapi certainly did not act on it.
        try:
            response = await self._client().request(method, path, **request)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Transient(f"cannot reach Vapi: {exc.__class__.__name__}") from exc
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if idempotent:
                raise _Transient(f"Vapi did not answer: {exc.__class__.__name__}") from exc
            raise ProviderUnavailable(UNAVAILABLE_MESSAGE, reason=exc.__class__.__name__) from exc
        status = response.status_code
        if status == 429:
            raise _Transient("rate limited (429)", retry_after=_retry_after(response))
        if status >= 500:
            if idempotent or status in (502, 503, 504):
                raise _Transient(f"HTTP {status}", retry_after=_retry_after(response))
            raise ProviderUnavailable(UNAVAILABLE_MESSAGE, reason=f"HTTP {status}")
        return response

    def _wait(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, self._max_retry_after)
        return self._backoff(retry_state)


def _decode(response: httpx.Response, *, what: str) -> Any:
    """Return the JSON of a 2xx response, or raise the domain error matching Vapi's error."""
    if response.status_code < 400:
        try:
            return response.json()
        except ValueError:
            raise ProviderError(
                "The voice provider sent a response AVA could not read.", code="provider_bad_response"
            ) from None
    body = _error_body(response)
    messages = _error_messages(body)
    status = response.status_code
    if status in (400, 422):
        raise Invalid(
            "The voice provider rejected the request: " + "; ".join(messages),
            fields=_fields_from_messages(messages),
            messages=messages,
        )
    if status in (401, 403):
        # Not Unauthorized: the AVA user is logged in fine, it is the platform's or tenant's Vapi key that is wrong.
        raise ProviderError(
            "The voice provider rejected AVA's API key. Check the Vapi key in Settings.",
            code="provider_auth_failed",
            messages=messages,
        )
    if status == 404:
        raise NotFound(f"This {what} does not exist at the voice provider.", messages=messages)
    if status == 409:
        raise Conflict("; ".join(messages) or f"This {what} cannot be changed right now.", messages=messages)
    raise ProviderError(f"The voice provider refused the request (HTTP {status}).", messages=messages)


def _error_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _error_messages(body: Any) -> list[str]:
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or ""
        if isinstance(message, list):
            return [str(item) for item in message]
        return [str(message)] if message else []
    return [str(body)[:300]] if body else []


def _fields_from_messages(messages: list[str]) -> dict[str, str]:
    """Map NestJS messages ('property x should not exist', 'name must be a string') to their field."""
    fields: dict[str, str] = {}
    for message in messages:
        match = re.match(r"property (\S+) should not exist", message) or re.match(r"([A-Za-z_][\w.]*) ", message)
        if match:
            fields.setdefault(match.group(1), message)
    return fields


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``."""
    if value := response.headers.get("retry-after-ms"):
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _list_params(limit: int, created_at_lt: str | None) -> dict[str, Any]:
    return {"limit": limit} | _present(createdAtLt=created_at_lt)


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _newest_first(items: Any) -> list[dict[str, Any]]:
    # Vapi does not specify the order of list results, so sort here rather than rely on it.
    if not isinstance(items, list):
        raise ProviderError("The voice provider sent a response AVA could not read.", code="provider_bad_response")
    return sorted(items, key=lambda item: item.get("createdAt", ""), reverse=True)


@lru_cache(maxsize=1)
def get_vapi_client() -> VapiClient:
    """The process-wide client (one connection pool and one circuit breaker for every tenant on the platform key)."""
    return VapiClient.from_settings()
