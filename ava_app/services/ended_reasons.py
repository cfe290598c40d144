"""What a Vapi ``endedReason`` means for the business: answered, missed, voicemail, forwarded, failed (or other).

Vapi has 600+ reasons (``tests/fixtures/contracts/vapi-ended-reasons.json``) and adds more over time, so the mapping
is a few exact names plus prefix families; anything new falls back to "answered" when a conversation happened,
"other" if not.
"""

from __future__ import annotations

# "blocked" is never derived from a reason: AVA sets it when it refuses a caller on the block list (``call_blocking``).
OUTCOMES = ("answered", "missed", "voicemail", "forwarded", "failed", "other", "blocked")

_VOICEMAIL = frozenset({"voicemail"})

# The caller was handed to a person or another line: the business should look at the forward, not the AI.
_FORWARDED = frozenset(
    {
        "assistant-forwarded-call",
        "assistant-request-returned-forwarding-phone-number",
        "call.ringing.hook-executed-transfer",
        "call.ending.hook-executed-transfer",
        "customer-ended-call-after-warm-transfer-attempt",
    }
)

# Nobody talked with the caller (busy, not answered, cancelled before connecting): the owner may want to call back.
_MISSED = frozenset(
    {
        "customer-busy",
        "customer-did-not-answer",
        "customer-did-not-give-microphone-permission",
        "call.forwarding.operator-busy",
        "call.forwarding.no-answer",
        "call.ringing.hook-executed-say",
        "call.ringing.sip-inbound-caller-hungup-before-call-connect",
        "twilio-reported-customer-misdialed",
        "sip-outbound-unallocated-number",
        "manually-canceled",
        "scheduled-call-deleted",
        "call-deleted",
        "vonage-rejected",
        "phone-call-provider-bypass-enabled-but-no-call-received",
    }
)

# A conversation took place and ended normally (either side hung up, a limit was reached, the carrier completed it).
_ANSWERED = frozenset(
    {
        "customer-ended-call",
        "customer-ended-call-before-warm-transfer",
        "customer-ended-call-during-transfer",
        "assistant-ended-call",
        "assistant-said-end-call-phrase",
        "assistant-ended-call-with-hangup-task",
        "assistant-ended-call-after-message-spoken",
        "silence-timed-out",
        "exceeded-max-duration",
        "call.ending.hook-executed-say",
        "call.in-progress.twilio-completed-call",
        "call.in-progress.sip-completed-call",
        "sip-outbound-carrier-released-call",
        "vonage-completed",
        "vonage-disconnected",
    }
)

# Configuration, start-up and pipeline faults: the caller did not get the service the owner set up.
_FAILED = frozenset(
    {
        "call-start-error-neither-assistant-nor-server-set",
        "assistant-not-found",
        "assistant-not-valid",
        "assistant-join-timed-out",
        "twilio-failed-to-connect-call",
        "vonage-failed-to-connect-call",
        "phone-call-provider-closed-websocket",
        "worker-shutdown",
    }
)
_FAILED_PREFIXES = (
    "assistant-request-",
    "call.start.",
    "call.in-progress.error-",
    "call.ringing.error-",
    "pipeline-error-",
)


# Either side hung up or a limit was reached: a conversation only if the caller said something.
_ENDED_BY_A_SIDE = frozenset(
    {"customer-ended-call", "assistant-ended-call", "silence-timed-out", "call.in-progress.twilio-completed-call"}
)


def outcome_for_ended_reason(
    reason: str | None, *, had_conversation: bool = False, caller_spoke: bool | None = None
) -> str:
    """The business outcome (one of ``OUTCOMES``) for a Vapi ``endedReason``.

    ``had_conversation`` only matters for reasons this module does not know yet: they count as answered when the caller
    and the assistant actually spoke, as "other" otherwise. ``caller_spoke`` (None when the transcript is unknown)
    tells a hang-up during the greeting from a conversation: Vapi reports both as ``customer-ended-call``, and for the
    owner the first is a missed call worth calling back.
    """
    if caller_spoke is False and reason in _ENDED_BY_A_SIDE:
        return "missed"
    if not reason:
        return "answered" if had_conversation else "other"
    # Exact names first: some forwarded/answered reasons share a prefix with the failure families.
    if reason in _VOICEMAIL:
        return "voicemail"
    if reason in _FORWARDED:
        return "forwarded"
    if reason in _MISSED:
        return "missed"
    if reason in _ANSWERED:
        return "answered"
    if reason in _FAILED or reason.startswith(_FAILED_PREFIXES):
        return "failed"
    return "answered" if had_conversation else "other"


