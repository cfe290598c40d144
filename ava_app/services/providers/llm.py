"""Language-model features: call summaries and test-call replies, through OpenAI or the local fallback.

The key is resolved per tenant, like the other providers: the tenant's own OpenAI key, else the platform's
``AVA_OPENAI_API_KEY``, else :mod:`llm_local` answers (see ``OpenAIAccess``). With a key, the ``openai`` SDK is used
(AsyncOpenAI, created lazily, one per event loop and key). Every result says which one produced it (``source``).
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, Field, ValidationError, field_validator

from ava_app.observability import metrics
from ava_app.services.errors import DomainError, ProviderError, ProviderUnavailable
from ava_app.services.providers import llm_local
from ava_app.services.providers.llm_prompts import (
    normalise_language,
    reply_messages,
    summary_messages,
    summary_retry_message,
)
from ava_app.settings import get_settings

Source = Literal["llm", "local"]
Sentiment = Literal["positive", "neutral", "negative"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Clients kept per event loop: one per key in use (the platform's and the tenants' own).
MAX_CLIENTS_PER_LOOP = 32
MAX_RETRIES = 2
TIMEOUT_SECONDS = 60.0
# Long calls are cut in the middle: the reason for calling and the agreed outcome sit at both ends.
MAX_TRANSCRIPT_CHARS = 24_000
EMPTY_CALL: dict[str, str] = {
    "en": "No conversation was recorded.",
    "fr": "Aucune conversation n'a été enregistrée.",
}


class SummaryFailed(ProviderError):
    """The call summary could not be written."""

    code = "summary_failed"


class CallSummary(BaseModel):
    """What AVA stores about a call once it has been read: summary, intent, follow-up, topics, mood, data."""

    summary: str
    intent: str
    action_needed: bool
    topics: list[str]
    sentiment: Sentiment
    data: dict[str, str | None]
    source: Source
    # A sales pitch or a robocall, as the model (or the local fallback) reads the call; ``services.spam`` decides.
    spam: bool = False


class ModelSummary(BaseModel):
    """The JSON the model must return; anything else counts as a malformed answer."""

    summary: str = Field(min_length=1, max_length=2000)
    intent: str = Field(max_length=200)
    action_needed: bool
    topics: list[str] = Field(max_length=10)
    sentiment: Sentiment
    data: dict[str, str | None] = Field(default_factory=dict)
    spam: bool = False

    @field_validator("topics")
    @classmethod
    def _tidy_topics(cls, topics: list[str]) -> list[str]:
        return [topic.strip().lower()[:40] for topic in topics if topic.strip()][:5]


def summary_schema(data_fields: Sequence[str]) -> dict[str, Any]:
    """The strict JSON schema sent as ``response_format`` (every key required, no extras)."""
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "intent": {"type": "string"},
            "action_needed": {"type": "boolean"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
            "spam": {"type": "boolean"},
            "data": {
                "type": "object",
                "properties": {name: {"type": ["string", "null"]} for name in data_fields},
                "required": list(data_fields),
                "additionalProperties": False,
            },
        },
        "required": ["summary", "intent", "action_needed", "topics", "sentiment", "spam", "data"],
        "additionalProperties": False,
    }


# --- which key, and the OpenAI client -------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAIAccess:
    """An OpenAI key to use and whose it is (``tenant`` or ``platform``). Backend only: never log or show it."""

    api_key: str
    base_url: str
    owner: Literal["tenant", "platform"]

    def __repr__(self) -> str:
        # Keeps the key out of tracebacks and debug logs.
        return f"OpenAIAccess(owner={self.owner!r}, base_url={self.base_url!r})"


def openai_access(*, tenant_key: str | None = None) -> OpenAIAccess | None:
    """Tenant key → platform key → None (the local fallback answers). Both keys talk to ``AVA_OPENAI_BASE_URL``."""
    settings = get_settings()
    base_url = settings.openai_base_url or DEFAULT_BASE_URL
    if tenant_key and tenant_key.strip():
        return OpenAIAccess(api_key=tenant_key.strip(), base_url=base_url, owner="tenant")
    if settings.openai_api_key:
        return OpenAIAccess(api_key=settings.openai_api_key, base_url=base_url, owner="platform")
    return None


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, OrderedDict[tuple[str, str], AsyncOpenAI]] = (
    weakref.WeakKeyDictionary()
)


def openai_client(access: OpenAIAccess | None = None) -> AsyncOpenAI:
    """The AsyncOpenAI client for ``access`` (default: the platform key), created on first use in this event loop.

    Raises ``ProviderError`` when there is no key at all (callers use the local fallback before getting here).
    """
    access = access or openai_access()
    if access is None:
        raise ProviderError("No OpenAI key is configured", code="openai_not_configured")
    # Connections pooled by one loop cannot be reused by another, so each loop gets its own clients.
    loop = asyncio.get_running_loop()
    clients = _clients.setdefault(loop, OrderedDict())
    config = (access.api_key, access.base_url)
    client = clients.get(config)
    if client is None:
        client = AsyncOpenAI(api_key=config[0], base_url=config[1], max_retries=MAX_RETRIES, timeout=TIMEOUT_SECONDS)
        clients[config] = client
        while len(clients) > MAX_CLIENTS_PER_LOOP:
            clients.popitem(last=False)
    clients.move_to_end(config)
    return client


def _domain_error(exc: openai.OpenAIError) -> DomainError:
    """Map what the SDK raises once its own retries are spent."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderError("OpenAI rejected the API key", code="openai_credentials_rejected")
    if isinstance(exc, openai.RateLimitError):
        retry_after = exc.response.headers.get("retry-after")
        details = {"retry_after": float(retry_after)} if retry_after and retry_after.isdigit() else {}
        return ProviderUnavailable("OpenAI is rate limiting AVA; it will retry", code="openai_rate_limited", **details)
    if isinstance(exc, openai.APIConnectionError | openai.InternalServerError):
        return ProviderUnavailable("OpenAI cannot be reached right now", code="openai_unavailable")
    return ProviderError(f"OpenAI refused the request: {exc}", code="openai_refused")


