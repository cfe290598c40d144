"""Vapi's end-of-call report: authoritative for every call field it carries, and the call's full conversation."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, insert, update
from sqlmodel import Session, col

from ava_app.models import Call, CallMessage
from ava_app.services.ended_reasons import outcome_for_ended_reason
from ava_app.services.ingest.calls import Handled, VapiEvent, caller_number, connection, ensure_call, unresolved
from ava_app.services.ingest.payloads import as_decimal, as_float, json_object, money, parse_time, tool_call_parts
from ava_app.services.privacy_settings import Redactor, redactor_for


def handle_end_of_call_report(session: Session, event: VapiEvent) -> Handled:
    lines = _report_lines(event.message)
    caller_spoke = None if lines is None else any(role == "user" for role, _, _ in lines)
    values = _report_values(event, has_lines=bool(lines), caller_spoke=caller_spoke)
    caller = caller_number(event)

    def private_values(tenant_id: int) -> dict[str, Any]:
        return _redacted(values, redactor_for(session, tenant_id=tenant_id), caller)

    # A report for a call AVA has not seen yet (the common case) is one INSERT, already redacted when the business
    # redacts: no update, no old lines to drop.
    ref = ensure_call(session, event, status="ended", values=values, values_for=private_values)
    if ref is None:
        return unresolved()
    redactor = redactor_for(session, tenant_id=ref.tenant_id)
    if redactor.active and lines:
        lines = [(role, redactor.text(text, caller_phone=caller), at) for role, text, at in lines]
    if not ref.created:
        changes = private_values(ref.tenant_id)
        # A call refused at assistant-request stays blocked whatever ended reason Vapi reports for it.
        changes["outcome"] = case((col(Call.outcome) == "blocked", "blocked"), else_=changes["outcome"])
        connection(session).execute(update(Call).where(col(Call.id) == ref.id).values(**changes))
    if lines is not None:
        if not ref.created:
            connection(session).execute(delete(CallMessage).where(col(CallMessage.call_id) == ref.id))
        if lines:
            connection(session).execute(
                insert(CallMessage),
                [
                    {
                        "tenant_id": ref.tenant_id,
                        "call_id": ref.id,
                        "position": position,
                        "role": role,
                        "text": text,
                        "seconds_from_start": seconds,
                    }
                    for position, (role, text, seconds) in enumerate(lines)
                ],
            )
    return Handled(response={}, tenant_id=ref.tenant_id, call_id=ref.id, call_ended=True)


def _redacted(values: dict[str, Any], redactor: Redactor, caller: str | None) -> dict[str, Any]:
    """The report's values with what the caller said redacted (unchanged when the business does not redact)."""
    if not redactor.active:
        return values
    return {
        **values,
        "transcript": redactor.text(values["transcript"], caller_phone=caller),
        "provider_analysis": redactor.data(values["provider_analysis"], caller_phone=caller),
    }


def _report_values(event: VapiEvent, *, has_lines: bool, caller_spoke: bool | None = None) -> dict[str, Any]:
    """Every Call column the report carries; artifact/analysis first, legacy top-level names as fallback."""
    message, call = event.message, event.call
    artifact = json_object(message, "artifact")
    analysis = message.get("analysis") if isinstance(message.get("analysis"), dict) else call.get("analysis")
    reason = message.get("endedReason") or call.get("endedReason")
    started = parse_time(message.get("startedAt")) or parse_time(call.get("startedAt"))
    ended = parse_time(message.get("endedAt")) or parse_time(call.get("endedAt"))
    duration = _duration_seconds(message, started=started, ended=ended)
    values: dict[str, Any] = {
        "status": "ended",
        "ended_reason": str(reason)[:120] if reason else None,
        "outcome": outcome_for_ended_reason(
            reason, had_conversation=has_lines or bool(duration), caller_spoke=caller_spoke
        ),
        "duration_seconds": duration,
        "cost": money(message.get("cost") if message.get("cost") is not None else call.get("cost")),
        "cost_breakdown": _cost_breakdown(message),
        "recording_url": _recording_url(artifact, message),
        "transcript": str(artifact.get("transcript") or message.get("transcript") or ""),
        # Never None once the report is applied: late live transcripts use it to know they are already included.
        "provider_analysis": analysis if isinstance(analysis, dict) else {},
        "updated_at": event.now,
    }
    if started is not None:
        values["started_at"] = started
    if ended is not None:
        values["ended_at"] = ended
    return values


