"""What AVA itself says to a caller on the phone, in each language AVA speaks (``ava_app.languages``).

The services cannot use the interface catalogues (``ava_app.i18n`` sits above them), so the few sentences a caller
hears from AVA rather than from the owner's assistant live here, once: the hold message before a forward, the
after-hours voicemail greeting, and the "not in service" and "unavailable" answers. Twilio's TwiML
(``twilio_voice``), Vapi's assistant-request (``ingest.inbound``) and the transfers pushed to Vapi (``assistants``,
``phone_numbers``) all read them. The hours (``business_hours``) and the tools' answers (``assistant_tools``) keep
their own tables beside their code.
"""

from __future__ import annotations

from ava_app.languages import Language, caller_language, normalise

CALLER_PHRASES: dict[Language, dict[str, str]] = {
    "en": {
        "not_in_service": "Sorry, this number is not in service. Goodbye.",
        "unavailable": "Sorry, we cannot take your call right now. Please try again later. Goodbye.",
        "hold": "Please hold while I connect you.",
        # A caller on the business's block list (``call_blocking``).
        "blocked": "Sorry, we cannot take your call. Goodbye.",
        # After a billing grace period (``billing.subscriptions.call_policy``): paused, or messages only.
        "paused": "Sorry, we cannot take your call right now. Please call again later. Goodbye.",
        "messages_only": "Hello, you have reached {business}. No one can answer right now, but I can take a message "
        "for the team. What is your name and your message?",
        "messages_only_prompt": "You take messages for a business whose team cannot answer right now. Ask for the "
        "caller's name and their message, then save it with the take_message tool, thank them and say goodbye. "
        "Do not answer other questions, book anything or transfer the call: say that the team will call back.",
        "thanks": "Thanks for calling.",
        "thanks_business": "Thanks for calling {business}.",
        # Before Twilio's beep (``<Record>``).
        "voicemail": "We are closed right now. Please leave your name, number and a short message after the tone, "
        "and we will call you back.",
        # Said by the assistant, which takes the message itself (Vapi, after hours).
        "closed_message": "We are closed right now. Please leave your name, number and a short message, and we will "
        "call you back.",
    },
    "fr": {
        "not_in_service": "Désolé, ce numéro n'est pas en service. Au revoir.",
        "unavailable": "Désolé, nous ne pouvons pas prendre votre appel pour le moment. Merci de rappeler plus tard. "
        "Au revoir.",
        "hold": "Veuillez patienter, je vous mets en relation.",
        "blocked": "Désolé, nous ne pouvons pas prendre votre appel. Au revoir.",
        "paused": "Désolé, nous ne pouvons pas prendre votre appel pour le moment. Merci de rappeler plus tard. "
        "Au revoir.",
        "messages_only": "Bonjour, vous êtes bien chez {business}. Personne ne peut vous répondre pour le moment, "
        "mais je peux prendre un message pour l'équipe. Quel est votre nom et votre message ?",
        "messages_only_prompt": "Tu prends les messages d'une entreprise dont l'équipe ne peut pas répondre pour le "
        "moment. Demande le nom de l'appelant et son message, puis enregistre-le avec l'outil take_message, remercie "
        "et dis au revoir. Ne réponds à aucune autre question, ne prends pas de rendez-vous et ne transfère pas "
        "l'appel : dis que l'équipe rappellera.",
        "thanks": "Merci de votre appel.",
        "thanks_business": "Merci d'avoir appelé {business}.",
        "voicemail": "Nous sommes fermés pour le moment. Laissez votre nom, votre numéro et un court message après le "
        "bip, et nous vous rappellerons.",
        "closed_message": "Nous sommes fermés pour le moment. Laissez votre nom, votre numéro et un court message, et "
        "nous vous rappellerons.",
    },
}


def phrase(language: str | None, key: str) -> str:
    """One of ``CALLER_PHRASES`` in ``language`` ("fr-CA" counts as French); English for a language AVA lacks."""
    return CALLER_PHRASES[normalise(language)][key]


def closed_greeting(language: str | None, *, business: str = "", after_tone: bool = True) -> str:
    """AVA's own after-hours greeting: thanks (naming the business), we are closed, leave a message.

    ``after_tone`` for Twilio's recording (a beep follows); without it the assistant takes the message itself.
    """
    business = business.strip()
    thanks = phrase(language, "thanks_business").format(business=business) if business else phrase(language, "thanks")
    return f"{thanks} {phrase(language, 'voicemail' if after_tone else 'closed_message')}"


def language_for(assistant: object | None, tenant: object | None) -> Language:
    """The language a call is answered in: the assistant's (``Assistant.language``), else the business's."""
    return caller_language(getattr(assistant, "language", None), getattr(tenant, "locale", None))
