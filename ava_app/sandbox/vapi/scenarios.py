"""Plausible call scripts for the emulator, built from an assistant's own config (greeting, knowledge base, tools).

Pure functions: a scenario is data (turns, tool calls, outcome); the call runner plays it out. An assistant that
declares AVA's built-in tools (``lookup_faq``, ``check_business_hours``, ``take_message``) has them called where a
real assistant would: a question goes through ``lookup_faq`` then ``check_business_hours``, a complaint, a message
or a booking request without a booking tool through ``take_message``; the tool's answer shapes the next line.

With AVA's booking tools declared, a caller books (free times, a service, the first time; when AVA answers that
someone has just taken it, the next time it offers), asks for free times over a range of days (``availability``),
moves a booking (``reschedule``: find it, free times, move it) or cancels one (``cancel``). A caller who booked from
another number (``details["bookedWith"]``) gives that number, reads the code AVA had sent to it off that phone
(``ReadPhone``: the emulator's ``handset``) and reads it out (``details["misreadCode"]``: wrongly).

Both sides speak the assistant's language (its transcriber's, as AVA pushes it; English for any other): the caller's
and the assistant's lines, the tool arguments and Vapi's summary all come from ``LINES``.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from babel import dates as babel_dates

from ava_app.languages import Language, is_supported, normalise

INTENTS = (
    "booking",
    "question",
    "complaint",
    "wrong_number",
    "voicemail",
    "hang_up",
    "transfer",
    "availability",
    "reschedule",
    "cancel",
)
CALLER_NAMES: dict[Language, tuple[str, ...]] = {
    "en": ("Jordan Lee", "Sam Rivera", "Alex Morgan", "Taylor Brooks", "Casey Nguyen", "Robin Patel"),
    "fr": ("Camille Martin", "Lucas Bernard", "Léa Dubois", "Hugo Moreau", "Chloé Laurent", "Nathan Girard"),
}
# Monday first, as ``datetime.weekday`` counts.
DAY_NAMES: dict[Language, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
# Every line of every scenario, per language; ``{name}``, ``{first}``, ``{day}`` and the like are filled in.
LINES: dict[Language, dict[str, str]] = {
    "en": {
        "greeting": "Hello, thanks for calling. How can I help you today?",
        "goodbye": "Thanks for calling. Goodbye!",
        "about": "Can you tell me about {title}?",
        "book_ask": "Hi, this is {name}. I'd like to book an appointment for next {day} morning, please.",
        "book_checking": "Sure, one moment while I check the schedule.",
        "book_done": "You're all set. {result}",
        "book_failed": "I'm sorry, I couldn't book that right now. I've passed your request to the team and they'll "
        "call you back.",
        "book_number": "Of course, {first}. What's the best number to confirm the time with you?",
        "book_this_number": "This number is fine.",
        "book_message": "Would like an appointment next {day} morning; please call back to confirm.",
        "book_reason": "appointment next {day} morning",
        "book_noted": "Thank you. I've noted your request for next {day} morning; the team will call to confirm.",
        "book_bye": "Great, thanks. Bye!",
        "book_summary": "{name} called to book an appointment for next {day} morning.",
        "book_summary_booked": " The appointment was booked.",
        "book_summary_noted": " The request was noted for a call back to confirm.",
        "book_slot": "next {day} morning",
        "book_offer": "I can offer {times}. Which would suit you?",
        "book_which_service": "Which service would you like?",
        "book_take": "The first one is perfect.",
        "book_taken": "I'm sorry, that time has just been taken. I can offer {times} instead.",
        "book_other_times": "I'm sorry, that time is no longer available. I can offer {times} instead.",
        "book_take_next": "Then the first of those, please.",
        "avail_ask": "Hi, this is {name}. What times do you have free between {first_day} and {last_day}?",
        "avail_offer": "Between those days I can offer {times}.",
        "avail_thanks": "Thanks, I'll think about it and call back to book.",
        "avail_reason": "free times between {first_day} and {last_day}",
        "avail_summary": "{name} asked for free times between {first_day} and {last_day}.",
        "find_looking": "Of course, let me find your appointment.",
        "move_ask": "Hi, it's {name}. I have an appointment with you and I need to move it to next {day} afternoon.",
        "move_found": "I have your {item}. Let me see what's free next {day} afternoon.",
        "move_take": "The first one, please.",
        "move_done": "Done. {result}",
        "move_failed": "I'm sorry, I couldn't move it right now. I've passed your request to the team and they'll "
        "call you back.",
        "move_reason": "move an appointment to next {day} afternoon",
        "move_summary": "{name} called to move an appointment to next {day} afternoon.",
        "cancel_ask": "Hi, it's {name}. I need to cancel my appointment, please.",
        "cancel_found": "I have your {item}. I'm cancelling it now.",
        "cancel_done": "It's cancelled. {result}",
        "cancel_failed": "I'm sorry, I couldn't cancel it right now. I've passed your request to the team and "
        "they'll call you back.",
        "cancel_reason": "cancel an appointment",
        "cancel_summary": "{name} called to cancel an appointment.",
        "not_found_ask": "I can't find an appointment for the number you're calling from. Which number did you "
        "book with?",
        "booked_with": "I booked with {number}.",
        "code_sent": "Thank you. I've just sent a code to that number. Could you read it to me?",
        "code_calling": "Thank you. That number is getting a call right now that reads out a code. Could you tell "
        "me the code?",
        "code_read": "Yes, it's {code}.",
        "code_missing": "I haven't received anything, sorry.",
        "code_refused": "I'm sorry, that code isn't right, so I can't change that appointment.",
        "call_back_later": "Never mind, I'll call back from that phone. Bye!",
        "change_noted": "Thank you. I've noted your request; the team will call you back to confirm.",
        "change_message": "Would like to {reason}; please call back.",
        "or": " or ",
        "question_prefix": "Hi, quick question. ",
        "question_more": "Can you tell me a bit more about what you offer?",
        "question_summary": "{name} asked: {question} The assistant answered from the knowledge base.",
        "question_checking": "Let me check that for you.",
        "question_open_now": "Great. And are you open right now?",
        "hours_today": "What are your opening hours today?",
        "hours_summary_checked": "{name} asked about opening hours; the assistant checked them.",
        "hours_one_moment": "One moment, let me check.",
        "hours_summary_callback": "{name} asked about opening hours; the assistant offered a call back.",
        "hours_week": "What are your opening hours this week?",
        "hours_unknown": "I don't have that in front of me, but I can take a message and someone will call you back "
        "today.",
        "hours_failed": "I can't check our hours right now, sorry. Please try again a bit later.",
        "question_thanks": "Perfect, that's all I needed. Thank you!",
        "complaint_open": "I'm calling because I'm really unhappy. I was charged twice for my last visit.",
        "complaint_sorry": "I'm very sorry about that. Could I have your name so a manager can look into it?",
        "complaint_name": "It's {name}. I'd like someone to call me back today.",
        "complaint_message": "Was charged twice for the last visit and wants a manager to call back today.",
        "complaint_reason": "double charge complaint",
        "complaint_logged": "Thank you, {first}. I've logged your complaint; a manager will call you back today.",
        "complaint_ok": "Okay. Thanks.",
        "complaint_summary": "{name} complained about being charged twice and asked for a manager to call back today.",
        "urgent_ask": "Hi, it's {name}. It's urgent, I'm in a lot of pain since this morning. Can I talk to someone?",
        "urgent_message": "Urgent: in pain since this morning, wants to talk to someone now.",
        "urgent_reason": "urgent call",
        "urgent_passed": "I understand, {first}. I've passed on your message as urgent; someone calls you back right "
        "away. ",
        "urgent_summary_message": "{name} called about an urgent problem and asked to talk to someone; a message was "
        "taken.",
        "urgent_transfer": "I understand. I'm putting you through to the team right now, please stay on the line.",
        "urgent_summary_transfer": "{name} called about an urgent problem; the assistant transferred the call to "
        "{destination}.",
        "wrong_number": "Oh, sorry, I think I dialed the wrong number. I was trying to reach a pizza place.",
        "wrong_number_ok": "No problem at all. Have a great day!",
        "wrong_number_summary": "The caller dialed the wrong number and hung up.",
        "wrong_number_reason": "wrong number",
        "voicemail_default": "Hi, this is a message from our office. Please call us back.",
        "machine_greeting": "Hi, you've reached {name}. Please leave a message after the tone.",
        "machine_summary": "The call reached {name}'s voicemail; the assistant left a message.",
        "voicemail_reason": "voicemail",
        "message_ask": "Hi, it's {name}. Please call me back when you can, it's about my booking.",
        "message_text": "Please call back about my booking.",
        "message_reason": "message left",
        "message_passed": "Thanks, {first}. I'll pass your message on. ",
        "message_summary": "{name} left a message asking for a call back about a booking.",
        "message_failed": "I'm sorry, I couldn't save your message just now. Please call us back a little later.",
        "hang_up_summary": "The caller hung up without saying anything.",
        "hang_up_reason": "hung up",
        "no_conversation": "The call ended before a conversation.",
    },
    "fr": {
        "greeting": "Bonjour, merci de votre appel. Que puis-je faire pour vous ?",
        "goodbye": "Merci de votre appel. Au revoir !",
        "about": "Pouvez-vous m'en dire plus sur {title} ?",
        "book_ask": "Bonjour, {name} à l'appareil. Je voudrais prendre rendez-vous {day} prochain dans la matinée, "
        "s'il vous plaît.",
        "book_checking": "Bien sûr, un instant, je regarde le planning.",
        "book_done": "C'est noté. {result}",
        "book_failed": "Je suis désolée, je n'ai pas pu réserver pour le moment. J'ai transmis votre demande à "
        "l'équipe, qui vous rappellera.",
        "book_number": "Bien sûr, {first}. À quel numéro pouvons-nous vous joindre pour confirmer l'horaire ?",
        "book_this_number": "Ce numéro-ci, c'est très bien.",
        "book_message": "Souhaite un rendez-vous {day} prochain dans la matinée ; merci de rappeler pour confirmer.",
        "book_reason": "rendez-vous {day} prochain dans la matinée",
        "book_noted": "Merci. J'ai noté votre demande pour {day} prochain dans la matinée ; l'équipe vous rappellera "
        "pour confirmer.",
        "book_bye": "Parfait, merci. Au revoir !",
        "book_summary": "{name} a appelé pour prendre rendez-vous {day} prochain dans la matinée.",
        "book_summary_booked": " Le rendez-vous a été pris.",
        "book_summary_noted": " La demande a été notée ; l'équipe rappellera pour confirmer.",
        "book_slot": "{day} prochain dans la matinée",
        "book_offer": "Je peux vous proposer {times}. Qu'est-ce qui vous conviendrait ?",
        "book_which_service": "Quelle prestation souhaitez-vous ?",
        "book_take": "Le premier me va très bien.",
        "book_taken": "Je suis désolée, cette heure vient d'être prise. Je peux vous proposer {times} à la place.",
        "book_other_times": "Je suis désolée, cette heure n'est plus disponible. Je peux vous proposer {times} à la "
        "place.",
        "book_take_next": "Alors la première, s'il vous plaît.",
        "avail_ask": "Bonjour, {name} à l'appareil. Quelles heures avez-vous de libres entre {first_day} et "
        "{last_day} ?",
        "avail_offer": "Sur ces jours-là, je peux vous proposer {times}.",
        "avail_thanks": "Merci, je réfléchis et je rappelle pour réserver.",
        "avail_reason": "créneaux libres entre {first_day} et {last_day}",
        "avail_summary": "{name} a demandé les créneaux libres entre {first_day} et {last_day}.",
        "find_looking": "Bien sûr, je cherche votre rendez-vous.",
        "move_ask": "Bonjour, c'est {name}. J'ai un rendez-vous chez vous et je dois le déplacer à {day} prochain "
        "dans l'après-midi.",
        "move_found": "J'ai bien votre rendez-vous : {item}. Je regarde ce qui est libre {day} prochain après-midi.",
        "move_take": "Le premier, s'il vous plaît.",
        "move_done": "C'est fait. {result}",
        "move_failed": "Je suis désolée, je n'ai pas pu le déplacer pour le moment. J'ai transmis votre demande à "
        "l'équipe, qui vous rappellera.",
        "move_reason": "déplacer un rendez-vous à {day} prochain après-midi",
        "move_summary": "{name} a appelé pour déplacer un rendez-vous à {day} prochain après-midi.",
        "cancel_ask": "Bonjour, c'est {name}. Je dois annuler mon rendez-vous, s'il vous plaît.",
        "cancel_found": "J'ai bien votre rendez-vous : {item}. Je l'annule.",
        "cancel_done": "C'est annulé. {result}",
        "cancel_failed": "Je suis désolée, je n'ai pas pu l'annuler pour le moment. J'ai transmis votre demande à "
        "l'équipe, qui vous rappellera.",
        "cancel_reason": "annuler un rendez-vous",
        "cancel_summary": "{name} a appelé pour annuler un rendez-vous.",
        "not_found_ask": "Je ne trouve pas de rendez-vous pour le numéro depuis lequel vous appelez. Avec quel "
        "numéro avez-vous réservé ?",
        "booked_with": "J'ai réservé avec le {number}.",
        "code_sent": "Merci. Je viens d'envoyer un code à ce numéro. Pouvez-vous me le lire ?",
        "code_calling": "Merci. Ce numéro reçoit en ce moment un appel qui donne un code. Pouvez-vous me le dire ?",
        "code_read": "Oui, c'est {code}.",
        "code_missing": "Je n'ai rien reçu, désolé.",
        "code_refused": "Je suis désolée, ce code n'est pas le bon : je ne peux pas modifier ce rendez-vous.",
        "call_back_later": "Tant pis, je rappellerai depuis ce téléphone. Au revoir !",
        "change_noted": "Merci. J'ai noté votre demande ; l'équipe vous rappellera pour confirmer.",
        "change_message": "Souhaite {reason} ; merci de rappeler.",
        "or": " ou ",
        "question_prefix": "Bonjour, une petite question. ",
        "question_more": "Pouvez-vous m'en dire un peu plus sur ce que vous proposez ?",
        "question_summary": "{name} a demandé : {question} L'assistante a répondu à partir de la base de "
        "connaissances.",
        "question_checking": "Je vérifie pour vous.",
        "question_open_now": "Très bien. Et vous êtes ouverts en ce moment ?",
        "hours_today": "Quels sont vos horaires aujourd'hui ?",
        "hours_summary_checked": "{name} a demandé les horaires d'ouverture ; l'assistante les a vérifiés.",
        "hours_one_moment": "Un instant, je vérifie.",
        "hours_summary_callback": "{name} a demandé les horaires d'ouverture ; l'assistante a proposé un rappel.",
        "hours_week": "Quels sont vos horaires cette semaine ?",
        "hours_unknown": "Je n'ai pas cette information sous les yeux, mais je peux prendre un message et quelqu'un "
        "vous rappellera aujourd'hui.",
        "hours_failed": "Je ne peux pas vérifier nos horaires pour le moment, désolée. Merci de réessayer un peu "
        "plus tard.",
        "question_thanks": "Parfait, c'est tout ce qu'il me fallait. Merci !",
        "complaint_open": "J'appelle parce que je suis vraiment mécontent. J'ai été débité deux fois pour ma "
        "dernière visite.",
        "complaint_sorry": "Je suis vraiment désolée. Puis-je avoir votre nom pour qu'un responsable s'en occupe ?",
        "complaint_name": "C'est {name}. J'aimerais qu'on me rappelle aujourd'hui.",
        "complaint_message": "A été débité deux fois pour la dernière visite et souhaite qu'un responsable le "
        "rappelle aujourd'hui.",
        "complaint_reason": "réclamation pour double débit",
        "complaint_logged": "Merci, {first}. J'ai enregistré votre réclamation ; un responsable vous rappellera "
        "aujourd'hui.",
        "complaint_ok": "D'accord. Merci.",
        "complaint_summary": "{name} s'est plaint d'avoir été débité deux fois et a demandé qu'un responsable le "
        "rappelle aujourd'hui.",
        "urgent_ask": "Bonjour, c'est {name}. C'est urgent, j'ai très mal depuis ce matin. Je peux parler à "
        "quelqu'un ?",
        "urgent_message": "Urgent : a mal depuis ce matin, souhaite parler à quelqu'un tout de suite.",
        "urgent_reason": "appel urgent",
        "urgent_passed": "Je comprends, {first}. J'ai transmis votre message en urgence ; on vous rappelle tout de "
        "suite. ",
        "urgent_summary_message": "{name} a appelé pour un problème urgent et a demandé à parler à quelqu'un ; un "
        "message a été pris.",
        "urgent_transfer": "Je comprends. Je vous mets en relation avec l'équipe tout de suite, restez en ligne.",
        "urgent_summary_transfer": "{name} a appelé pour un problème urgent ; l'assistante a transféré l'appel au "
        "{destination}.",
        "wrong_number": "Oh, pardon, je crois que je me suis trompé de numéro. Je voulais appeler une pizzeria.",
        "wrong_number_ok": "Aucun problème. Bonne journée !",
        "wrong_number_summary": "L'appelant s'est trompé de numéro et a raccroché.",
        "wrong_number_reason": "erreur de numéro",
        "voicemail_default": "Bonjour, c'est un message de notre part. Merci de nous rappeler.",
        "machine_greeting": "Bonjour, vous êtes bien sur le répondeur de {name}. Laissez un message après le bip.",
        "machine_summary": "L'appel est tombé sur le répondeur de {name} ; l'assistante a laissé un message.",
        "voicemail_reason": "répondeur",
        "message_ask": "Bonjour, c'est {name}. Rappelez-moi quand vous pouvez, c'est au sujet de ma réservation.",
        "message_text": "Merci de me rappeler au sujet de ma réservation.",
        "message_reason": "message laissé",
        "message_passed": "Merci, {first}. Je transmets votre message. ",
        "message_summary": "{name} a laissé un message pour être rappelé au sujet d'une réservation.",
        "message_failed": "Je suis désolée, je n'ai pas pu enregistrer votre message. Merci de nous rappeler un peu "
        "plus tard.",
        "hang_up_summary": "L'appelant a raccroché sans rien dire.",
        "hang_up_reason": "a raccroché",
        "no_conversation": "L'appel s'est terminé avant toute conversation.",
    },
}
_BOOKING_TOOL = re.compile(r"book|appointment|schedule|reserv", re.IGNORECASE)
FAQ_TOOL, HOURS_TOOL, MESSAGE_TOOL = "lookup_faq", "check_business_hours", "take_message"


@dataclass(frozen=True)
class Turn:
    """One utterance: ``bot`` is the assistant, ``user`` the caller."""

    role: Literal["bot", "user"]
    text: str


@dataclass(frozen=True)
class ToolStep:
    """The assistant calls a function tool; ``reply`` turns the tool's result (or None on failure) into speech.

    ``follow``, when given, builds the arguments from the results of the call's earlier tool steps (None: the step
    is skipped), as a model reads one tool's answer before calling the next.
    """

    tool: dict[str, Any]
    arguments: dict[str, Any]
    reply: Callable[[str | None], str]
    follow: Callable[[list[str | None]], dict[str, Any] | None] | None = None

    def arguments_after(self, results: list[str | None]) -> dict[str, Any] | None:
        return self.arguments if self.follow is None else self.follow(results)


@dataclass(frozen=True)
class Said:
    """An utterance made from what the call has learnt so far (``text`` gets the results, as ``ToolStep.follow``
    does); None: nothing is said at that point."""

    role: Literal["bot", "user"]
    text: Callable[[list[str | None]], str | None]


@dataclass(frozen=True)
class ReadPhone:
    """The caller looks at the phone of ``number``: what it last received (a text, or what a voice call said; None
    when nothing came) joins the results, for the next steps to read a code from. Only when ``when`` the results so
    far say something was sent."""

    number: str
    when: Callable[[list[str | None]], bool]


Step = Turn | ToolStep | Said | ReadPhone


def _or_else(answer: str) -> Callable[[str | None], str]:
    """A tool step's reply: the tool's result when it gave one, else ``answer``."""
    return lambda result: result or answer


@dataclass
class Scenario:
    """A whole call: steps in order, how it ends, and what Vapi's analysis would conclude."""

    intent: str
    caller_name: str
    steps: list[Step]
    ended_reason: str
    summary: str
    success: bool
    facts: dict[str, Any] = field(default_factory=dict)


