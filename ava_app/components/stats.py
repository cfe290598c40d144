"""Figure cards of the dashboard: a label, a big number, and a line of context (trend, share, hint).

A figure is written with no-break spaces ("1 234,56 €"), so on a phone a long one is wider than its card, which
clips it: ``FIGURE_WRAP`` lets it break anywhere instead of losing its end.
"""

from __future__ import annotations

import reflex as rx

FIGURE_WRAP = {"overflow_wrap": "anywhere"}


def stat_card(label: rx.Var | str, value: rx.Var | str, *extra: rx.Component, icon: str = "") -> rx.Component:
    """One KPI: ``label`` above ``value``; ``extra`` lines below it."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(icon, size=16, color=rx.color("gray", 10)) if icon else rx.fragment(),
                rx.text(label, size="2", color_scheme="gray", weight="medium"),
                spacing="2",
                align="center",
            ),
            rx.text(value, size="7", weight="bold", class_name="kpi-value", **FIGURE_WRAP),
            *extra,
            spacing="1",
            min_width="0",
        ),
        width="100%",
        min_width="0",
    )


def period_card(card: rx.Var) -> rx.Component:
    """Calls in today / this week / this month, with the change against the previous one (arrow and colour)."""
    color = rx.match(card["trend"], ("up", "grass"), ("down", "red"), "gray")
    return rx.card(
        rx.vstack(
            rx.text(card["label"], size="2", color_scheme="gray", weight="medium"),
            rx.text(card["value"], size="8", weight="bold", class_name="kpi-value", **FIGURE_WRAP),
            rx.hstack(
                rx.cond(
                    card["change"] != "",
                    rx.badge(
                        rx.match(
                            card["trend"],
                            ("up", rx.icon("trending-up", size=14)),
                            ("down", rx.icon("trending-down", size=14)),
                            rx.icon("minus", size=14),
                        ),
                        card["change"],
                        color_scheme=color,
                        variant="soft",
                    ),
                ),
                rx.text(card["versus"], size="1", color_scheme="gray"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            spacing="1",
            min_width="0",
        ),
        width="100%",
        min_width="0",
    )
