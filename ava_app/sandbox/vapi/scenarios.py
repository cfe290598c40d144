"""Plausible call scripts for the emulator, built from an assistant's own config (greeting, knowledge base, tools).

Pure functions: a scenario is data (turns, tool calls, outcome); the call runner plays it out. An assistant that
declares AVA's built-in tools (``lookup_faq``, ``check_business_hours``, ``take_message``) has them called where a
real assistant would: a question goes through ``lookup_faq`` then ``check_business_hours``, a complaint, a message
or a booking request without a booking tool through ``take_message``; the tool's answer shapes the next line.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

INTENTS = ("booking", "question", "complaint", "wrong_number", "voicemail", "hang_up", "transfer")
CALLER_NAMES = ("Jordan Lee", "Sam Rivera", "Alex Morgan", "Taylor Brooks", "Casey Nguyen", "Robin Patel")
_BOOKING_TOOL = re.compile(r"book|appointment|schedule|reserv", re.IGNORECASE)
FAQ_TOOL, HOURS_TOOL, MESSAGE_TOOL = "lookup_faq", "check_business_hours", "take_message"


@dataclass(frozen=True)
class Turn:
    """One utterance: ``bot`` is the assistant, ``user`` the caller."""

    role: Literal["bot", "user"]
    text: str


@dataclass(frozen=True)
class ToolStep:
    """The assistant calls a function tool; ``reply`` turns the tool's result (or None on failure) into speech."""

    tool: dict[str, Any]
    arguments: dict[str, Any]
    reply: Callable[[str | None], str]


def _or_else(answer: str) -> Callable[[str | None], str]:
    """A tool step's reply: the tool's result when it gave one, else ``answer``."""
    return lambda result: result or answer


@dataclass
class Scenario:
    """A whole call: steps in order, how it ends, and what Vapi's analysis would conclude."""

    intent: str
    caller_name: str
    steps: list[Turn | ToolStep]
    ended_reason: str
    summary: str
    success: bool
    facts: dict[str, Any] = field(default_factory=dict)


def knowledge_facts(system_prompt: str) -> list[tuple[str | None, str]]:
    """(question, answer) pairs from a prompt's knowledge-base lines (``- Q: … A: …`` or ``- Title: text``)."""
    facts: list[tuple[str | None, str]] = []
    in_section = False
    for line in system_prompt.splitlines():
        stripped = line.strip()
        if stripped.lower().startswith(("knowledge base", "faq")):
            in_section = True
        elif stripped.startswith("- "):
            entry = stripped[2:]
            qa = re.match(r"Q:\s*(.+?)\s+A:\s*(.+)", entry)
            if qa:
                facts.append((qa.group(1), qa.group(2)))
            elif in_section:
                title, _, body = entry.partition(": ")
                facts.append((f"Can you tell me about {title.lower()}?", body) if body else (None, entry))
        elif stripped:
            in_section = False
    return facts


def system_prompt_of(assistant: dict[str, Any]) -> str:
    messages = (assistant.get("model") or {}).get("messages") or []
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")


def build_scenario(
    *, intent: str, assistant: dict[str, Any], direction: str, seed: str, caller_name: str | None = None
) -> Scenario:
    """Script a call of ``intent`` for ``assistant`` (a CreateAssistantDTO dict); ``seed`` makes it reproducible."""
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}; expected one of {', '.join(INTENTS)}")
    rng = random.Random(seed)
    name = caller_name or rng.choice(CALLER_NAMES)
    greeting = assistant.get("firstMessage") or "Hello, thanks for calling. How can I help you today?"
    goodbye = assistant.get("endCallMessage") or "Thanks for calling. Goodbye!"
    builder = {
        "booking": _booking,
        "question": _question,
        "complaint": _complaint,
        "wrong_number": _wrong_number,
        "voicemail": _voicemail,
        "hang_up": _hang_up,
        "transfer": _transfer,
    }[intent]
    scenario = builder(assistant=assistant, name=name, greeting=greeting, goodbye=goodbye, direction=direction, rng=rng)
    scenario.facts.setdefault("callerName", name)
    return scenario


