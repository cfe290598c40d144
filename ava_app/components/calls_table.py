"""The calls list: a table on wide screens (who called and a one-line summary first), cards on phones, both from the
same plain row dicts."""

from __future__ import annotations

import reflex as rx

from ava_app.components.call_rows import outcome_badge, test_badge
from ava_app.components.i18n import t


def action_badge(action: rx.Var) -> rx.Component:
    return rx.match(
        action,
        ("open", rx.badge(rx.icon("flag", size=12), t("calls.action_open"), color_scheme="orange", variant="soft")),
        ("done", rx.badge(rx.icon("check", size=12), t("calls.action_done"), color_scheme="gray", variant="soft")),
        rx.fragment(),
    )


def sentiment_badge(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["sentiment"] != "",
        rx.badge(row["sentiment"], color_scheme=row["sentiment_color"], variant="outline", radius="full"),
    )


def sort_header(label_key: str, key: str, state) -> rx.Component:
    """A column header that sorts by ``key`` (again: flips the direction), with the current direction shown."""
    active = state.sort == key
    return rx.table.column_header_cell(
        rx.button(
            t(label_key),
            rx.cond(
                active,
                rx.cond(state.direction == "desc", rx.icon("arrow-down", size=14), rx.icon("arrow-up", size=14)),
                rx.icon("arrow-up-down", size=14, opacity="0.4"),
            ),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=state.sort_by(key),
        ),
        aria_sort=rx.cond(active, rx.cond(state.direction == "desc", "descending", "ascending"), "none"),
    )


def row_checkbox(row: rx.Var, state) -> rx.Component:
    return rx.checkbox(
        checked=state.selected.contains(row["id"]),
        on_change=lambda checked: state.toggle_row(row["id"], checked),
        aria_label=t("calls.select_row"),
    )


def caller_cell(row: rx.Var) -> rx.Component:
    """The caller's name when the call captured it (the number under it), else the number; test calls marked."""
    return rx.vstack(
        rx.hstack(
            rx.text(row["caller"], weight="medium", white_space="nowrap"),
            test_badge(row["is_test"]),
            spacing="2",
            align="center",
        ),
        rx.cond(
            row["number"] != "",
            rx.text(row["number"], size="1", color_scheme="gray", white_space="nowrap", class_name="tabular"),
        ),
        spacing="0",
    )


def table_row(row: rx.Var, state) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row_checkbox(row, state)),
        rx.table.row_header_cell(
            rx.link(row["when"], href=row["href"], weight="medium", white_space="nowrap", class_name="tabular")
        ),
        rx.table.cell(caller_cell(row)),
        rx.table.cell(
            # One line, cut with an ellipsis; the whole summary is on the call's page (and in the tooltip).
            rx.text(
                row["summary"],
                color_scheme="gray",
                white_space="nowrap",
                overflow="hidden",
                text_overflow="ellipsis",
                title=row["summary"],
            ),
            max_width="0",
            width="100%",
        ),
        rx.table.cell(rx.text(row["duration"], white_space="nowrap", class_name="tabular")),
        rx.table.cell(outcome_badge(row["outcome"], row["outcome_color"])),
        rx.table.cell(action_badge(row["action"])),
        align="center",
        _hover={"bg": rx.color("gray", 2)},
    )


def calls_table(state) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(
                    rx.checkbox(
                        checked=state.all_selected, on_change=state.toggle_all, aria_label=t("calls.select_all")
                    ),
                    width="36px",
                ),
                sort_header("calls.col_when", "date", state),
                rx.table.column_header_cell(t("calls.col_caller")),
                rx.table.column_header_cell(t("calls.col_summary")),
                sort_header("calls.col_duration", "duration", state),
                rx.table.column_header_cell(t("calls.col_outcome")),
                rx.table.column_header_cell(t("calls.col_action")),
            )
        ),
        rx.table.body(rx.foreach(state.rows, lambda row: table_row(row, state))),
        variant="surface",
        size="2",
        width="100%",
    )


def call_card(row: rx.Var, state) -> rx.Component:
    """A call on a phone: who and when, outcome and duration, the summary line; the card opens the call."""
    return rx.card(
        rx.hstack(
            row_checkbox(row, state),
            rx.link(
                rx.vstack(
                    rx.hstack(
                        rx.text(row["caller"], weight="bold", size="2"),
                        rx.cond(row["number"] != "", rx.text(row["number"], size="1", color_scheme="gray")),
                        test_badge(row["is_test"]),
                        rx.spacer(),
                        rx.text(row["when"], size="1", color_scheme="gray", class_name="tabular"),
                        width="100%",
                        align="center",
                    ),
                    rx.hstack(
                        outcome_badge(row["outcome"], row["outcome_color"]),
                        rx.text(row["duration"], size="1", color_scheme="gray"),
                        sentiment_badge(row),
                        action_badge(row["action"]),
                        spacing="2",
                        wrap="wrap",
                        align="center",
                    ),
                    rx.text(row["summary"], size="2", color_scheme="gray", class_name="line-clamp-2"),
                    spacing="2",
                    width="100%",
                ),
                href=row["href"],
                underline="none",
                color="inherit",
                flex="1",
                min_width="0",
            ),
            align="start",
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def calls_cards(state) -> rx.Component:
    return rx.vstack(rx.foreach(state.rows, lambda row: call_card(row, state)), spacing="2", width="100%")
