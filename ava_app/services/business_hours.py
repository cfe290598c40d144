"""Business hours: whether a line is open at a moment, in its tenant's timezone, and what the assistant says of it.

Hours are weekday ranges (``{"mon": [{"open": "09:00", "close": "17:00"}]}``) plus ISO holiday dates, as stored on
``PhoneNumber``. Vapi's assistant-request (``ingest.inbound``), Twilio's voice webhook (``twilio_voice``), the
assistant's ``check_business_hours`` tool and the demo seed all ask ``business_hours_status``. What an owner saves
goes through ``validate_business_hours`` and ``validate_holidays`` (strict); reading stays lenient, so a stored
range it cannot parse is skipped rather than failing a call.

What is said of the hours (``week_summary``, ``describe_hours``) is in the caller's language: the phrases, day names
and clock style of each language are in ``HOURS_PHRASES``. French says ``9 h 30–19 h``; English times are written
as the business's country writes them (``regional.format_time``): ``9:30 AM to 7 PM`` in the US, ``09:30 to 19:00``
in the UK. The country is the business's, or the country of its timezone when a caller does not give it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

from ava_app.languages import Language, normalise
from ava_app.services import regional

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# How a week is stored: every day under its 3-letter key (an empty list is closed).
WEEKDAY_KEYS = tuple(name[:3] for name in WEEKDAYS)
MAX_RANGES_PER_DAY = 6
MAX_HOLIDAYS = 100
# The clock of a language whose times follow the business's locale ("9:30 AM" in the US, "09:30" in the UK).
LOCALE_CLOCK = "{locale}"
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")

# What is said about hours, per language. ``days`` are Monday first; ``short_days`` name a day in the week summary.
HOURS_PHRASES: dict[Language, dict[str, Any]] = {
    "en": {
        "days": tuple(name.title() for name in WEEKDAYS),
        "short_days": tuple(name[:3].title() for name in WEEKDAYS),
        "closed": "closed",
        # English times are written as the business's country writes them (regional.format_time), not a template.
        "clock": LOCALE_CLOCK,
        "clock_on_the_hour": LOCALE_CLOCK,
        "midnight": "midnight",
        "all_day": "all day",
        "range": "{opens} to {closes}",
        "ranges_joiner": ", ",
        "one_day": "{day} {hours}",
        "two_days": "{first}-{last} {hours}",
        "days_span": "{first}-{last} {hours}",
        "holidays": ("closed on {count} holiday", "closed on {count} holidays"),
        "always_open": "Open 24/7 (no business hours set)",
        "no_hours": "Open: no business hours are set, so calls are taken at any time.",
        "open_now": "Open now. Hours today: {today}.",
        "open_until": "Open now until {time}. Hours today: {today}.",
        "closed_now": "Closed now. Hours today: {today}.",
        "holiday": "Closed today for a holiday.",
        "next_open": "{why} Next opening: {day} at {time}.",
    },
    "fr": {
        "days": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "short_days": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "closed": "fermé",
        # A time as stored (``HH:MM``): ``{hh}`` zero-padded, ``{h}`` not, ``{mm}`` the minutes.
        "clock": "{h} h {mm}",
        "midnight": "minuit",
        "all_day": "0 h–24 h",
        "clock_on_the_hour": "{h} h",
        "range": "{opens}–{closes}",
        "ranges_joiner": " et ",
        "one_day": "{day} {hours}",
        "two_days": "{first} et {last} {hours}",
        "days_span": "du {first} au {last} {hours}",
        "holidays": ("fermé {count} jour férié", "fermé {count} jours fériés"),
        "always_open": "Ouvert 24 h/24, 7 j/7 (aucun horaire défini)",
        "no_hours": "Ouvert : aucun horaire n'est défini, les appels sont pris à toute heure.",
        "open_now": "Ouvert en ce moment. Horaires du jour : {today}.",
        "open_until": "Ouvert en ce moment jusqu'à {time}. Horaires du jour : {today}.",
        "closed_now": "Fermé en ce moment. Horaires du jour : {today}.",
        "holiday": "Fermé aujourd'hui (jour férié).",
        "next_open": "{why} Prochaine ouverture : {day} à {time}.",
    },
}


class TimeRangeIn(BaseModel):
    """An opening range, local time."""

    open: str = Field(max_length=10)
    close: str = Field(max_length=10)


@dataclass(frozen=True)
class HoursStatus:
    """Whether a number is open at a moment, in the tenant's timezone."""

    is_open: bool
    reason: str  # "open", "closed", "holiday" or "no_hours" (nothing configured counts as always open)
    closes_at: time | None = None
    next_open: datetime | None = None
    today: tuple[tuple[time, time | None], ...] = ()
    country: str | None = None  # how times are written when said (12-hour in the US); the zone's country by default


