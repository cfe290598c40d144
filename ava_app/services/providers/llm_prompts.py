"""Every prompt AVA sends to the language model, in the call's language (``ava_app.languages``: English, French)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ava_app.languages import LANGUAGES, Language
from ava_app.languages import normalise as normalise_language

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionUserMessageParam

__all__ = ["LANGUAGES", "Language", "normalise_language"]


SUMMARY_SYSTEM: dict[Language, str] = {
    "en": (
        "You summarise phone calls answered by an AI receptionist for a small business. "
        "Read the transcript and answer only with JSON matching the schema:\n"
        "- summary: 1 to 3 short sentences in English saying who called, why, and what was agreed.\n"
        "- intent: the caller's main goal in a few words.\n"
        "- action_needed: true if someone at the business must do something (call back, confirm, send, fix).\n"
        "- topics: 1 to 5 short lowercase topic labels in English.\n"
        "- sentiment: the caller's overall mood, one of positive, neutral, negative.\n"
        "- spam: true only if the caller was selling something to the business (a sales pitch) or was a recorded or "
        "automated message (a robocall); false for any real customer, supplier or partner.\n"
        "- data: the value of each requested field as said in the call, or null when it was not said. "
        "Never invent values."
    ),
    "fr": (
        "Tu résumes des appels téléphoniques pris par une réceptionniste IA pour une petite entreprise. "
        "Lis la transcription et réponds uniquement en JSON conforme au schéma :\n"
        "- summary : 1 à 3 phrases courtes en français : qui a appelé, pourquoi, ce qui a été convenu.\n"
        "- intent : le but principal de l'appelant en quelques mots.\n"
        "- action_needed : true si quelqu'un de l'entreprise doit agir (rappeler, confirmer, envoyer, réparer).\n"
        "- topics : 1 à 5 étiquettes de sujet courtes, en minuscules, en français.\n"
        "- sentiment : l'humeur générale de l'appelant, parmi positive, neutral, negative.\n"
        "- spam : true seulement si l'appelant démarchait l'entreprise (prospection commerciale) ou était un message "
        "enregistré ou automatique (robot d'appel) ; false pour tout vrai client, fournisseur ou partenaire.\n"
        "- data : la valeur de chaque champ demandé telle que dite pendant l'appel, ou null si elle n'a pas été dite. "
        "N'invente jamais de valeur."
    ),
}

SUMMARY_USER: dict[Language, str] = {
    "en": "Business type: {industry}\nFields to extract: {fields}\n\nTranscript:\n{transcript}",
    "fr": "Type d'entreprise : {industry}\nChamps à extraire : {fields}\n\nTranscription :\n{transcript}",
}

# Asked again after an answer that did not match the schema.
SUMMARY_RETRY: dict[Language, str] = {
    "en": "Your previous answer was not valid JSON for the schema. Answer again with the JSON object only.",
    "fr": "Ta réponse précédente n'était pas un JSON valide pour le schéma. Réponds à nouveau avec l'objet JSON seul.",
}

UNKNOWN: dict[Language, str] = {"en": "not specified", "fr": "non précisé"}
NO_FIELDS: dict[Language, str] = {"en": "none", "fr": "aucun"}

REPLY_SYSTEM: dict[Language, str] = {
    "en": (
        "You are {name}, the phone receptionist of {business}. This is a test call made by the business owner "
        "to hear how you answer; behave exactly as with a real caller.\n"
        "Speak English. Tone: {tone}. Keep each reply to one to three short spoken sentences, no lists, no markdown.\n"
        "Answer only from the facts below; if you do not know, say so and offer to take a message.\n"
        "{persona}{rules}Greeting you used: {greeting}\n\nFacts (questions and answers):\n{facts}"
    ),
    "fr": (
        "Tu es {name}, le ou la réceptionniste téléphonique de {business}. Ceci est un appel de test passé par le "
        "responsable pour entendre comment tu réponds ; comporte-toi exactement comme avec un vrai appelant.\n"
        "Parle français. Ton : {tone}. Chaque réponse fait une à trois phrases courtes, à l'oral, sans liste ni "
        "markdown.\nRéponds uniquement à partir des informations ci-dessous ; si tu ne sais pas, dis-le et propose "
        "de prendre un message.\n{persona}{rules}Accueil utilisé : {greeting}\n\nInformations (questions et "
        "réponses) :\n{facts}"
    ),
}

# For a business that redacts personal data (``services.redaction``): the model must not repeat what it takes out.
PRIVATE_SUMMARY: dict[Language, str] = {
    "en": (
        "Never repeat card, bank account, social security or other identity numbers, even in part: only say that one "
        "was given."
    ),
    "fr": (
        "Ne recopiez jamais de numéro de carte, de compte bancaire, de sécurité sociale ou d'identité, même "
        "partiellement : écrivez seulement qu'il a été donné."
    ),
}
PERSONA_LINE: dict[Language, str] = {"en": "Persona: {}\n", "fr": "Personnage : {}\n"}
RULES_LINE: dict[Language, str] = {"en": "Rules: {}\n", "fr": "Règles : {}\n"}
NO_FACTS: dict[Language, str] = {"en": "(none yet)", "fr": "(aucune pour l'instant)"}
DEFAULT_BUSINESS: dict[Language, str] = {"en": "the business", "fr": "l'entreprise"}


def summary_messages(
    *,
    transcript: str,
    language: str | None,
    data_fields: Sequence[str] = (),
    industry: str | None = None,
    private: bool = False,
) -> list[ChatCompletionMessageParam]:
    """System + user messages asking for the structured summary of one call.

    ``private``: the business redacts personal data, so the model is told not to repeat identity numbers."""
    lang = normalise_language(language)
    user = SUMMARY_USER[lang].format(
        industry=industry or UNKNOWN[lang],
        fields=", ".join(data_fields) or NO_FIELDS[lang],
        transcript=transcript.strip(),
    )
    system = SUMMARY_SYSTEM[lang] + ("\n" + PRIVATE_SUMMARY[lang] if private else "")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def summary_retry_message(*, language: str | None) -> ChatCompletionUserMessageParam:
    """The follow-up message sent once when the model's answer did not validate."""
    return {"role": "user", "content": SUMMARY_RETRY[normalise_language(language)]}


