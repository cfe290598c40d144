"""/settings/business: the business's country, time zone, language and currency (admins edit, members read)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.business_region import region_form, region_load_failed, region_loading, region_read_only
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.business import BusinessRegionState
from ava_app.state.text_back import TextBackState

S = BusinessRegionState


def _text_back_switch(key: str, checked, on_change) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.switch(
                checked=checked,
                on_change=on_change,
                id=f"text-back-{key}",
                disabled=~TextBackState.text_back_can_edit | TextBackState.text_back_busy,
            ),
            rx.vstack(
                rx.text(t(f"text_back.{key}"), size="2", weight="medium"),
                rx.text(t(f"text_back.{key}_help"), size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="start",
            spacing="3",
        ),
        html_for=f"text-back-{key}",
    )


def text_back_card() -> rx.Component:
    """Texts to callers the business could not help: after a missed call, after hours."""
    return rx.card(
        rx.vstack(
            rx.heading(t("text_back.title"), size="4", as_="h2"),
            rx.text(t("text_back.intro"), size="2", color_scheme="gray"),
            _text_back_switch("missed", TextBackState.text_back_missed, TextBackState.set_text_back_missed),
            _text_back_switch(
                "after_hours", TextBackState.text_back_after_hours, TextBackState.set_text_back_after_hours
            ),
            rx.cond(
                TextBackState.text_back_loaded & ~TextBackState.text_back_can_edit,
                rx.text(t("text_back.admins_only"), size="1", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="640px",
        role="region",
        aria_label=t("text_back.title"),
    )


def business_page() -> rx.Component:
    return app_layout(
        rx.card(
            rx.vstack(
                rx.text(t("business.intro"), size="2", color_scheme="gray"),
                rx.cond(
                    S.load_failed,
                    region_load_failed(),
                    rx.cond(
                        S.loaded,
                        rx.vstack(
                            rx.text(S.summary, id="business-summary", size="3", weight="medium"),
                            rx.cond(S.can_edit, region_form(), region_read_only()),
                            spacing="4",
                            width="100%",
                        ),
                        region_loading(),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            width="100%",
            max_width="640px",
        ),
        text_back_card(),
        title_key="business.title",
        back=("settings.title", routes.SETTINGS),
    )
