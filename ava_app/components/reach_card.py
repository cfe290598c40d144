"""The dashboard's "How calls reach AVA" card: the AVA number large, a call to try it, whether the existing line's
forwarding is confirmed, and the way to the instructions; a warning instead while the organisation has no number.

It loads its own state when it mounts, so the dashboard only places it."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.reach import MONO
from ava_app.state.reach import ReachState

S = ReachState
INSTRUCTIONS = f"{routes.PHONE_NUMBERS}#reach"


def _with_number() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t("reach.card.title"), size="2", color_scheme="gray", weight="medium"),
                rx.text(S.number_display, size=rx.breakpoints(initial="6", sm="7"), weight="bold", style=MONO),
                rx.hstack(
                    rx.cond(
                        S.confirmed,
                        rx.icon("circle-check", size=16, color=rx.color("green", 10)),
                        rx.icon("circle-dashed", size=16, color=rx.color("gray", 10)),
                    ),
                    rx.text(S.forward_status, size="2"),
                    align="center",
                    spacing="2",
                ),
                spacing="1",
                flex="1",
                min_width="220px",
            ),
            rx.flex(
                rx.link(
                    rx.button(rx.icon("phone-outgoing", size=16), t("reach.card.call"), variant="soft"),
                    href=S.number_tel,
                ),
                rx.link(t("reach.card.instructions"), href=INSTRUCTIONS, size="2"),
                direction="column",
                gap="8px",
                align="start",
            ),
            gap="12px",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        width="100%",
        id="reach-card",
    )


def _no_number() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("phone-off")),
        rx.vstack(
            rx.text(t("reach.card.no_number"), weight="bold"),
            rx.link(rx.button(rx.icon("phone", size=16), t("reach.go_number")), href=routes.PHONE_NUMBERS),
            spacing="2",
        ),
        color_scheme="amber",
        role="alert",
        width="100%",
        id="reach-card",
    )


def reach_card() -> rx.Component:
    """The card, or the no-number warning; nothing until the state is loaded."""
    return rx.box(
        rx.cond(S.reach_loaded, rx.cond(S.has_number, _with_number(), _no_number())),
        on_mount=S.load_reach,
        width="100%",
    )
