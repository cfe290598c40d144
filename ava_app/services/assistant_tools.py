"""The assistant's built-in tools: what AVA answers when Vapi relays a ``tool-calls`` message during a call.

``TOOLS`` maps each tool's name to its handler, in the order AVA declares them to Vapi (``providers.vapi``
``BUILTIN_TOOLS``, then ``BOOKING_TOOLS`` while the business takes bookings, whose handlers are in
``bookings.call_tools``; ``_TOOL_SPECS`` hold the descriptions and parameter schemas Vapi is sent). A handler takes
the ``ToolContext`` of the event and the call's arguments, and returns the sentence the assistant reads; a
``ValueError`` or ``DomainError`` it raises becomes the tool's error result. A new tool is one handler, one entry in
``TOOLS`` and its declaration in ``providers.vapi``.

What a tool answers is read out (or acted on) by the assistant, so it is in the assistant's language, else the
business's: ``TOOL_PHRASES`` here, and the hours sentences of ``business_hours``. Errors about malformed arguments
are for the model only and stay in English.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from ava_app.languages import Language
from ava_app.models import Assistant, Call, PhoneNumber, Tenant
from ava_app.services import knowledge, webhooks_out
from ava_app.services.bookings.call_tools import BOOKING_TOOL_HANDLERS
from ava_app.services.business_hours import business_hours_status, describe_hours
from ava_app.services.caller_phrases import language_for
from ava_app.services.errors import DomainError
from ava_app.services.ingest.calls import (
    UNRESOLVED,
    Handled,
    Routing,
    VapiEvent,
    ensure_call,
    resolve_routing,
    touch_call,
)
from ava_app.services.ingest.payloads import tool_call_items, tool_call_parts
from ava_app.services.privacy_settings import redactor_for
from ava_app.services.providers.vapi import BOOKING_TOOLS

# A message's fields land in the call's JSON data: bounded, whatever the model sends.
_MESSAGE_MAX_FIELDS = 40
_MESSAGE_MAX_CHARS = 2000

TOOL_PHRASES: dict[Language, dict[str, str]] = {
    "en": {
        "message_saved": "Message saved for the team. Tell the caller the team will call them back as soon as "
        "possible.",
        "transfer_to": "Transfer the caller to {number}.",
        "no_forwarding": "No forwarding number is set, so no one can take the call now. Offer to take a message.",
        "no_faq_answer": "No answer in the knowledge base. Offer to take a message so the team can follow up.",
    },
    "fr": {
        "message_saved": "Message enregistré pour l'équipe. Dites à l'appelant que l'équipe le rappellera dès que "
        "possible.",
        "transfer_to": "Transférez l'appelant vers le {number}.",
        "no_forwarding": "Aucun numéro de transfert n'est défini : personne ne peut prendre l'appel maintenant. "
        "Proposez de prendre un message.",
        "no_faq_answer": "Pas de réponse dans la base de connaissances. Proposez de prendre un message pour que "
        "l'équipe donne suite.",
    },
}


def handle_tool_calls(session: Session, event: VapiEvent) -> Handled:
    """Answer every tool call of a tool-calls message, in order; the call's routing is looked up only if a tool asks."""
    context = ToolContext(session=session, event=event)
    results = [context.run(item) for item in tool_call_items(event.message)]
    routing = context.resolved_routing()
    return Handled(
        response={"results": results},
        tenant_id=routing.tenant_id if routing else None,
        call_id=context.call_id,
        problem=UNRESOLVED if context.needed_routing and routing is None else None,
    )


