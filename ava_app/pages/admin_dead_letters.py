"""/admin/dead-letters: failed webhook events of every organisation, with a retry (platform admins only)."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.dead_letters import DeadLettersState


def retry_button(letter: dict) -> rx.Component:
    return rx.button(
        rx.icon("rotate-cw", size=14),
        t("dead_letters.retry"),
        size="1",
        variant="soft",
        loading=DeadLettersState.retrying == letter["id"],
        on_click=DeadLettersState.retry(letter["id"]),
    )


def letter_card(letter: dict) -> rx.Component:
    """A dead letter on a phone: whose, what, why, and the retry within reach."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(letter["tenant"], weight="bold", overflow_wrap="anywhere"),
                rx.spacer(),
                retry_button(letter),
                width="100%",
                align="center",
            ),
            rx.text(letter["type"], size="2"),
            rx.text(letter["error"], size="2", color_scheme="red", overflow_wrap="anywhere"),
            rx.text(
                t("dead_letters.attempts_prefix"),
                letter["attempts"],
                " · ",
                letter["received"],
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
    )


def letter_row(letter: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(letter["tenant"], overflow_wrap="anywhere")),
        rx.table.cell(rx.text(letter["type"], size="2")),
        rx.table.cell(rx.code(letter["call"], size="1", overflow_wrap="anywhere")),
        rx.table.cell(rx.text(letter["error"], size="2", color_scheme="red", overflow_wrap="anywhere")),
        rx.table.cell(letter["attempts"], text_align="right"),
        rx.table.cell(letter["received"], white_space="nowrap"),
        rx.table.cell(retry_button(letter)),
    )


def letters_table() -> rx.Component:
    header = [
        "dead_letters.tenant",
        "dead_letters.type",
        "dead_letters.call",
        "dead_letters.error",
        "dead_letters.attempts",
        "dead_letters.received",
    ]
    return rx.vstack(
        rx.el.div(
            rx.vstack(rx.foreach(DeadLettersState.letters, letter_card), spacing="2", width="100%"),
            display=["block", "block", "none"],
            width="100%",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(t(key)) for key in header],
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(DeadLettersState.letters, letter_row)),
                variant="surface",
                width="100%",
                min_width="980px",
            ),
            # Phones get the cards above; a narrow desktop window scrolls the table sideways.
            display=["none", "none", "block"],
            width="100%",
            overflow_x="auto",
        ),
        rx.cond(
            DeadLettersState.has_more,
            rx.button(t("dead_letters.more"), variant="soft", on_click=DeadLettersState.load_more),
        ),
        spacing="3",
        width="100%",
    )


def dead_letters_page() -> rx.Component:
    return app_layout(
        rx.cond(
            DeadLettersState.refused != "",
            rx.callout(DeadLettersState.refused, icon="lock", color_scheme="gray", width="100%"),
            rx.cond(
                DeadLettersState.loaded,
                rx.vstack(
                    rx.text(t("dead_letters.subtitle"), color_scheme="gray"),
                    rx.cond(
                        DeadLettersState.letters.length() > 0,
                        letters_table(),
                        rx.callout(t("dead_letters.empty"), icon="circle-check", color_scheme="green", width="100%"),
                    ),
                    spacing="4",
                    width="100%",
                ),
                rx.spinner(),
            ),
        ),
        title_key="dead_letters.title",
    )