def scenario_language(assistant: dict[str, Any]) -> Language:
    """The language the assistant speaks, from its transcriber (AVA sets it); English when it is not one of AVA's."""
    language = str((assistant.get("transcriber") or {}).get("language") or "")
    return normalise(language) if is_supported(language) else "en"


def knowledge_facts(system_prompt: str, language: Language = "en") -> list[tuple[str | None, str]]:
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
                about = LINES[language]["about"].format(title=title.lower())
                facts.append((about, body) if body else (None, entry))
        elif stripped:
            in_section = False
    return facts


def system_prompt_of(assistant: dict[str, Any]) -> str:
    messages = (assistant.get("model") or {}).get("messages") or []
    return "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")


@dataclass(frozen=True)
class _Script:
    """What every scenario builder gets: the assistant, the caller, the opening and closing lines, the language."""

    assistant: dict[str, Any]
    name: str
    greeting: str
    goodbye: str
    direction: str
    rng: random.Random
    language: Language
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> str:
        return self.name.split()[0]

    def say(self, key: str, **values: Any) -> str:
        """A line of ``LINES`` in the call's language, with the caller's name (and first name) filled in."""
        return LINES[self.language][key].format(name=self.name, first=self.first, **values)


def build_scenario(
    *,
    intent: str,
    assistant: dict[str, Any],
    direction: str,
    seed: str,
    caller_name: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Scenario:
    """Script a call of ``intent`` for ``assistant`` (a CreateAssistantDTO dict); ``seed`` makes it reproducible.

    ``details`` is what the caller knows: ``bookedWith`` (the number a booking to change was made from, when not the
    one they call from), ``misreadCode`` (they read the code they were sent wrongly), ``dateFrom``/``dateTo`` (the
    days an ``availability`` caller asks about, YYYY-MM-DD)."""
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}; expected one of {', '.join(INTENTS)}")
    rng = random.Random(seed)
    language = scenario_language(assistant)
    name = caller_name or rng.choice(CALLER_NAMES[language])
    script = _Script(
        assistant=assistant,
        name=name,
        greeting=assistant.get("firstMessage") or LINES[language]["greeting"],
        goodbye=assistant.get("endCallMessage") or LINES[language]["goodbye"],
        direction=direction,
        rng=rng,
        language=language,
        details=dict(details or {}),
    )
    builder = {
        "booking": _booking,
        "question": _question,
        "complaint": _complaint,
        "wrong_number": _wrong_number,
        "voicemail": _voicemail,
        "hang_up": _hang_up,
        "transfer": _transfer,
        "availability": _availability,
        "reschedule": _reschedule,
        "cancel": _cancel,
    }[intent]
    scenario = builder(script)
    scenario.facts.setdefault("callerName", name)
    return scenario