def _tool_arguments(raw: Any) -> dict:
    """Arguments as a dict: Vapi documents a JSON string, but objects are seen in the wild."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ValueError("arguments are not valid JSON") from None
        if isinstance(parsed, dict):
            return parsed
    raise ValueError("arguments must be a JSON object")


class ToolContext:
    """What the built-in tools of one tool-calls event need, looked up once and only if a tool asks."""

    def __init__(self, *, session: Session, event: VapiEvent) -> None:
        self.session = session
        self.event = event
        self.needed_routing = False
        self.call_id: int | None = None
        self._routing: Routing | None = None
        self._resolved = False

    @property
    def routing(self) -> Routing | None:
        if not self._resolved:
            self._resolved = True
            self.needed_routing = True
            self._routing = self._lookup_routing()
        return self._routing

    def resolved_routing(self) -> Routing | None:
        """The routing if a tool already looked it up (never triggers the lookup)."""
        return self._routing

    def _lookup_routing(self) -> Routing | None:
        if self.event.provider_call_id:
            row = self.session.exec(
                select(col(Call.tenant_id), col(Call.assistant_id), col(Call.phone_number_id)).where(
                    col(Call.provider_call_id) == self.event.provider_call_id
                )
            ).first()
            if row is not None:
                tenant_id, assistant_id, phone_number_id = row
                known = assistant_id is not None and phone_number_id is not None
                if known and self.event.auth_tenant_id in (None, tenant_id):
                    return Routing(tenant_id=tenant_id, assistant_id=assistant_id, phone_number_id=phone_number_id)
        return resolve_routing(self.session, self.event)

    def run(self, item: dict) -> dict:
        call_id, name, raw_arguments = tool_call_parts(item)
        result: dict[str, str] = {"toolCallId": call_id, "name": name}
        tool = TOOLS.get(name)
        if tool is None:
            result["error"] = f"Unknown tool {name!r}. AVA answers: {', '.join(TOOLS)}."
            return result
        try:
            arguments = _tool_arguments(raw_arguments)
            if self.routing is None:
                raise DomainError("This call does not belong to any AVA business.")
            result["result"] = tool(self, arguments)
        except (ValueError, DomainError) as exc:
            result["error"] = str(getattr(exc, "message", exc))
        return result

    def number(self) -> PhoneNumber | None:
        routing = self.routing
        if routing and routing.phone_number_id:
            return self.session.get(PhoneNumber, routing.phone_number_id)
        return None

    def lines(self) -> list[PhoneNumber]:
        """The call's own number, else the active numbers routed to its assistant (a web call has no number)."""
        number = self.number()
        if number is not None:
            return [number]
        routing = self.routing
        if routing is None or routing.assistant_id is None:
            return []
        return list(
            self.session.exec(
                select(PhoneNumber)
                .where(
                    col(PhoneNumber.tenant_id) == routing.tenant_id,
                    col(PhoneNumber.assistant_id) == routing.assistant_id,
                    col(PhoneNumber.released_at).is_(None),
                )
                .order_by(col(PhoneNumber.id))
            ).all()
        )

    def assistant(self) -> Assistant | None:
        routing = self.routing
        if routing and routing.assistant_id:
            return self.session.get(Assistant, routing.assistant_id)
        number = self.number()
        return self.session.get(Assistant, number.assistant_id) if number and number.assistant_id else None

    def tenant(self) -> Tenant | None:
        return self.session.get(Tenant, self.routing.tenant_id) if self.routing else None

    def language(self) -> Language:
        """The language the assistant speaks on this call: its own, else the business's."""
        return language_for(self.assistant(), self.tenant())

    def say(self, key: str, **values: str) -> str:
        """One of ``TOOL_PHRASES`` in the call's language."""
        return TOOL_PHRASES[self.language()][key].format(**values)


def _tool_check_business_hours(context: ToolContext, arguments: dict) -> str:
    # A web call has no number of its own: the hours of the assistant's line are the business's hours.
    lines = context.lines()
    number = next((line for line in lines if line.business_hours or line.holidays), lines[0] if lines else None)
    tenant = context.tenant()
    hours = business_hours_status(
        business_hours=number.business_hours if number else {},
        holidays=number.holidays if number else [],
        timezone=tenant.timezone if tenant else "UTC",
        at=context.event.now,
    )
    return describe_hours(hours, context.language())


