"""Play a simulated call the way Vapi would: webhooks to the assistant's server, tool calls, recording, report.

Sequence (each message only if the assistant subscribes to it, as Vapi does): [assistant-request for an inbound number
without an assistant] → status-update ringing → status-update in-progress → per turn: speech-update started, transcript
partial, transcript final, speech-update stopped, conversation-update → tool-calls (awaited; the result is spoken) →
status-update ended → end-of-call-report (artifact with messages, transcript, recording URL; analysis; costs).

A call can also be played as if it had happened in the past (``started_at``): every timestamp it carries (createdAt,
startedAt, endedAt, message times, webhook ``timestamp``) follows the call's own clock from that moment, with no
waiting. Demo data is made this way, through the same webhooks a live call sends.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import re
import secrets
import string
import time
from datetime import datetime
from typing import Any

import httpx

from ava_app.sandbox.vapi.contract import iso_from_ms, new_call_id, now_iso
from ava_app.sandbox.vapi.recording import synthesize_recording
from ava_app.sandbox.vapi.runtime import VapiSandbox
from ava_app.sandbox.vapi.scenarios import (
    INTENTS,
    ReadPhone,
    Said,
    Scenario,
    ToolStep,
    Turn,
    build_scenario,
    no_conversation_summary,
    scenario_language,
    system_prompt_of,
    tool_arguments_json,
)

log = logging.getLogger(__name__)

# Vapi's defaults when an assistant does not list serverMessages.
DEFAULT_SERVER_MESSAGES = frozenset(
    {"conversation-update", "end-of-call-report", "hang", "speech-update", "status-update", "tool-calls"}
)
ASSISTANT_REQUEST_TIMEOUT = 7.5  # fixed by Vapi, end to end
WORDS_PER_SECOND = 2.7
RING_SECONDS = 1.5
# Under the recordings directory: one file per distinct conversation, linked from the calls that reuse it.
REUSE_DIR = "by-conversation"
_MONITOR = "phone-call-websocket.aws-us-west-2-backend-production1.vapi.ai"


async def simulate_call(
    emulator: Any,
    *,
    intent: str,
    assistant_id: str | None = None,
    phone_number_id: str | None = None,
    call_id: str | None = None,
    speed: float = 1.0,
    customer: dict[str, Any] | None = None,
    org_id: str | None = None,
    started_at: datetime | None = None,
    reuse_recordings: bool = False,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one simulated call to completion and return the final Call (as ``GET /call/{id}`` shows it).

    ``emulator`` is the app from ``create_vapi_emulator`` (or its ``VapiSandbox``). Give ``phone_number_id`` for an
    inbound call to a number, ``assistant_id`` for a direct (web) call, or ``call_id`` of a call created by
    ``POST /call`` or ``POST /call/web``. ``speed`` 1.0 is real time, 10 is ten times faster, 0 means no pauses.

    ``started_at`` (timezone-aware) plays a call that was answered at that moment: its timestamps follow from it and
    nothing waits, whatever ``speed`` says. ``reuse_recordings`` gives a conversation already spoken word for word
    in an earlier call the same audio file instead of synthesising it again (many demo calls, little time).
    ``details``: what the scripted caller knows (``scenarios.build_scenario``).
    """
    return await start_simulated_call(
        emulator,
        intent=intent,
        assistant_id=assistant_id,
        phone_number_id=phone_number_id,
        call_id=call_id,
        speed=speed,
        customer=customer,
        org_id=org_id,
        started_at=started_at,
        reuse_recordings=reuse_recordings,
        wait=True,
        details=details,
    )


