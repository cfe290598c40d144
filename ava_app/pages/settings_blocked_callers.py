"""/settings/blocked-callers: numbers and prefixes whose calls get a short goodbye, and withheld numbers."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.pages.settings_notifications import switch_row
from ava_app.state.blocked_callers import BlockedCallersState as S


def withheld_card() -> rx.Component:
    return rx.card(
        switch_row(
            "blocked.withheld",
            "blocked.withheld_hint",
            rx.switch(
                checked=S.block_withheld,
                on_change=S.set_block_withheld,
                id="blocked-withheld",
                aria_label=t("blocked.withheld"),
                disabled=~S.can_write,
            ),
        ),
        width="100%",
        max_width="640px",
    )


def blocked_row(row: rx.Var) -> rx.Component:
    return rx.flex(
        rx.icon(rx.cond(row["prefix"], "asterisk", "phone-off"), size=16, color=rx.color("gray", 10)),
        rx.text(row["display"], size="2", weight="medium", class_name="tabular"),
        rx.cond(row["prefix"], rx.badge(t("blocked.prefix"), color_scheme="gray", variant="soft")),
        rx.spacer(),
        rx.cond(
            S.can_write,
            rx.button(
                t("blocked.remove"),
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=S.remove_blocked(row["value"]),
                aria_label=t("blocked.remove"),
            ),
        ),
        gap="8px",
        align="center",
        width="100%",
        padding_y="6px",
    )


def add_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.box(
                form_field(
                    "blocked.add_label",
                    id="blocked-new",
                    name="blocked",
                    hint_key="blocked.add_hint",
                    error=S.blocked_error,
                    value=S.new_blocked,
                    on_change=S.set_new_blocked,
                    placeholder="+1900",
                    input_mode="tel",
                ),
                flex="1",
                min_width="0",
            ),
            # Level with the input, under its label.
            rx.button(
                t("blocked.add"), type="submit", size="3", loading=S.blocked_busy, id="blocked-add", margin_top="28px"
            ),
            gap="8px",
            align="start",
            width="100%",
            wrap="wrap",
        ),
        on_submit=S.add_blocked,
        width="100%",
    )


def list_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("blocked.list"), size="3", as_="h2"),
            rx.text(t("blocked.list_hint"), size="2", color_scheme="gray"),
            rx.cond(S.can_write, add_form()),
            rx.cond(
                S.blocked_rows.length() > 0,
                rx.vstack(rx.foreach(S.blocked_rows, blocked_row), spacing="0", width="100%", id="blocked-list"),
                rx.text(t("blocked.empty"), size="2", color_scheme="gray"),
            ),
            rx.cond(~S.can_write, rx.callout(t("blocked.read_only"), icon="lock", color_scheme="gray", size="1")),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="640px",
    )


def blocked_callers_page() -> rx.Component:
    return app_layout(
        rx.cond(
            S.blocked_loaded,
            rx.vstack(withheld_card(), list_card(), spacing="5", width="100%"),
            rx.cond(
                S.blocked_failed,
                rx.callout(t("blocked.load_error"), icon="triangle-alert", color_scheme="red", max_width="640px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="blocked.title",
        back=("settings.title", routes.SETTINGS),
    )