def _facts(knowledge_base: Any, lang: Language) -> str:
    entries = [
        f"Q: {entry.get('question', '').strip()}\nA: {entry.get('answer', '').strip()}"
        for entry in knowledge_base or []
        if isinstance(entry, Mapping) and entry.get("answer")
    ]
    return "\n".join(entries) or NO_FACTS[lang]


def reply_messages(
    *, assistant: Mapping[str, Any], conversation: Sequence[Mapping[str, str]]
) -> list[ChatCompletionMessageParam]:
    """The system prompt built from the assistant's settings, followed by the conversation so far."""
    lang = normalise_language(assistant.get("language"))
    persona = (assistant.get("persona") or assistant.get("system_prompt") or "").strip()
    rules = (assistant.get("conversation_rules") or "").strip()
    system = REPLY_SYSTEM[lang].format(
        name=assistant.get("name") or "Ava",
        business=assistant.get("business_name") or DEFAULT_BUSINESS[lang],
        tone=assistant.get("tone") or "professional",
        persona=PERSONA_LINE[lang].format(persona) if persona else "",
        rules=RULES_LINE[lang].format(rules) if rules else "",
        greeting=assistant.get("first_message") or "-",
        facts=_facts(assistant.get("knowledge_base"), lang),
    )
    turns: list[ChatCompletionMessageParam] = []
    for message in conversation:
        content = str(message.get("content") or "")
        # One branch per role: the SDK types a user turn and an assistant turn as different messages.
        if message.get("role") == "user":
            turns.append({"role": "user", "content": content})
        elif message.get("role") == "assistant":
            turns.append({"role": "assistant", "content": content})
    return [{"role": "system", "content": system}, *turns]
