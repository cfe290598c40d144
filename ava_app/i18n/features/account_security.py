"""Strings of the account protections: confirming the email before joining or opening other organisations, and
what the first proof of the mailbox removes from an account someone else may have started."""

EN: dict[str, str] = {
    "error.email_unverified": "Confirm your email address first: open the link we emailed you, or ask for a new one.",
    "invite.verify_first": (
        "Confirm your email address before joining: open the link we emailed you. This keeps anyone who might "
        "have signed up with your address out of your teams."
    ),
    "invite.claim_account": (
        "An AVA account was started with this address but never confirmed. Choose your name and password to "
        "join: this invitation proves the address is yours, so the password and devices set up before are removed."
    ),
    "org.verify_first": "Confirm your email address to open your other organisations.",
    "verify_email.password_removed": (
        "For your security, the password chosen before this address was confirmed was removed and every device "
        "was logged out. Log in with an email link, then choose a password in your profile."
    ),
    "verify_email.login": "Log in with an email link",
    "verify.password_removed": (
        "Your email address is confirmed. For your security, the password chosen before was removed and your other "
        "devices were logged out: choose a new password below."
    ),
}

FR: dict[str, str] = {
    "error.email_unverified": (
        "Confirmez d'abord votre adresse e-mail : ouvrez le lien que nous vous avons envoyé, ou demandez-en un nouveau."
    ),
    "invite.verify_first": (
        "Confirmez votre adresse e-mail avant de rejoindre l'organisation : ouvrez le lien que nous vous avons "
        "envoyé. Ainsi, personne n'entre dans vos équipes en s'inscrivant avec votre adresse."
    ),
    "invite.claim_account": (
        "Un compte AVA a été commencé avec cette adresse sans jamais être confirmé. Choisissez votre nom et votre "
        "mot de passe pour rejoindre l'organisation : cette invitation prouve que l'adresse est la vôtre, le mot de "
        "passe et les appareils configurés auparavant sont donc supprimés."
    ),
    "org.verify_first": "Confirmez votre adresse e-mail pour ouvrir vos autres organisations.",
    "verify_email.password_removed": (
        "Par sécurité, le mot de passe choisi avant la confirmation de cette adresse a été supprimé et tous les "
        "appareils ont été déconnectés. Connectez-vous avec un lien par e-mail, puis choisissez un mot de passe dans "
        "votre profil."
    ),
    "verify_email.login": "Connexion par lien e-mail",
    "verify.password_removed": (
        "Votre adresse e-mail est confirmée. Par sécurité, le mot de passe choisi auparavant a été supprimé et vos "
        "autres appareils ont été déconnectés : choisissez un nouveau mot de passe ci-dessous."
    ),
}

# The services' English messages for these protections, translated by their exact text.
FR_SERVICE_MESSAGES: dict[str, str] = {
    "Confirm your email address first: open the link we emailed you, or ask for a new one.": (
        "Confirmez d'abord votre adresse e-mail : ouvrez le lien que nous vous avons envoyé, ou demandez-en un nouveau."
    ),
    (
        "Your email address is confirmed. For your security, the password chosen before it was confirmed was "
        "removed and every device was logged out: log in with an email link, then choose a password in your profile."
    ): (
        "Votre adresse e-mail est confirmée. Par sécurité, le mot de passe choisi avant la confirmation a été "
        "supprimé et tous les appareils ont été déconnectés : connectez-vous avec un lien par e-mail, puis "
        "choisissez un mot de passe dans votre profil."
    ),
}