def _booking(script: _Script) -> Scenario:
    weekday = script.rng.choice([1, 2, 3])  # Tuesday to Thursday
    day = DAY_NAMES[script.language][weekday]
    steps: list[Step] = [Turn("bot", script.greeting), Turn("user", script.say("book_ask", day=day))]
    check, book = _tool_named(script.assistant, "check_availability"), _tool_named(script.assistant, "book_appointment")
    tool = None
    if check is not None and book is not None:
        steps += _calendar_booking(script, check=check, book=book, weekday=weekday)
    else:
        tool = next((t for t in _function_tools(script.assistant) if _BOOKING_TOOL.search(t["function"]["name"])), None)
    if tool is not None:
        steps.append(Turn("bot", script.say("book_checking")))
        done, failed = script.say("book_done", result=""), script.say("book_failed")
        steps.append(
            ToolStep(
                tool=tool,
                arguments=_arguments_for(tool, script=script, weekday=weekday),
                reply=lambda result: done + result if result else failed,
            )
        )
    elif check is None or book is None:
        steps.append(Turn("bot", script.say("book_number")))
        steps.append(Turn("user", script.say("book_this_number")))
        steps.append(
            _message_step(
                script,
                message=script.say("book_message", day=day),
                reason=script.say("book_reason", day=day),
                said=script.say("book_noted", day=day),
            )
        )
    books = tool is not None or (check is not None and book is not None)
    steps += [Turn("user", script.say("book_bye")), Turn("bot", script.goodbye)]
    return Scenario(
        intent="booking",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("book_summary", day=day)
        + script.say("book_summary_booked" if books else "book_summary_noted"),
        success=True,
        facts={
            "reason": script.say("book_reason", day=day),
            "appointmentBooked": books,
            "callback": not books,
        },
    )


