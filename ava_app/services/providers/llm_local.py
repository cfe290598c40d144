"""The local fallback used when no OpenAI key is configured: extractive summaries and FAQ-matched replies.

Nothing here pretends to be a language model. Summaries are sentences taken from the caller's own words, topics and
sentiment come from FR/EN keyword lists, and test-call replies are the assistant's own greeting and FAQ answers.
Results carry ``source="local"`` and the UI shows :data:`LOCAL_LABEL` next to them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ava_app.services.providers.llm_prompts import Language, normalise_language

LOCAL_LABEL: dict[Language, str] = {
    "en": "Automatic summary (no AI)",
    "fr": "Résumé automatique (sans IA)",
}

CALLER_SPEAKERS = {"user", "caller", "customer", "client", "appelant", "human", "you"}
SPEAKER = re.compile(r"^\s*([A-Za-zÀ-ÿ ]{2,20}?)\s*:\s*(.*)$")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOPWORDS = {
    "en": "the a an and or but if to of in on at for with from by is are was were be been am i you he she it we they "
    "me my your our their this that these those there here what which who whom how when where why do does did have "
    "has had can could would should will shall may might just so not no yes please hello hi thank thanks okay ok "
    "about like want need would like get got im its dont",
    "fr": "le la les un une des du de d l et ou mais si a au aux en dans sur pour par avec sans est sont etait etre "
    "suis es sommes etes ai as avons avez ont je tu il elle on nous vous ils elles me te se moi toi mon ma mes ton ta "
    "tes son sa ses notre votre leur ce cet cette ces qui que quoi quel quelle comment quand ou pourquoi ne pas oui "
    "non bonjour merci voudrais veux peux pouvez faire fait c j n qu s y",
}

SUFFIXES: dict[Language, tuple[str, ...]] = {
    "en": ("ings", "ing", "ed", "es", "s"),
    "fr": ("ements", "ement", "ations", "ation", "es", "s", "e"),
}

# topic key → (label per language, keywords per language). Keywords are matched without accents; on a tie the
# earlier topic wins, so the more specific or urgent ones come first.
TOPICS: dict[str, tuple[dict[Language, str], dict[Language, list[str]]]] = {
    "emergency": (
        {"en": "emergency", "fr": "urgence"},
        {
            "en": ["emergency", "urgent", "urgently", "pain", "asap", "right away", "immediately"],
            "fr": ["urgence", "urgent", "urgente", "douleur", "tout de suite", "immediatement"],
        },
    ),
    "complaint": (
        {"en": "complaint", "fr": "réclamation"},
        {
            "en": ["complaint", "complain", "unhappy", "not happy", "problem", "issue", "broken", "unacceptable"],
            "fr": ["plainte", "reclamation", "probleme", "mecontent", "pas content", "casse", "inacceptable"],
        },
    ),
    "cancellation": (
        {"en": "cancellation", "fr": "annulation"},
        {
            "en": ["cancel", "cancellation"],
            "fr": ["annuler", "annulation"],
        },
    ),
    "callback": (
        {"en": "callback request", "fr": "demande de rappel"},
        {
            "en": ["call me back", "call back", "callback", "give me a call", "reach me"],
            "fr": ["rappeler", "rappelez", "me rappeler", "recontacter"],
        },
    ),
    "appointment": (
        {"en": "appointment", "fr": "rendez-vous"},
        {
            "en": ["appointment", "book", "booking", "schedule", "reschedule", "availability", "available", "slot"],
            "fr": ["rendez-vous", "rdv", "reserver", "creneau", "disponible", "disponibilite", "consultation"],
        },
    ),
    "reservation": (
        {"en": "table reservation", "fr": "réservation de table"},
        {
            "en": ["table for", "reservation", "reserve a table", "dinner", "lunch"],
            "fr": ["une table", "reservation", "diner", "dejeuner"],
        },
    ),
    "order": (
        {"en": "order", "fr": "commande"},
        {
            "en": ["order", "delivery", "deliver", "pickup", "pick up", "shipping"],
            "fr": ["commande", "commander", "livraison", "livrer", "a emporter"],
        },
    ),
    "billing": (
        {"en": "billing", "fr": "facturation"},
        {
            "en": ["invoice", "bill", "payment", "pay", "refund", "charged"],
            "fr": ["facture", "paiement", "payer", "remboursement", "preleve"],
        },
    ),
    "pricing": (
        {"en": "pricing", "fr": "tarifs"},
        {
            "en": ["price", "prices", "cost", "how much", "quote", "estimate", "fee", "fees", "rate"],
            "fr": ["prix", "tarif", "tarifs", "combien", "devis", "cout"],
        },
    ),
    "opening hours": (
        {"en": "opening hours", "fr": "horaires"},
        {
            "en": ["opening hours", "open", "close", "closed", "closing", "hours"],
            "fr": ["horaires", "horaire", "ouvert", "ouverture", "ferme", "fermeture"],
        },
    ),
    "location": (
        {"en": "location", "fr": "adresse"},
        {
            "en": ["address", "where are you", "located", "directions", "parking"],
            "fr": ["adresse", "ou etes-vous", "situe", "stationnement", "parking", "acces"],
        },
    ),
}

# Topics that mean somebody at the business has to act; pricing or opening hours questions are answered on the call.
SILENT_CALLER: dict[Language, str] = {
    "en": "The caller hung up during the greeting, without saying anything.",
    "fr": "L'appelant a raccroché pendant l'accueil, sans rien dire.",
}
ACTION_TOPICS = {"appointment", "cancellation", "reservation", "order", "billing", "complaint", "emergency", "callback"}
ACTION_PHRASES: dict[Language, list[str]] = {
    "en": ["leave a message", "can someone", "could someone", "send me", "let me know", "get back to me"],
    "fr": ["laisser un message", "quelqu'un peut", "pouvez-vous m'envoyer", "tenez-moi au courant", "me recontacter"],
}
# What a sales pitch or a robocall says (folded, accents removed): the local fallback's ``spam`` flag. Phrases, not
# words, so a customer asking about "your offer" is never one; ``services.spam`` adds the turns/duration condition.
SPAM_PHRASES: dict[Language, list[str]] = {
    "en": [
        "this is a recorded message",
        "this is an automated message",
        "press 1",
        "press one",
        "extended warranty",
        "your car's warranty",
        "google listing",
        "google business listing",
        "lower your rates",
        "merchant services",
        "we are calling businesses",
        "business owner about",
        "pre-approved",
        "final notice",
    ],
    "fr": [
        "ceci est un message enregistre",
        "ceci est un message automatique",
        "tapez 1",
        "appuyez sur 1",
        "fiche google",
        "referencement",
        "proposer nos services",
        "offre exceptionnelle",
        "panneaux solaires",
        "isolation a 1 euro",
        "dernier avis",
        "nous contactons les entreprises",
    ],
}

INTENTS: dict[str, dict[Language, str]] = {
    "appointment": {"en": "Book an appointment", "fr": "Prendre rendez-vous"},
    "cancellation": {"en": "Cancel a booking", "fr": "Annuler un rendez-vous"},
    "reservation": {"en": "Reserve a table", "fr": "Réserver une table"},
    "pricing": {"en": "Ask about prices", "fr": "Se renseigner sur les tarifs"},
    "opening hours": {"en": "Ask about opening hours", "fr": "Connaître les horaires"},
    "location": {"en": "Ask for the address", "fr": "Demander l'adresse"},
    "order": {
        "en": "Place or follow an order",
        "fr": "Passer ou suivre une commande",
    },
    "billing": {"en": "Question about a bill", "fr": "Question de facturation"},
    "complaint": {"en": "Make a complaint", "fr": "Faire une réclamation"},
    "emergency": {"en": "Urgent request", "fr": "Demande urgente"},
    "callback": {"en": "Be called back", "fr": "Être rappelé"},
}

POSITIVE: dict[Language, list[str]] = {
    "en": ["great", "perfect", "wonderful", "excellent", "happy", "appreciate", "lovely", "awesome", "fantastic"],
    "fr": ["parfait", "super", "genial", "excellent", "content", "ravi", "formidable", "top", "impeccable"],
}
# Politeness counts for little: nearly every caller says thank you.
THANKS: dict[Language, list[str]] = {"en": ["thank", "thanks"], "fr": ["merci"]}
NEGATIVE: dict[Language, list[str]] = {
    "en": ["angry", "upset", "terrible", "awful", "disappointed", "unacceptable", "frustrated", "worst", "rude",
           "annoyed", "ridiculous", "not happy", "complaint"],
    "fr": ["fache", "enerve", "terrible", "horrible", "decu", "inacceptable", "nul", "pire", "agace", "mecontent",
           "pas content", "scandaleux", "plainte"],
}  # fmt: skip

NAME_PATTERNS: dict[Language, str] = {
    "en": r"\b(?i:my name is|my name's|this is|i am|i'm)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)",
    "fr": r"\b(?i:je m'appelle|je suis|c'est|mon nom est)\s+([A-ZÀ-Ý][\w'-]+(?:\s+[A-ZÀ-Ý][\w'-]+)?)",
}
PHONE = re.compile(r"\+?\d[\d .()-]{6,}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TIME = re.compile(r"\b\d{1,2}(?::\d{2}|h\d{0,2})(?:\s?[ap]\.?m\.?)?|\b\d{1,2}\s?[ap]\.?m\.?", re.IGNORECASE)
DATE = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|"
    r"today|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|aujourd'hui)\b(?:\s+\d{1,2})?",
    re.IGNORECASE,
)
PARTY = re.compile(r"\b(\d{1,3})\s+(?:people|persons|guests|personnes|couverts)\b", re.IGNORECASE)
# Fields the patterns below would fill wrongly ("date of birth" with the booking day, "new patient" with a name).
UNSURE_FIELD_WORDS = {"birth", "naissance", "new", "nouveau", "nouvelle", "is", "has"}
FIELD_KINDS = {
    "name": ("name", "nom", "patient", "customer", "client", "caller"),
    "phone": ("phone", "number", "tel", "telephone", "mobile", "callback"),
    "email": ("email", "mail", "courriel"),
    "date": ("date", "day", "jour"),
    "time": ("time", "hour", "heure"),
    "party": ("party", "guests", "people", "covers", "personnes", "couverts", "size"),
}

GREETINGS: dict[Language, str] = {
    "en": "Hello, you've reached {business}, this is {name}. How can I help you?",
    "fr": "Bonjour, vous êtes bien chez {business}, {name} à l'appareil. Comment puis-je vous aider ?",
}
NO_ANSWER: dict[Language, str] = {
    "en": "I'm sorry, I don't have that information. Can I take your name and number so someone calls you back?",
    "fr": "Je suis désolée, je n'ai pas cette information. Puis-je prendre votre nom et votre numéro pour qu'on vous "
    "rappelle ?",
}
GOODBYES: dict[Language, list[str]] = {
    "en": ["bye", "goodbye", "that's all", "that is all"],
    "fr": ["au revoir", "bonne journee", "c'est tout"],
}
FAREWELL: dict[Language, str] = {
    "en": "Thank you for calling, goodbye!",
    "fr": "Merci de votre appel, au revoir !",
}
DEFAULT_BUSINESS: dict[Language, str] = {"en": "our office", "fr": "notre établissement"}


def fold(text: str) -> str:
    """Lowercase without accents, so "Réserver" and "reserver" match the same keyword."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("’", "'")


