"""Strings of the SMS-login number on /settings/profile (confirmed by a texted code) and of the SMS caps."""

EN: dict[str, str] = {
    "profile_phone.title": "Mobile number for SMS login",
    "profile_phone.none": "No number yet. Add one to log in with a code sent by SMS.",
    "profile_phone.confirmed": "Confirmed",
    "profile_phone.unconfirmed": "Not confirmed",
    "profile_phone.confirmed_hint": "Login codes by SMS go to this number.",
    "profile_phone.unconfirmed_hint": "Login codes only go to a confirmed number. Confirm it with a code.",
    "profile_phone.confirm_saved": "Text a code to this number",
    "profile_phone.new": "New mobile number",
    "profile_phone.hint": "Type it as you would dial it. We text a code to check it is yours.",
    "profile_phone.send": "Send code",
    "profile_phone.sent": "We texted a code to {phone}. It works for 10 minutes.",
    "profile_phone.confirm": "Confirm number",
    "profile_phone.other": "Use another number",
    "profile_phone.remove": "Remove number",
    "profile_phone.saved": "Number confirmed. You can log in with a code by SMS.",
    "profile_phone.removed": "Number removed. SMS login is off.",
    "audit.action.phone_verified": "Mobile number confirmed",
    "audit.action.phone_removed": "Mobile number removed",
    "error.sms_limit_number": "Too many codes were sent to this number. Try again in {wait}.",
    "error.sms_limit_account": "You asked for too many codes. Try again in {wait}.",
    "error.sms_limit_network": "Too many codes were asked for from your network. Try again in {wait}.",
    "error.sms_limit_country": (
        "Too many codes are going to numbers starting with {prefix} right now. Try again in {wait}."
    ),
}

FR: dict[str, str] = {
    "profile_phone.title": "Numéro de mobile pour la connexion par SMS",
    "profile_phone.none": "Aucun numéro pour l'instant. Ajoutez-en un pour vous connecter avec un code reçu par SMS.",
    "profile_phone.confirmed": "Confirmé",
    "profile_phone.unconfirmed": "Non confirmé",
    "profile_phone.confirmed_hint": "Les codes de connexion par SMS sont envoyés à ce numéro.",
    "profile_phone.unconfirmed_hint": (
        "Les codes de connexion ne partent que vers un numéro confirmé. Confirmez-le avec un code."
    ),
    "profile_phone.confirm_saved": "Envoyer un code à ce numéro",
    "profile_phone.new": "Nouveau numéro de mobile",
    "profile_phone.hint": (
        "Saisissez-le comme vous le composeriez. Nous envoyons un code par SMS pour vérifier qu'il est à vous."
    ),
    "profile_phone.send": "Envoyer le code",
    "profile_phone.sent": "Nous avons envoyé un code au {phone}. Il est valable 10 minutes.",
    "profile_phone.confirm": "Confirmer le numéro",
    "profile_phone.other": "Utiliser un autre numéro",
    "profile_phone.remove": "Retirer le numéro",
    "profile_phone.saved": "Numéro confirmé. Vous pouvez vous connecter avec un code par SMS.",
    "profile_phone.removed": "Numéro retiré. La connexion par SMS est désactivée.",
    "audit.action.phone_verified": "Numéro de mobile confirmé",
    "audit.action.phone_removed": "Numéro de mobile retiré",
    "error.sms_limit_number": "Trop de codes ont été envoyés à ce numéro. Réessayez dans {wait}.",
    "error.sms_limit_account": "Vous avez demandé trop de codes. Réessayez dans {wait}.",
    "error.sms_limit_network": "Trop de codes ont été demandés depuis votre réseau. Réessayez dans {wait}.",
    "error.sms_limit_country": (
        "Trop de codes partent en ce moment vers les numéros en {prefix}. Réessayez dans {wait}."
    ),
}

FR_SERVICE_MESSAGES: dict[str, str] = {
    "Confirm a new number with the code we text to it.": (
        "Confirmez un nouveau numéro avec le code que nous y envoyons."
    ),
    "This number is already confirmed on another AVA account. Remove it there first.": (
        "Ce numéro est déjà confirmé sur un autre compte AVA. Retirez-le d'abord de ce compte."
    ),
    "This number is already confirmed on your account.": "Ce numéro est déjà confirmé sur votre compte.",
}