# A free time as AVA's check_availability lists it: "Tuesday 8 December at 9:00 AM (slot 2026-12-08T09:00)".
_OFFERED = re.compile(r"([^,()]+?) \((?:slot|créneau) (\d{4}-\d{2}-\d{2}T\d{2}:\d{2})\)")
_WHICH_SERVICE = re.compile(r"^(?:Ask the caller which service they want|Demandez à l'appelant quelle prestation)")


def offered_slots(result: str | None) -> list[tuple[str, str]]:
    """(spoken time, slot) pairs a check_availability answer offers, in order."""
    if not result or ": " not in result:
        return []
    return [(spoken.strip(), slot) for spoken, slot in _OFFERED.findall(result.split(": ", 1)[1])]


def asked_services(result: str | None) -> list[str]:
    """The services an answer asks the caller to choose from ("Ask the caller which service they want: A, B.")."""
    if not result or not _WHICH_SERVICE.match(result):
        return []
    return [name.strip() for name in result.split(": ", 1)[1].rstrip(".").split(", ") if name.strip()]


def _calendar_booking(script: _Script, *, check: dict[str, Any], book: dict[str, Any], weekday: int) -> list[Step]:
    """AVA's booking tools as a model uses them: free times for the day asked (a service chosen when asked for
    one), the caller takes the first, then the booking; every answer comes from AVA's own calendar."""
    wanted = {"date": _next_weekday(weekday).date().isoformat(), "part_of_day": "morning"}
    chosen: dict[str, str] = {}

    def offer(result: str | None) -> str:
        slots = offered_slots(result)
        if slots:
            return script.say("book_offer", times=script.say("or").join(spoken for spoken, _ in slots[:2]))
        if asked_services(result):
            return script.say("book_which_service")
        return result or script.say("book_failed")

    def booking(results: list[str | None]) -> dict[str, Any] | None:
        slots = next((offered_slots(result) for result in reversed(results) if offered_slots(result)), [])
        if not slots:
            return None
        return {**chosen, "slot": slots[0][1], "caller_name": script.name}

    def booked_or_offer(result: str | None) -> str:
        if _booked(result):
            return script.say("book_done", result=result)
        slots = offered_slots(result)
        if slots:  # the time went (someone took it meanwhile, or it passed): AVA offers the next ones
            key = "book_taken" if str(result).startswith(("Someone else", "Quelqu'un")) else "book_other_times"
            return script.say(key, times=script.say("or").join(spoken for spoken, _ in slots[:2]))
        return script.say("book_failed")

    def refused_with_offer(results: list[str | None]) -> bool:
        return bool(results) and not _booked(results[-1]) and bool(offered_slots(results[-1]))

    def rebooking(results: list[str | None]) -> dict[str, Any] | None:
        if not refused_with_offer(results):
            return None
        return {**chosen, "slot": offered_slots(results[-1])[0][1], "caller_name": script.name}

    return [
        Turn("bot", script.say("book_checking")),
        ToolStep(tool=check, arguments=wanted, reply=offer),
        ToolStep(tool=check, arguments={}, reply=offer, follow=_service_follow(wanted, chosen)),
        Turn("user", script.say("book_take")),
        ToolStep(tool=book, arguments={}, reply=booked_or_offer, follow=booking),
        Said("user", lambda results: script.say("book_take_next") if refused_with_offer(results) else None),
        ToolStep(
            tool=book,
            arguments={},
            reply=lambda result: (
                script.say("book_done", result=result) if _booked(result) else script.say("book_failed")
            ),
            follow=rebooking,
        ),
    ]