def is_known_ended_reason(reason: str) -> bool:
    """True when the mapping decides ``reason`` by name or family rather than by the unknown-reason fallback."""
    return outcome_for_ended_reason(reason, had_conversation=False) != "other"


# How a call ended, in words an owner reads (the reason code itself stays in the call's developer details).
_REASON_WORDS: dict[str, dict[str, str]] = {
    "customer-ended-call": {"en": "The caller hung up.", "fr": "L'appelant a raccroché."},
    "customer-ended-call-before-warm-transfer": {
        "en": "The caller hung up before being transferred.",
        "fr": "L'appelant a raccroché avant d'être transféré.",
    },
    "customer-ended-call-during-transfer": {
        "en": "The caller hung up during the transfer.",
        "fr": "L'appelant a raccroché pendant le transfert.",
    },
    "customer-ended-call-after-warm-transfer-attempt": {
        "en": "The caller hung up after a transfer attempt.",
        "fr": "L'appelant a raccroché après une tentative de transfert.",
    },
    "assistant-ended-call": {"en": "The assistant ended the call.", "fr": "L'assistante a mis fin à l'appel."},
    "assistant-said-end-call-phrase": {
        "en": "The assistant said goodbye and hung up.",
        "fr": "L'assistante a dit au revoir et a raccroché.",
    },
    "assistant-ended-call-with-hangup-task": {
        "en": "The assistant ended the call.",
        "fr": "L'assistante a mis fin à l'appel.",
    },
    "assistant-ended-call-after-message-spoken": {
        "en": "The assistant ended the call after its last message.",
        "fr": "L'assistante a mis fin à l'appel après son dernier message.",
    },
    "silence-timed-out": {
        "en": "The line stayed silent, so the call was ended.",
        "fr": "La ligne est restée silencieuse, l'appel a été terminé.",
    },
    "exceeded-max-duration": {
        "en": "The call reached its maximum length.",
        "fr": "L'appel a atteint sa durée maximale.",
    },
    "voicemail": {"en": "The call reached a voicemail.", "fr": "L'appel est tombé sur une messagerie."},
    "customer-busy": {"en": "The line was busy.", "fr": "La ligne était occupée."},
    "customer-did-not-answer": {"en": "Nobody answered.", "fr": "Personne n'a répondu."},
    "call.ringing.sip-inbound-caller-hungup-before-call-connect": {
        "en": "The caller hung up before the call connected.",
        "fr": "L'appelant a raccroché avant la mise en relation.",
    },
    "manually-canceled": {"en": "The call was cancelled.", "fr": "L'appel a été annulé."},
}
_NORMAL_END = {"en": "The call ended normally.", "fr": "L'appel s'est terminé normalement."}
_REASON_WORDS["call.in-progress.twilio-completed-call"] = _NORMAL_END
_REASON_WORDS["call.in-progress.sip-completed-call"] = _NORMAL_END
_OUTCOME_REASON_WORDS: dict[str, dict[str, str]] = {
    "answered": _NORMAL_END,
    "missed": {"en": "The call was not answered.", "fr": "L'appel n'a pas abouti."},
    "voicemail": _REASON_WORDS["voicemail"],
    "forwarded": {
        "en": "The call was transferred to a person or another line.",
        "fr": "L'appel a été transféré à une personne ou à une autre ligne.",
    },
    "failed": {
        "en": "A technical problem ended the call.",
        "fr": "Un problème technique a mis fin à l'appel.",
    },
    "other": {"en": "The call ended.", "fr": "L'appel s'est terminé."},
}


def ended_reason_words(reason: str | None) -> dict[str, str]:
    """How a call ended as an English and a French sentence ("customer-ended-call" -> "The caller hung up.");
    reasons without words of their own are said by their outcome family. Empty for no reason."""
    if not reason:
        return {}
    words = _REASON_WORDS.get(reason)
    if words is None:
        words = _OUTCOME_REASON_WORDS[outcome_for_ended_reason(reason, had_conversation=True)]
    return dict(words)
