"""The tenant's assistant (the AvaProfile): presets, validated edits, FAQ, version history and sync to Vapi.

Every save snapshots the previous state into ``AssistantVersion``, marks the assistant ``pending`` and enqueues
``sync_assistant_job``; the local change is kept whatever the provider says, and ``sync_status``/``sync_error`` show
whether Vapi has it yet. Provider calls run through ``call_vapi`` (sync services, async client).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from ava_app import routes
from ava_app.db import session_scope
from ava_app.languages import LANGUAGES
from ava_app.models import Assistant, AssistantVersion, PhoneNumber, Tenant, utcnow
from ava_app.services import caller_phrases, credentials, knowledge, presets
from ava_app.services.accounts import check_email
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.bookings import call_tools
from ava_app.services.bookings.catalog import booking_enabled, seed_services
from ava_app.services.errors import DomainError, Invalid, NotFound, ProviderUnavailable
from ava_app.services.principal import Principal
from ava_app.services.providers.vapi import (
    BUILTIN_TOOLS,
    WEBHOOK_SECRET_HEADER,
    VapiClient,
    vapi_assistant_config,
)
from ava_app.settings import get_settings
from ava_app.task_queue import enqueue, task

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a save may change (and what a version snapshot holds).
EDITABLE_FIELDS = (
    "name",
    "industry",
    "persona",
    "voice_provider",
    "voice_id",
    "language",
    "tone",
    "first_message",
    "system_prompt",
    "conversation_rules",
    "knowledge_base",
    "business_profile",
    "data_fields",
    "enabled_integrations",
    "end_call_message",
    "voicemail_message",
    "max_duration_seconds",
    "summary_recipients",
)
VOICE_PROVIDERS = ("vapi", "11labs", "azure")
GREETING_MAX_CHARS = 500
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 60, 3600
MAX_FAQ_ENTRIES = 200
MAX_DATA_FIELDS = 30
MAX_RECIPIENTS = 10
_DATA_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TEXT_LIMITS = {
    "persona": 2000,
    "system_prompt": 20000,
    "conversation_rules": 5000,
    "end_call_message": 500,
    "voicemail_message": 500,
}
SYNC_UNAVAILABLE_MESSAGE = "The voice provider cannot be reached right now; AVA will retry."


class FaqItem(BaseModel):
    """One knowledge-base entry; ``review``: a preset's guess the owner has not confirmed or edited yet."""

    question: str = Field(max_length=2000)
    answer: str = Field(max_length=5000)
    review: bool = False


class DataFieldIn(BaseModel):
    """A piece of information calls should capture."""

    key: str = Field(max_length=80)
    label: str = Field(max_length=200)
    type: str = Field(default="string", max_length=20)


class AssistantUpdate(BaseModel):
    """Changes to an assistant; only the fields that are set are changed."""

    name: str | None = Field(default=None, max_length=500)
    industry: str | None = Field(default=None, max_length=40)
    persona: str | None = Field(default=None, max_length=50_000)
    voice_provider: str | None = Field(default=None, max_length=20)
    voice_id: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    tone: str | None = Field(default=None, max_length=20)
    first_message: str | None = Field(default=None, max_length=50_000)
    system_prompt: str | None = Field(default=None, max_length=50_000)
    conversation_rules: str | None = Field(default=None, max_length=50_000)
    knowledge_base: list[FaqItem] | None = Field(default=None, max_length=1000)
    business_profile: knowledge.BusinessProfileIn | None = None
    data_fields: list[DataFieldIn] | None = Field(default=None, max_length=200)
    enabled_integrations: list[str] | None = Field(default=None, max_length=50)
    end_call_message: str | None = Field(default=None, max_length=50_000)
    voicemail_message: str | None = Field(default=None, max_length=50_000)
    max_duration_seconds: int | None = None
    summary_recipients: list[str] | None = Field(default=None, max_length=100)


class AssistantOut(BaseModel):
    """The assistant as the settings page shows it."""

    id: int
    name: str
    industry: str | None
    persona: str
    voice_provider: str
    voice_id: str
    language: str
    tone: str
    first_message: str
    system_prompt: str
    conversation_rules: str
    knowledge_base: list[FaqItem]
    business_profile: dict[str, Any]
    data_fields: list[dict[str, Any]]
    enabled_integrations: list[str]
    end_call_message: str
    voicemail_message: str
    max_duration_seconds: int
    summary_recipients: list[str]
    provider_assistant_id: str | None
    status: str
    sync_status: str
    sync_error: str | None
    version: int
    updated_at: datetime


class VersionOut(BaseModel):
    """A saved earlier state of the assistant."""

    version: int
    created_at: datetime
    created_by_id: int | None
    snapshot: dict[str, Any]


# --- reading ----------------------------------------------------------------------------------------------------