def _booked(result: str | None) -> bool:
    return bool(result) and str(result).startswith(("Booked", "Réservé"))


# AVA's find_my_appointment answers, by their opening words (English, French).
_FOUND = ("Appointments to come for this caller", "Rendez-vous à venir de l'appelant")
_NONE_FOUND = ("No appointment to come was found", "Aucun rendez-vous à venir")
_CODE_SENT = ("If that number has appointments to come", "Si ce numéro a des rendez-vous à venir")
_CODE_WRONG = ("That code is not right", "Ce code n'est pas le bon")
# A code_sent answer for a landline, which Verify calls to say the code.
_BEING_CALLED = ("it is being called", "il reçoit en ce moment un appel")
_CHANGED = ("Moved", "Déplacé", "Cancelled", "Annulé")
# One appointment as find_my_appointment lists it: "Check-up on Tuesday 8 December at 9:00 AM with Dr. Kim (booking
# 12)", "Détartrage le mardi 8 décembre à 09:00 avec Dr Kim (réservation 12)".
_ITEM = re.compile(r"^(?P<service>.+?) (?:on|le) .+ (?:with|avec) .*\((?:booking|réservation) (?P<id>\d+)\)$")


@dataclass(frozen=True)
class FoundBooking:
    """A booking find_my_appointment listed: how it was spoken (without its number), its service and number."""

    spoken: str
    service: str
    id: int


def found_bookings(result: str | None) -> list[FoundBooking]:
    """The bookings a find_my_appointment answer lists, in order (none for any other answer)."""
    if not result or not result.startswith(_FOUND) or ": " not in result:
        return []
    found = []
    for item in result.split(": ", 1)[1].rstrip(".").split("; "):
        match = _ITEM.match(item.strip())
        if match:
            spoken = item[: item.rfind(" (")].strip()
            found.append(FoundBooking(spoken=spoken, service=match["service"], id=int(match["id"])))
    return found


