"""The industry cards (icon and name, "Other" last) of the wizard and of /assistant's presets."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.state.i18n import I18nState


def _card(item: dict, *, selected: rx.Var, busy: rx.Var, on_choose) -> rx.Component:
    is_selected = selected == item["key"]
    return rx.el.button(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.cond(busy == item["key"], rx.spinner(size="2"), rx.icon(item["icon"], size=22)),
                    width="40px",
                    height="40px",
                    border_radius="10px",
                    bg=rx.cond(is_selected, rx.color("accent", 9), rx.color("accent", 3)),
                    color=rx.cond(is_selected, "white", rx.color("accent", 11)),
                ),
                rx.spacer(),
                rx.cond(is_selected, rx.badge(rx.icon("check", size=12), t("industry_card.selected"))),
                width="100%",
                align="center",
            ),
            rx.text(
                rx.cond(I18nState.lang == "fr", item["label_fr"], item["label_en"]),
                size="2",
                weight="medium",
                text_align="left",
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        on_click=on_choose(item["key"]),
        aria_pressed=rx.cond(is_selected, "true", "false"),
        style={
            "padding": "14px",
            "borderRadius": "12px",
            "border": rx.cond(is_selected, f"2px solid {rx.color('accent', 9)}", f"1px solid {rx.color('gray', 5)}"),
            "background": rx.color("gray", 1),
            "cursor": "pointer",
            "width": "100%",
            "height": "100%",
            "color": "inherit",
        },
        _hover={"border_color": rx.color("accent", 8)},
    )


def industry_cards(items: rx.Var, *, selected: rx.Var, busy: rx.Var, on_choose) -> rx.Component:
    """``items``: dicts with key, icon, label_en, label_fr; ``on_choose(key)``: the event of a click."""
    return rx.grid(
        rx.foreach(items, lambda item: _card(item, selected=selected, busy=busy, on_choose=on_choose)),
        columns=rx.breakpoints(initial="2", sm="3", lg="4"),
        gap="12px",
        width="100%",
    )