def business_hours_status(
    *, business_hours: dict, holidays: list, timezone: str, at: datetime, country: str | None = None
) -> HoursStatus:
    """Open or closed at ``at`` given weekday ranges ({"open": "09:00", "close": "17:00"}) and ISO holiday dates.

    Weekday keys are English day names or their 3-letter forms, any case. A range closing at or before it opens runs
    past midnight; "24:00" means end of day. No hours at all means always open (nothing was configured).
    ``country`` (the business's; the zone's country when not given) only says how ``describe_hours`` writes times.
    """
    country = country or regional.country_of_timezone(timezone)
    if not business_hours:
        return HoursStatus(is_open=True, reason="no_hours", country=country)
    zone = _zone(timezone)
    local = _aware(at).astimezone(zone)
    today, now = local.date(), local.time().replace(tzinfo=None)
    closed_days = _holiday_dates(holidays)
    ranges_today = _day_ranges(business_hours, today.weekday())
    if today not in closed_days:
        for opens, closes in ranges_today:
            if opens <= now and (closes is None or closes <= opens or now < closes):
                return HoursStatus(
                    is_open=True, reason="open", closes_at=closes, today=tuple(ranges_today), country=country
                )
    yesterday = today - timedelta(days=1)
    if yesterday not in closed_days:
        for opens, closes in _day_ranges(business_hours, yesterday.weekday()):
            if closes is not None and closes <= opens and now < closes:
                return HoursStatus(
                    is_open=True, reason="open", closes_at=closes, today=tuple(ranges_today), country=country
                )
    return HoursStatus(
        is_open=False,
        reason="holiday" if today in closed_days else "closed",
        next_open=_next_opening(business_hours, closed_days, local),
        today=() if today in closed_days else tuple(ranges_today),
        country=country,
    )


def describe_hours(hours: HoursStatus, language: str | None = "en", country: str | None = None) -> str:
    """A sentence the assistant can say about ``hours``, in ``language`` (English for one AVA does not speak), times
    written as ``country`` writes them (``hours.country`` when not given): "Open now until 7 PM." in the US."""
    lang = normalise(language)
    words = _Words(lang, country or hours.country)
    if hours.reason == "no_hours":
        return str(words["no_hours"])
    today = _ranges_text([(_hhmm(opens), _hhmm(closes)) for opens, closes in hours.today], words)
    if hours.is_open:
        if hours.closes_at:
            return str(words["open_until"]).format(time=_clock_text(_hhmm(hours.closes_at), words), today=today)
        return str(words["open_now"]).format(today=today)
    why = str(words["holiday"] if hours.reason == "holiday" else words["closed_now"]).format(today=today)
    if hours.next_open is not None:
        day = words["days"][hours.next_open.weekday()]
        time_text = _clock_text(_hhmm(hours.next_open.time()), words)
        return str(words["next_open"]).format(why=why, day=day, time=time_text)
    return why