async def start_simulated_call(
    emulator: Any,
    *,
    intent: str,
    assistant_id: str | None = None,
    phone_number_id: str | None = None,
    call_id: str | None = None,
    speed: float = 1.0,
    customer: dict[str, Any] | None = None,
    org_id: str | None = None,
    started_at: datetime | None = None,
    reuse_recordings: bool = False,
    wait: bool = False,
    forwarded_from: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create the call now and play it in the background (or to the end with ``wait``); returns the Call.

    ``started_at`` and ``reuse_recordings`` as for ``simulate_call``. ``forwarded_from`` makes an inbound call one
    forwarded to the number from that line: the telephony provider's ``ForwardedFrom`` appears in
    ``call.phoneCallProviderDetails``. Raises ``LookupError`` for an unknown
    assistant, number or call and ``ValueError`` for a bad intent or a naive ``started_at``.
    """
    sandbox: VapiSandbox = getattr(getattr(emulator, "state", None), "sandbox", emulator)
    if intent not in INTENTS:
        raise ValueError(f"intent must be one of the following values: {', '.join(INTENTS)}")
    if started_at is not None and started_at.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    run = await _CallRun.prepare(
        sandbox,
        intent=intent,
        assistant_id=assistant_id,
        phone_number_id=phone_number_id,
        call_id=call_id,
        speed=speed,
        customer=customer,
        org_id=org_id,
        started_at=started_at,
        reuse_recordings=reuse_recordings,
        forwarded_from=forwarded_from,
    )
    run.details = dict(details or {})
    if wait:
        return await run.play()
    snapshot = copy.deepcopy(run.call)
    sandbox.start(run.play())
    return snapshot


class _CallRun:
    """The state of one simulated call while it plays."""

    def __init__(
        self,
        sandbox: VapiSandbox,
        *,
        call: dict[str, Any],
        number: dict[str, Any] | None,
        speed: float,
        started_at: datetime | None = None,
        reuse_recordings: bool = False,
    ):
        self.sandbox = sandbox
        self.call = call
        self.number = number
        # A call from the past plays on its own clock, fast-forwarded; a live one follows the wall clock.
        self.backdated = started_at is not None
        self.speed = 0.0 if self.backdated else speed
        self.intent = "question"
        self.assistant: dict[str, Any] | None = None
        self.messages: list[dict[str, Any]] = []
        self.spoken: list[tuple[str, str]] = []
        self.start_ms = _ring_ms(started_at) if started_at is not None else time.time() * 1000
        self.seconds = 0.0
        self.reuse_recordings = reuse_recordings
        self.rng = random.Random(call["id"])
        self.destination: dict[str, Any] | None = None
        self.details: dict[str, Any] = {}
        self._client: httpx.AsyncClient | None = None

    # --- setup

    @classmethod
    async def prepare(
        cls,
        sandbox: VapiSandbox,
        *,
        intent: str,
        assistant_id: str | None,
        phone_number_id: str | None,
        call_id: str | None,
        speed: float,
        customer: dict[str, Any] | None,
        org_id: str | None,
        started_at: datetime | None = None,
        reuse_recordings: bool = False,
        forwarded_from: str | None = None,
    ) -> _CallRun:
        store = sandbox.store
        if call_id:
            call = await sandbox.db(store.get, "call", call_id, org_id=org_id)
            if call is None:
                raise LookupError(f"call {call_id} not found")
        else:
            call = None
        number_id = phone_number_id or (call or {}).get("phoneNumberId")
        number = await sandbox.db(store.get, "phone-number", number_id, org_id=org_id) if number_id else None
        if number_id and number is None:
            raise LookupError(f"phone number {number_id} not found")
        assistant_id = assistant_id or (call or {}).get("assistantId") or (number or {}).get("assistantId")
        assistant = await sandbox.db(store.get, "assistant", assistant_id, org_id=org_id) if assistant_id else None
        if assistant_id and assistant is None:
            raise LookupError(f"assistant {assistant_id} not found")
        if call is None:
            org = org_id or (number or assistant or {}).get("orgId")
            if org is None:
                raise ValueError("give an assistant_id, a phone_number_id or a call_id")
            call = new_call(
                org_id=org,
                call_type="inboundPhoneCall" if number else "webCall",
                number=number,
                assistant_id=assistant_id,
                customer=customer or ({"number": f"+1650555{random.randint(100, 199):04d}"} if number else None),
                public_base_url=sandbox.public_base_url,
                created_at=iso_from_ms(_ring_ms(started_at)) if started_at is not None else None,
                extra={"phoneCallProviderDetails": {"ForwardedFrom": forwarded_from}} if forwarded_from else None,
            )
            await sandbox.db(store.insert, "call", call)
        run = cls(
            sandbox, call=call, number=number, speed=speed, started_at=started_at, reuse_recordings=reuse_recordings
        )
        run.intent = intent
        if assistant is not None:
            run.assistant = _config_of(assistant)
        elif call.get("assistant"):
            run.assistant = copy.deepcopy(call["assistant"])
        if run.assistant is not None:
            run.assistant = _apply_overrides(run.assistant, call.get("assistantOverrides") or {})
        return run

    # --- playing

    async def play(self) -> dict[str, Any]:
        try:
            return await self._play()
        finally:
            if self._client is not None:
                await self._client.aclose()
                self._client = None

    async def _play(self) -> dict[str, Any]:
        if self.assistant is None and not await self._ask_for_assistant():
            return self.call
        await self._set_status("ringing")
        await self._send("status-update", {"status": "ringing"}, with_assistant=True)
        await self._advance(RING_SECONDS)
        # From here the clock counts from the answer: a live call re-reads the wall clock (the pause may have
        # drifted), a call from the past moves its own clock on by the ringing.
        if self.backdated:
            self.start_ms += self.seconds * 1000
        else:
            self.start_ms = time.time() * 1000 - self.seconds * 1000
        self.seconds = 0.0
        self.call["startedAt"] = iso_from_ms(self.start_ms)
        await self._set_status("in-progress")
        await self._send("status-update", {"status": "in-progress"}, with_assistant=True)
        prompt = system_prompt_of(self.assistant or {})
        if prompt:
            self.messages.append({"role": "system", "message": prompt, "time": self._ms(), "secondsFromStart": 0})
        direction = "outbound" if self.call["type"] == "outboundPhoneCall" else "inbound"
        scenario = build_scenario(
            intent=self.intent,
            assistant=self.assistant or {},
            direction=direction,
            seed=self.call["id"],
            caller_name=(self.call.get("customer") or {}).get("name"),
            details=self.details,
        )
        turn_number = 0
        results: list[str | None] = []
        for step in scenario.steps:
            if isinstance(step, Turn | Said):
                turn = step if isinstance(step, Turn) else _said(step, results)
                if turn is not None:
                    turn_number += 1
                    await self._speak(turn, index=turn_number)
            elif isinstance(step, ReadPhone):
                if step.when(results):
                    results.append(await self._read_phone(step.number))
            else:
                arguments = step.arguments_after(results)
                if arguments is None:
                    continue
                result = await self._call_tool(step, arguments)
                results.append(result)
                turn_number += 1
                await self._speak(Turn("bot", step.reply(result)), index=turn_number)
        await self._advance(0.6)
        return await self._finish(scenario.ended_reason, scenario=scenario)

    async def _read_phone(self, number: str) -> str | None:
        """What the phone at ``number`` last received, after the few seconds a text takes (None: no handset)."""
        await self._advance(4.0)
        handset = self.sandbox.handset
        return await handset(number) if handset is not None else None

    async def _speak(self, turn: Turn, *, index: int) -> None:
        """One utterance: speech-update, a partial then a final transcript, the message, conversation-update."""
        role = "assistant" if turn.role == "bot" else "user"
        await self._advance(self.rng.uniform(0.5, 1.1))
        begin = self.seconds
        duration = max(0.8, len(turn.text.split()) / WORDS_PER_SECOND)
        await self._send("speech-update", {"status": "started", "role": role, "turn": index})
        words = turn.text.split()
        if len(words) > 3:
            await self._advance(duration * 0.4)
            partial = " ".join(words[: max(2, len(words) * 2 // 5)])
            await self._transcript(role=role, text=partial, final=False)
            await self._advance(duration * 0.6)
        else:
            await self._advance(duration)
        await self._transcript(role=role, text=turn.text, final=True)
        await self._send("speech-update", {"status": "stopped", "role": role, "turn": index})
        message: dict[str, Any] = {
            "role": turn.role,
            "message": turn.text,
            "time": self._ms(begin),
            "endTime": self._ms(),
            "secondsFromStart": round(begin, 2),
        }
        if turn.role == "bot":
            message["source"] = ""
        self.messages.append(message)
        self.spoken.append((turn.role, turn.text))
        await self._conversation_update()

    async def _transcript(self, *, role: str, text: str, final: bool) -> None:
        wanted = self._subscriptions()
        if "transcript" not in wanted and not (final and 'transcript[transcriptType="final"]' in wanted):
            return
        kind = "final" if final else "partial"
        await self._send("transcript", {"role": role, "transcriptType": kind, "transcript": text}, force=True)

    async def _conversation_update(self) -> None:
        await self._send(
            "conversation-update",
            {"messages": copy.deepcopy(self.messages), "messagesOpenAIFormatted": _openai_format(self.messages)},
        )

    async def _call_tool(self, step: ToolStep, arguments: dict[str, Any]) -> str | None:
        """Send tool-calls, wait for AVA's answer (not scaled by speed: it is real work), record call and result."""
        name = step.tool["function"]["name"]
        call_id = "call_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
        tool_call: dict[str, Any] = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": tool_arguments_json(arguments)},
        }
        await self._advance(0.8)
        if self.sandbox.before_tool_call is not None:
            await self.sandbox.before_tool_call(name, copy.deepcopy(arguments))
        self.messages.append(
            {
                "role": "tool_calls",
                "message": "",
                "time": self._ms(),
                "secondsFromStart": round(self.seconds, 2),
                "toolCalls": [tool_call],
            }
        )
        server = step.tool.get("server") or (self.assistant or {}).get("server") or {}
        payload = {
            "toolCallList": [tool_call],
            "toolWithToolCallList": [{**copy.deepcopy(step.tool), "toolCall": tool_call}],
        }
        response = await self._send("tool-calls", payload, force=True, server=server)
        result = _tool_result(response, call_id)
        await self._advance(1.2)
        self.messages.append(
            {
                "role": "tool_call_result",
                "toolCallId": tool_call["id"],
                "name": name,
                "result": result if result is not None else "Error: no result returned.",
                "time": self._ms(),
                "secondsFromStart": round(self.seconds, 2),
            }
        )
        await self._conversation_update()
        return result

    async def _ask_for_assistant(self) -> bool:
        """Inbound to a number without an assistant: send assistant-request and honour what AVA answers."""
        number = self.number or {}
        await self._set_status("ringing")
        server = number.get("server") or {}
        if not server.get("url"):
            await self._end_early("call-start-error-neither-assistant-nor-server-set")
            return False
        response = await self._send(
            "assistant-request", {}, force=True, server={**server, "timeoutSeconds": ASSISTANT_REQUEST_TIMEOUT}
        )
        answer = _json_of(response)
        fallback = number.get("fallbackDestination")
        if answer is None:
            self.destination = fallback
            await self._end_early("assistant-request-failed")
            return False
        if isinstance(answer.get("destination"), dict):
            self.destination = answer["destination"]
            await self._end_early("assistant-request-returned-forwarding-phone-number", forwarding=True)
            return False
        if answer.get("error"):
            await self._end_early("assistant-request-returned-error", spoken=str(answer["error"]))
            return False
        overrides = answer.get("assistantOverrides") or {}
        if answer.get("assistantId"):
            stored = await self.sandbox.db(
                self.sandbox.store.get, "assistant", str(answer["assistantId"]), org_id=self.call["orgId"]
            )
            if stored is None:
                await self._end_early("assistant-not-found")
                return False
            self.call["assistantId"] = stored["id"]
            self.assistant = _apply_overrides(_config_of(stored), overrides)
            return True
        if isinstance(answer.get("assistant"), dict):
            self.assistant = _apply_overrides(copy.deepcopy(answer["assistant"]), overrides)
            return True
        if any(answer.get(key) for key in ("squadId", "squad", "workflowId", "workflow")):
            # Squads and workflows are not emulated; say so through the ended reason rather than pretend.
            await self._end_early("assistant-request-returned-invalid-assistant")
            return False
        await self._end_early("assistant-request-returned-no-assistant")
        return False

    async def _end_early(self, reason: str, *, forwarding: bool = False, spoken: str | None = None) -> None:
        """End a call that never reached a conversation (no assistant, forwarded, or refused)."""
        self.call["startedAt"] = iso_from_ms(self.start_ms)
        if spoken:
            await self._speak(Turn("bot", spoken), index=1)
        if forwarding:
            await self._set_status("forwarding")
            await self._send("status-update", {"status": "forwarding", "destination": self.destination})
        await self._finish(reason, scenario=None)

    async def _finish(self, reason: str, *, scenario: Scenario | None) -> dict[str, Any]:
        self.call["endedReason"] = reason
        self.call["endedAt"] = iso_from_ms(self._ms())
        await self._set_status("ended")
        await self._send("status-update", {"status": "ended", "endedReason": reason}, with_assistant=True)
        artifact = await self._artifact()
        analysis = _analysis(self.assistant or {}, scenario, self.call.get("customer") or {})
        costs, breakdown = _costs(self)
        self.call.update(
            {
                "cost": breakdown["total"],
                "costs": costs,
                "costBreakdown": breakdown,
                "messages": copy.deepcopy(self.messages),
                "artifact": artifact,
                "analysis": analysis,
            }
        )
        if self.destination:
            self.call["destination"] = self.destination
        self.call["updatedAt"] = self._now_iso()
        await self.sandbox.db(self.sandbox.store.save, "call", self.call)
        report: dict[str, Any] = {
            "endedReason": reason,
            "startedAt": self.call["startedAt"],
            "endedAt": self.call["endedAt"],
            "cost": breakdown["total"],
            "costs": costs,
            "artifact": artifact,
            "analysis": analysis,
        }
        if self.destination:
            report["destination"] = self.destination
        await self._send("end-of-call-report", report, with_assistant=True)
        return self.call

    async def _artifact(self) -> dict[str, Any]:
        artifact: dict[str, Any] = {
            "messages": copy.deepcopy(self.messages),
            "messagesOpenAIFormatted": _openai_format(self.messages),
            "transcript": "\n".join(f"{'AI' if role == 'bot' else 'User'}: {text}" for role, text in self.spoken),
        }
        if self.spoken:
            name = f"{self.call['id']}-mono.wav"
            await synthesize_recording(
                turns=self.spoken,
                path=self.sandbox.recordings_dir / name,
                language=scenario_language(self.assistant or {}),
                use_speech=self.sandbox.use_speech,
                cache_dir=self.sandbox.recordings_dir / REUSE_DIR if self.reuse_recordings else None,
            )
            url = f"{self.sandbox.public_base_url}/recording/{name}"
            artifact["recordingUrl"] = url
            artifact["recording"] = {"mono": {"combinedUrl": url}}
        return artifact

    # --- delivery

    def _subscriptions(self) -> set[str]:
        listed = (self.assistant or {}).get("serverMessages")
        return set(listed) if isinstance(listed, list) else set(DEFAULT_SERVER_MESSAGES)

    def _server(self) -> dict[str, Any]:
        """assistant.server, else the phone number's server (Vapi's order, minus the org-level URL)."""
        server = (self.assistant or {}).get("server") or {}
        if server.get("url"):
            return server
        return (self.number or {}).get("server") or {}

    async def _send(
        self,
        kind: str,
        fields: dict[str, Any],
        *,
        with_assistant: bool = False,
        force: bool = False,
        server: dict[str, Any] | None = None,
    ) -> httpx.Response | None:
        """POST ``{"message": {...}}`` with the server's headers; None when not subscribed, no URL or it failed."""
        if not force and kind not in self._subscriptions():
            return None
        server = server if server is not None and server.get("url") else self._server()
        url = server.get("url")
        if not url:
            return None
        message: dict[str, Any] = {"type": kind, **fields, "timestamp": int(self._ms())}
        if self.number is not None:
            message["phoneNumber"] = _number_dto(self.number)
        if self.call.get("customer"):
            message["customer"] = copy.deepcopy(self.call["customer"])
        if with_assistant and self.assistant is not None:
            message["assistant"] = copy.deepcopy(self.assistant)
        message["call"] = _call_snapshot(self.call)
        headers = {"Content-Type": "application/json", **(server.get("headers") or {})}
        timeout = float(server.get("timeoutSeconds") or 20)
        try:
            response = await self._webhooks().post(url, json={"message": message}, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            # Vapi does not retry webhooks unless a backoffPlan is set; the call goes on.
            log.warning("sandbox webhook %s to %s failed: %s", kind, url, exc)
            return None
        if response.status_code >= 400:
            log.warning("sandbox webhook %s to %s answered HTTP %s", kind, url, response.status_code)
            return None
        return response

    def _webhooks(self) -> httpx.AsyncClient:
        """One HTTP client for all the call's webhooks: building one (TLS context) costs more than most deliveries."""
        if self._client is None:
            self._client = self.sandbox.webhook_client(timeout=20)
        return self._client

    async def _set_status(self, status: str) -> None:
        self.call["status"] = status
        self.call["updatedAt"] = self._now_iso()
        await self.sandbox.db(self.sandbox.store.save, "call", self.call)

    async def _advance(self, seconds: float) -> None:
        """Move the call's clock; sleep for it unless fast-forwarding (speed 0 = no pauses)."""
        self.seconds += seconds
        if self.speed > 0:
            await asyncio.sleep(seconds / self.speed)

    def _ms(self, seconds: float | None = None) -> float:
        return round(self.start_ms + (self.seconds if seconds is None else seconds) * 1000)

    def _now_iso(self) -> str:
        """The time stamped on the stored call: the call's own clock when it is played from the past."""
        return iso_from_ms(self._ms()) if self.backdated else now_iso()


# --- shapes -----------------------------------------------------------------------------------------------


def new_call(
    *,
    org_id: str,
    call_type: str,
    number: dict[str, Any] | None,
    assistant_id: str | None,
    customer: dict[str, Any] | None,
    public_base_url: str,
    extra: dict[str, Any] | None = None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """A queued Call as ``POST /call`` returns it (fixture ``vapi-call-created.json``), made now or at created_at."""
    call_id = new_call_id()
    now = created_at or now_iso()
    call: dict[str, Any] = {"id": call_id, "orgId": org_id, "type": call_type, "status": "queued"}
    call.update({"createdAt": now, "updatedAt": now})
    if assistant_id:
        call["assistantId"] = assistant_id
    if number is not None:
        call["phoneNumberId"] = number["id"]
    if customer:
        call["customer"] = customer
    call.update(extra or {})
    if call_type == "webCall":
        call["webCallUrl"] = f"{public_base_url}/web-call/{call_id}"
    else:
        provider = (number or {}).get("provider", "vapi")
        call["phoneCallProvider"] = provider if provider in {"twilio", "vonage", "vapi", "telnyx"} else "vapi"
        call["phoneCallTransport"] = "pstn"
        if number is not None and provider == "twilio":
            call_sid = "CA" + secrets.token_hex(16)
            call["phoneCallProviderId"] = call_sid
            call["transport"] = {"provider": "twilio", "accountSid": number["twilioAccountSid"], "callSid": call_sid}
    call["monitor"] = {
        "listenUrl": f"wss://{_MONITOR}/{call_id}/listen",
        "controlUrl": f"https://{_MONITOR}/{call_id}/control",
    }
    return call


def _said(step: Said, results: list[str | None]) -> Turn | None:
    text = step.text(results)
    return Turn(step.role, text) if text else None


def _ring_ms(started_at: datetime) -> float:
    """When a call answered at ``started_at`` began to ring (epoch milliseconds)."""
    return started_at.timestamp() * 1000 - RING_SECONDS * 1000


def _config_of(assistant: dict[str, Any]) -> dict[str, Any]:
    """An assistant's config as Vapi embeds it in webhooks: the DTO without id, org and timestamps."""
    return {k: copy.deepcopy(v) for k, v in assistant.items() if k not in {"id", "orgId", "createdAt", "updatedAt"}}


def _apply_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """assistantOverrides: replace top-level keys, then fill ``{{variables}}`` in what the assistant says."""
    config = {**config, **{k: copy.deepcopy(v) for k, v in overrides.items() if k != "variableValues"}}
    values = overrides.get("variableValues") or {}
    if not values:
        return config

    def fill(text: str) -> str:
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(values.get(m.group(1), m.group(0))), text)

    for key in ("firstMessage", "endCallMessage", "voicemailMessage"):
        if isinstance(config.get(key), str):
            config[key] = fill(config[key])
    for message in (config.get("model") or {}).get("messages") or []:
        if isinstance(message.get("content"), str):
            message["content"] = fill(message["content"])
    return config


def _number_dto(number: dict[str, Any]) -> dict[str, Any]:
    """The phone number as webhooks carry it (Create*PhoneNumberDTO fields, no id/org/secrets)."""
    keep = ("provider", "number", "twilioAccountSid", "name", "assistantId", "fallbackDestination", "server")
    return {k: copy.deepcopy(number[k]) for k in keep if number.get(k) is not None}


def _call_snapshot(call: dict[str, Any]) -> dict[str, Any]:
    heavy = {"messages", "artifact", "analysis", "costs", "costBreakdown", "cost", "assistant", "assistantOverrides"}
    return {k: copy.deepcopy(v) for k, v in call.items() if k not in heavy}


def _openai_format(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    roles = {"system": "system", "bot": "assistant", "user": "user"}
    return [{"role": roles[m["role"]], "content": m["message"]} for m in messages if m["role"] in roles]


def _json_of(response: httpx.Response | None) -> dict[str, Any] | None:
    if response is None:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    # Tolerate the OpenAPI schema's {"messageResponse": {...}} wrapper as well as the documented bare object.
    if isinstance(body, dict) and isinstance(body.get("messageResponse"), dict):
        body = body["messageResponse"]
    return body if isinstance(body, dict) else None


def _tool_result(response: httpx.Response | None, tool_call_id: str) -> str | None:
    body = _json_of(response)
    if not body:
        return None
    for item in body.get("results") or []:
        if isinstance(item, dict) and item.get("toolCallId") == tool_call_id and item.get("result") is not None:
            return str(item["result"])
    return None


def _analysis(assistant: dict[str, Any], scenario: Scenario | None, customer: dict[str, Any]) -> dict[str, Any]:
    analysis: dict[str, Any] = {"summary": scenario.summary if scenario else no_conversation_summary(assistant)}
    plan = assistant.get("analysisPlan") or {}
    properties = (((plan.get("structuredDataPlan") or {}).get("schema") or {}).get("properties")) or {}
    if scenario and properties and (plan.get("structuredDataPlan") or {}).get("enabled", False):
        analysis["structuredData"] = _structured_data(properties, scenario, customer)
    analysis["successEvaluation"] = "true" if scenario and scenario.success else "false"
    return analysis


def _structured_data(properties: dict[str, Any], scenario: Scenario, customer: dict[str, Any]) -> dict[str, Any]:
    """Fill the assistant's structured-data schema with what the scripted caller said."""
    facts = scenario.facts
    data: dict[str, Any] = {}
    for key, schema in properties.items():
        lowered = key.lower()
        if "name" in lowered:
            value: Any = scenario.caller_name
        elif "phone" in lowered or "number" in lowered:
            value = customer.get("number")
        elif "book" in lowered or "appointment" in lowered:
            value = bool(facts.get("appointmentBooked", False))
        elif any(word in lowered for word in ("callback", "follow", "action")):
            value = bool(facts.get("callback", False))
        elif "sentiment" in lowered:
            value = facts.get("sentiment", "positive" if scenario.success else "neutral")
        elif any(word in lowered for word in ("reason", "intent", "topic", "request")):
            value = facts.get("reason")
        else:
            continue
        if value is None:
            continue
        data[key] = bool(value) if (schema or {}).get("type") == "boolean" else value
    return data


def _costs(run: _CallRun) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Vapi-like costs for the call's length and words (list items as in ``costs[]``, plus ``costBreakdown``)."""
    assistant = run.assistant or {}
    minutes = round(run.seconds / 60, 4)
    bot_chars = sum(len(text) for role, text in run.spoken if role == "bot")
    prompt_tokens = 350 * max(1, len(run.spoken))
    completion_tokens = max(1, bot_chars // 4)
    transcriber = assistant.get("transcriber") or {"provider": "deepgram", "model": "nova-2"}
    model = assistant.get("model") or {"provider": "openai", "model": "gpt-4o-mini"}
    voice = assistant.get("voice") or {"provider": "vapi", "voiceId": "Elliot"}
    stt = round(minutes * 0.01, 4)
    llm = round(prompt_tokens * 0.15e-6 + completion_tokens * 0.6e-6, 4)
    tts = round(bot_chars * 0.000036, 4)
    vapi = round(minutes * 0.05, 4)
    analysis = [
        ("summary", 612, 48, 0.0002),
        ("structuredData", 655, 31, 0.0001),
        ("successEvaluation", 790, 2, 0.0001),
    ]
    costs: list[dict[str, Any]] = [
        {"type": "transport", "provider": run.call.get("phoneCallProvider", "daily"), "minutes": minutes, "cost": 0},
        {
            "type": "transcriber",
            "transcriber": {k: transcriber[k] for k in ("provider", "model") if k in transcriber},
            "minutes": minutes,
            "cost": stt,
        },
        {
            "type": "model",
            "model": {k: model[k] for k in ("provider", "model") if k in model},
            "promptTokens": prompt_tokens,
            "completionTokens": completion_tokens,
            "cost": llm,
        },
        {
            "type": "voice",
            "voice": {k: voice[k] for k in ("provider", "voiceId", "model") if k in voice},
            "characters": bot_chars,
            "cost": tts,
        },
        {"type": "vapi", "subType": "normal", "minutes": minutes, "cost": vapi},
    ]
    for analysis_type, prompt, completion, cost in analysis:
        costs.append(
            {
                "type": "analysis",
                "analysisType": analysis_type,
                "model": {"provider": "openai", "model": "gpt-4o-mini"},
                "promptTokens": prompt,
                "completionTokens": completion,
                "cost": cost,
            }
        )
    analysis_total = sum(item[3] for item in analysis)
    total = round(stt + llm + tts + vapi + analysis_total, 4)
    breakdown = {
        "transport": 0,
        "stt": stt,
        "llm": llm,
        "tts": tts,
        "vapi": vapi,
        "total": total,
        "llmPromptTokens": prompt_tokens,
        "llmCompletionTokens": completion_tokens,
        "ttsCharacters": bot_chars,
        "analysisCostBreakdown": {
            f"{name}{suffix}": value
            for name, prompt, completion, cost in analysis
            for suffix, value in (("", cost), ("PromptTokens", prompt), ("CompletionTokens", completion))
        },
    }
    return costs, breakdown
