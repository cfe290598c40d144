"""The dashboard's setup checklist: a full card for a business with no calls yet, a compact one above the figures.

Each item says done or to do (icon and words, not colour alone) and links to the page where it is done; the email
item resends the confirmation instead, and the forwarding item offers "We give out the AVA number".
"""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.state.auth import AuthState
from ava_app.state.dashboard import DashboardState


def _status(item: rx.Var) -> rx.Component:
    # Icon and a spoken word: done or to do is not told by colour alone.
    return rx.box(
        rx.cond(
            item["done"],
            rx.icon("circle-check", size=20, color=rx.color("grass", 10)),
            rx.icon("circle", size=20, color=rx.color("gray", 8)),
        ),
        role="img",
        aria_label=rx.cond(item["done"], t("setup.done"), t("setup.todo")),
        flex_shrink="0",
        line_height="0",
    )


def _action(item: rx.Var) -> rx.Component:
    open_link = rx.link(
        rx.button(t("setup.open"), rx.icon("chevron-right", size=14), size="1", variant="soft"),
        href=item["href"],
    )
    return rx.cond(
        item["done"],
        rx.fragment(),
        rx.flex(
            rx.match(
                item["key"],
                (
                    "email_verified",
                    rx.button(
                        t("setup.resend"),
                        on_click=AuthState.resend_verification,
                        loading=AuthState.resend_busy,
                        size="1",
                        variant="soft",
                    ),
                ),
                (
                    "forwarding",
                    rx.fragment(
                        open_link,
                        rx.cond(
                            DashboardState.can_choose_reach,
                            rx.button(
                                t("setup.give_out_number"),
                                on_click=DashboardState.give_out_ava_number,
                                loading=DashboardState.setup_busy,
                                size="1",
                                variant="outline",
                            ),
                        ),
                    ),
                ),
                open_link,
            ),
            gap="8px",
            wrap="wrap",
        ),
    )


def _row(item: rx.Var) -> rx.Component:
    return rx.flex(
        _status(item),
        rx.vstack(
            rx.text(
                item["title"],
                weight="medium",
                size="2",
                color=rx.cond(item["done"], rx.color("gray", 11), rx.color("gray", 12)),
                text_decoration=rx.cond(item["done"], "line-through", "none"),
            ),
            rx.cond(item["done"], rx.fragment(), rx.text(item["hint"], size="1", color_scheme="gray")),
            _action(item),
            spacing="1",
            min_width="0",
            flex="1",
        ),
        gap="12px",
        align="start",
        width="100%",
        padding_y="8px",
        border_top=f"1px solid {rx.color('gray', 4)}",
        data_setup_item=item["key"],
        data_done=rx.cond(item["done"], "true", "false"),
    )


def _header(title_key: str) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(t(title_key), size="4"),
            rx.spacer(),
            rx.badge(DashboardState.setup_progress, variant="soft", size="2", id="setup-progress"),
            align="center",
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.progress(value=DashboardState.setup_percent, size="1", width="100%", aria_label=t("setup.title")),
        spacing="2",
        width="100%",
    )


def setup_checklist_card(*, compact: bool = False) -> rx.Component:
    """The checklist: every item (``compact``: only those to do, for a dashboard that already has calls)."""
    rows = rx.foreach(
        DashboardState.setup_items,
        (lambda item: rx.cond(item["done"], rx.fragment(), _row(item))) if compact else _row,
    )
    return rx.card(
        rx.vstack(
            _header("setup.compact_title" if compact else "setup.title"),
            rx.vstack(rows, spacing="0", width="100%"),
            rx.button(
                t("setup.dismiss"),
                on_click=DashboardState.dismiss_setup,
                variant="ghost",
                color_scheme="gray",
                size="1",
                disabled=DashboardState.setup_busy,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
        id="setup-checklist",
    )
