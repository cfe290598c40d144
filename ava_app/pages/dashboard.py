"""/dashboard: the day's calls at a glance."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.components.layout import app_layout


def dashboard_page() -> rx.Component:
    return app_layout(
        rx.callout(
            rx.vstack(rx.text(t("dashboard.empty_title"), weight="bold"), rx.text(t("dashboard.empty_body"))),
            icon="phone-incoming",
            width="100%",
        ),
        title_key="dashboard.title",
    )