def assistant_out(assistant: Assistant) -> AssistantOut:
    """The plain view of an assistant row."""
    return AssistantOut(
        id=assistant.id,
        name=assistant.name,
        industry=assistant.industry,
        persona=assistant.persona,
        voice_provider=assistant.voice_provider,
        voice_id=assistant.voice_id,
        language=assistant.language,
        tone=assistant.tone,
        first_message=assistant.first_message,
        system_prompt=assistant.system_prompt,
        conversation_rules=assistant.conversation_rules,
        knowledge_base=[
            FaqItem(
                question=str(item.get("question") or ""),
                answer=str(item.get("answer") or ""),
                review=bool(item.get("review")),
            )
            for item in assistant.knowledge_base or []
            if isinstance(item, dict)
        ],
        business_profile=dict(assistant.business_profile or {}),
        data_fields=[field for field in assistant.data_fields or [] if isinstance(field, dict)],
        enabled_integrations=list(assistant.enabled_integrations or []),
        end_call_message=assistant.end_call_message,
        voicemail_message=assistant.voicemail_message,
        max_duration_seconds=assistant.max_duration_seconds,
        summary_recipients=list(assistant.summary_recipients or []),
        provider_assistant_id=assistant.provider_assistant_id,
        status=assistant.status,
        sync_status=assistant.sync_status,
        sync_error=assistant.sync_error,
        version=assistant.version,
        updated_at=assistant.updated_at,
    )


def find_assistant(session: Session, *, tenant_id: int, assistant_id: int | None = None) -> Assistant | None:
    """The tenant's assistant ``assistant_id``, or its first one when no id is given (None when there is none)."""
    query = select(Assistant).where(col(Assistant.tenant_id) == tenant_id)
    if assistant_id is not None:
        query = query.where(col(Assistant.id) == assistant_id)
    return session.exec(query.order_by(col(Assistant.id))).first()


def get_assistant(session: Session, *, principal: Principal, assistant_id: int | None = None) -> AssistantOut:
    """The caller's assistant (the first one by default); NotFound when there is none."""
    tenant_id = principal.require_member()
    assistant = find_assistant(session, tenant_id=tenant_id, assistant_id=assistant_id)
    if assistant is None:
        raise NotFound("This assistant does not exist.", code="assistant_not_found")
    return assistant_out(assistant)


def get_or_create_assistant(session: Session, *, principal: Principal) -> AssistantOut:
    """The tenant's assistant; a writer calling before one exists gets one made from the tenant's industry preset."""
    tenant_id = principal.require_member()
    existing = find_assistant(session, tenant_id=tenant_id)
    if existing is not None:
        return assistant_out(existing)
    principal.require_writer()
    return assistant_out(_create_default(session, tenant_id=tenant_id))


def _create_default(session: Session, *, tenant_id: int) -> Assistant:
    # Locking the tenant row (PostgreSQL) keeps two first visits from creating two assistants.
    tenant = session.exec(select(Tenant).where(col(Tenant.id) == tenant_id).with_for_update()).one()
    existing = find_assistant(session, tenant_id=tenant_id)
    if existing is not None:
        session.commit()
        return existing
    industry = tenant.industry if tenant.industry in presets.INDUSTRIES else presets.OTHER
    assistant = Assistant(tenant_id=tenant_id, **_preset_values(industry, tenant.locale, business=tenant.name))
    assistant.industry = tenant.industry if tenant.industry in presets.INDUSTRIES else None
    session.add(assistant)
    # A business whose trade books appointments finds its usual services on the Bookings page (booking stays off).
    seed_services(
        session,
        tenant_id=tenant_id,
        services=presets.booking_services(assistant.industry, tenant.locale),
        staff_name=tenant.name,
    )
    session.commit()
    session.refresh(assistant)
    assert assistant.id is not None, "the commit gave the assistant its id"
    enqueue_assistant_sync(tenant_id=tenant_id, assistant_id=assistant.id)
    return assistant


def _preset_values(industry: str, locale: str | None, *, business: str) -> dict[str, Any]:
    """Assistant fields from a preset (the assistant speaks the language the preset texts are written in)."""
    preset = presets.get_preset(industry, locale, business_name=business)
    return {
        "industry": industry,
        "persona": preset.persona,
        "system_prompt": preset.system_prompt,
        "first_message": preset.first_message,
        "end_call_message": preset.end_call_message,
        "tone": preset.tone,
        "language": preset.locale,
        "voice_provider": preset.voice_provider,
        "voice_id": preset.voice_id,
        "conversation_rules": preset.escalation_rule,
        # Preset answers are guesses about the business: "to review" until the owner confirms or edits them.
        "knowledge_base": [{**faq.model_dump(), "review": True} for faq in preset.faqs],
        "data_fields": [field.model_dump() for field in preset.data_fields],
        "enabled_integrations": list(BUILTIN_TOOLS),
    }


# --- changing ---------------------------------------------------------------------------------------------------


def update_assistant(
    session: Session, *, principal: Principal, changes: AssistantUpdate, assistant_id: int | None = None
) -> AssistantOut:
    """Validate and save changes (creating the assistant if needed); the previous state becomes a version.

    Raises Invalid with one English message per bad field (``details['fields']``).
    """
    tenant_id = principal.require_writer()
    assistant = _for_update(session, tenant_id=tenant_id, assistant_id=assistant_id)
    values = validate_changes(changes, current=assistant)
    return assistant_out(_save(session, assistant=assistant, values=values, user_id=principal.user_id))