def code_in(text: str | None) -> str | None:
    """The code a text (or a voice call's words: digits one by one) carries, as the caller would read it out."""
    if not text:
        return None
    digits = re.findall(r"\d+", text)
    joined = next((group for group in digits if len(group) >= 4), None)
    if joined:
        return joined
    spoken = re.search(r"\d(?:, \d){3,9}", text)
    return re.sub(r"\D", "", spoken.group(0)) if spoken else None


def misread(code: str) -> str:
    """A code read out wrongly: every digit one off."""
    return "".join(str((int(digit) + 1) % 10) for digit in code)


def _spoken_day(day: date, language: Language) -> str:
    return babel_dates.format_date(day, "EEEE d MMMM", locale=language)


def _service_follow(
    wanted: dict[str, Any], chosen: dict[str, str]
) -> Callable[[list[str | None]], dict[str, Any] | None]:
    """check_availability again with the first service AVA asked the caller to choose from (None: it did not ask)."""

    def follow(results: list[str | None]) -> dict[str, Any] | None:
        services = asked_services(results[-1] if results else None)
        if not services:
            return None
        chosen["service"] = services[0]
        return {**wanted, "service": services[0]}

    return follow


def _availability(script: _Script) -> Scenario:
    """A caller asks for the free times over a range of days (``dateFrom``..``dateTo``, else Monday to Wednesday
    next week) and hears the ones AVA offers, without booking."""
    monday = _next_weekday(0).date()
    first = _detail_day(script, "dateFrom") or monday
    last = _detail_day(script, "dateTo") or first + timedelta(days=2)
    days = {"first_day": _spoken_day(first, script.language), "last_day": _spoken_day(last, script.language)}
    steps: list[Step] = [Turn("bot", script.greeting), Turn("user", script.say("avail_ask", **days))]
    check = _tool_named(script.assistant, "check_availability")
    reason = script.say("avail_reason", **days)
    if check is None:
        steps += _change_noted(script, reason=reason)
    else:
        wanted = {"date": first.isoformat(), "date_to": last.isoformat()}

        def offer(result: str | None) -> str:
            slots = offered_slots(result)
            if slots:
                return script.say("avail_offer", times=script.say("or").join(spoken for spoken, _ in slots))
            if asked_services(result):
                return script.say("book_which_service")
            return result or script.say("book_failed")

        steps += [
            Turn("bot", script.say("book_checking")),
            ToolStep(tool=check, arguments=wanted, reply=offer),
            ToolStep(tool=check, arguments={}, reply=offer, follow=_service_follow(wanted, {})),
            Turn("user", script.say("avail_thanks")),
        ]
    steps.append(Turn("bot", script.goodbye))
    return Scenario(
        intent="availability",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("avail_summary", **days),
        success=check is not None,
        facts={"reason": reason, "appointmentBooked": False, "callback": check is None},
    )


def _detail_day(script: _Script, key: str) -> date | None:
    try:
        return date.fromisoformat(str(script.details.get(key) or "")[:10])
    except ValueError:
        return None


def _change_noted(script: _Script, *, reason: str) -> list[Step]:
    """Without AVA's booking tools, a change to an appointment is a message for the team."""
    return [
        _message_step(
            script,
            message=script.say("change_message", reason=reason),
            reason=reason,
            said=script.say("change_noted"),
        ),
        Turn("user", script.say("book_bye")),
    ]


def _find_steps(script: _Script, find: dict[str, Any], *, found_line: Callable[[FoundBooking], str]) -> list[Step]:
    """find_my_appointment as a model uses it: by the number the caller calls from, else by the number they booked
    with (``details["bookedWith"]``): a code is sent there, the caller reads it off that phone and out (wrongly with
    ``misreadCode``), and the same tool checks it."""
    booked_with = str(script.details.get("bookedWith") or "")

    def reply(result: str | None) -> str:
        found = found_bookings(result)
        if found:
            return found_line(found[0])
        if result and result.startswith(_NONE_FOUND):
            return script.say("not_found_ask")
        if result and result.startswith(_CODE_SENT):
            return script.say("code_calling" if any(words in result for words in _BEING_CALLED) else "code_sent")
        if result and result.startswith(_CODE_WRONG):
            return script.say("code_refused")
        return result or script.say("book_failed")

    steps: list[Step] = [
        Turn("bot", script.say("find_looking")),
        ToolStep(tool=find, arguments={}, reply=reply),
    ]
    if not booked_with:
        return steps

    def not_found(results: list[str | None]) -> bool:
        return bool(results) and bool(results[-1]) and str(results[-1]).startswith(_NONE_FOUND)

    def code_sent(results: list[str | None]) -> bool:
        return bool(results) and bool(results[-1]) and str(results[-1]).startswith(_CODE_SENT)

    def read_out(results: list[str | None]) -> str | None:
        if len(results) < 2 or not code_sent(results[:-1]):
            return None
        code = code_in(results[-1])
        if code is None:
            return script.say("code_missing")
        return script.say("code_read", code=misread(code) if script.details.get("misreadCode") else code)

    def with_code(results: list[str | None]) -> dict[str, Any] | None:
        if len(results) < 2 or not code_sent(results[:-1]):
            return None
        code = code_in(results[-1])
        if code is None:
            return None
        return {"phone": booked_with, "code": misread(code) if script.details.get("misreadCode") else code}

    return steps + [
        Said("user", lambda results: script.say("booked_with", number=booked_with) if not_found(results) else None),
        ToolStep(
            tool=find,
            arguments={},
            reply=reply,
            follow=lambda results: {"phone": booked_with} if not_found(results) else None,
        ),
        ReadPhone(booked_with, when=code_sent),
        Said("user", read_out),
        ToolStep(tool=find, arguments={}, reply=reply, follow=with_code),
    ]


def _last_found(results: list[str | None]) -> FoundBooking | None:
    found = next((found_bookings(result) for result in reversed(results) if found_bookings(result)), [])
    return found[0] if found else None


def _changed(result: str | None) -> bool:
    return bool(result) and str(result).startswith(_CHANGED)