def _has(folded: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", folded) is not None


def _count(folded: str, phrases: Sequence[str]) -> int:
    return sum(len(re.findall(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])", folded)) for p in phrases)


def split_transcript(transcript: str) -> list[tuple[str, str]]:
    """(speaker, text) turns; ``caller`` or ``agent``. Unlabelled text counts as the caller's."""
    turns: list[tuple[str, str]] = []
    for line in transcript.splitlines():
        if not line.strip():
            continue
        match = SPEAKER.match(line)
        if match:
            speaker = "caller" if match.group(1).strip().lower() in CALLER_SPEAKERS else "agent"
            turns.append((speaker, match.group(2).strip()))
        elif turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]} {line.strip()}")
        else:
            turns.append(("caller", line.strip()))
    return [(speaker, text) for speaker, text in turns if text]


def content_words(text: str, lang: Language) -> list[str]:
    """Words that carry meaning: folded, stopwords dropped, a plural ``s`` trimmed."""
    stop = set(STOPWORDS[lang].split())
    words = []
    for word in WORD.findall(fold(text)):
        if word in stop or len(word) < 3:
            continue
        # A light stem ("opening" ~ "open", "tarifs" ~ "tarif") is enough to match a caller's words to an FAQ.
        suffix = next((end for end in SUFFIXES[lang] if word.endswith(end) and len(word) - len(end) >= 3), "")
        words.append(word[: len(word) - len(suffix)][:6])
    return words