def apply_preset(session: Session, *, principal: Principal, industry: str, locale: str | None) -> AssistantOut:
    """Reset the assistant's persona, prompt, greeting, FAQ and data fields to an industry preset (one new version)."""
    tenant_id = principal.require_writer()
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound()  # deleted since the principal was resolved
    values = _preset_values(industry, locale, business=tenant.name)
    tenant.industry = industry
    session.add(tenant)
    assistant = _for_update(session, tenant_id=tenant_id, assistant_id=None)
    return assistant_out(_save(session, assistant=assistant, values=values, user_id=principal.user_id))


def _for_update(session: Session, *, tenant_id: int, assistant_id: int | None) -> Assistant:
    """The assistant to change, row-locked (PostgreSQL) so two saves cannot both snapshot the same version."""
    if assistant_id is None and find_assistant(session, tenant_id=tenant_id) is None:
        _create_default(session, tenant_id=tenant_id)
    query = select(Assistant).where(col(Assistant.tenant_id) == tenant_id)
    if assistant_id is not None:
        query = query.where(col(Assistant.id) == assistant_id)
    assistant = session.exec(
        query.order_by(col(Assistant.id)).with_for_update().execution_options(populate_existing=True)
    ).first()
    if assistant is None:
        raise NotFound("This assistant does not exist.", code="assistant_not_found")
    return assistant


def _snapshot(assistant: Assistant) -> dict[str, Any]:
    return {name: getattr(assistant, name) for name in EDITABLE_FIELDS}


def _save(session: Session, *, assistant: Assistant, values: dict[str, Any], user_id: int | None) -> Assistant:
    """Apply ``values``: snapshot the previous state, bump the version, mark pending, commit, enqueue the sync."""
    assert assistant.id is not None, "a stored assistant has an id"
    before = _snapshot(assistant)
    if all(before.get(name) == value for name, value in values.items()):
        session.commit()
        return assistant
    session.add(
        AssistantVersion(
            tenant_id=assistant.tenant_id,
            assistant_id=assistant.id,
            version=assistant.version,
            snapshot=before,
            created_by_id=user_id,
        )
    )
    for name, value in values.items():
        setattr(assistant, name, value)
    assistant.version += 1
    assistant.updated_at = utcnow()
    assistant.sync_status = "pending"
    assistant.sync_error = None
    session.add(assistant)
    session.commit()
    session.refresh(assistant)
    # Enqueued only after the commit, so the job reads what was saved.
    enqueue_assistant_sync(tenant_id=assistant.tenant_id, assistant_id=assistant.id)
    return assistant


# --- validation -------------------------------------------------------------------------------------------------


def validate_changes(changes: AssistantUpdate, *, current: Assistant) -> dict[str, Any]:
    """The cleaned values of the fields set in ``changes``; Invalid listing every problem, field by field."""
    sent = {name: getattr(changes, name) for name in changes.model_fields_set}
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in sent.items():
        if value is None:
            problems[name] = "This field cannot be empty."
            continue
        checker = _CHECKS.get(name)
        cleaned = checker(value, problems, name) if checker else value
        if name not in problems and not any(key.startswith(f"{name}.") for key in problems):
            values[name] = cleaned
    _check_voice(values, current=current, problems=problems)
    if problems:
        raise Invalid("Some settings are not valid.", fields=problems)
    return values


def _text(limit: int, *, required: bool = False, what: str = "This text") -> Callable[[str, dict, str], str]:
    def check(value: str, problems: dict[str, str], name: str) -> str:
        value = value.strip()
        if required and not value:
            problems[name] = f"{what} is required."
        elif len(value) > limit:
            problems[name] = f"{what} can be at most {limit} characters (it has {len(value)})."
        return value

    return check


def _check_industry(value: str, problems: dict[str, str], name: str) -> str:
    if value not in presets.INDUSTRIES:
        problems[name] = "Choose one of the offered industries."
    return value


def _check_language(value: str, problems: dict[str, str], name: str) -> str:
    if value not in LANGUAGES:
        problems[name] = "Choose a supported language: " + ", ".join(LANGUAGES) + "."
    return value


def _check_tone(value: str, problems: dict[str, str], name: str) -> str:
    if value not in presets.TONES:
        problems[name] = "Choose professional, friendly or cheerful."
    return value


def _check_duration(value: int, problems: dict[str, str], name: str) -> int:
    if not MIN_DURATION_SECONDS <= value <= MAX_DURATION_SECONDS:
        problems[name] = (
            f"The maximum call length must be between {MIN_DURATION_SECONDS} and {MAX_DURATION_SECONDS} seconds "
            "(1 to 60 minutes)."
        )
    return value