def _report_lines(message: dict) -> list[tuple[str, str, float]] | None:
    """The conversation as (role, text, seconds from start); None when the report carries no conversation at all."""
    artifact = json_object(message, "artifact")
    items = artifact.get("messages")
    if not isinstance(items, list):
        items = message.get("messages") if isinstance(message.get("messages"), list) else None
    if items is None:
        transcript = artifact.get("transcript") or message.get("transcript")
        return _transcript_lines(transcript) if isinstance(transcript, str) and transcript.strip() else None
    lines = []
    for item in items:
        if not isinstance(item, dict):
            continue
        role = item.get("role")
        seconds = as_float(item.get("secondsFromStart"))
        if role == "system":
            continue  # the prompt, not something anyone said
        if role == "tool_calls":
            calls = [tool_call_parts(call) for call in item.get("toolCalls") or [] if isinstance(call, dict)]
            text = "; ".join(
                f"{name}({args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)})"
                for _, name, args in calls
            )
            lines.append(("tool_call", text, seconds))
        elif role == "tool_call_result":
            lines.append(("tool_result", f"{item.get('name') or 'tool'}: {item.get('result') or ''}", seconds))
        else:
            text = str(item.get("message") or item.get("content") or "").strip()
            if text:
                lines.append(("assistant" if role in ("bot", "assistant") else str(role or "user")[:12], text, seconds))
    return lines


def _transcript_lines(transcript: str) -> list[tuple[str, str, float]]:
    lines = []
    for line in transcript.splitlines():
        speaker, _, text = line.partition(":")
        if text.strip():
            lines.append(("assistant" if speaker.strip().upper() == "AI" else "user", text.strip(), 0.0))
    return lines


def _duration_seconds(message: dict, *, started: datetime | None, ended: datetime | None) -> int | None:
    if started is not None and ended is not None:
        return max(round((ended - started).total_seconds()), 0)
    for key, scale in (("durationSeconds", 1), ("durationMs", 0.001), ("durationMinutes", 60)):
        value = as_float(message.get(key), default=None)
        if value is not None:
            return max(round(value * scale), 0)
    return None


def _cost_breakdown(message: dict) -> dict | None:
    """Cost per component as exact decimal strings (JSON has no decimal type), plus token and character counts."""
    call = json_object(message, "call")
    given = call.get("costBreakdown") or message.get("costBreakdown")
    if isinstance(given, dict):
        return {key: _decimal_json(value) for key, value in given.items()}
    costs = message.get("costs") or call.get("costs")
    if not isinstance(costs, list):
        return None
    names = {"transcriber": "stt", "model": "llm", "voice": "tts"}
    totals: dict[str, Decimal] = {}
    for item in costs:
        if isinstance(item, dict) and item.get("type"):
            name = names.get(item["type"], str(item["type"]))
            totals[name] = totals.get(name, Decimal(0)) + (as_decimal(item.get("cost")) or Decimal(0))
    breakdown: dict[str, Any] = {name: str(amount) for name, amount in totals.items()}
    breakdown["total"] = str(sum(totals.values(), Decimal(0)))
    return breakdown


def _decimal_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _decimal_json(item) for key, item in value.items()}
    if isinstance(value, float):
        return str(as_decimal(value))
    return value


def _recording_url(artifact: dict, message: dict) -> str | None:
    recording = json_object(artifact, "recording")
    mono = json_object(recording, "mono")
    url = artifact.get("recordingUrl") or mono.get("combinedUrl") or message.get("recordingUrl")
    return str(url)[:1000] if url else None
