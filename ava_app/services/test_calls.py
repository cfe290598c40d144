"""Text test calls from the onboarding wizard and the assistant page: the owner types as the caller.

The conversation is held by the page while it happens; when it ends it is saved as a ``Call`` of type ``test`` with
its lines and handed to the same post-call job as a real call (summary, then the summary email), so the owner sees
exactly what a real call will produce. Test calls are left out of the dashboard figures by the analytics service.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ava_app.db import session_scope
from ava_app.languages import Language, caller_language
from ava_app.models import Call, CallMessage, Tenant, utcnow
from ava_app.services import credentials, phone_numbers, post_call
from ava_app.services.assistants import get_or_create_assistant
from ava_app.services.errors import Invalid
from ava_app.services.knowledge import prompt_knowledge
from ava_app.services.principal import Principal
from ava_app.services.providers import llm
from ava_app.services.providers.llm import OpenAIAccess

log = logging.getLogger(__name__)

MAX_TURNS = 60
MAX_TURN_CHARS = 2000
# On a real call the assistant asks AVA for the hours (a tool); a text test call has no tools, so the hours of the
# first number are given to it as one more question it knows the answer to, both in the assistant's language.
_HOURS_QUESTION: dict[Language, str] = {
    "en": "What are your opening hours?",
    "fr": "Quels sont vos horaires d'ouverture ?",
}


def stream_reply(*, assistant: dict[str, Any], conversation: list[dict[str, str]]) -> llm.ReplyStream:
    """The assistant's next reply in a text test call (see ``llm.stream_test_call_reply``), with the tenant's key."""
    return llm.stream_test_call_reply(assistant=assistant, conversation=conversation, tenant_access=_tenant_access)


def _tenant_access(tenant_id: int) -> OpenAIAccess | None:
    """The tenant's resolved key, read from the database (blocking: the stream runs it in a thread)."""
    with session_scope() as session:
        return credentials.openai_access_for(session, tenant_id=tenant_id)


def reply_context(session: Session, *, principal: Principal) -> dict[str, Any]:
    """What ``stream_reply`` needs to answer as the caller's assistant (its settings, the business).

    It names the tenant and whether an OpenAI key (the tenant's own, else the platform's) will answer
    (``reply_source``), but never holds the key: the page keeps this dict in its state.
    """
    tenant_id = principal.require_writer()
    assistant = get_or_create_assistant(session, principal=principal)
    tenant = session.get(Tenant, tenant_id)
    knowledge = prompt_knowledge(
        [item.model_dump() for item in assistant.knowledge_base],
        assistant.business_profile,
        currency=tenant.currency if tenant else "USD",
        language=assistant.language,
        country=tenant.country if tenant else None,
    )
    numbers = phone_numbers.list_numbers(session, principal=principal)
    if numbers and numbers[0].business_hours:
        language = caller_language(assistant.language, tenant.locale if tenant else None)
        answer = phone_numbers.hours_summary(
            numbers[0].business_hours, numbers[0].holidays, language, tenant.country if tenant else None
        )
        knowledge.append({"question": _HOURS_QUESTION[language], "answer": answer})
    access = credentials.openai_access_for(session, tenant_id=tenant_id)
    return {
        "id": assistant.id,
        "tenant_id": tenant_id,
        "reply_source": "llm" if access is not None else "local",
        "name": assistant.name,
        "business_name": tenant.name if tenant else "",
        "language": assistant.language,
        "tone": assistant.tone,
        "persona": assistant.persona,
        "first_message": assistant.first_message,
        "end_call_message": assistant.end_call_message,
        "system_prompt": assistant.system_prompt,
        "conversation_rules": assistant.conversation_rules,
        "knowledge_base": knowledge,
    }


def save_test_call(session: Session, *, principal: Principal, turns: list[dict[str, str]], started_at: datetime) -> int:
    """Store a finished test conversation as a call of type ``test`` and queue its summary and email; the call id.

    ``turns`` are ``{"role": "assistant"|"user", "content"}`` in order. Invalid when the caller never spoke.
    """
    tenant_id = principal.require_writer()
    lines = [
        (str(turn.get("role")), str(turn.get("content") or "").strip()[:MAX_TURN_CHARS])
        for turn in turns[:MAX_TURNS]
        if turn.get("role") in ("assistant", "user")
    ]
    lines = [(role, text) for role, text in lines if text]
    if not any(role == "user" for role, _ in lines):
        raise Invalid("Say something as the caller before ending the test call.", fields={"turns": "Empty call."})
    assistant = get_or_create_assistant(session, principal=principal)
    ended_at = utcnow()
    started = started_at if started_at.tzinfo else started_at.replace(tzinfo=ended_at.tzinfo)
    duration = max(1, int((ended_at - started).total_seconds()))
    call = Call(
        tenant_id=tenant_id,
        provider_call_id=f"test-{uuid.uuid4().hex}",
        assistant_id=assistant.id,
        call_type="test",
        direction="inbound",
        status="ended",
        outcome="answered",
        ended_reason="customer-ended-call",
        started_at=started,
        ended_at=ended_at,
        duration_seconds=duration,
        transcript="\n".join(f"{'AI' if role == 'assistant' else 'User'}: {text}" for role, text in lines),
    )
    session.add(call)
    session.flush()
    assert call.id is not None, "the flush gave the call its id"
    step = duration / max(1, len(lines))
    for position, (role, text) in enumerate(lines):
        session.add(
            CallMessage(
                tenant_id=tenant_id,
                call_id=call.id,
                position=position,
                role=role,
                text=text,
                seconds_from_start=round(position * step, 1),
            )
        )
    session.commit()
    try:
        post_call.run_post_call(call.id)
    except Exception:
        # The minute sweep finds calls whose job was never queued; the test call itself is saved.
        log.exception("could not enqueue the post-call job of test call %s", call.id)
    return call.id