def _check_faq(value: list[FaqItem], problems: dict[str, str], name: str) -> list[dict[str, Any]]:
    if len(value) > MAX_FAQ_ENTRIES:
        problems[name] = f"At most {MAX_FAQ_ENTRIES} questions can be saved."
    cleaned = []
    for index, item in enumerate(value):
        question, answer = item.question.strip(), item.answer.strip()
        if not question:
            problems[f"{name}.{index}.question"] = f"Question {index + 1} is empty."
        elif len(question) > 500:
            problems[f"{name}.{index}.question"] = f"Question {index + 1} can be at most 500 characters."
        if not answer:
            problems[f"{name}.{index}.answer"] = f"The answer to question {index + 1} is empty."
        elif len(answer) > 2000:
            problems[f"{name}.{index}.answer"] = f"The answer to question {index + 1} can be at most 2000 characters."
        elif not item.review and knowledge.PLACEHOLDER.search(answer):
            # A confirmed answer cannot still hold "[to fill: …]": the assistant would read it out.
            problems[f"{name}.{index}.answer"] = knowledge.PLACEHOLDER_LEFT
        cleaned.append({"question": question, "answer": answer, "review": item.review})
    return cleaned


def _check_data_fields(value: list[DataFieldIn], problems: dict[str, str], name: str) -> list[dict[str, str]]:
    if len(value) > MAX_DATA_FIELDS:
        problems[name] = f"At most {MAX_DATA_FIELDS} data fields can be captured."
    cleaned, seen = [], set()
    for index, field in enumerate(value):
        key, label, kind = field.key.strip(), field.label.strip(), field.type.strip().lower()
        if not _DATA_FIELD_KEY.match(key):
            problems[f"{name}.{index}.key"] = "Use lowercase letters, digits and underscores, starting with a letter."
        elif key in seen:
            problems[f"{name}.{index}.key"] = f"The key {key!r} is used twice."
        if not label:
            problems[f"{name}.{index}.label"] = "Give this field a label."
        elif len(label) > 80:
            problems[f"{name}.{index}.label"] = "A label can be at most 80 characters."
        if kind not in presets.DATA_FIELD_TYPES:
            problems[f"{name}.{index}.type"] = "Choose one of: " + ", ".join(presets.DATA_FIELD_TYPES) + "."
        seen.add(key)
        cleaned.append({"key": key, "label": label, "type": kind})
    return cleaned


def _check_integrations(value: list[str], problems: dict[str, str], name: str) -> list[str]:
    unknown = [item for item in value if item not in BUILTIN_TOOLS]
    if unknown:
        problems[name] = f"Unknown integration: {', '.join(unknown)}. Available: {', '.join(BUILTIN_TOOLS)}."
    return list(dict.fromkeys(value))


def _check_recipients(value: list[str], problems: dict[str, str], name: str) -> list[str]:
    cleaned: list[str] = []
    for index, email in enumerate(value):
        try:
            cleaned.append(check_email(email))
        except Invalid:
            problems[f"{name}.{index}"] = f"{email.strip()!r} is not a valid email address."
    cleaned = list(dict.fromkeys(cleaned))
    if len(cleaned) > MAX_RECIPIENTS:
        problems[name] = f"Summaries can go to at most {MAX_RECIPIENTS} addresses."
    return cleaned


def _check_voice(values: dict[str, Any], *, current: Assistant, problems: dict[str, str]) -> None:
    """The voice must exist at its provider and speak the assistant's language (checked on the final combination)."""
    if not {"voice_provider", "voice_id", "language"} & values.keys():
        return
    provider = values.get("voice_provider", current.voice_provider)
    voice_id = values.get("voice_id", current.voice_id)
    language = presets.language_of(values.get("language", current.language))
    if provider not in VOICE_PROVIDERS:
        problems["voice_provider"] = "Choose a voice from the list (Vapi, ElevenLabs or Azure)."
        return
    voice = presets.find_voice(provider=provider, voice_id=voice_id)
    if voice is None and provider == "vapi":
        # Vapi's own voices are a fixed set; ElevenLabs and Azure ids may be custom voices of the business.
        problems["voice_id"] = "This Vapi voice does not exist; choose one from the list."
    elif voice is not None and language not in voice.languages:
        problems["voice_id"] = f"{voice.label} does not speak this language; choose another voice."


_CHECKS: dict[str, Callable[[Any, dict[str, str], str], Any]] = {
    "name": _text(80, required=True, what="The assistant's name"),
    "industry": _check_industry,
    "persona": _text(_TEXT_LIMITS["persona"], what="The persona"),
    "voice_provider": _text(20, required=True, what="The voice provider"),
    "voice_id": _text(80, required=True, what="The voice"),
    "language": _check_language,
    "tone": _check_tone,
    "first_message": _text(GREETING_MAX_CHARS, required=True, what="The greeting"),
    "system_prompt": _text(_TEXT_LIMITS["system_prompt"], what="The instructions"),
    "conversation_rules": _text(_TEXT_LIMITS["conversation_rules"], what="The conversation rules"),
    "knowledge_base": _check_faq,
    "business_profile": knowledge.check_profile,
    "data_fields": _check_data_fields,
    "enabled_integrations": _check_integrations,
    "end_call_message": _text(_TEXT_LIMITS["end_call_message"], what="The goodbye message"),
    "voicemail_message": _text(_TEXT_LIMITS["voicemail_message"], what="The voicemail message"),
    "max_duration_seconds": _check_duration,
    "summary_recipients": _check_recipients,
}


# --- FAQ --------------------------------------------------------------------------------------------------------


