"""Editing business hours in the browser: a week of days, each closed or open in one or more ranges.

A mixin, so the wizard's personalise step and a number's settings edit hours the same way; the services validate
(``business_hours.validate_business_hours``), this only keeps what is typed.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from ava_app.i18n import translate, translate_count
from ava_app.services import regional
from ava_app.services.business_hours import WEEKDAY_KEYS

MAX_RANGES = 6
# The hours editor offers times in steps of this many minutes.
STEP_MINUTES = 15
DEFAULT_RANGE = ("09:00", "18:00")


@dataclasses.dataclass
class HoursRange:
    open: str = DEFAULT_RANGE[0]
    close: str = DEFAULT_RANGE[1]


@dataclasses.dataclass
class DayHours:
    day: str = "mon"
    ranges: list[HoursRange] = dataclasses.field(default_factory=list)


def week_from(business_hours: dict | None) -> list[DayHours]:
    """The editable week from stored hours (``{"mon": [{"open", "close"}]}``); no hours at all shows every day open
    on default times, since "no hours" means calls are taken at any time."""
    if not business_hours:
        return [DayHours(day=day, ranges=[HoursRange()]) for day in WEEKDAY_KEYS]
    return [
        DayHours(
            day=day,
            ranges=[
                HoursRange(open=str(item.get("open", "")), close=str(item.get("close", "")))
                for item in business_hours.get(day) or []
                if isinstance(item, dict)
            ],
        )
        for day in WEEKDAY_KEYS
    ]


def hours_text(business_hours: dict, holidays: list, lang: str, country: str | None = None) -> str:
    """The week in one line in the interface language, consecutive days with the same hours grouped, times as the
    business's country writes them ("9:00 AM–6:00 PM" in the US, "09:00–18:00" in France)."""
    if not business_hours:
        return translate("numbers.always_open", lang)
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAY_KEYS:
        ranges = business_hours.get(day) or []
        # A no-break space inside each time: "1:30 PM" never wraps between its number and "PM".
        text = ", ".join(
            f"{regional.format_hhmm(str(r['open']), language=lang, country=country)}–"
            f"{regional.format_hhmm(str(r['close']), language=lang, country=country)}".replace(" ", "\u00a0")
            for r in ranges
            if isinstance(r, dict)
        )
        text = text or translate("numbers.closed_lower", lang)
        if groups and groups[-1][1] == text:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    parts = []
    for days, text in groups:
        first = translate(f"numbers.day_short.{days[0]}", lang)
        name = first if len(days) == 1 else f"{first}–{translate(f'numbers.day_short.{days[-1]}', lang)}"
        parts.append(f"{name} {text}")
    if holidays:
        parts.append(translate_count("numbers.holidays_count", lang, len(holidays)))
    return " · ".join(parts)


def hours_payload(week: list[DayHours]) -> dict[str, list[dict[str, str]]]:
    """The week as the services take it."""
    return {day.day: [{"open": r.open, "close": r.close} for r in day.ranges] for day in week}


class HoursMixin(rx.State, mixin=True):
    """The week being edited, and what the service said was wrong with it (one message per bad range)."""

    week: list[DayHours] = []
    hours_error: str = ""

    def _set_week(self, business_hours: dict | None) -> None:
        self.week = week_from(business_hours)
        self.hours_error = ""

    def _take_hours_errors(self, fields: dict[str, str], day_names: dict[str, str]) -> None:
        """Keep the service's ``business_hours.<day>.<n>`` messages, each prefixed with its day's name."""
        lines = []
        for key, message in fields.items():
            if key == "business_hours" or key.startswith("business_hours."):
                day = key.split(".")[1] if key.count(".") >= 1 else ""
                lines.append(f"{day_names.get(day, '')}: {message}" if day in day_names else message)
        self.hours_error = " ".join(lines)

    def _day(self, index: int) -> DayHours | None:
        return self.week[index] if 0 <= index < len(self.week) else None

    @rx.event
    def toggle_day(self, index: int, is_open: bool):
        """Open a closed day on default times, or close a day."""
        day = self._day(int(index))
        if day is None:
            return
        day.ranges = [HoursRange()] if is_open else []
        self.week = list(self.week)

    @rx.event
    def add_range(self, index: int):
        """A second (third…) opening range for a day, e.g. lunch and dinner."""
        day = self._day(int(index))
        if day is None or len(day.ranges) >= MAX_RANGES:
            return
        last = day.ranges[-1].close if day.ranges else DEFAULT_RANGE[0]
        day.ranges = [*day.ranges, HoursRange(open=last, close=last)]
        self.week = list(self.week)

    @rx.event
    def remove_range(self, index: int, range_index: int):
        day = self._day(int(index))
        if day is None or not 0 <= int(range_index) < len(day.ranges):
            return
        day.ranges = [r for i, r in enumerate(day.ranges) if i != int(range_index)]
        self.week = list(self.week)

    @rx.event
    def set_range_time(self, index: int, range_index: int, which: str, value: str):
        """One time of one range as typed (``which``: open or close)."""
        day = self._day(int(index))
        if day is None or which not in ("open", "close") or not 0 <= int(range_index) < len(day.ranges):
            return
        setattr(day.ranges[int(range_index)], which, str(value)[:5])
        self.week = list(self.week)