def _shorten(transcript: str) -> str:
    if len(transcript) <= MAX_TRANSCRIPT_CHARS:
        return transcript
    half = MAX_TRANSCRIPT_CHARS // 2
    return transcript[:half] + "\n[…]\n" + transcript[-half:]


# --- summaries ----------------------------------------------------------------------------------------------


async def summarise_call(
    *,
    transcript: str,
    language: str | None = "en",
    data_fields: Sequence[str] = (),
    industry: str | None = None,
    access: OpenAIAccess | None = None,
    private: bool = False,
) -> CallSummary:
    """Summarise one call with OpenAI when a key is available, else locally.

    ``private``: the business redacts personal data; the model is told not to repeat identity numbers.

    ``access`` is the key resolved for the call's tenant (``credentials.openai_access_for``); without it the
    platform's key is used, and with no key at all the local fallback. Raises ``SummaryFailed`` when the model twice
    answers something that is not the expected JSON, and ``ProviderUnavailable`` when OpenAI cannot be reached (the
    job queue retries those).
    """
    fields = list(dict.fromkeys(name.strip() for name in data_fields if name.strip()))
    if not transcript.strip():
        lang = normalise_language(language)
        return CallSummary(
            summary=EMPTY_CALL[lang],
            intent="",
            action_needed=False,
            topics=[],
            sentiment="neutral",
            data=dict.fromkeys(fields),
            source="local",
        )
    access = access or openai_access()
    if access is None:
        local = llm_local.summarise_locally(transcript=transcript, language=language, data_fields=fields)
        return CallSummary(**local, source="local")
    return await _summarise_with_llm(
        transcript=transcript, language=language, data_fields=fields, industry=industry, access=access, private=private
    )


async def _summarise_with_llm(
    *,
    transcript: str,
    language: str | None,
    data_fields: list[str],
    industry: str | None,
    access: OpenAIAccess,
    private: bool = False,
) -> CallSummary:
    client = openai_client(access)
    messages: list[ChatCompletionMessageParam] = summary_messages(
        transcript=_shorten(transcript), language=language, data_fields=data_fields, industry=industry, private=private
    )
    response_format: ResponseFormatJSONSchema = {
        "type": "json_schema",
        "json_schema": {"name": "call_summary", "schema": summary_schema(data_fields), "strict": True},
    }
    problem = ""
    # One retry on a malformed answer: a second bad answer means this transcript will not work, not bad luck.
    for attempt in range(2):
        try:
            with metrics.provider_call("openai", "summarise"):
                completion = await client.chat.completions.create(
                    model=get_settings().openai_model,
                    messages=messages,
                    response_format=response_format,
                    temperature=0.2,
                )
        except openai.OpenAIError as exc:
            raise _domain_error(exc) from exc
        choice = completion.choices[0] if completion.choices else None
        content = (choice.message.content or "") if choice else ""
        try:
            if choice is None or choice.message.refusal or choice.finish_reason != "stop":
                raise ValueError(f"no usable answer (finish_reason={choice.finish_reason if choice else None})")
            parsed = ModelSummary.model_validate_json(content, strict=True)
        except (ValidationError, ValueError) as exc:
            problem = str(exc).splitlines()[0]
            if attempt == 0:
                messages = [
                    *messages,
                    {"role": "assistant", "content": content},
                    summary_retry_message(language=language),
                ]
            continue
        data = {name: parsed.data.get(name) for name in data_fields}
        return CallSummary(**parsed.model_dump(exclude={"data"}), data=data, source="llm")
    raise SummaryFailed("The AI summary could not be read", detail=problem)