def _all_words(text: str, lang: Language) -> list[str]:
    """Every folded word, stopwords included (for a question made of stopwords only)."""
    return WORD.findall(fold(text))


def detect_topics(text: str, lang: Language) -> list[str]:
    """Topic keys whose keywords appear, most mentioned first."""
    folded = fold(text)
    scores = {key: _count(folded, keywords[lang]) for key, (_labels, keywords) in TOPICS.items()}
    return [key for key, score in sorted(scores.items(), key=lambda item: -item[1]) if score]


def detect_sentiment(text: str, lang: Language) -> str:
    """positive / neutral / negative from keyword counts, with thanks counting for little."""
    folded = fold(text)
    score = _count(folded, POSITIVE[lang]) + 0.25 * _count(folded, THANKS[lang]) - 1.5 * _count(folded, NEGATIVE[lang])
    if score >= 1:
        return "positive"
    if score <= -1:
        return "negative"
    return "neutral"


def _sentences(turns: Sequence[tuple[str, str]]) -> list[str]:
    return [sentence.strip() for _, text in turns for sentence in SENTENCE_END.split(text) if sentence.strip()]


def _extract_field(name: str, *, transcript: str, caller_text: str, lang: Language) -> str | None:
    words = set(re.split(r"[^a-z]+", fold(name)))
    if words & UNSURE_FIELD_WORDS:
        return None  # a birth date or a yes/no answer cannot be told apart from other dates and names by pattern
    kind = next((kind for kind, hints in FIELD_KINDS.items() if words & set(hints)), None)
    if kind == "name":
        match = re.search(NAME_PATTERNS[lang], caller_text) or re.search(NAME_PATTERNS["en"], caller_text)
        return match.group(1) if match else None
    patterns = {"phone": PHONE, "email": EMAIL, "date": DATE, "time": TIME, "party": PARTY}
    if kind in patterns:
        match = patterns[kind].search(caller_text) or patterns[kind].search(transcript)
        if match:
            return (match.group(1) if kind == "party" else match.group(0)).strip()
    return None