def week_summary(
    business_hours: dict, holidays: list | None = None, language: str | None = "en", country: str | None = None
) -> str:
    """The week in one line in ``language``, consecutive days with the same ranges grouped.

    English in the US: ``Mon closed · Tue-Fri 9:30 AM to 7 PM`` (``09:30 to 19:00`` in the UK); French:
    ``lundi fermé · du mardi au vendredi 9 h 30–19 h``.
    """
    words = _Words(normalise(language), country)
    if not business_hours:
        return str(words["always_open"])
    groups: list[tuple[list[int], str]] = []
    for index, day in enumerate(WEEKDAY_KEYS):
        ranges = business_hours.get(day) or []
        text = _ranges_text([(str(r["open"]), str(r["close"])) for r in ranges if isinstance(r, dict)], words)
        if groups and groups[-1][1] == text:
            groups[-1][0].append(index)
        else:
            groups.append(([index], text))
    parts = [_days_text(days, text, words) for days, text in groups]
    if holidays:
        one, many = words["holidays"]
        parts.append((one if len(holidays) == 1 else many).format(count=len(holidays)))
    return " · ".join(parts)


class _Words(dict):
    """A language's ``HOURS_PHRASES`` plus how its clock reads in the business's country."""

    def __init__(self, language: Language, country: str | None) -> None:
        super().__init__(HOURS_PHRASES[language])
        self.language, self.country = language, country


def _days_text(days: list[int], hours: str, words: dict[str, Any]) -> str:
    names = words["short_days"]
    if len(days) == 1:
        return str(words["one_day"]).format(day=names[days[0]], hours=hours)
    key = "two_days" if len(days) == 2 else "days_span"
    return str(words[key]).format(first=names[days[0]], last=names[days[-1]], hours=hours)


def _ranges_text(ranges: list[tuple[str, str]], words: dict[str, Any]) -> str:
    """``9 AM to 12 PM, 2 PM to 6 PM`` in US English, ``9 h–12 h et 14 h–18 h`` in French; "closed" without a
    range."""
    spoken = [
        str(words["all_day"])
        if (opens.strip(), closes.strip()) == ("00:00", "24:00")
        else str(words["range"]).format(opens=_clock_text(opens, words), closes=_clock_text(closes, words))
        for opens, closes in ranges
    ]
    return str(words["ranges_joiner"]).join(spoken) or str(words["closed"])


def _clock_text(value: str, words: dict[str, Any]) -> str:
    """A stored ``HH:MM`` as the language writes it: ``9:30 AM``, ``7 PM``, ``midnight`` in US English (``09:30``,
    ``19:00``, ``24:00`` in the UK), ``9 h 30`` or ``19 h`` in French."""
    if not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        return value
    hours, minutes = (int(part) for part in value.strip().split(":"))
    if words["clock"] == LOCALE_CLOCK:
        language, country = getattr(words, "language", "en"), getattr(words, "country", None)
        if hours >= 24 and regional.uses_12_hour(language, country):
            return str(words["midnight"])
        return regional.format_hhmm(value, language=language, country=country, short=True)
    template = words["clock" if minutes else "clock_on_the_hour"]
    return str(template).format(hh=f"{hours:02d}", h=hours, mm=f"{minutes:02d}")


