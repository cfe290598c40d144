"""Reading a Vapi server message: the body's parse, its type and dedupe key, and the small field parsers.

Pure functions over the JSON Vapi sends; nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, overload

from ava_app.services.errors import DomainError

PROVIDER = "vapi"

_CENT_FRACTION = Decimal("0.0001")

# Deeper than any provider message; past it a body is refused rather than risking recursion in what stores it.
MAX_JSON_DEPTH = 64

# Lone UTF-16 surrogates cannot be encoded to UTF-8 (SQLite and PostgreSQL refuse them); PostgreSQL text has no NUL.
_UNSTORABLE = re.compile("[\\ud800-\\udfff\\x00]")


class InvalidPayload(DomainError):
    """The request body is not a Vapi server message."""

    status_code = 400
    code = "invalid_payload"


def parse_vapi_payload(raw: bytes | str) -> dict:
    """The ``message`` object of a webhook body; raises InvalidPayload with a message fit for a 400 answer.

    Text that no database column can hold (a lone UTF-16 surrogate, a NUL) is replaced by U+FFFD, so every string
    of the returned message can be stored; a body nested deeper than ``MAX_JSON_DEPTH`` is refused.
    """
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidPayload(f"Body is not valid JSON ({exc}).") from None
    except RecursionError:
        raise InvalidPayload(f"Body is nested deeper than {MAX_JSON_DEPTH} levels.") from None
    # JSON can only carry a surrogate or a NUL as a \u escape: without one, only the depth needs checking.
    escaped = ("\\u" in raw) if isinstance(raw, str) else (b"\\u" in raw)
    body = storable_json(body, clean=escaped)
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise InvalidPayload('Body must be a JSON object of the form {"message": {"type": ...}}.')
    kind = body["message"].get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise InvalidPayload("message.type is missing or not a string.")
    return body["message"]


def event_type(message: dict) -> str:
    """The message type, with the filtered-subscription spelling ``transcript[transcriptType="final"]`` folded."""
    kind = str(message.get("type") or "").strip()
    return "transcript" if kind.startswith("transcript[") else kind


def event_dedupe_key(message: dict) -> str:
    """A key equal for redeliveries of one event and different for distinct events of the same call."""
    kind = event_type(message)
    call_id = provider_call_id(message)
    if kind == "status-update":
        # A call passes through each status once, so the status alone identifies the event even if resent later.
        parts: list[Any] = [message.get("status")]
    elif kind == "transcript":
        parts = [
            message.get("transcriptType"),
            message.get("role"),
            message.get("timestamp"),
            _digest(message.get("transcript")),
        ]
    elif kind in ("end-of-call-report", "assistant-request"):
        parts = []
    elif kind == "tool-calls":
        parts = sorted(str(item.get("id")) for item in tool_call_items(message))
    elif kind == "speech-update":
        parts = [message.get("status"), message.get("role"), message.get("turn"), message.get("timestamp")]
    else:
        parts = [message.get("timestamp"), _digest(message)]
    if call_id is None or not parts:
        # Without a call id, or for one-per-call types, the content itself must tell events apart.
        parts.append(_digest(message) if call_id is None else "")
    return f"{PROVIDER}:{call_id or '-'}:{kind[:40]}:{_digest(parts)}"


def json_object(parent: dict, key: str) -> dict:
    """``parent[key]`` when it is a JSON object, else an empty one: Vapi leaves out or nulls the parts it lacks."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def provider_call_id(message: dict) -> str | None:
    call = json_object(message, "call")
    value = call.get("id") or message.get("callId")
    return str(value)[:64] if value else None


def tool_call_items(message: dict) -> list[dict]:
    items = message.get("toolCallList")
    if not isinstance(items, list):
        items = [
            entry.get("toolCall") for entry in message.get("toolWithToolCallList") or [] if isinstance(entry, dict)
        ]
    return [item for item in items if isinstance(item, dict)]


def tool_call_parts(item: dict) -> tuple[str, str, Any]:
    """(id, name, raw arguments) from the current ``{id, function: {name, arguments}}`` or older flat shape."""
    function = json_object(item, "function")
    name = function.get("name") or item.get("name") or ""
    arguments = function.get("arguments", item.get("parameters", item.get("arguments")))
    return str(item.get("id") or ""), str(name), arguments


def storable_text(value: str) -> str:
    """``value`` with every lone surrogate and NUL replaced by U+FFFD (the replacement character)."""
    return _UNSTORABLE.sub("\ufffd", value)


def storable_json(value: Any, *, clean: bool = True, depth: int = 0) -> Any:
    """Parsed JSON with its strings (keys too) made storable; InvalidPayload when nested past ``MAX_JSON_DEPTH``."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidPayload(f"Body is nested deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        cleaned = [storable_json(item, clean=clean, depth=depth + 1) for item in items]
        if not clean:
            return value  # the depth was all there was to check
        if isinstance(value, list):
            return cleaned
        return {storable_text(key): item for key, item in zip(value, cleaned, strict=True)}
    if clean and isinstance(value, str):
        return storable_text(value)
    return value


def _digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    # surrogatepass: a key must never be what makes an event unstorable.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def epoch_ms(value: Any) -> datetime | None:
    number = as_float(value, default=None)
    return datetime.fromtimestamp(number / 1000, tz=UTC) if number else None


def aware(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back naive; AVA stores UTC everywhere, so naive means UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@overload
def as_float(value: Any, default: float = 0.0) -> float: ...


@overload
def as_float(value: Any, default: None) -> float | None: ...


def as_float(value: Any, default: float | None = 0.0) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else default
    except (TypeError, ValueError):
        return default


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        # Through str so 0.2146 stays 0.2146 instead of the float's binary expansion.
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: Any) -> Decimal | None:
    amount = as_decimal(value)
    return amount.quantize(_CENT_FRACTION, rounding=ROUND_HALF_UP) if amount is not None else None


def short(value: Any) -> str | None:
    return str(value)[:20] if value else None