def _ending(script: _Script) -> Said:
    """The caller's goodbye: a thank-you once their booking was changed, else they will call back from that phone."""
    return Said(
        "user",
        lambda results: script.say("book_bye") if results and _changed(results[-1]) else script.say("call_back_later"),
    )


def _reschedule(script: _Script) -> Scenario:
    """A caller moves their booking: find_my_appointment, free times the next weekday afternoon, the first one."""
    weekday = script.rng.choice([1, 2, 3])
    day = DAY_NAMES[script.language][weekday]
    steps: list[Step] = [Turn("bot", script.greeting), Turn("user", script.say("move_ask", day=day))]
    find = _tool_named(script.assistant, "find_my_appointment")
    check = _tool_named(script.assistant, "check_availability")
    move = _tool_named(script.assistant, "reschedule_appointment")
    reason = script.say("move_reason", day=day)
    tools = find is not None and check is not None and move is not None
    if find is None or check is None or move is None:
        steps += _change_noted(script, reason=reason)
    else:
        wanted = {"date": _next_weekday(weekday).date().isoformat(), "part_of_day": "afternoon"}

        def availability(results: list[str | None]) -> dict[str, Any] | None:
            booking = found_bookings(results[-1] if results else None)
            return {**wanted, "service": booking[0].service} if booking else None

        def offer(result: str | None) -> str:
            slots = offered_slots(result)
            if slots:
                return script.say("book_offer", times=script.say("or").join(spoken for spoken, _ in slots[:2]))
            return result or script.say("move_failed")

        def moving(results: list[str | None]) -> dict[str, Any] | None:
            booking, slots = _last_found(results), offered_slots(results[-1] if results else None)
            return {"booking_id": booking.id, "slot": slots[0][1]} if booking and slots else None

        steps += _find_steps(
            script, find, found_line=lambda found: script.say("move_found", item=found.spoken, day=day)
        )
        steps += [
            ToolStep(tool=check, arguments={}, reply=offer, follow=availability),
            Said("user", lambda results: script.say("move_take") if offered_slots(results[-1]) else None),
            ToolStep(
                tool=move,
                arguments={},
                reply=lambda result: (
                    script.say("move_done", result=result) if _changed(result) else script.say("move_failed")
                ),
                follow=moving,
            ),
            _ending(script),
        ]
    steps.append(Turn("bot", script.goodbye))
    return Scenario(
        intent="reschedule",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("move_summary", day=day),
        success=tools,
        facts={"reason": reason, "appointmentBooked": False, "callback": not tools},
    )


def _cancel(script: _Script) -> Scenario:
    """A caller cancels their booking: find_my_appointment (proving the number they booked with, if another), then
    cancel_appointment."""
    steps: list[Step] = [Turn("bot", script.greeting), Turn("user", script.say("cancel_ask"))]
    find = _tool_named(script.assistant, "find_my_appointment")
    cancel = _tool_named(script.assistant, "cancel_appointment")
    reason = script.say("cancel_reason")
    if find is None or cancel is None:
        steps += _change_noted(script, reason=reason)
    else:

        def cancelling(results: list[str | None]) -> dict[str, Any] | None:
            found = found_bookings(results[-1] if results else None)
            return {"booking_id": found[0].id} if found else None

        steps += _find_steps(script, find, found_line=lambda found: script.say("cancel_found", item=found.spoken))
        steps += [
            ToolStep(
                tool=cancel,
                arguments={},
                reply=lambda result: (
                    script.say("cancel_done", result=result) if _changed(result) else script.say("cancel_failed")
                ),
                follow=cancelling,
            ),
            _ending(script),
        ]
    steps.append(Turn("bot", script.goodbye))
    return Scenario(
        intent="cancel",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("cancel_summary"),
        success=find is not None and cancel is not None,
        facts={"reason": reason, "appointmentBooked": False, "callback": find is None or cancel is None},
    )


def _question(script: _Script) -> Scenario:
    facts = knowledge_facts(system_prompt_of(script.assistant), script.language)
    faq_tool, hours_tool = _tool_named(script.assistant, FAQ_TOOL), _tool_named(script.assistant, HOURS_TOOL)
    hours_reply = _hours_reply(script.say("hours_failed"))
    prefix = script.say("question_prefix")
    steps: list[Step] = [Turn("bot", script.greeting)]
    if facts:
        question, answer = script.rng.choice(facts)
        question = question or script.say("question_more")
        summary = script.say("question_summary", question=question)
        steps.append(Turn("user", prefix + question))
        if faq_tool is not None:
            steps.append(Turn("bot", script.say("question_checking")))
            # The spoken answer is what AVA's knowledge base returned, as a real assistant would read it out.
            steps.append(ToolStep(tool=faq_tool, arguments={"question": question}, reply=_or_else(answer)))
        else:
            steps.append(Turn("bot", answer))
        if hours_tool is not None:
            steps.append(Turn("user", script.say("question_open_now")))
            steps.append(ToolStep(tool=hours_tool, arguments={}, reply=hours_reply))
    elif hours_tool is not None:
        summary = script.say("hours_summary_checked")
        steps.append(Turn("user", prefix + script.say("hours_today")))
        steps.append(Turn("bot", script.say("hours_one_moment")))
        steps.append(ToolStep(tool=hours_tool, arguments={}, reply=hours_reply))
    else:
        summary = script.say("hours_summary_callback")
        steps.append(Turn("user", prefix + script.say("hours_week")))
        steps.append(Turn("bot", script.say("hours_unknown")))
    answered = bool(facts) or hours_tool is not None
    steps += [Turn("user", script.say("question_thanks")), Turn("bot", script.goodbye)]
    return Scenario(
        intent="question",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=summary,
        success=answered,
        facts={"reason": _first_question(steps, prefix=prefix), "callback": not answered},
    )