def _faq(session: Session, *, principal: Principal, assistant_id: int | None) -> list[dict[str, Any]]:
    principal.require_writer()
    if assistant_id is None:
        assistant = get_or_create_assistant(session, principal=principal)
    else:
        assistant = get_assistant(session, principal=principal, assistant_id=assistant_id)
    return [item.model_dump() for item in assistant.knowledge_base]


def _save_faq(
    session: Session, *, principal: Principal, entries: list[dict[str, Any]], assistant_id: int | None
) -> AssistantOut:
    changes = AssistantUpdate(knowledge_base=[FaqItem(**entry) for entry in entries])
    return update_assistant(session, principal=principal, changes=changes, assistant_id=assistant_id)


def _entry_index(entries: list, index: int) -> int:
    if not 0 <= index < len(entries):
        raise NotFound("This question does not exist.", code="faq_not_found")
    return index


def add_faq(
    session: Session, *, principal: Principal, question: str, answer: str, assistant_id: int | None = None
) -> AssistantOut:
    """Append one question and answer."""
    entries = _faq(session, principal=principal, assistant_id=assistant_id)
    entries.append({"question": question, "answer": answer})
    return _save_faq(session, principal=principal, entries=entries, assistant_id=assistant_id)


def edit_faq(
    session: Session,
    *,
    principal: Principal,
    index: int,
    question: str,
    answer: str,
    assistant_id: int | None = None,
) -> AssistantOut:
    """Replace the question and answer at ``index`` (0-based); an edited entry is the owner's, so reviewed."""
    entries = _faq(session, principal=principal, assistant_id=assistant_id)
    entries[_entry_index(entries, index)] = {"question": question, "answer": answer, "review": False}
    return _save_faq(session, principal=principal, entries=entries, assistant_id=assistant_id)


def confirm_faq(session: Session, *, principal: Principal, index: int, assistant_id: int | None = None) -> AssistantOut:
    """The owner says a preset answer is right as it stands ("Looks right"): it is no longer "to review".

    Invalid while the answer still holds a part in brackets to fill in.
    """
    entries = _faq(session, principal=principal, assistant_id=assistant_id)
    entry = entries[_entry_index(entries, index)]
    if knowledge.PLACEHOLDER.search(entry["answer"]):
        raise Invalid(knowledge.PLACEHOLDER_LEFT, fields={"answer": knowledge.PLACEHOLDER_LEFT})
    entry["review"] = False
    return _save_faq(session, principal=principal, entries=entries, assistant_id=assistant_id)


def add_faqs(
    session: Session, *, principal: Principal, items: list[FaqItem], assistant_id: int | None = None
) -> AssistantOut:
    """Append several questions the owner accepted (e.g. found on their website): reviewed since they chose them,
    unless an item is flagged ``review`` (website hours AVA could not read, whose answer it could not check)."""
    entries = _faq(session, principal=principal, assistant_id=assistant_id)
    entries += [{"question": item.question, "answer": item.answer, "review": item.review} for item in items]
    return _save_faq(session, principal=principal, entries=entries, assistant_id=assistant_id)


def call_knowledge(session: Session, *, assistant: Assistant) -> list[dict[str, str]]:
    """The facts a call may use (profile first, unreviewed guesses withheld); see ``knowledge.prompt_knowledge``."""
    tenant = session.get(Tenant, assistant.tenant_id)
    return knowledge.prompt_knowledge(
        assistant.knowledge_base,
        assistant.business_profile,
        currency=tenant.currency if tenant else "USD",
        language=assistant.language,
        country=tenant.country if tenant else None,
    )


def delete_faq(session: Session, *, principal: Principal, index: int, assistant_id: int | None = None) -> AssistantOut:
    """Remove the entry at ``index`` (0-based)."""
    entries = _faq(session, principal=principal, assistant_id=assistant_id)
    del entries[_entry_index(entries, index)]
    return _save_faq(session, principal=principal, entries=entries, assistant_id=assistant_id)


def reorder_faq(
    session: Session, *, principal: Principal, order: list[int], assistant_id: int | None = None
) -> AssistantOut:
    """Put the entries in a new order: ``order`` lists every current index once, in the wanted order."""
    entries = _faq(session, principal=principal, assistant_id=assistant_id)
    if sorted(order) != list(range(len(entries))):
        raise Invalid(
            "The new order must list every question exactly once.",
            fields={"order": f"Give each index from 0 to {len(entries) - 1} once."},
        )
    return _save_faq(session, principal=principal, entries=[entries[i] for i in order], assistant_id=assistant_id)


def import_faq(
    session: Session, *, principal: Principal, text: str, replace: bool = False, assistant_id: int | None = None
) -> AssistantOut:
    """Add the questions found in pasted text (see ``parse_faq_text``), or replace the FAQ with them."""
    parsed = [item.model_dump() for item in parse_faq_text(text)]
    entries = [] if replace else _faq(session, principal=principal, assistant_id=assistant_id)
    return _save_faq(session, principal=principal, entries=entries + parsed, assistant_id=assistant_id)