def day_key(value: Any) -> str | None:
    """The stored key (``mon``..``sun``) of a weekday written as its English name or 3-letter form, any case."""
    text = str(value).strip().lower()
    return next((name[:3] for name in WEEKDAYS if text in (name, name[:3])), None)


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def validate_business_hours(hours: dict[str, list[TimeRangeIn]], problems: dict[str, str]) -> dict:
    """Weekday -> ranges, normalised to ``mon``..``sun`` keys with every day present (an empty list is closed).

    Each range is ``HH:MM`` to ``HH:MM`` (``24:00`` allowed as a close), opening before it closes, not overlapping
    another range of the day. An empty mapping means no hours (calls are taken at any time). Problems are added to
    ``problems`` under ``business_hours.<day>.<index>``.
    """
    if not hours:
        return {}
    week: dict[str, list[dict[str, str]]] = {day: [] for day in WEEKDAY_KEYS}
    for raw_day, ranges in hours.items():
        day = day_key(raw_day) or raw_day.strip().lower()
        if day not in week:
            problems[f"business_hours.{raw_day}"] = "Unknown day; use mon, tue, wed, thu, fri, sat or sun."
            continue
        if len(ranges) > MAX_RANGES_PER_DAY:
            problems[f"business_hours.{day}"] = f"At most {MAX_RANGES_PER_DAY} opening ranges per day."
            continue
        checked: list[tuple[int, int, int]] = []
        for index, item in enumerate(ranges):
            key = f"business_hours.{day}.{index}"
            opens, closes = item.open.strip(), item.close.strip()
            if not _HHMM.match(opens):
                problems[key] = f"Opening time {opens!r} is not a time like 09:00."
            elif not (_HHMM.match(closes) or closes == "24:00"):
                problems[key] = f"Closing time {closes!r} is not a time like 18:00."
            elif _minutes(opens) >= _minutes(closes):
                problems[key] = f"Opens at {opens} but closes at {closes}: the closing time must be later."
            else:
                checked.append((_minutes(opens), _minutes(closes), index))
            week[day].append({"open": opens, "close": closes})
        checked.sort()
        for (_, first_close, first), (second_open, _, second) in zip(checked, checked[1:], strict=False):
            if second_open < first_close:
                problems[f"business_hours.{day}.{max(first, second)}"] = (
                    f"This range overlaps range {min(first, second) + 1} of the same day."
                )
        week[day].sort(key=lambda item: item["open"])
    if not any(week.values()) and not any(key.startswith("business_hours") for key in problems):
        problems["business_hours"] = "Open at least one day, or clear the hours to take calls at any time."
    return week


def validate_holidays(holidays: list[str], problems: dict[str, str]) -> list[str]:
    """ISO dates, deduplicated and sorted; problems are added under ``holidays.<index>``."""
    days: set[str] = set()
    for index, value in enumerate(holidays):
        try:
            days.add(date.fromisoformat(value.strip()).isoformat())
        except ValueError:
            problems[f"holidays.{index}"] = f"{value!r} is not a date like 2025-12-25."
    if len(days) > MAX_HOLIDAYS:
        problems["holidays"] = f"At most {MAX_HOLIDAYS} holidays."
    return sorted(days)


def _day_ranges(business_hours: dict, weekday: int) -> list[tuple[time, time | None]]:
    ranges = next((value for key, value in business_hours.items() if day_key(key) == WEEKDAY_KEYS[weekday]), None)
    parsed = []
    for item in ranges or []:
        if not isinstance(item, dict):
            continue
        opens, closes = _clock(item.get("open")), _clock(item.get("close"))
        if opens is not None and (closes is not None or str(item.get("close")).strip() == "24:00"):
            parsed.append((opens, closes))
    return sorted(parsed, key=lambda pair: pair[0])


def _next_opening(business_hours: dict, closed_days: set[date], local: datetime) -> datetime | None:
    for offset in range(0, 8):
        day = local.date() + timedelta(days=offset)
        if day in closed_days:
            continue
        for opens, _closes in _day_ranges(business_hours, day.weekday()):
            candidate = datetime.combine(day, opens, tzinfo=local.tzinfo)
            if candidate > local:
                return candidate
    return None


def _holiday_dates(holidays: list) -> set[date]:
    days = set()
    for item in holidays or []:
        value = item.get("date") if isinstance(item, dict) else item
        try:
            days.add(date.fromisoformat(str(value)[:10]))
        except ValueError:
            log.warning("Ignoring holiday %r: not an ISO date", value)
    return days


def _clock(value: Any) -> time | None:
    """'09:00' -> time(9, 0); '24:00' and anything unparsable -> None."""
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return None


def _hhmm(value: time | None) -> str:
    return "24:00" if value is None else value.strftime("%H:%M")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Unknown timezone %r, using UTC", name)
        return ZoneInfo("UTC")


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; AVA stores UTC everywhere, so naive means UTC.
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
