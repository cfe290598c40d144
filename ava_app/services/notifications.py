"""The emails of the account flows (verify, magic link, reset, invite), in English and French.

Every account email leaves through ``send_account_email``: when proper templates and delivery exist, only that
function changes.
"""

from __future__ import annotations

from sqlmodel import Session

from ava_app.services.outbox import queue_message

# (subject, body) per kind and locale; bodies are plain text with ``str.format`` fields.
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "verify_email": {
        "en": (
            "Confirm your email address",
            "Hello {name},\n\nWelcome to AVA. Please confirm your email address by opening this link:\n{link}\n\n"
            "The link is valid for 48 hours. If you did not create an AVA account, you can ignore this email.",
        ),
        "fr": (
            "Confirmez votre adresse e-mail",
            "Bonjour {name},\n\nBienvenue sur AVA. Confirmez votre adresse e-mail en ouvrant ce lien :\n{link}\n\n"
            "Le lien est valable 48 heures. Si vous n'avez pas créé de compte AVA, ignorez cet e-mail.",
        ),
    },
    "magic_link": {
        "en": (
            "Your AVA login link",
            "Hello {name},\n\nOpen this link to log in to AVA:\n{link}\n\n"
            "It works once and expires in 15 minutes. If you did not ask for it, you can ignore this email.",
        ),
        "fr": (
            "Votre lien de connexion AVA",
            "Bonjour {name},\n\nOuvrez ce lien pour vous connecter à AVA :\n{link}\n\n"
            "Il ne fonctionne qu'une fois et expire dans 15 minutes. Sans demande de votre part, ignorez cet e-mail.",
        ),
    },
    "password_reset": {
        "en": (
            "Reset your AVA password",
            "Hello {name},\n\nOpen this link to choose a new password:\n{link}\n\n"
            "It works once and expires in 1 hour. If you did not ask for it, your password is unchanged.",
        ),
        "fr": (
            "Réinitialisez votre mot de passe AVA",
            "Bonjour {name},\n\nOuvrez ce lien pour choisir un nouveau mot de passe :\n{link}\n\n"
            "Il ne fonctionne qu'une fois et expire dans 1 heure. Sans demande de votre part, rien ne change.",
        ),
    },
    "password_changed": {
        "en": (
            "Your AVA password was changed",
            "Hello {name},\n\nThe password of your AVA account was just changed and your other sessions were "
            "logged out. If this was not you, reset your password now: {link}",
        ),
        "fr": (
            "Votre mot de passe AVA a été modifié",
            "Bonjour {name},\n\nLe mot de passe de votre compte AVA vient d'être modifié et vos autres sessions "
            "ont été fermées. Si ce n'était pas vous, réinitialisez-le maintenant : {link}",
        ),
    },
    "invite": {
        "en": (
            "{inviter} invited you to {organisation} on AVA",
            "Hello,\n\n{inviter} invited you to join {organisation} on AVA as {role}.\n"
            "Accept the invitation here:\n{link}\n\nThe invitation expires in 7 days.",
        ),
        "fr": (
            "{inviter} vous invite à rejoindre {organisation} sur AVA",
            "Bonjour,\n\n{inviter} vous invite à rejoindre {organisation} sur AVA en tant que {role}.\n"
            "Acceptez l'invitation ici :\n{link}\n\nL'invitation expire dans 7 jours.",
        ),
    },
}


def send_account_email(
    session: Session, *, kind: str, to: str, locale: str = "en", tenant_id: int | None = None, **values: str
) -> None:
    """Queue the ``kind`` email for ``to`` in the user's language (English when it is not translated).

    The outbox commits the session, so callers send after their own changes are complete.
    """
    by_locale = MESSAGES[kind]
    subject, body = by_locale.get((locale or "en")[:2].lower(), by_locale["en"])
    queue_message(
        session,
        channel="email",
        to=to,
        subject=subject.format(**values),
        body_text=body.format(**values),
        tenant_id=tenant_id,
    )
