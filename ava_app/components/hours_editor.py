"""A week of opening hours: each day closed or open in one or more ranges (lunch and dinner, say)."""

from __future__ import annotations

from datetime import time

import reflex as rx

from ava_app.components.i18n import t
from ava_app.services import regional
from ava_app.services.business_hours import WEEKDAY_KEYS
from ava_app.state.auth import AuthState
from ava_app.state.hours import MAX_RANGES, STEP_MINUTES


def _twelve_hour(value: str) -> str:
    """ "13:30" -> "1:30 PM", "00:00" -> "12:00 AM" (``regional.format_time`` on a 12-hour English clock)."""
    hours, minutes = (int(part) for part in value.split(":"))
    return regional.format_time(time(hours % 24, minutes), language="en", country="US")


# Every quarter hour of a day, "24:00" last (a range may close at midnight). The stored value is always "HH:MM";
# only the label changes with the business's locale (``AuthState.clock_12h``): AM/PM for an English reader of a US
# business, 24-hour in France or the UK, whatever the browser's own time inputs would show.
TIMES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(0, 24 * 60, STEP_MINUTES)] + ["24:00"]
_SELECT_STYLE = {
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


_CHOICES_24H = [[time, time] for time in TIMES]
# A native select is as wide as its longest option: "Midnight" rather than "12:00 AM (end of day)", which made both
# selects of a range about 195 px wide and pushed the closing time out of the card on a 390 px phone.
_CHOICES_12H = [[time, _twelve_hour(time) if time != "24:00" else "Midnight"] for time in TIMES]


def _time_input(state, day_index, range_index, which: str, value, label) -> rx.Component:
    """A select of quarter hours rather than ``<input type=time>``, whose 12/24-hour display follows the browser,
    not the page: a French business gets 24-hour times everywhere. A stored time off the quarter hours stays
    selectable."""
    return rx.el.select(
        rx.cond(
            rx.Var.create(TIMES).contains(value),
            rx.fragment(),
            rx.el.option(value, value=value),
        ),
        rx.foreach(
            rx.cond(AuthState.clock_12h, _CHOICES_12H, _CHOICES_24H),
            lambda choice: rx.el.option(choice[1], value=choice[0]),
        ),
        value=value,
        on_change=lambda v: state.set_range_time(day_index, range_index, which, v),
        aria_label=label,
        style=_SELECT_STYLE,
    )


def _range_row(state, day, day_index, item, range_index, multi: bool) -> rx.Component:
    return rx.hstack(
        _time_input(state, day_index, range_index, "open", item.open, t("aform.open") + " " + t(f"day.{day}")),
        rx.text(t("aform.to"), size="2", color_scheme="gray"),
        _time_input(state, day_index, range_index, "close", item.close, t("aform.to") + " " + t(f"day.{day}")),
        rx.cond(
            range_index > 0,
            rx.icon_button(
                rx.icon("x", size=14),
                on_click=state.remove_range(day_index, range_index),
                variant="ghost",
                color_scheme="gray",
                size="1",
                aria_label=t("hours.remove_range"),
            ),
        )
        if multi
        else rx.fragment(),
        align="center",
        spacing="2",
    )


def _day_row(state, index: int, day_key: str, multi: bool) -> rx.Component:
    day = state.week[index]
    is_open = day.ranges.length() > 0
    return rx.flex(
        rx.hstack(
            rx.switch(
                checked=is_open,
                on_change=lambda value: state.toggle_day(index, value),
                aria_label=t(f"day.{day_key}"),
            ),
            rx.text(t(f"day.{day_key}"), size="2", weight="medium"),
            width="150px",
            min_width="150px",
            align="center",
            spacing="2",
        ),
        rx.cond(
            is_open,
            rx.flex(
                rx.foreach(day.ranges, lambda item, i: _range_row(state, day_key, index, item, i, multi)),
                rx.cond(
                    day.ranges.length() < MAX_RANGES,
                    rx.button(
                        rx.icon("plus", size=14),
                        t("hours.add_range"),
                        on_click=state.add_range(index),
                        variant="ghost",
                        size="1",
                    ),
                )
                if multi
                else rx.fragment(),
                direction="column",
                gap="6px",
                align="start",
            ),
            rx.text(t("aform.closed"), size="2", color_scheme="gray"),
        ),
        gap="8px",
        wrap="wrap",
        align="center",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def hours_editor(state, *, multi: bool = False) -> rx.Component:
    """The week of ``state`` (a ``HoursMixin`` state); ``multi`` allows several ranges per day."""
    return rx.vstack(
        rx.cond(
            state.week.length() == len(WEEKDAY_KEYS),
            rx.vstack(
                *[_day_row(state, i, key, multi) for i, key in enumerate(WEEKDAY_KEYS)], spacing="0", width="100%"
            ),
        ),
        rx.cond(
            state.hours_error != "",
            rx.text(state.hours_error, color_scheme="red", size="1", role="alert"),
        ),
        spacing="2",
        width="100%",
    )