def summarise_locally(*, transcript: str, language: str | None, data_fields: Sequence[str] = ()) -> dict[str, Any]:
    """An extractive summary of a call: the caller's most informative sentences, keyword topics and sentiment."""
    lang = normalise_language(language)
    turns = split_transcript(transcript)
    caller_turns = [(speaker, text) for speaker, text in turns if speaker == "caller"]
    if turns and not caller_turns:
        # Only the assistant spoke: the caller hung up during the greeting. Its words are no summary of the call.
        return {
            "summary": SILENT_CALLER[lang],
            "intent": SILENT_CALLER[lang],
            "action_needed": False,
            "topics": [],
            "sentiment": "neutral",
            "data": {name: None for name in data_fields},
            "spam": False,
        }
    caller_turns = caller_turns or turns
    caller_text = " ".join(text for _, text in caller_turns)
    sentences = _sentences(caller_turns)
    frequency = Counter(content_words(" ".join(text for _, text in turns), lang))

    def score(index: int, sentence: str) -> float:
        words = content_words(sentence, lang)
        if not words:
            return 0.0
        # Dense sentences win; the caller's first sentences usually state the reason for the call.
        return sum(frequency[word] for word in words) / math.sqrt(len(words)) + (1.5 if index < 2 else 0.0)

    ranked = sorted(range(len(sentences)), key=lambda index: -score(index, sentences[index]))
    chosen = sorted(index for index in ranked[:2] if score(index, sentences[index]) > 0)
    summary = " ".join(sentences[index] for index in chosen) or (sentences[0] if sentences else "")
    if len(summary) > 400:
        summary = summary[:397].rsplit(" ", 1)[0] + "…"

    topic_keys = detect_topics(caller_text, lang)
    first_sentence = sentences[0] if sentences else ""
    intent = INTENTS[topic_keys[0]][lang] if topic_keys else first_sentence[:120]
    folded = fold(caller_text)
    action_needed = bool(set(topic_keys) & ACTION_TOPICS) or any(_has(folded, p) for p in ACTION_PHRASES[lang])
    return {
        "summary": summary,
        "intent": intent,
        "action_needed": action_needed,
        "topics": [TOPICS[key][0][lang] for key in topic_keys[:5]],
        "sentiment": detect_sentiment(caller_text, lang),
        "spam": any(_has(folded, phrase) for phrase in SPAM_PHRASES[lang]),
        "data": {
            name: _extract_field(name, transcript=transcript, caller_text=caller_text, lang=lang)
            for name in data_fields
        },
    }


def reply_locally(*, assistant: Mapping[str, Any], conversation: Sequence[Mapping[str, str]]) -> str:
    """The assistant's next line: its greeting, the best FAQ answer, a goodbye, or an offer to take a message."""
    lang = normalise_language(assistant.get("language"))
    said = [message for message in conversation if message.get("role") == "user" and message.get("content")]
    if not said:
        return (assistant.get("first_message") or "").strip() or GREETINGS[lang].format(
            business=assistant.get("business_name") or DEFAULT_BUSINESS[lang], name=assistant.get("name") or "Ava"
        )
    question = said[-1]["content"]
    words = content_words
    if not content_words(question, lang):
        # "Where are you?" is all stopwords: then every word counts, on both sides.
        words = _all_words
    asked = set(words(question, lang))
    best_answer, best_score = None, 0.0
    for entry in assistant.get("knowledge_base") or []:
        if not isinstance(entry, Mapping) or not entry.get("answer"):
            continue
        # Overlap with the FAQ question matters most; words only found in the answer still help a little.
        score = len(asked & set(words(entry.get("question", ""), lang))) + 0.3 * len(
            asked & set(words(entry["answer"], lang))
        )
        if score > best_score:
            best_answer, best_score = entry["answer"].strip(), score
    if best_answer and best_score >= 1:
        return best_answer
    if any(_has(fold(question), phrase) for phrase in GOODBYES[lang]):
        return (assistant.get("end_call_message") or "").strip() or FAREWELL[lang]
    return NO_ANSWER[lang]
