"""A week of opening hours: each day closed or open in one or more ranges (lunch and dinner, say)."""

from __future__ import annotations

import reflex as rx

from ava_app.components.date_time_input import time_select
from ava_app.components.i18n import t
from ava_app.services.business_hours import WEEKDAY_KEYS
from ava_app.state.hours import MAX_RANGES


def _time_input(state, day_index, range_index, which: str, value, label) -> rx.Component:
    """The opening or closing time of a range, in the business's clock (``date_time_input.time_select``)."""
    return time_select(
        value,
        lambda v: state.set_range_time(day_index, range_index, which, v),
        label=label,
        end_of_day=True,
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
