"""/settings/audit: who did what and when in the organisation (admins only), a page at a time."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.i18n import CATALOGUES
from ava_app.services.audit import ACTIONS
from ava_app.state.settings import AuditState


def action_label(action: rx.Var) -> rx.Component:
    # Actions added later without a label yet show their code rather than breaking the page.
    labelled = [name for name in ACTIONS if f"audit.action.{name}" in CATALOGUES["en"]]
    return rx.match(action, *[(name, t(f"audit.action.{name}")) for name in labelled], action)


def entry_row(entry: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(action_label(entry["action"])),
        rx.table.cell(rx.text(entry["who"], overflow_wrap="anywhere")),
        rx.table.cell(rx.text(entry["detail"], size="2", overflow_wrap="anywhere")),
        rx.table.cell(entry["when"], white_space="nowrap"),
        rx.table.cell(entry["ip"]),
    )


def audit_table() -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("audit.action")),
                        rx.table.column_header_cell(t("audit.who")),
                        rx.table.column_header_cell(t("audit.detail")),
                        rx.table.column_header_cell(t("audit.when")),
                        rx.table.column_header_cell(t("audit.ip")),
                    )
                ),
                rx.table.body(rx.foreach(AuditState.entries, entry_row)),
                variant="surface",
                width="100%",
                # Phones scroll the table sideways rather than squeezing an email into one letter per line.
                min_width="820px",
            ),
            width="100%",
            overflow_x="auto",
        ),
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=16),
                t("common.previous"),
                variant="soft",
                on_click=AuditState.previous_page,
                disabled=AuditState.page <= 1,
            ),
            rx.text(t("audit.page"), " ", AuditState.page, size="2"),
            rx.button(
                t("common.next"),
                rx.icon("chevron-right", size=16),
                variant="soft",
                on_click=AuditState.next_page,
                disabled=~AuditState.has_next,
            ),
            spacing="3",
            align="center",
        ),
        spacing="3",
        width="100%",
    )


def audit_page() -> rx.Component:
    return app_layout(
        rx.cond(
            AuditState.refused != "",
            rx.callout(AuditState.refused, icon="lock", color_scheme="gray", width="100%"),
            rx.cond(
                AuditState.loaded,
                rx.cond(
                    AuditState.entries.length() > 0,
                    audit_table(),
                    rx.callout(t("audit.empty"), icon="scroll-text", width="100%"),
                ),
                rx.spinner(),
            ),
        ),
        title_key="settings.audit",
        back=("settings.title", routes.SETTINGS),
    )