# --- test-call replies --------------------------------------------------------------------------------------


@dataclass
class ReplyStream:
    """An async iterator of reply text chunks that also says where the reply comes from."""

    source: Source
    chunks: AsyncIterator[str]

    def __aiter__(self) -> AsyncIterator[str]:
        return self.chunks

    async def text(self) -> str:
        """The whole reply, for callers that do not stream."""
        return "".join([chunk async for chunk in self.chunks])


def stream_test_call_reply(
    *,
    assistant: Mapping[str, Any],
    conversation: Sequence[Mapping[str, str]],
    access: OpenAIAccess | None = None,
    tenant_access: Callable[[int], OpenAIAccess | None] | None = None,
) -> ReplyStream:
    """The assistant's next reply in a text test call, streamed; OpenAI with a key, else the local FAQ matcher.

    ``assistant`` holds the assistant's settings (name, business_name, language, tone, persona, first_message,
    conversation_rules, knowledge_base as ``[{"question", "answer"}]``), as ``test_calls.reply_context`` builds them;
    ``conversation`` is the list of ``{"role": "user"|"assistant", "content"}`` turns so far. The key: ``access``
    when given; else, when ``assistant`` names its ``tenant_id`` and says a key exists (``reply_source`` "llm"),
    that tenant's key is looked up while streaming with ``tenant_access`` (blocking: it runs in a thread; the caller
    supplies it because the credentials service builds on this module), since a key must never sit in page state;
    else the platform's.
    Errors surface while iterating, as domain errors.
    """
    tenant_id = assistant.get("tenant_id")
    if access is None and isinstance(tenant_id, int) and assistant.get("reply_source") in ("llm", "local"):
        if assistant["reply_source"] == "local":
            return _local_stream(assistant=assistant, conversation=conversation)
        if tenant_access is not None:
            chunks = _llm_chunks(
                assistant=assistant, conversation=conversation, tenant_access=partial(tenant_access, tenant_id)
            )
            return ReplyStream("llm", chunks)
    access = access or openai_access()
    if access is None:
        return _local_stream(assistant=assistant, conversation=conversation)
    return ReplyStream("llm", _llm_chunks(assistant=assistant, conversation=conversation, access=access))


def _local_stream(*, assistant: Mapping[str, Any], conversation: Sequence[Mapping[str, str]]) -> ReplyStream:
    return ReplyStream("local", _local_chunks(llm_local.reply_locally(assistant=assistant, conversation=conversation)))


async def _local_chunks(text: str) -> AsyncIterator[str]:
    for piece in re.findall(r"\S+\s*", text):
        yield piece
        # Let other tasks run between words, like a network stream would.
        await asyncio.sleep(0)


async def _llm_chunks(
    *,
    assistant: Mapping[str, Any],
    conversation: Sequence[Mapping[str, str]],
    access: OpenAIAccess | None = None,
    tenant_access: Callable[[], OpenAIAccess | None] | None = None,
) -> AsyncIterator[str]:
    if access is None and tenant_access is not None:
        access = await asyncio.to_thread(tenant_access)
        if access is None:
            # The key was removed since the call started: say so rather than answer locally under an AI label.
            raise ProviderError("The OpenAI key was removed; start the test call again", code="openai_not_configured")
    client = openai_client(access)
    try:
        # Timed to the stream's start: how long the caller of a test call waits before the first words.
        with metrics.provider_call("openai", "test_call_reply"):
            stream = await client.chat.completions.create(
                model=get_settings().openai_model,
                messages=reply_messages(assistant=assistant, conversation=conversation),
                stream=True,
                temperature=0.5,
            )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content
    except openai.OpenAIError as exc:
        raise _domain_error(exc) from exc
