"""The emails of the account flows (verify, magic link, reset, invite, password changed).

Every account email leaves through ``send_account_email``, which hands it to the email service (outbox + delivery
job) with the shared FR/EN templates; the one notice those templates do not cover is written here. The link of a
verify, magic-link, reset or invite email is a one-time token: it is stored sealed, never in the outbox bodies.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ava_app.services.messaging import email, templates

# The kinds whose ``link`` opens something once (login, password, address, membership).
ONE_TIME_LINK_KINDS = ("verify_email", "magic_link", "password_reset", "team_invite")

# Only the security notice after a password change has no shared template yet: (subject, body) per locale.
PASSWORD_CHANGED = {
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
}


def send_account_email(
    session: Session, *, kind: str, to: str, locale: str = "en", tenant_id: int | None = None, **context: Any
) -> None:
    """Send the ``kind`` email to ``to`` in the user's language (context as in ``templates.render``).

    The outbox commits the session, so callers send after their own changes are complete.
    """
    if kind in templates.KINDS:
        one_time = ("link",) if kind in ONE_TIME_LINK_KINDS else ()
        email.send_template(session, to=to, kind=kind, locale=locale, tenant_id=tenant_id, one_time=one_time, **context)
        return
    subject, body = PASSWORD_CHANGED[templates.normalize_locale(locale)]
    email.send_email(
        session, to=to, subject=subject, body_text=body.format(**context), tenant_id=tenant_id, purpose="account"
    )
