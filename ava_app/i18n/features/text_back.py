"""Strings of the "Texts to callers" card of /settings/business (missed-call and after-hours text-back)."""

EN: dict[str, str] = {
    "text_back.title": "Texts to callers",
    "text_back.intro": (
        "AVA can text a caller back from your number, in their language, so no one is left without an answer. One "
        "text per caller a day at most; callers who reply STOP are never texted again."
    ),
    "text_back.missed": "Text back after a missed call",
    "text_back.missed_help": "When a caller hangs up before AVA could help them.",
    "text_back.after_hours": "Text back after a call outside opening hours",
    "text_back.after_hours_help": "Tells the caller you are closed and how to reach you.",
    "text_back.admins_only": "Only an admin of the organisation can change these.",
    "text_back.saved": "Texts to callers saved.",
    "audit.action.text_back_changed": "Texts to callers changed",
}

FR: dict[str, str] = {
    "text_back.title": "SMS aux appelants",
    "text_back.intro": (
        "AVA peut renvoyer un SMS à un appelant depuis votre numéro, dans sa langue, pour que personne ne reste sans "
        "réponse. Un SMS par appelant et par jour au plus ; un appelant qui répond STOP n'en reçoit plus jamais."
    ),
    "text_back.missed": "SMS après un appel manqué",
    "text_back.missed_help": "Quand un appelant raccroche avant qu'AVA ait pu l'aider.",
    "text_back.after_hours": "SMS après un appel hors des heures d'ouverture",
    "text_back.after_hours_help": "Indique à l'appelant que vous êtes fermés et comment vous joindre.",
    "text_back.admins_only": "Seul un administrateur de l'organisation peut modifier ces réglages.",
    "text_back.saved": "SMS aux appelants enregistrés.",
    "audit.action.text_back_changed": "SMS aux appelants modifiés",
}