_QUESTION_MARK = re.compile(r"^(?:q|question)\s*[:.)\-]\s*", re.IGNORECASE)
_ANSWER_MARK = re.compile(r"^(?:a|r|answer|réponse|reponse)\s*[:.)\-]\s*", re.IGNORECASE)
_INLINE_ANSWER = re.compile(r"\s(?:a|r|answer|réponse|reponse)\s*:\s*", re.IGNORECASE)
_BULLET = re.compile(r"^(?:[-*•]\s+|\d+[.)]\s+)")


def parse_faq_text(text: str) -> list[FaqItem]:
    """Question/answer pairs from pasted text, in order.

    Accepts ``Q: … A: …`` blocks (on one line or several, also ``Question:``/``Answer:``/``Réponse:``) and lines of
    the form ``question? answer``. Bullets and numbering are ignored. Invalid when nothing usable is found.
    """
    pairs: list[list[str]] = []
    part: str | None = None  # "q" or "a": where continuation lines go

    def start(question: str) -> None:
        nonlocal part
        pairs.append([question, ""])
        part = "q"

    for raw in (text or "").splitlines():
        line = _BULLET.sub("", raw.strip())
        if not line or line != raw.strip():
            # A blank line ends a block, and so does a bullet or a number: it starts a new entry.
            part = None
        if not line:
            continue
        if _QUESTION_MARK.match(line):
            body = _QUESTION_MARK.sub("", line, count=1)
            pieces = _INLINE_ANSWER.split(body, maxsplit=1)
            start(pieces[0].strip())
            if len(pieces) == 2:
                pairs[-1][1] = pieces[1].strip()
                part = "a"
            continue
        if _ANSWER_MARK.match(line) and pairs and part == "q":
            pairs[-1][1] = _ANSWER_MARK.sub("", line, count=1).strip()
            part = "a"
            continue
        if part is not None:
            index = 0 if part == "q" else 1
            pairs[-1][index] = f"{pairs[-1][index]} {line}".strip()
            continue
        question, mark, answer = line.partition("?")
        if mark and answer.strip():
            pairs.append([question.strip() + "?", answer.strip()])
        # A line with neither marker nor "?" is a title or stray text: skipped.
    items = [FaqItem(question=q.strip(), answer=a.strip()) for q, a in pairs if q.strip() and a.strip()]
    if not items:
        raise Invalid(
            "No question and answer found. Write one per line as 'Question? Answer', or as 'Q: …' then 'A: …'.",
            fields={"text": "No question and answer found."},
        )
    return items


# --- versions ---------------------------------------------------------------------------------------------------


def list_versions(session: Session, *, principal: Principal, assistant_id: int | None = None) -> list[VersionOut]:
    """Earlier states of the assistant, newest first (the current state is the assistant itself)."""
    tenant_id = principal.require_member()
    assistant = find_assistant(session, tenant_id=tenant_id, assistant_id=assistant_id)
    if assistant is None:
        return []
    rows = session.exec(
        select(AssistantVersion)
        .where(col(AssistantVersion.tenant_id) == tenant_id, col(AssistantVersion.assistant_id) == assistant.id)
        .order_by(col(AssistantVersion.version).desc(), col(AssistantVersion.id).desc())
    ).all()
    return [
        VersionOut(
            version=row.version, created_at=row.created_at, created_by_id=row.created_by_id, snapshot=row.snapshot
        )
        for row in rows
    ]


def restore_version(
    session: Session, *, principal: Principal, version: int, assistant_id: int | None = None
) -> AssistantOut:
    """Make an earlier version current again (as a new save, so the state it replaces is kept too)."""
    tenant_id = principal.require_writer()
    assistant = _for_update(session, tenant_id=tenant_id, assistant_id=assistant_id)
    row = session.exec(
        select(AssistantVersion)
        .where(
            col(AssistantVersion.tenant_id) == tenant_id,
            col(AssistantVersion.assistant_id) == assistant.id,
            col(AssistantVersion.version) == version,
        )
        .order_by(col(AssistantVersion.id).desc())
    ).first()
    if row is None:
        raise NotFound("This version does not exist.", code="version_not_found")
    # A snapshot is exactly what was saved (and validated) then, so it is restored as is.
    values = {name: row.snapshot[name] for name in EDITABLE_FIELDS if name in row.snapshot}
    return assistant_out(_save(session, assistant=assistant, values=values, user_id=principal.user_id))


# --- the provider -----------------------------------------------------------------------------------------------


def own_vapi_credential(session: Session, *, tenant_id: int) -> dict | None:
    """The tenant's own Vapi credential when AVA uses it (a saved key, outside sandbox mode), else None."""
    if get_settings().vapi_sandbox:
        return None
    return credentials.get_credential(session, tenant_id=tenant_id, provider="vapi")


def vapi_client(session: Session, *, tenant_id: int) -> VapiClient:
    """A fresh Vapi client for the tenant: its own key when it saved one (outside sandbox mode), else the platform's.

    Fresh because sync services run each provider call on a loop of its own (``run_coroutine_sync``), and a pooled
    async client cannot outlive its loop. Its circuit breaker is not fresh: it is the one of the Vapi account, shared
    by every client of that account, so an outage opens it for all of them.
    """
    settings = get_settings()
    own = own_vapi_credential(session, tenant_id=tenant_id)
    if own:
        return VapiClient(
            base_url=settings.vapi_base_url, api_key=own["api_key"], public_key=own.get("public_key") or None
        )
    return VapiClient.from_settings(settings=settings)


