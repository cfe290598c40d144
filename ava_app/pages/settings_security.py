"""/settings/security: where the user is logged in, logging a device out, and the Google / Microsoft accounts
linked for sign-in."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import confirm_dialog
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.settings import SecurityState
from ava_app.state.sign_in_providers import LinkedAccountsState


def linked_account_row(row: dict) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(row["label"], weight="bold", size="3"),
                rx.text(row["status"], size="2", color_scheme="gray", overflow_wrap="anywhere"),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.cond(
                row["linked"],
                rx.button(
                    t("security.provider_unlink"),
                    variant="soft",
                    color_scheme="red",
                    on_click=LinkedAccountsState.unlink(row["provider"]),
                    aria_label=t("security.provider_unlink") + " " + row["label"].to(str),
                ),
                rx.cond(
                    row["can_link"],
                    rx.button(
                        rx.el.a(
                            t("security.provider_link"),
                            href=row["link_href"],
                            custom_attrs={"reloadDocument": True},  # a document load: the route redirects
                        ),
                        as_child=True,
                        variant="soft",
                        aria_label=t("security.provider_link") + " " + row["label"].to(str),
                    ),
                ),
            ),
            gap="12px",
            align="center",
            justify="between",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def linked_accounts() -> rx.Component:
    """Google and Microsoft accounts that sign in to this AVA account (only when one is offered or linked)."""
    return rx.cond(
        LinkedAccountsState.linked.length() > 0,
        rx.vstack(
            rx.heading(t("security.providers_title"), size="4", as_="h2"),
            rx.text(t("security.providers_subtitle"), color_scheme="gray", size="2"),
            rx.foreach(LinkedAccountsState.linked, linked_account_row),
            spacing="3",
            width="100%",
            max_width="800px",
        ),
    )


def session_row(row: dict) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.icon("monitor-smartphone", size=20, color=rx.color("gray", 10), flex_shrink="0"),
                rx.vstack(
                    rx.hstack(
                        rx.text(row["device"], weight="bold", size="3", title=row["user_agent"]),
                        rx.cond(row["current"], rx.badge(t("security.this_device"), color_scheme="green")),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    rx.text(
                        t("security.ip"),
                        " ",
                        row["ip"],
                        " · ",
                        t("security.last_seen"),
                        " ",
                        row["last_seen"],
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    min_width="0",
                ),
                spacing="3",
                align="start",
                flex="1",
                min_width="0",
            ),
            rx.button(
                t("security.revoke"),
                variant="soft",
                color_scheme="red",
                on_click=SecurityState.ask_revoke(row["id"], row["current"]),
                aria_label=t("security.revoke") + " " + row["device"].to(str),
            ),
            gap="12px",
            align="center",
            justify="between",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def security_page() -> rx.Component:
    return app_layout(
        rx.heading(t("security.sessions_title"), size="4", as_="h2"),
        rx.text(t("security.subtitle"), color_scheme="gray", size="2"),
        rx.cond(
            SecurityState.loaded,
            rx.vstack(rx.foreach(SecurityState.sessions, session_row), spacing="3", width="100%", max_width="800px"),
            rx.spinner(),
        ),
        linked_accounts(),
        confirm_dialog(
            open=SecurityState.confirm_session_id != 0,
            title=t("security.confirm_title"),
            body=rx.cond(SecurityState.confirm_current, t("security.confirm_current"), t("security.confirm_body")),
            confirm_label=t("security.revoke"),
            on_confirm=SecurityState.revoke,
            on_cancel=SecurityState.cancel_revoke,
        ),
        title_key="settings.security",
        back=("settings.title", routes.SETTINGS),
    )