def _complaint(script: _Script) -> Scenario:
    steps: list[Step] = [
        Turn("bot", script.greeting),
        Turn("user", script.say("complaint_open")),
        Turn("bot", script.say("complaint_sorry")),
        Turn("user", script.say("complaint_name")),
        _message_step(
            script,
            message=script.say("complaint_message"),
            reason=script.say("complaint_reason"),
            said=script.say("complaint_logged"),
        ),
        Turn("user", script.say("complaint_ok")),
        Turn("bot", script.goodbye),
    ]
    return Scenario(
        intent="complaint",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("complaint_summary"),
        success=True,
        facts={"reason": script.say("complaint_reason"), "callback": True, "sentiment": "negative"},
    )


def _transfer_destination(assistant: dict[str, Any]) -> str | None:
    for tool in (assistant.get("model") or {}).get("tools") or []:
        if tool.get("type") == "transferCall":
            for destination in tool.get("destinations") or []:
                if destination.get("number"):
                    return str(destination["number"])
    return None


def _transfer(script: _Script) -> Scenario:
    """An urgent caller asks for a person: Vapi's transferCall tool hands the call over, else a message is taken."""
    destination = _transfer_destination(script.assistant)
    steps: list[Step] = [Turn("bot", script.greeting), Turn("user", script.say("urgent_ask"))]
    reason = script.say("urgent_reason")
    if destination is None:
        steps.append(
            _message_step(
                script,
                message=script.say("urgent_message"),
                reason=reason,
                said=script.say("urgent_passed") + script.goodbye,
            )
        )
        return Scenario(
            intent="transfer",
            caller_name=script.name,
            steps=steps,
            ended_reason="customer-ended-call",
            summary=script.say("urgent_summary_message"),
            success=True,
            facts={"reason": reason, "callback": True, "urgency": "high"},
        )
    steps.append(Turn("bot", script.say("urgent_transfer")))
    return Scenario(
        intent="transfer",
        caller_name=script.name,
        steps=steps,
        ended_reason="assistant-forwarded-call",
        summary=script.say("urgent_summary_transfer", destination=destination),
        success=True,
        facts={"reason": reason, "callback": False, "urgency": "high", "transferredTo": destination},
    )


def _wrong_number(script: _Script) -> Scenario:
    steps: list[Step] = [
        Turn("bot", script.greeting),
        Turn("user", script.say("wrong_number")),
        Turn("bot", script.say("wrong_number_ok")),
    ]
    return Scenario(
        intent="wrong_number",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("wrong_number_summary"),
        success=True,
        facts={"reason": script.say("wrong_number_reason"), "callback": False},
    )


def _voicemail(script: _Script) -> Scenario:
    message = script.assistant.get("voicemailMessage") or script.say("voicemail_default")
    if script.direction == "outbound":
        # Vapi detects the answering machine and leaves the assistant's voicemail message.
        machine: list[Step] = [Turn("user", script.say("machine_greeting")), Turn("bot", message)]
        return Scenario(
            intent="voicemail",
            caller_name=script.name,
            steps=machine,
            ended_reason="voicemail",
            summary=script.say("machine_summary"),
            success=False,
            facts={"reason": script.say("voicemail_reason"), "callback": True},
        )
    steps: list[Step] = [
        Turn("bot", script.greeting),
        Turn("user", script.say("message_ask")),
        _message_step(
            script,
            message=script.say("message_text"),
            reason=script.say("message_reason"),
            said=script.say("message_passed") + script.goodbye,
            failed=script.say("message_failed") + " " + script.goodbye,
        ),
    ]
    return Scenario(
        intent="voicemail",
        caller_name=script.name,
        steps=steps,
        ended_reason="customer-ended-call",
        summary=script.say("message_summary"),
        success=True,
        facts={"reason": script.say("message_reason"), "callback": True},
    )


def _hang_up(script: _Script) -> Scenario:
    return Scenario(
        intent="hang_up",
        caller_name=script.name,
        steps=[Turn("bot", script.greeting)],
        ended_reason="customer-ended-call",
        summary=script.say("hang_up_summary"),
        success=False,
        facts={"reason": script.say("hang_up_reason"), "callback": False},
    )


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
    script: _Script, *, message: str, reason: str, said: str, failed: str | None = None
) -> Turn | ToolStep:
    """The assistant takes a message: through take_message when declared (``said`` only once it is saved)."""
    tool = _tool_named(script.assistant, MESSAGE_TOOL)
    if tool is None:
        return Turn("bot", said)
    arguments = _message_arguments(tool, name=script.name, message=message, reason=reason)
    failed = failed or script.say("message_failed")
    return ToolStep(tool=tool, arguments=arguments, reply=lambda result: said if result else failed)


def _hours_reply(failed: str) -> Callable[[str | None], str]:
    """What the assistant says with check_business_hours' answer (a sentence about today's hours), else ``failed``."""
    return lambda result: result or failed


def _first_question(steps: list[Step], *, prefix: str) -> str:
    """The caller's first question, as the call's reason (what Vapi's structured data would capture)."""
    text = next((step.text for step in steps if isinstance(step, Turn) and step.role == "user"), "")
    return text.removeprefix(prefix)


def no_conversation_summary(assistant: dict[str, Any]) -> str:
    """Vapi's summary of a call that ended before anyone spoke, in the assistant's language."""
    return LINES[scenario_language(assistant)]["no_conversation"]


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


def _arguments_for(tool: dict[str, Any], *, script: _Script, weekday: int) -> dict[str, Any]:
    """Fill a tool's JSON-schema parameters with values a caller would give."""
    parameters = tool["function"].get("parameters") or {}
    start = _next_weekday(weekday).replace(hour=9, minute=30)
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
            arguments[key] = script.name
        elif any(word in lowered for word in ("time", "date", "when", "start")):
            arguments[key] = start.isoformat()
        elif "phone" in lowered or "number" in lowered:
            arguments[key] = f"+1650555{script.rng.randint(100, 199):04d}"
        else:
            arguments[key] = script.say("book_slot", day=DAY_NAMES[script.language][weekday])
    return arguments


def _next_weekday(target: int) -> datetime:
    today = datetime.now(UTC).replace(second=0, microsecond=0)
    return today + timedelta(days=(target - today.weekday()) % 7 + 7)


def tool_arguments_json(arguments: dict[str, Any]) -> str:
    """Vapi sends tool arguments as a JSON string (see the contract)."""
    return json.dumps(arguments)