def call_vapi(session: Session, *, tenant_id: int, operation: Callable[[VapiClient], Awaitable[T]]) -> T:
    """Run ``operation(client)`` against the tenant's Vapi from synchronous code and close the client."""
    client = vapi_client(session, tenant_id=tenant_id)

    async def run() -> T:
        try:
            return await operation(client)
        finally:
            await client.aclose()

    return run_coroutine_sync(run())


def webhook_server(session: Session, *, tenant_id: int) -> dict[str, Any]:
    """The ``server`` object that sends Vapi's messages about the tenant's calls to AVA's webhook, with its secret.

    On the platform's Vapi account that is the platform secret; a tenant on its own account gets its own secret,
    which the webhook accepts for that tenant's calls only. May commit (storing that secret), so call it before
    taking row locks; when the secret had to be replaced, everything else of the tenant at Vapi is pushed again.
    """
    settings = get_settings()
    secret = settings.vapi_webhook_secret
    try:
        own = own_vapi_credential(session, tenant_id=tenant_id)
    except credentials.CredentialUnreadable:
        # The push itself fails on this (``vapi_client``) and records why; no need to fail differently here.
        own = None
    if own:
        secret, replaced = credentials.ensure_tenant_webhook_secret(session, tenant_id=tenant_id)
        if replaced:
            enqueue_vapi_resync(session, tenant_id=tenant_id)
    return {
        "url": routes.absolute(settings.public_url, routes.api(routes.VAPI_WEBHOOK)),
        "timeoutSeconds": 20,
        "headers": {WEBHOOK_SECRET_HEADER: secret},
    }


def enqueue_vapi_resync(session: Session, *, tenant_id: int) -> int:
    """Queue the push of everything the tenant has at Vapi (assistants, then numbers), e.g. after its webhook secret
    changed; returns how many pushes were queued. Assistants and numbers never pushed are left to their own flows."""
    assistant_ids = session.exec(
        select(col(Assistant.id))
        .where(col(Assistant.tenant_id) == tenant_id, col(Assistant.provider_assistant_id).is_not(None))
        .order_by(col(Assistant.id))
    ).all()
    number_ids = session.exec(
        select(col(PhoneNumber.id))
        .where(
            col(PhoneNumber.tenant_id) == tenant_id,
            col(PhoneNumber.provider_number_id).is_not(None),
            col(PhoneNumber.released_at).is_(None),
        )
        .order_by(col(PhoneNumber.id))
    ).all()
    for assistant_id in assistant_ids:
        assert assistant_id is not None, "a stored assistant has an id"
        enqueue_assistant_sync(tenant_id=tenant_id, assistant_id=assistant_id)
    for number_id in number_ids:
        try:
            # By name: the job lives in phone_numbers, which imports this module.
            enqueue("sync_phone_number_job", tenant_id, number_id)
        except Exception:
            log.exception("could not enqueue the sync of number %s", number_id)
    return len(assistant_ids) + len(number_ids)


def transfer_numbers(session: Session, *, tenant_id: int, assistant_id: int) -> list[str]:
    """The forwarding numbers of the tenant's active lines routed to this assistant, oldest line first."""
    rows = session.exec(
        select(col(PhoneNumber.forwarding_number))
        .where(
            col(PhoneNumber.tenant_id) == tenant_id,
            col(PhoneNumber.assistant_id) == assistant_id,
            col(PhoneNumber.released_at).is_(None),
            col(PhoneNumber.forwarding_number).is_not(None),
        )
        .order_by(col(PhoneNumber.id))
    ).all()
    return list(dict.fromkeys(number for number in rows if number))


def enqueue_assistant_sync(*, tenant_id: int, assistant_id: int) -> None:
    """Queue the push to Vapi; if the queue itself fails the row stays pending and ``retry_sync`` recovers it."""
    try:
        sync_assistant_job(tenant_id, assistant_id)
    except Exception:
        # Any queue failure (storage down...) must not undo a save that is already committed.
        log.exception("could not enqueue the sync of assistant %s", assistant_id)