def _booking(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    first = name.split()[0]
    day = rng.choice(["Tuesday", "Wednesday", "Thursday"])
    steps: list[Turn | ToolStep] = [
        Turn("bot", greeting),
        Turn("user", f"Hi, this is {name}. I'd like to book an appointment for next {day} morning, please."),
    ]
    tool = next((t for t in _function_tools(assistant) if _BOOKING_TOOL.search(t["function"]["name"])), None)
    if tool is not None:
        steps.append(Turn("bot", "Sure, one moment while I check the schedule."))
        steps.append(
            ToolStep(
                tool=tool,
                arguments=_arguments_for(tool, name=name, day=day, rng=rng),
                reply=lambda result: (
                    f"You're all set. {result}"
                    if result
                    else "I'm sorry, I couldn't book that right now. "
                    "I've passed your request to the team and they'll call you back."
                ),
            )
        )
    else:
        steps.append(Turn("bot", f"Of course, {first}. What's the best number to confirm the time with you?"))
        steps.append(Turn("user", "This number is fine."))
        steps.append(
            _message_step(
                assistant,
                name=name,
                message=f"Would like an appointment next {day} morning; please call back to confirm.",
                reason=f"appointment next {day} morning",
                said=f"Thank you. I've noted your request for next {day} morning; the team will call to confirm.",
            )
        )
    steps += [Turn("user", "Great, thanks. Bye!"), Turn("bot", goodbye)]
    return Scenario(
        intent="booking",
        caller_name=name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=f"{name} called to book an appointment for next {day} morning."
        + (" The appointment was booked." if tool else " The request was noted for a call back to confirm."),
        success=True,
        facts={
            "reason": f"appointment next {day} morning",
            "appointmentBooked": tool is not None,
            "callback": tool is None,
        },
    )


def _question(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    facts = knowledge_facts(system_prompt_of(assistant))
    faq_tool, hours_tool = _tool_named(assistant, FAQ_TOOL), _tool_named(assistant, HOURS_TOOL)
    steps: list[Turn | ToolStep] = [Turn("bot", greeting)]
    if facts:
        question, answer = rng.choice(facts)
        question = question or "Can you tell me a bit more about what you offer?"
        summary = f"{name} asked: {question} The assistant answered from the knowledge base."
        steps.append(Turn("user", f"Hi, quick question. {question}"))
        if faq_tool is not None:
            steps.append(Turn("bot", "Let me check that for you."))
            # The spoken answer is what AVA's knowledge base returned, as a real assistant would read it out.
            steps.append(ToolStep(tool=faq_tool, arguments={"question": question}, reply=_or_else(answer)))
        else:
            steps.append(Turn("bot", answer))
        if hours_tool is not None:
            steps.append(Turn("user", "Great. And are you open right now?"))
            steps.append(ToolStep(tool=hours_tool, arguments={}, reply=_hours_reply))
    elif hours_tool is not None:
        summary = f"{name} asked about opening hours; the assistant checked them."
        steps.append(Turn("user", "Hi, quick question. What are your opening hours today?"))
        steps.append(Turn("bot", "One moment, let me check."))
        steps.append(ToolStep(tool=hours_tool, arguments={}, reply=_hours_reply))
    else:
        summary = f"{name} asked about opening hours; the assistant offered a call back."
        steps.append(Turn("user", "Hi, quick question. What are your opening hours this week?"))
        steps.append(
            Turn(
                "bot",
                "I don't have that in front of me, but I can take a message and someone will call you back today.",
            )
        )
    answered = bool(facts) or hours_tool is not None
    steps += [Turn("user", "Perfect, that's all I needed. Thank you!"), Turn("bot", goodbye)]
    return Scenario(
        intent="question",
        caller_name=name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=summary,
        success=answered,
        facts={"reason": _first_question(steps), "callback": not answered},
    )


def _complaint(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    steps: list[Turn | ToolStep] = [
        Turn("bot", greeting),
        Turn("user", "I'm calling because I'm really unhappy. I was charged twice for my last visit."),
        Turn("bot", "I'm very sorry about that. Could I have your name so a manager can look into it?"),
        Turn("user", f"It's {name}. I'd like someone to call me back today."),
        _message_step(
            assistant,
            name=name,
            message="Was charged twice for the last visit and wants a manager to call back today.",
            reason="double charge complaint",
            said=f"Thank you, {name.split()[0]}. I've logged your complaint; a manager will call you back today.",
        ),
        Turn("user", "Okay. Thanks."),
        Turn("bot", goodbye),
    ]
    return Scenario(
        intent="complaint",
        caller_name=name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=f"{name} complained about being charged twice and asked for a manager to call back today.",
        success=True,
        facts={"reason": "double charge complaint", "callback": True, "sentiment": "negative"},
    )


def _transfer_destination(assistant: dict[str, Any]) -> str | None:
    for tool in (assistant.get("model") or {}).get("tools") or []:
        if tool.get("type") == "transferCall":
            for destination in tool.get("destinations") or []:
                if destination.get("number"):
                    return str(destination["number"])
    return None


def _transfer(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    """An urgent caller asks for a person: Vapi's transferCall tool hands the call over, else a message is taken."""
    destination = _transfer_destination(assistant)
    steps: list[Turn | ToolStep] = [
        Turn("bot", greeting),
        Turn("user", f"Hi, it's {name}. It's urgent, I'm in a lot of pain since this morning. Can I talk to someone?"),
    ]
    if destination is None:
        steps.append(
            _message_step(
                assistant,
                name=name,
                message="Urgent: in pain since this morning, wants to talk to someone now.",
                reason="urgent call",
                said=f"I understand, {name.split()[0]}. I've passed on your message as urgent; someone calls you back "
                "right away. " + goodbye,
            )
        )
        return Scenario(
            intent="transfer",
            caller_name=name,
            steps=steps,
            ended_reason="customer-ended-call",
            summary=f"{name} called about an urgent problem and asked to talk to someone; a message was taken.",
            success=True,
            facts={"reason": "urgent call", "callback": True, "urgency": "high"},
        )
    steps.append(Turn("bot", "I understand. I'm putting you through to the team right now, please stay on the line."))
    return Scenario(
        intent="transfer",
        caller_name=name,
        steps=steps,
        ended_reason="assistant-forwarded-call",
        summary=f"{name} called about an urgent problem; the assistant transferred the call to {destination}.",
        success=True,
        facts={"reason": "urgent call", "callback": False, "urgency": "high", "transferredTo": destination},
    )


def _wrong_number(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    steps: list[Turn | ToolStep] = [
        Turn("bot", greeting),
        Turn("user", "Oh, sorry, I think I dialed the wrong number. I was trying to reach a pizza place."),
        Turn("bot", "No problem at all. Have a great day!"),
    ]
    return Scenario(
        intent="wrong_number",
        caller_name=name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary="The caller dialed the wrong number and hung up.",
        success=True,
        facts={"reason": "wrong number", "callback": False},
    )


def _voicemail(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    message = assistant.get("voicemailMessage") or "Hi, this is a message from our office. Please call us back."
    if direction == "outbound":
        # Vapi detects the answering machine and leaves the assistant's voicemail message.
        machine: list[Turn | ToolStep] = [
            Turn("user", f"Hi, you've reached {name}. Please leave a message after the tone."),
            Turn("bot", message),
        ]
        return Scenario(
            intent="voicemail",
            caller_name=name,
            steps=machine,
            ended_reason="voicemail",
            summary=f"The call reached {name}'s voicemail; the assistant left a message.",
            success=False,
            facts={"reason": "voicemail", "callback": True},
        )
    steps: list[Turn | ToolStep] = [
        Turn("bot", greeting),
        Turn("user", f"Hi, it's {name}. Please call me back when you can, it's about my booking."),
        _message_step(
            assistant,
            name=name,
            message="Please call back about my booking.",
            reason="message left",
            said=f"Thanks, {name.split()[0]}. I'll pass your message on. " + goodbye,
            failed=_MESSAGE_FAILED + " " + goodbye,
        ),
    ]
    return Scenario(
        intent="voicemail",
        caller_name=name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=f"{name} left a message asking for a call back about a booking.",
        success=True,
        facts={"reason": "message left", "callback": True},
    )


def _hang_up(*, assistant, name, greeting, goodbye, direction, rng) -> Scenario:
    return Scenario(
        intent="hang_up",
        caller_name=name,
        steps=[Turn("bot", greeting)],
        ended_reason="customer-ended-call",
        summary="The caller hung up without saying anything.",
        success=False,
        facts={"reason": "hung up", "callback": False},
    )


_MESSAGE_FAILED = "I'm sorry, I couldn't save your message just now. Please call us back a little later."


def _function_tools(assistant: dict[str, Any]) -> list[dict[str, Any]]:
    tools = (assistant.get("model") or {}).get("tools") or []
    return [
        tool
        for tool in tools
        if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("function"), dict)
    ]


def _tool_named(assistant: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((tool for tool in _function_tools(assistant) if tool["function"].get("name") == name), None)


def _message_step(
    assistant: dict[str, Any], *, name: str, message: str, reason: str, said: str, failed: str = _MESSAGE_FAILED
) -> Turn | ToolStep:
    """The assistant takes a message: through take_message when declared (``said`` only once it is saved)."""
    tool = _tool_named(assistant, MESSAGE_TOOL)
    if tool is None:
        return Turn("bot", said)
    arguments = _message_arguments(tool, name=name, message=message, reason=reason)
    return ToolStep(tool=tool, arguments=arguments, reply=lambda result: said if result else failed)


def _hours_reply(result: str | None) -> str:
    """What the assistant says with check_business_hours' answer (a sentence about today's hours)."""
    if not result:
        return "I can't check our hours right now, sorry. Please try again a bit later."
    return result


def _first_question(steps: list[Turn | ToolStep]) -> str:
    """The caller's first question, as the call's reason (what Vapi's structured data would capture)."""
    text = next((step.text for step in steps if isinstance(step, Turn) and step.role == "user"), "")
    return text.removeprefix("Hi, quick question. ")


def _message_arguments(tool: dict[str, Any], *, name: str, message: str, reason: str) -> dict[str, Any]:
    """take_message's arguments: the message itself, and the caller's name or reason where the schema asks."""
    properties = (tool["function"].get("parameters") or {}).get("properties") or {}
    arguments: dict[str, Any] = {"message": message} if "message" in properties or not properties else {}
    for key, schema in properties.items():
        lowered = key.lower()
        if key == "message" or (schema or {}).get("type") not in (None, "string"):
            continue
        if "name" in lowered and "business" not in lowered:
            arguments[key] = name
        elif any(word in lowered for word in ("reason", "intent", "topic", "request")):
            arguments[key] = reason
    if not arguments:
        arguments = {"message": message}
    return arguments


def _arguments_for(tool: dict[str, Any], *, name: str, day: str, rng: random.Random) -> dict[str, Any]:
    """Fill a tool's JSON-schema parameters with values a caller would give."""
    parameters = tool["function"].get("parameters") or {}
    start = _next_weekday(day).replace(hour=9, minute=30)
    arguments: dict[str, Any] = {}
    for key, schema in (parameters.get("properties") or {}).items():
        lowered = key.lower()
        if schema.get("enum"):
            arguments[key] = schema["enum"][0]
        elif schema.get("type") in ("number", "integer"):
            arguments[key] = 1
        elif schema.get("type") == "boolean":
            arguments[key] = True
        elif "name" in lowered:
            arguments[key] = name
        elif any(word in lowered for word in ("time", "date", "when", "start")):
            arguments[key] = start.isoformat()
        elif "phone" in lowered or "number" in lowered:
            arguments[key] = f"+1650555{rng.randint(100, 199):04d}"
        else:
            arguments[key] = f"next {day} morning"
    return arguments


def _next_weekday(day: str) -> datetime:
    target = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"].index(day)
    today = datetime.now(UTC).replace(second=0, microsecond=0)
    return today + timedelta(days=(target - today.weekday()) % 7 + 7)


def tool_arguments_json(arguments: dict[str, Any]) -> str:
    """Vapi sends tool arguments as a JSON string (see the contract)."""
    return json.dumps(arguments)
