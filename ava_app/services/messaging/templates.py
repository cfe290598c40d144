"""The emails AVA sends, in English and French: subject, plain text and inline-styled HTML from one set of copy.

Copy is plain text with ``$placeholders`` (``string.Template``); the HTML layout escapes everything it inserts, so a
caller name or a summary cannot inject markup. Every email with an action shows the link twice: as a button and as
plain text, for clients that strip buttons or block HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from string import Template
from typing import Any

from ava_app.services import phones, regional

KINDS = ("verify_email", "magic_link", "password_reset", "team_invite", "call_summary")
LOCALES = ("en", "fr")

BRAND_COLOR = "#4f46e5"


@dataclass(frozen=True)
class RenderedEmail:
    """One email ready for the outbox."""

    subject: str
    text: str
    html: str


@dataclass
class _Content:
    """What a kind contributes; the layouts turn it into text and HTML."""

    subject: str
    heading: str
    paragraphs: list[str]
    button: str
    link: str
    note: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)
    highlight: tuple[str, str] | None = None
    # A second, quieter link under the note (label, absolute URL): the summary's "Block this caller".
    secondary: tuple[str, str] | None = None
    # Titled groups of facts with their own link, after the blocks: the bookings a call made (title, facts, link).
    sections: list[_Section] = field(default_factory=list)


@dataclass(frozen=True)
class _Section:
    title: str
    facts: list[tuple[str, str]]
    link: tuple[str, str] | None = None


# --- copy -------------------------------------------------------------------------------------------------------

_COMMON = {
    "en": {
        "hello": "Hi $name,",
        "hello_anonymous": "Hi,",
        "copy_link": "Or copy this link into your browser:",
        "footer": "AVA, your AI receptionist. You receive this email because of your AVA account.",
    },
    "fr": {
        "hello": "Bonjour $name,",
        "hello_anonymous": "Bonjour,",
        "copy_link": "Ou copiez ce lien dans votre navigateur :",
        "footer": "AVA, votre réceptionniste IA. Vous recevez cet e-mail en raison de votre compte AVA.",
    },
}

_COPY: dict[str, dict[str, dict[str, str]]] = {
    "verify_email": {
        "en": {
            "subject": "Confirm your email address",
            "heading": "Confirm your email",
            "body": "Please confirm your email address to finish setting up your AVA account.",
            "button": "Confirm my email",
            "note": "This link expires in $expires_hours hours. If you did not create an account, ignore this email.",
        },
        "fr": {
            "subject": "Confirmez votre adresse e-mail",
            "heading": "Confirmez votre e-mail",
            "body": "Confirmez votre adresse e-mail pour terminer la création de votre compte AVA.",
            "button": "Confirmer mon e-mail",
            "note": "Ce lien expire dans $expires_hours heures. Si vous n'avez pas créé de compte, ignorez cet e-mail.",
        },
    },
    "magic_link": {
        "en": {
            "subject": "Your AVA sign-in link",
            "heading": "Sign in to AVA",
            "body": "Use the button below to sign in. No password needed.",
            "button": "Sign in to AVA",
            "note": "This link expires in $expires_minutes minutes and works once. "
            "If you did not ask for it, ignore this email.",
        },
        "fr": {
            "subject": "Votre lien de connexion AVA",
            "heading": "Connexion à AVA",
            "body": "Utilisez le bouton ci-dessous pour vous connecter, sans mot de passe.",
            "button": "Me connecter à AVA",
            "note": "Ce lien expire dans $expires_minutes minutes et ne sert qu'une fois. "
            "Si vous ne l'avez pas demandé, ignorez cet e-mail.",
        },
    },
    "password_reset": {
        "en": {
            "subject": "Reset your AVA password",
            "heading": "Reset your password",
            "body": "We received a request to reset the password of your AVA account.",
            "button": "Choose a new password",
            "note": "This link expires in $expires_minutes minutes. "
            "If you did not ask for a reset, your password stays unchanged.",
        },
        "fr": {
            "subject": "Réinitialisez votre mot de passe AVA",
            "heading": "Réinitialisez votre mot de passe",
            "body": "Nous avons reçu une demande de réinitialisation du mot de passe de votre compte AVA.",
            "button": "Choisir un nouveau mot de passe",
            "note": "Ce lien expire dans $expires_minutes minutes. "
            "Si vous n'êtes pas à l'origine de cette demande, votre mot de passe reste inchangé.",
        },
    },
    "team_invite": {
        "en": {
            # The names are typed by whoever invites: kept out of the Subject line, where they could pass for AVA's
            # own words in the inbox; the body shows them, escaped.
            "subject": "You are invited to join a team on AVA",
            "heading": "Join $tenant_name on AVA",
            "body": "$inviter_name invited you to join $tenant_name on AVA as $role_label.",
            "button": "Accept the invitation",
            "note": "This invitation expires in $expires_days days.",
            "role_admin": "an administrator",
            "role_user": "a user",
            "role_viewer": "a viewer",
        },
        "fr": {
            "subject": "Vous êtes invité à rejoindre une équipe sur AVA",
            "heading": "Rejoignez $tenant_name sur AVA",
            "body": "$inviter_name vous invite à rejoindre $tenant_name sur AVA en tant que $role_label.",
            "button": "Accepter l'invitation",
            "note": "Cette invitation expire dans $expires_days jours.",
            "role_admin": "administrateur",
            "role_user": "utilisateur",
            "role_viewer": "lecteur",
        },
    },
    "call_summary": {
        "en": {
            "subject": "New call from $caller",
            "subject_action": "Action needed: call from $caller",
            "heading": "New call",
            "body": "AVA answered a call for $tenant_name.",
            "body_anonymous": "AVA answered a call.",
            "caller": "Caller",
            "time": "Time",
            "duration": "Duration",
            "summary": "Summary",
            "action": "Action needed",
            "button": "View the call",
            "note": "The recording and the full transcript are on the call page.",
            "unknown_caller": "Unknown number",
            "no_summary": "No summary available.",
            "block": "Junk call? Block this caller",
            "booking": "Booking",
            "booking_service": "Service",
            "booking_when": "When",
            "booking_staff": "With",
            "booking_price": "Price",
            "booking_status": "Status",
            "booking_booked": "Booked on this call",
            "booking_moved": "Moved",
            "booking_cancelled": "Cancelled",
            "booking_link": "See it on the Bookings page",
        },
        "fr": {
            "subject": "Nouvel appel de $caller",
            "subject_action": "Action requise : appel de $caller",
            "heading": "Nouvel appel",
            "body": "AVA a répondu à un appel pour $tenant_name.",
            "body_anonymous": "AVA a répondu à un appel.",
            "caller": "Appelant",
            "time": "Heure",
            "duration": "Durée",
            "summary": "Résumé",
            "action": "Action requise",
            "button": "Voir l'appel",
            "note": "L'enregistrement et la transcription complète sont sur la page de l'appel.",
            "unknown_caller": "Numéro inconnu",
            "no_summary": "Aucun résumé disponible.",
            "block": "Appel indésirable ? Bloquer cet appelant",
            "booking": "Rendez-vous",
            "booking_service": "Prestation",
            "booking_when": "Date",
            "booking_staff": "Avec",
            "booking_price": "Prix",
            "booking_status": "Statut",
            "booking_booked": "Réservé pendant l'appel",
            "booking_moved": "Déplacé",
            "booking_cancelled": "Annulé",
            "booking_link": "Le voir sur la page Rendez-vous",
        },
    },
}

_REQUIRED = {
    "verify_email": ("link",),
    "magic_link": ("link",),
    "password_reset": ("link",),
    "team_invite": ("link", "inviter_name", "tenant_name"),
    "call_summary": ("link", "started_at", "duration_seconds"),
}


# --- public -----------------------------------------------------------------------------------------------------


def render(kind: str, *, locale: str, **context: Any) -> RenderedEmail:
    """Render email ``kind`` (one of KINDS) in ``locale`` (``fr``, ``fr-CA``... fall back to English).

    Context per kind (``link`` is always an absolute http(s) URL):
    verify_email: link, name="", expires_hours=24.  magic_link: link, expires_minutes=15.
    password_reset: link, name="", expires_minutes=60.
    team_invite: link, inviter_name, tenant_name, role="user", expires_days=7.
    call_summary: link, started_at (datetime, UTC if naive), duration_seconds, caller="", summary="",
    action_needed="" (empty when nothing to do), tenant_name="", timezone="UTC" (the tenant's), country="" (the
    tenant's: the caller's number is written as its people write it; as given when empty), block_link="" (the signed
    "Block this caller" link, for members who may block), bookings=() (the bookings the call made, moved or
    cancelled: dicts of service, when, staff, price (empty: none), state (booked, moved or cancelled) and link, an
    absolute URL; already written in the business's timezone, clock and currency).
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown email kind {kind!r}; expected one of {', '.join(KINDS)}.")
    missing = [name for name in _REQUIRED[kind] if context.get(name) in (None, "")]
    if missing:
        raise ValueError(f"Email {kind!r} needs: {', '.join(missing)}.")
    link = str(context["link"])
    if not link.startswith(("https://", "http://")):
        raise ValueError("Email links must be absolute http(s) URLs.")
    lang = normalize_locale(locale)
    content = _BUILDERS[kind](lang, context)
    return RenderedEmail(
        subject=" ".join(content.subject.split()),  # a newline in a value must not reach the Subject header
        text=_layout_text(lang, content),
        html=_layout_html(lang, content),
    )


def normalize_locale(locale: str | None) -> str:
    """``fr_FR``/``fr-CA`` -> ``fr``; anything without a translation -> ``en``."""
    lang = (locale or "").replace("_", "-").split("-")[0].lower()
    return lang if lang in LOCALES else "en"


def format_duration(seconds: int, *, locale: str) -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 02 min`` (the same in both languages)."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_time(moment: datetime, *, locale: str, timezone: str = "UTC", country: str | None = None) -> str:
    """A call time in the business's zone, as its country writes it: ``Mar 12, 2025, 2:05 PM`` in the US,
    ``12 Mar 2025, 14:05`` in the UK, ``12 mars 2025 à 14:05`` (a naive moment is UTC, an unknown zone is UTC);
    ``regional.format_datetime`` so emails read like the pages."""
    return regional.format_datetime(moment, timezone=timezone, language=normalize_locale(locale), country=country)


# --- one builder per kind ---------------------------------------------------------------------------------------


def _fill(text: str, values: dict[str, Any]) -> str:
    return Template(text).substitute({key: str(value) for key, value in values.items()})


def _one_line(value: Any, limit: int = 120) -> str:
    return " ".join(str(value).split())[:limit]


def _greeting(lang: str, name: Any) -> str:
    name = str(name or "").strip()
    return _fill(_COMMON[lang]["hello"], {"name": name}) if name else _COMMON[lang]["hello_anonymous"]


def _account_email(kind: str, defaults: dict[str, Any]):
    """Builder for the short account emails: greeting, one sentence, a button, an expiry note."""

    def build(lang: str, context: dict[str, Any]) -> _Content:
        copy = _COPY[kind][lang]
        values = {**defaults, **{key: context[key] for key in defaults if context.get(key) is not None}}
        return _Content(
            subject=copy["subject"],
            heading=copy["heading"],
            paragraphs=[_greeting(lang, context.get("name")), copy["body"]],
            button=copy["button"],
            link=str(context["link"]),
            note=_fill(copy["note"], values),
        )

    return build


def _team_invite(lang: str, context: dict[str, Any]) -> _Content:
    copy = _COPY["team_invite"][lang]
    role = str(context.get("role") or "user")
    values = {
        # One line each: a name cannot add paragraphs or a fake link line to the plain-text body.
        "inviter_name": _one_line(context["inviter_name"]),
        "tenant_name": _one_line(context["tenant_name"]),
        "role_label": copy.get(f"role_{role}", role),
        "expires_days": context.get("expires_days") or 7,
    }
    return _Content(
        subject=_fill(copy["subject"], values),
        heading=_fill(copy["heading"], values),
        paragraphs=[_greeting(lang, context.get("name")), _fill(copy["body"], values)],
        button=copy["button"],
        link=str(context["link"]),
        note=_fill(copy["note"], values),
    )


def _call_summary(lang: str, context: dict[str, Any]) -> _Content:
    copy = _COPY["call_summary"][lang]
    caller = str(context.get("caller") or "").strip()
    if caller and context.get("country"):
        caller = phones.display(caller, str(context["country"]))
    caller = caller or copy["unknown_caller"]
    action = str(context.get("action_needed") or "").strip()
    tenant_name = str(context.get("tenant_name") or "").strip()
    started_at = context["started_at"]
    when = (
        format_time(
            started_at,
            locale=lang,
            timezone=str(context.get("timezone") or "UTC"),
            country=str(context.get("country") or "") or None,
        )
        if isinstance(started_at, datetime)
        else str(started_at)
    )
    return _Content(
        subject=_fill(copy["subject_action" if action else "subject"], {"caller": caller}),
        heading=copy["heading"],
        paragraphs=[_fill(copy["body"], {"tenant_name": tenant_name}) if tenant_name else copy["body_anonymous"]],
        details=[
            (copy["caller"], caller),
            (copy["time"], when),
            (copy["duration"], format_duration(context["duration_seconds"], locale=lang)),
        ],
        highlight=(copy["action"], action) if action else None,
        blocks=[(copy["summary"], str(context.get("summary") or "").strip() or copy["no_summary"])],
        button=copy["button"],
        link=str(context["link"]),
        note=copy["note"],
        secondary=(copy["block"], block_link) if (block_link := _absolute(context.get("block_link"))) else None,
        sections=[_booking_section(copy, item) for item in context.get("bookings") or ()],
    )


def _booking_section(copy: dict[str, str], item: dict[str, Any]) -> _Section:
    """One booking of the call: its service, time, staff, price and state, and its link on the Bookings page. The
    names the owner typed are kept on one line each; the time and price are AVA's own (CLDR's no-break spaces kept)."""
    state = str(item.get("state") or "booked")
    rows = [
        (copy["booking_service"], _one_line(item.get("service") or "")),
        (copy["booking_when"], str(item.get("when") or "")),
        (copy["booking_staff"], _one_line(item.get("staff") or "")),
        (copy["booking_price"], str(item.get("price") or "")),
        (copy["booking_status"], copy.get(f"booking_{state}", state)),
    ]
    link = _absolute(item.get("link"))
    return _Section(
        title=copy["booking"],
        facts=[(label, value) for label, value in rows if value],
        link=(copy["booking_link"], link) if link else None,
    )


def _absolute(value: Any) -> str:
    link = str(value or "")
    return link if link.startswith(("https://", "http://")) else ""


_BUILDERS = {
    "verify_email": _account_email("verify_email", {"expires_hours": 24}),
    "magic_link": _account_email("magic_link", {"expires_minutes": 15}),
    "password_reset": _account_email("password_reset", {"expires_minutes": 60}),
    "team_invite": _team_invite,
    "call_summary": _call_summary,
}


# --- layouts ----------------------------------------------------------------------------------------------------


def _layout_text(lang: str, content: _Content) -> str:
    colon = " :" if lang == "fr" else ":"  # French typography puts a space before the colon
    parts = [content.heading, *content.paragraphs]
    if content.details:
        parts.append("\n".join(f"{label}{colon} {value}" for label, value in content.details))
    if content.highlight:
        parts.append(f"{content.highlight[0]}{colon} {content.highlight[1]}")
    parts.extend(f"{title}{colon}\n{body}" for title, body in content.blocks)
    for section in content.sections:
        lines = [f"{section.title}{colon}", *(f"{label}{colon} {value}" for label, value in section.facts)]
        if section.link:
            lines.append(f"{section.link[0]}{colon} {section.link[1]}")
        parts.append("\n".join(lines))
    parts.append(f"{content.button}{colon} {content.link}")
    if content.note:
        parts.append(content.note)
    if content.secondary:
        parts.append(f"{content.secondary[0]}{colon} {content.secondary[1]}")
    parts.append(f"-- \n{_COMMON[lang]['footer']}")
    return "\n\n".join(parts) + "\n"


def _escape(value: str) -> str:
    """Escape for HTML and keep line breaks (summaries are multi-line)."""
    return html.escape(value).replace("\n", "<br>")


def _layout_html(lang: str, content: _Content) -> str:
    font = "font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
    paragraph = f'<p style="{font}margin:0 0 16px;font-size:15px;line-height:22px;color:#1f2937;">'
    rows = [
        f'<h1 style="{font}margin:0 0 20px;font-size:22px;line-height:28px;color:#111827;">'
        f"{_escape(content.heading)}</h1>"
    ]
    rows.extend(f"{paragraph}{_escape(text)}</p>" for text in content.paragraphs)
    if content.details:
        cells = "".join(
            f'<tr><td style="{font}padding:4px 16px 4px 0;font-size:14px;color:#6b7280;">{_escape(label)}</td>'
            f'<td style="{font}padding:4px 0;font-size:14px;color:#111827;">{_escape(value)}</td></tr>'
            for label, value in content.details
        )
        rows.append(f'<table role="presentation" style="margin:0 0 16px;border-collapse:collapse;">{cells}</table>')
    if content.highlight:
        title, body = content.highlight
        rows.append(
            f'<div style="{font}margin:0 0 16px;padding:12px 16px;border-left:4px solid #f59e0b;background:#fffbeb;'
            f'font-size:14px;line-height:20px;color:#92400e;"><strong>{_escape(title)}</strong><br>{_escape(body)}</div>'
        )
    for title, body in content.blocks:
        rows.append(
            f'<h2 style="{font}margin:0 0 8px;font-size:16px;color:#111827;">{_escape(title)}</h2>'
            f"{paragraph}{_escape(body)}</p>"
        )
    for section in content.sections:
        cells = "".join(
            f'<tr><td style="{font}padding:4px 16px 4px 0;font-size:14px;color:#6b7280;">{_escape(label)}</td>'
            f'<td style="{font}padding:4px 0;font-size:14px;color:#111827;">{_escape(value)}</td></tr>'
            for label, value in section.facts
        )
        rows.append(
            f'<h2 style="{font}margin:0 0 8px;font-size:16px;color:#111827;">{_escape(section.title)}</h2>'
            f'<table role="presentation" style="margin:0 0 8px;border-collapse:collapse;">{cells}</table>'
        )
        if section.link:
            label, url = section.link
            rows.append(
                f'<p style="{font}margin:0 0 16px;font-size:14px;"><a href="{html.escape(url, quote=True)}" '
                f'style="color:{BRAND_COLOR};">{_escape(label)}</a></p>'
            )
    href = html.escape(content.link, quote=True)
    rows.append(
        f'<p style="margin:24px 0;"><a href="{href}" style="{font}display:inline-block;padding:12px 24px;'
        f"background:{BRAND_COLOR};border-radius:6px;color:#ffffff;font-size:15px;font-weight:600;"
        f'text-decoration:none;">{_escape(content.button)}</a></p>'
    )
    rows.append(
        f'<p style="{font}margin:0 0 16px;font-size:13px;line-height:18px;color:#6b7280;">'
        f"{_escape(_COMMON[lang]['copy_link'])}<br>"
        f'<a href="{href}" style="color:{BRAND_COLOR};word-break:break-all;">{html.escape(content.link)}</a></p>'
    )
    if content.note:
        rows.append(
            f'<p style="{font}margin:0;font-size:13px;line-height:18px;color:#6b7280;">{_escape(content.note)}</p>'
        )
    if content.secondary:
        label, url = content.secondary
        rows.append(
            f'<p style="{font}margin:16px 0 0;font-size:13px;line-height:18px;">'
            f'<a href="{html.escape(url, quote=True)}" style="color:#6b7280;">{_escape(label)}</a></p>'
        )
    body = "\n".join(rows)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_escape(content.subject)}</title></head>\n"
        f'<body style="margin:0;padding:0;background:#f3f4f6;">\n'
        f'<table role="presentation" width="100%" style="background:#f3f4f6;border-collapse:collapse;"><tr>'
        f'<td align="center" style="padding:32px 16px;">\n'
        f'<table role="presentation" width="100%" style="max-width:560px;background:#ffffff;border-radius:8px;'
        f'border-collapse:collapse;"><tr><td style="padding:32px;">\n{body}\n</td></tr></table>\n'
        f'<p style="{font}margin:16px 0 0;font-size:12px;color:#9ca3af;">{_escape(_COMMON[lang]["footer"])}</p>\n'
        f"</td></tr></table>\n</body>\n</html>\n"
    )
