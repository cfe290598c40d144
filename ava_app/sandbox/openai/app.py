"""A local OpenAI-compatible Chat Completions server for tests and development, with failure injection.

It follows ``docs/contracts/openai.md``: ``POST /v1/chat/completions`` (JSON or SSE stream ending in ``data: [DONE]``),
Bearer auth with OpenAI's error shape, ``response_format`` json_schema answered with JSON valid for the schema.
Its replies are labelled as emulated: AVA's product fallback without a key is ``llm_local``, not this server.

Like a model following its prompt, it answers in the conversation's language (English or French, told apart by
their common words) and from the facts of the system prompt (``Q: … A: …`` lines, as AVA's test-call prompt lists the
knowledge base): the answer of the fact whose question shares most words with the caller's last line, else an echo.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ava_app.languages import Language

EMULATOR_MODEL_SUFFIX = "-emulated"
MALFORMED_CONTENT = '{"summary": "The caller asked about'
ERRORS: dict[int, tuple[str, str | None, str]] = {
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again shortly."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass
class Injection:
    """One scripted behaviour for the next request: HTTP error, malformed answer, given content, broken stream."""

    kind: str
    status: int = 0
    retry_after: float | None = None
    content: str = ""


@dataclass
class OpenAIEmulatorControl:
    """What tests steer and inspect: the accepted key, queued injections and every request body received."""

    api_key: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    pending: deque[Injection] = field(default_factory=deque)

    def fail_next(self, count: int = 1, *, status: int = 429, retry_after: float | None = 0.05) -> None:
        """The next ``count`` requests answer ``status`` (429, 500, 503) with ``retry-after`` headers when given."""
        self.pending.extend(Injection("error", status=status, retry_after=retry_after) for _ in range(count))

    def malformed_next(self, count: int = 1) -> None:
        """The next ``count`` requests succeed with content that is not valid JSON."""
        self.pending.extend(Injection("content", content=MALFORMED_CONTENT) for _ in range(count))

    def respond_next(self, content: str) -> None:
        """The next request succeeds with exactly this message content."""
        self.pending.append(Injection("content", content=content))

    def break_next_stream(self) -> None:
        """The next streamed answer sends one chunk, then an error event mid-stream."""
        self.pending.append(Injection("broken_stream"))

    def reset(self) -> None:
        self.pending.clear()
        self.requests.clear()


def _error(status: int, message: str, *, kind: str, code: str | None, headers: Mapping[str, str] | None = None):
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def example_for_schema(schema: Mapping[str, Any], name: str = "value") -> Any:
    """A value valid for a (strict, simple) JSON schema: first enum value, non-null types, every property."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((option for option in kind if option != "null"), "null")
    if kind == "object":
        return {key: example_for_schema(sub, key) for key, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [example_for_schema(schema.get("items") or {}, name)]
    return {"boolean": True, "integer": 1, "number": 1.0, "null": None}.get(kind, f"emulated {name}")


# Words frequent in one language and rare in the other (accents folded): they tell the conversation's language, and
# say nothing about which fact is asked for.
_ENGLISH_TEXT = (
    "the a an and is are you your we our what when where how do does can to of for on in it this that with hello hi "
    "thanks thank please yes no"
)
_FRENCH_TEXT = (
    "le la les un une des du de et est sont vous vos votre nous notre quels quelles quel quelle quand ou comment pour "
    "sur dans avec ce cette je tu bonjour merci oui non"
)
_COMMON_WORDS: dict[Language, frozenset[str]] = {
    "en": frozenset(_ENGLISH_TEXT.split()),
    "fr": frozenset(_FRENCH_TEXT.split()),
}
REPLY_LABELS: dict[Language, tuple[str, str, str]] = {
    # (with a fact, echoing the caller, with nothing to echo)
    "en": ("Emulated reply: {answer}", "Emulated reply to: {said}", "Emulated reply."),
    "fr": ("Réponse émulée : {answer}", "Réponse émulée à : {said}", "Réponse émulée."),
}
_FACT = re.compile(r"^Q:\s*(?P<question>.+)\nA:\s*(?P<answer>.+)$", re.MULTILINE)


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return re.sub(r"[ \t]+", " ", str(content or "")).strip()


def _words(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", folded)


def conversation_language(messages: list[dict[str, Any]]) -> Language:
    """French when the conversation (system prompt included) uses more common French words than English ones."""
    words = [word for message in messages for word in _words(_text_of(message))]
    french = sum(word in _COMMON_WORDS["fr"] for word in words)
    english = sum(word in _COMMON_WORDS["en"] for word in words)
    return "fr" if french > english else "en"


def _best_fact(system: str, said: str) -> str | None:
    """The answer of the system prompt's fact whose question shares most words with ``said``."""
    asked = set(_words(said)) - _COMMON_WORDS["en"] - _COMMON_WORDS["fr"]
    best, best_score = None, 0
    for match in _FACT.finditer(system):
        score = len(asked & set(_words(match.group("question"))))
        if score > best_score:
            best, best_score = match.group("answer").strip(), score
    return best


def _reply_text(messages: list[dict[str, Any]]) -> str:
    with_fact, echo, empty = REPLY_LABELS[conversation_language(messages)]
    last = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    said = _text_of(last) if last else ""
    system = "\n".join(_text_of(m) for m in messages if m.get("role") == "system")
    answer = _best_fact(system, said) if said and system else None
    if answer:
        return with_fact.format(answer=answer)
    return echo.format(said=said) if said else empty


def _content(body: Mapping[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(example_for_schema(schema))
    if response_format.get("type") == "json_object":
        return json.dumps({"reply": _reply_text(body["messages"])})
    return _reply_text(body["messages"])


def create_openai_emulator(*, api_key: str = "sk-emulator") -> Starlette:
    """Build the emulator ASGI app; ``app.state.control`` (an :class:`OpenAIEmulatorControl`) steers it.

    Serve it and set ``AVA_OPENAI_BASE_URL`` to its address + ``/v1`` and ``AVA_OPENAI_API_KEY`` to ``api_key``.
    """
    control = OpenAIEmulatorControl(api_key=api_key)

    def _authorised(request: Request) -> bool:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(key, control.api_key)

    def _unauthorised(request: Request) -> Response:
        key = request.headers.get("authorization", "").partition(" ")[2]
        shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else key
        return _error(
            401, f"Incorrect API key provided: {shown}.", kind="invalid_request_error", code="invalid_api_key"
        )

    async def chat_completions(request: Request) -> Response:
        if not _authorised(request):
            return _unauthorised(request)
        try:
            body = await request.json()
        except ValueError:
            return _error(
                400, "We could not parse the JSON body of your request.", kind="invalid_request_error", code=None
            )
        control.requests.append(body)
        if not body.get("model"):
            return _error(400, "you must provide a model parameter", kind="invalid_request_error", code=None)
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return _error(400, "'messages' is a required property", kind="invalid_request_error", code=None)
        injection = control.pending.popleft() if control.pending else None
        if injection and injection.kind == "error":
            kind, code, message = ERRORS.get(injection.status, ERRORS[500])
            headers = {}
            if injection.retry_after is not None:
                headers = {
                    "retry-after": str(math.ceil(injection.retry_after)),
                    "retry-after-ms": str(int(injection.retry_after * 1000)),
                }
            return _error(injection.status, message, kind=kind, code=code, headers=headers)
        content = injection.content if injection and injection.kind == "content" else _content(body)
        completion_id = "chatcmpl-" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        created = int(time.time())
        model = str(body["model"]) + EMULATOR_MODEL_SUFFIX
        usage = {
            "prompt_tokens": sum(len(str(m.get("content", "")).split()) for m in body["messages"]),
            "completion_tokens": len(content.split()),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                    "service_tier": "default",
                    "system_fingerprint": "fp_emulator",
                }
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        broken = bool(injection and injection.kind == "broken_stream")
        return StreamingResponse(
            _stream(completion_id, created, model, content, usage if include_usage else None, broken=broken),
            media_type="text/event-stream",
        )

    async def list_models(request: Request) -> Response:
        if not _authorised(request):
            return _unauthorised(request)
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"}],
            }
        )

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
        ]
    )
    app.state.control = control
    return app


async def _stream(
    completion_id: str, created: int, model: str, content: str, usage: dict | None, *, broken: bool
) -> AsyncIterator[str]:
    """Server-sent events exactly as OpenAI streams them: role delta, content deltas, finish, usage, [DONE]."""

    def event(choices: list[dict], **extra: Any) -> str:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_emulator",
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(chunk)}\n\n"

    def delta(payload: dict, finish: str | None = None) -> list[dict]:
        return [{"index": 0, "delta": payload, "logprobs": None, "finish_reason": finish}]

    yield event(delta({"role": "assistant", "content": "", "refusal": None}))
    for position, piece in enumerate(re.findall(r"\S+\s*", content)):
        yield event(delta({"content": piece}))
        if broken and position == 0:
            error = {"message": "The server had an error while streaming.", "type": "server_error", "param": None}
            yield f"data: {json.dumps({'error': {**error, 'code': None}})}\n\n"
            return
    yield event(delta({}, "stop"))
    if usage is not None:
        yield event([], usage=usage)
    yield "data: [DONE]\n\n"