def _tool_take_message(context: ToolContext, arguments: dict) -> str:
    fields = {
        str(key)[:64]: value.strip()[:_MESSAGE_MAX_CHARS] if isinstance(value, str) else value
        for key, value in list(arguments.items())[:_MESSAGE_MAX_FIELDS]
        if value not in (None, "") and (not isinstance(value, str) or value.strip())
    }
    if not fields:
        raise ValueError("take_message needs at least one field (for example caller_name, message).")
    ref = ensure_call(context.session, context.event, routing=context.routing)
    if ref is None:
        raise DomainError("This tool needs a call id.")
    context.call_id = ref.id
    caller = (context.event.call.get("customer") or {}).get("number")
    fields = redactor_for(context.session, tenant_id=ref.tenant_id).data(fields, caller_phone=caller)
    # Lock the row before reading, so two messages taken at once are both kept.
    existing = touch_call(context.session, ref, context.event, col(Call.data_fields)).scalar_one()
    merged = {**(existing if isinstance(existing, dict) else {}), **fields}
    context.session.exec(update(Call).where(col(Call.id) == ref.id).values(data_fields=merged, action_needed=True))
    webhooks_out.emit(
        context.session,
        tenant_id=ref.tenant_id,
        event_type="message.taken",
        data=lambda: {"call_id": ref.id, "caller_number": caller, "fields": fields},
        call_id=ref.id,
    )
    return context.say("message_saved")


def _tool_transfer_to_human(context: ToolContext, arguments: dict) -> str:
    # Only reached when Vapi had no forwarding number to transfer to itself (AVA then declares transferCall).
    forward_to = next((line.forwarding_number for line in context.lines() if line.forwarding_number), None)
    if not forward_to:
        raise DomainError(context.say("no_forwarding"))
    return context.say("transfer_to", number=forward_to)


def _tool_lookup_faq(context: ToolContext, arguments: dict) -> str:
    question = str(arguments.get("question") or arguments.get("query") or arguments.get("topic") or "").strip()
    if not question:
        raise ValueError("lookup_faq needs a 'question'.")
    assistant = context.assistant()
    facts = _call_facts(context.session, assistant) if assistant else []
    entry = best_faq_match(facts, question=question)
    if entry is None:
        return context.say("no_faq_answer")
    return str(entry.get("answer") or "")


def _call_facts(session: Session, assistant: Assistant) -> list[dict[str, str]]:
    """The facts the assistant may tell callers: its business profile and only the entries the owner reviewed."""
    tenant = session.get(Tenant, assistant.tenant_id)
    return knowledge.prompt_knowledge(
        assistant.knowledge_base,
        assistant.business_profile,
        currency=tenant.currency if tenant else "USD",
        language=assistant.language,
        country=tenant.country if tenant else None,
    )


# A tool's handler: the event's context and the call's arguments in, the sentence for the assistant out.
ToolHandler = Callable[[ToolContext, dict], str]

TOOLS: dict[str, ToolHandler] = {
    "check_business_hours": _tool_check_business_hours,
    "take_message": _tool_take_message,
    "transfer_to_human": _tool_transfer_to_human,
    "lookup_faq": _tool_lookup_faq,
    # The booking tools (``BOOKING_TOOLS``), declared while the business takes bookings.
    **{name: BOOKING_TOOL_HANDLERS[name] for name in BOOKING_TOOLS},
}

_WORD = re.compile(r"[a-z0-9]+")

# Words that say nothing about which FAQ entry is meant, English and French (matched without accents).
_STOPWORD_TEXT = (
    "a an and are as at be can do does for from have how i in is it me my of on or our the to we what when where "
    "which who why will with you your "
    "au aux avec ce ces c d de des du elle en est et il je l la le les leur ma mes mon ne nous on ou par pas pour qu "
    "que quel quelle quels quelles qui sa se ses son sont sur ta te tes ton tu un une vos votre vous y"
)

_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _words(text: str) -> set[str]:
    # Accents folded: "Réservation" and "reservation" are one word.
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return {word for word in _WORD.findall(folded) if word not in _STOPWORDS}


def best_faq_match(knowledge_base: list, *, question: str) -> dict | None:
    """The knowledge-base entry ({"question", "answer"}) sharing most words with ``question``, or None if none does.

    Words of the entry's question count double: callers ask the way the owner wrote the question.
    """
    asked = _words(question)
    best, best_score = None, 0.0
    for entry in knowledge_base or []:
        if not isinstance(entry, dict) or not entry.get("answer"):
            continue
        entry_question, answer = _words(str(entry.get("question") or "")), _words(str(entry["answer"]))
        overlap = 2 * len(asked & entry_question) + len(asked & (answer - entry_question))
        if overlap == 0:
            continue
        # Normalising by size keeps a long catch-all entry from winning every question.
        score = overlap / (len(entry_question | answer) ** 0.5)
        if score > best_score:
            best, best_score = entry, score
    return best
