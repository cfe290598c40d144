"""Date and time fields that read as the page does, not as the browser does.

A native ``<input type=date|time>`` draws itself in the browser's own locale: a French page in an American browser
shows mm/dd/yyyy and AM/PM, an American business's page in a French browser a 24-hour clock. These fields follow the
interface language and the business's country instead (``services.regional``):

- ``time_select``: a native select of quarter hours, labelled with AM/PM only where the business's clock has it
  (``AuthState.clock_12h``). The value is always "HH:MM". Keyboards type into it, phones open their own list.
- ``date_input``: a text field showing the day in the reader's order ("07/12/2026" in France, "12/07/2026" in the
  US), typed in figures and read on the server (``AuthState._read_day``), with a calendar button beside it. The value
  the state keeps is always ISO "YYYY-MM-DD"; the calendar sends ISO too. The calendar is react-day-picker
  (``DateCalendar``), not the browser's date picker, which speaks the browser's language and starts its weeks on the
  browser's first day: a French page in an American browser would show "December" and Sunday first.
"""

from __future__ import annotations

from datetime import time

import reflex as rx

from ava_app.components.i18n import t
from ava_app.services import regional
from ava_app.state.auth import AuthState
from ava_app.state.hours import STEP_MINUTES

DAY_TIMES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60, STEP_MINUTES)]
# With "24:00" last: a range of opening hours may close at midnight.
TIMES = [*DAY_TIMES, "24:00"]
SELECT_STYLE = {
    "height": "var(--space-6)",
    "padding": "0 var(--space-2)",
    "borderRadius": "var(--radius-2)",
    "border": "1px solid var(--gray-a7)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "fontSize": "var(--font-size-2)",
    "fontVariantNumeric": "tabular-nums",
    "minWidth": "104px",
}


def twelve_hour(value: str) -> str:
    """ "13:30" -> "1:30 PM", "00:00" -> "12:00 AM" (``regional.format_time`` on a 12-hour English clock)."""
    hours, minutes = (int(part) for part in value.split(":"))
    return regional.format_time(time(hours % 24, minutes), language="en", country="US")


def choices(times: list[str], *, twelve: bool) -> list[list[str]]:
    """(value, label) of each time: the value itself on a 24-hour clock, "6:30 PM" on a 12-hour one."""
    # A native select is as wide as its longest option: "Midnight" rather than "12:00 AM (end of day)", which made
    # both selects of a range about 195 px wide and pushed the closing time out of the card on a 390 px phone.
    if not twelve:
        return [[value, value] for value in times]
    return [[value, twelve_hour(value) if value != "24:00" else "Midnight"] for value in times]


def time_select(
    value, on_change, *, label, id: str | None = None, end_of_day: bool = False, optional: bool = False
) -> rx.Component:
    """A select of quarter hours rather than ``<input type=time>``: 24-hour times for a French business, AM/PM for
    an American one, whatever the browser. ``end_of_day`` adds "24:00" (a closing time); ``optional`` a first "—"
    choice for no time (""). A stored time off the quarter hours stays selectable."""
    times = TIMES if end_of_day else DAY_TIMES
    props = {"id": id} if id else {}
    return rx.el.select(
        rx.el.option("—", value="") if optional else rx.fragment(),
        rx.cond(rx.Var.create(times).contains(value) | (value == ""), rx.fragment(), rx.el.option(value, value=value)),
        rx.foreach(
            rx.cond(AuthState.clock_12h, choices(times, twelve=True), choices(times, twelve=False)),
            lambda choice: rx.el.option(choice[1], value=choice[0]),
        ),
        value=value,
        on_change=on_change,
        aria_label=label,
        style=SELECT_STYLE,
        **props,
    )


def shown_day(value) -> rx.Var:
    """An ISO day ("2026-12-07") in the reader's order and separator ("07/12/2026", "12/07/2026"); '' stays ''.
    The same text ``regional.format_date_input`` writes (the order and separator come from it)."""
    text = value.to(str)
    parts = text.split("-")
    year, month, day = parts[0].to(str), parts[1].to(str), parts[2].to(str)
    sep = AuthState.date_separator
    return rx.cond(
        text == "",
        "",
        rx.match(
            AuthState.date_order,
            ("mdy", month + sep + day + sep + year),
            ("ymd", year + sep + month + sep + day),
            day + sep + month + sep + year,
        ),
    )


REACT_DAY_PICKER = "react-day-picker@10.0.2"
DATE_FNS = "date-fns@4.4.0"


class DateCalendar(rx.Component):
    """The calendar button of a date field and the month it opens (``date_calendar.jsx``: react-day-picker in a
    Radix popover, loaded on first opening). Month and day names in the page's language, weeks starting on the
    business's first day, today as it is where the business is (``time_zone``); it sends the day picked as ISO
    "YYYY-MM-DD" and closes."""

    library = rx.asset("date_calendar.jsx", shared=True).importable_path
    tag = "AvaDateCalendar"
    lib_dependencies: list[str] = [REACT_DAY_PICKER, DATE_FNS]

    value: rx.Var[str]
    min_day: rx.Var[str]
    max_day: rx.Var[str]
    lang: rx.Var[str]
    week_starts_on: rx.Var[int]
    time_zone: rx.Var[str]
    label: rx.Var[str]

    on_pick: rx.EventHandler[lambda day: [day]]


# The month the calendar loads when first opened, and its styles: imported by the component beside them (the same
# folder once linked into the build).
rx.asset("date_calendar_month.jsx", shared=True)
rx.asset("date_calendar.css", shared=True)


def date_input(
    value,
    on_change,
    *,
    id: str,
    name: str | None = None,
    width: str = "100%",
    size: str = "2",
    aria_label=None,
    min_day: str = "",
    max_day: str = "",
) -> rx.Component:
    """A day typed as the reader writes it, or chosen on a calendar. ``value`` is the state's ISO day; ``on_change``
    receives the typed text when the field is left (or Enter pressed) and the ISO day the calendar picks: the
    handler reads both with ``AuthState._read_day``. With ``name``, a form submits the typed text too. ``min_day``
    and ``max_day`` (ISO days, or "today": the business's today) bound what the calendar offers; typed days are
    checked by the handler."""
    extra = {"name": name} if name else {}
    if aria_label is not None:
        extra["aria_label"] = aria_label
    return rx.input(
        rx.input.slot(
            DateCalendar.create(
                rx.icon("calendar", size=16),
                value=value,
                min_day=min_day,
                max_day=max_day,
                lang=AuthState.lang,
                week_starts_on=AuthState.week_starts_on,
                time_zone=AuthState.business_timezone,
                label=t("date.pick"),
                on_pick=on_change,
            ),
            side="right",
        ),
        id=id,
        # Uncontrolled, remounted when the stored day changes: typing is never overwritten half-way.
        key=value,
        default_value=shown_day(value),
        placeholder=AuthState.date_placeholder,
        input_mode="numeric",
        auto_complete="off",
        on_blur=on_change,
        width=width,
        size=size,
        **extra,
    )
