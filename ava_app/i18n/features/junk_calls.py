"""Strings of junk calls: the block list (Settings › Blocked callers), Block this caller, spam marks and counts."""

EN: dict[str, str] = {
    "outcome.blocked": "Blocked",
    "audit.action.caller_blocked": "Caller blocked",
    "audit.action.caller_unblocked": "Caller unblocked",
    "audit.action.withheld_blocking_changed": "Blocking of withheld numbers changed",
    "block.call.block": "Block this caller",
    "block.call.unblock": "Unblock",
    "block.call.title": "Block this caller?",
    "block.call.body": "Their next calls get a short goodbye and never reach your assistant. You can undo this here or "
    "in Settings › Blocked callers.",
    "block.call.blocked": "Caller blocked.",
    "block.call.unblocked": "Caller unblocked.",
    "block.link.title": "Block this caller?",
    "block.link.confirm": "Calls from {caller} to {business} will get a short goodbye and never reach your assistant. "
    "You can unblock the number any time in Settings › Blocked callers.",
    "block.link.button": "Block this caller",
    "block.link.done_title": "Caller blocked",
    "block.link.done": "{caller} is blocked: their next calls to {business} get a short goodbye. "
    "You can unblock the number in Settings › Blocked callers.",
    "block.link.already": "{caller} is already blocked for {business}.",
    "block.link.invalid_title": "This link cannot be used",
    "block.link.invalid": "The link has expired or is not valid. Open the call in AVA to block its caller.",
}

FR: dict[str, str] = {
    "outcome.blocked": "Bloqué",
    "audit.action.caller_blocked": "Appelant bloqué",
    "audit.action.caller_unblocked": "Appelant débloqué",
    "audit.action.withheld_blocking_changed": "Blocage des numéros masqués modifié",
    "block.call.block": "Bloquer cet appelant",
    "block.call.unblock": "Débloquer",
    "block.call.title": "Bloquer cet appelant ?",
    "block.call.body": "Ses prochains appels recevront un bref au revoir et n'atteindront jamais votre assistant. Vous "
    "pouvez annuler ici ou dans Paramètres › Appelants bloqués.",
    "block.call.blocked": "Appelant bloqué.",
    "block.call.unblocked": "Appelant débloqué.",
    "block.link.title": "Bloquer cet appelant ?",
    "block.link.confirm": "Les appels de {caller} vers {business} recevront un bref au revoir et n'atteindront jamais "
    "votre assistant. Vous pourrez débloquer le numéro à tout moment dans Paramètres › Appelants bloqués.",
    "block.link.button": "Bloquer cet appelant",
    "block.link.done_title": "Appelant bloqué",
    "block.link.done": "{caller} est bloqué : ses prochains appels vers {business} recevront un bref au revoir. "
    "Vous pouvez débloquer le numéro dans Paramètres › Appelants bloqués.",
    "block.link.already": "{caller} est déjà bloqué pour {business}.",
    "block.link.invalid_title": "Ce lien ne peut pas être utilisé",
    "block.link.invalid": "Le lien a expiré ou n'est pas valide. Ouvrez l'appel dans AVA pour bloquer son appelant.",
}

FR_SERVICE_MESSAGES: dict[str, str] = {
    "Enter a phone number, or a prefix such as +1900.": "Saisissez un numéro de téléphone, ou un préfixe comme +1900.",
    "The block list holds at most 1000 entries.": "La liste de blocage contient au plus 1000 entrées.",
}
