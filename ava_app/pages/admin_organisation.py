"""/admin/organisations/[id]: one organisation, read-only, for the platform's support (no impersonation)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.support import SupportState

S = SupportState


def _table(headers: list[str], rows: rx.Var, cells) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t(key)) for key in headers])),
            rx.table.body(rx.foreach(rows, lambda row: rx.table.row(*cells(row)))),
            width="100%",
            size="1",
        ),
        overflow_x="auto",
        width="100%",
    )


def profile_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(S.org["name"], size="5", as_="h2", overflow_wrap="anywhere"),
                rx.badge(S.org["status"], color_scheme=S.org["color"].to(str)),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(S.org["reason"] != "", rx.text(S.org["reason"], size="2", color_scheme="red")),
            rx.text(t("support.plan"), ": ", S.org["plan"], size="2"),
            rx.text(S.org["region"], size="2", color_scheme="gray"),
            rx.text(t("support.created"), " ", S.org["created"], size="2", color_scheme="gray"),
            rx.text(S.org["calls"], size="2"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def section(title_key: str, content: rx.Component, empty_key: str, rows: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title_key), size="4", as_="h2"),
        rx.cond(rows.length() > 0, content, rx.text(t(empty_key), size="2", color_scheme="gray")),
        spacing="2",
        width="100%",
    )


def admin_organisation_page() -> rx.Component:
    return app_layout(
        rx.cond(
            S.support_loaded,
            rx.cond(
                S.support_refused != "",
                rx.callout(S.support_refused, icon="shield-alert", color_scheme="red", width="100%"),
                rx.vstack(
                    rx.callout(t("support.read_only"), icon="eye", color_scheme="gray", width="100%"),
                    profile_card(),
                    section(
                        "support.members",
                        _table(
                            ["support.email", "support.role"],
                            S.members,
                            lambda row: [
                                rx.table.cell(rx.text(row["email"], overflow_wrap="anywhere")),
                                rx.table.cell(row["role"]),
                            ],
                        ),
                        "support.no_members",
                        S.members,
                    ),
                    section(
                        "support.numbers",
                        _table(
                            ["support.number", "support.number_status"],
                            S.numbers,
                            lambda row: [
                                rx.table.cell(row["number"], class_name="tabular"),
                                rx.table.cell(row["status"]),
                            ],
                        ),
                        "support.no_numbers",
                        S.numbers,
                    ),
                    section(
                        "support.recent_calls",
                        _table(
                            ["support.when", "support.outcome", "support.duration", "support.summary", "support.email"],
                            S.recent_calls,
                            lambda row: [
                                rx.table.cell(rx.text(row["when"], white_space="nowrap"), class_name="tabular"),
                                rx.table.cell(row["outcome"]),
                                rx.table.cell(row["duration"], class_name="tabular"),
                                rx.table.cell(row["summary"]),
                                rx.table.cell(row["email"]),
                            ],
                        ),
                        "support.no_calls",
                        S.recent_calls,
                    ),
                    spacing="5",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
        ),
        title_key="support.title",
        back=("admin_usage.title", routes.ADMIN_USAGE),
    )