def _locked(session: Session, *, tenant_id: int, assistant_id: int) -> Assistant:
    assistant = session.exec(
        select(Assistant)
        .where(col(Assistant.id) == assistant_id, col(Assistant.tenant_id) == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if assistant is None:
        raise NotFound("This assistant does not exist.", code="assistant_not_found")
    return assistant


def sync_assistant(session: Session, *, tenant_id: int, assistant_id: int) -> AssistantOut:
    """Push the assistant to Vapi: create it the first time, update it afterwards; record synced or failed.

    Returns the assistant with its sync state. Re-raises ProviderUnavailable (after recording it) so a job retries;
    other provider refusals are recorded as failed and returned.
    """
    server = webhook_server(session, tenant_id=tenant_id)
    assistant = _locked(session, tenant_id=tenant_id, assistant_id=assistant_id)
    language = caller_phrases.language_for(assistant, session.get(Tenant, tenant_id))
    config = vapi_assistant_config(
        assistant=assistant,
        knowledge=call_knowledge(session, assistant=assistant),
        unconfirmed_rule=knowledge.unconfirmed_rule(language),
        public_url=get_settings().public_url,
        webhook_secret=server["headers"][WEBHOOK_SECRET_HEADER],
        transfer_numbers=transfer_numbers(session, tenant_id=tenant_id, assistant_id=assistant_id),
        hold_message=caller_phrases.phrase(language, "hold"),
        booking_rule=call_tools.booking_rule(language) if booking_enabled(session, tenant_id=tenant_id) else "",
    )
    pushed_version, provider_id = assistant.version, assistant.provider_assistant_id
    if provider_id:
        # An update cannot create a duplicate, so the row lock is not held during the call; a create keeps it
        # (PostgreSQL) so two syncs cannot both create an assistant at Vapi.
        session.commit()
    try:
        result = call_vapi(
            session, tenant_id=tenant_id, operation=lambda vapi: _push(vapi, provider_id=provider_id, config=config)
        )
    except DomainError as exc:
        failed = _record_failure(session, tenant_id=tenant_id, assistant_id=assistant_id, exc=exc)
        if isinstance(exc, ProviderUnavailable):
            raise
        return failed
    assistant = _locked(session, tenant_id=tenant_id, assistant_id=assistant_id)
    created = assistant.provider_assistant_id != result["id"]
    assistant.provider_assistant_id = result["id"]
    assistant.status = "active"
    # A save made during the push has its own job coming; only the version that was pushed is "synced".
    if assistant.version == pushed_version:
        assistant.sync_status, assistant.sync_error = "synced", None
    session.add(assistant)
    session.commit()
    if created:
        _route_numbers_to(session, tenant_id=tenant_id, assistant_id=assistant_id)
    return assistant_out(assistant)


async def _push(vapi: VapiClient, *, provider_id: str | None, config: dict[str, Any]) -> dict[str, Any]:
    if provider_id:
        try:
            return await vapi.update_assistant(assistant_id=provider_id, changes=config)
        except NotFound:
            # Deleted at Vapi (by hand, or a reset sandbox): recreate rather than stay broken.
            pass
    return await vapi.create_assistant(config=config)


def _record_failure(session: Session, *, tenant_id: int, assistant_id: int, exc: DomainError) -> AssistantOut:
    session.rollback()
    assistant = _locked(session, tenant_id=tenant_id, assistant_id=assistant_id)
    assistant.sync_status = "failed"
    assistant.sync_error = (SYNC_UNAVAILABLE_MESSAGE if isinstance(exc, ProviderUnavailable) else exc.message)[:500]
    session.add(assistant)
    session.commit()
    log.warning("assistant %s not synced: %s", assistant_id, exc.message)
    return assistant_out(assistant)


def _route_numbers_to(session: Session, *, tenant_id: int, assistant_id: int) -> None:
    """Numbers routed to an assistant that just got its Vapi id must now be pointed at it."""
    number_ids = session.exec(
        select(col(PhoneNumber.id)).where(
            col(PhoneNumber.tenant_id) == tenant_id,
            col(PhoneNumber.assistant_id) == assistant_id,
            col(PhoneNumber.released_at).is_(None),
        )
    ).all()
    for number_id in number_ids:
        try:
            enqueue("sync_phone_number_job", tenant_id, number_id)
        except Exception:
            log.exception("could not enqueue the sync of number %s", number_id)


def retry_sync(session: Session, *, principal: Principal, assistant_id: int | None = None) -> AssistantOut:
    """Push the assistant now (the "retry" button); when Vapi is still unreachable a background retry is queued."""
    tenant_id = principal.require_writer()
    assistant = find_assistant(session, tenant_id=tenant_id, assistant_id=assistant_id)
    if assistant is None:
        raise NotFound("This assistant does not exist.", code="assistant_not_found")
    assert assistant.id is not None, "a stored assistant has an id"
    try:
        return sync_assistant(session, tenant_id=tenant_id, assistant_id=assistant.id)
    except ProviderUnavailable:
        enqueue_assistant_sync(tenant_id=tenant_id, assistant_id=assistant.id)
        return get_assistant(session, principal=principal, assistant_id=assistant.id)


# --- jobs -------------------------------------------------------------------------------------------------------

# Provider sync of an assistant or a number: huey retries ProviderUnavailable with exponential backoff (30 s, 1, 2, 4,
# 8, 16 minutes); the row already says "failed" with the reason meanwhile, and a successful retry marks it synced.
SYNC_RETRIES = 6
SYNC_RETRY_DELAY_SECONDS = 30


@task(retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY_SECONDS, retry_backoff=2)
def sync_assistant_job(tenant_id: int, assistant_id: int) -> None:
    """Push a tenant's assistant to Vapi (create or update)."""
    try:
        with session_scope() as session:
            sync_assistant(session, tenant_id=tenant_id, assistant_id=assistant_id)
    except NotFound:
        # Deleted with its tenant before the job ran: nothing left to push.
        log.info("assistant %s is gone; sync skipped", assistant_id)
