"""/settings/business: the business's country, time zone, language and currency (admins edit, members read)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.business_region import region_form, region_load_failed, region_loading, region_read_only
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.business import BusinessRegionState

S = BusinessRegionState


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
        title_key="business.title",
        back=("settings.title", routes.SETTINGS),
    )
