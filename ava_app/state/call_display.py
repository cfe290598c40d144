"""How call figures read on screen in English or French: durations, money, shares, dates, plain row dicts.

The daily-use states keep only these ready-to-show strings (and ids) in the browser's state, never service objects.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ava_app.i18n import translate
from ava_app.services import regional

DAY_NAMES = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
OUTCOME_COLORS = {
    "answered": "grass",
    "missed": "red",
    "voicemail": "amber",
    "forwarded": "blue",
    "failed": "crimson",
    "other": "gray",
    "blocked": "gray",
    "pending": "cyan",
}
# The currency the voice provider bills calls in (never converted).
PROVIDER_CURRENCY = "USD"
SENTIMENT_COLORS = {"positive": "grass", "neutral": "gray", "negative": "red"}


def duration_text(seconds: float | int | None) -> str:
    """``95`` -> ``1 min 35 s``; empty for unknown."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest:02d} s"


def money_text(amount: Decimal | float | None, lang: str, *, places: int = 2) -> str:
    """Costs are in US dollars, what the voice provider bills, and stay so whatever the business's currency:
    ``$1.25`` / ``1,25 $US`` (``regional.format_money``)."""
    if amount is None:
        return "—"
    return regional.format_money(Decimal(str(amount)), PROVIDER_CURRENCY, lang, digits=places)


def share_text(share: float | None, lang: str) -> str:
    """``0.684`` -> ``68%`` / ``68 %``."""
    if share is None:
        return "—"
    return f"{round(share * 100)}\u00a0%" if lang == "fr" else f"{round(share * 100)}%"


def change_text(change_pct: float | None, lang: str) -> str:
    """A signed change, ``+12%`` / ``-3,5 %``; empty when there is nothing to compare with."""
    if change_pct is None:
        return ""
    number = f"{change_pct:+.0f}" if abs(change_pct) >= 10 else f"{change_pct:+.1f}".replace(".0", "")
    if lang == "fr":
        return number.replace(".", ",") + "\u00a0%"
    return number + "%"


def day_label(day: date, lang: str) -> str:
    """``Mon 3`` / ``lun. 3`` for chart axes."""
    return f"{DAY_NAMES.get(lang, DAY_NAMES['en'])[day.weekday()]} {day.day}"


def when_text(moment: datetime | None, lang: str, *, today: date | None = None, country: str | None = None) -> str:
    """A call time already in the tenant's zone, written as the business's country writes it: ``2:05 PM`` today in
    the US (``14:05`` in France or the UK), else ``Mar 3, 2:05 PM`` (``3 Mar, 14:05`` in the UK, ``3 mars 14:05``).
    """
    if moment is None:
        return ""
    # No-break space: "2:05 PM" never wraps between the number and "PM" in a narrow column.
    clock = regional.format_time(moment.time(), language=lang, country=country).replace(" ", "\u00a0")
    if today is not None and moment.date() == today:
        return clock
    with_year = today is not None and moment.year != today.year
    day = regional.format_day(moment.date(), language=lang, country=country, with_year=with_year)
    return f"{day} {clock}" if lang == "fr" else f"{day}, {clock}"


def outcome_label(outcome: str, lang: str) -> str:
    return translate(f"outcome.{outcome}", lang)
