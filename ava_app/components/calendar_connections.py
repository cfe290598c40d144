"""The "Calendar" section of /settings/integrations: connect Google or Microsoft 365, see the account, disconnect."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import confirm_dialog
from ava_app.components.i18n import t
from ava_app.state.calendars import CalendarState


def calendar_section(then: str = "") -> rx.Component:
    """Shown to admins; mounting it loads the connections and the outcome of a connection just made.

    ``then`` names the page the provider's answer comes back to ("onboarding"; the settings page by default)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("calendar-days", size=20, color=rx.color("accent", 10)),
                rx.heading(t("calendar.title"), size="4", as_="h2"),
                spacing="2",
                align="center",
            ),
            rx.text(t("calendar.subtitle"), size="2", color_scheme="gray"),
            rx.cond(
                CalendarState.notice != "",
                rx.callout(
                    CalendarState.notice, icon="circle-check", color_scheme="green", role="status", width="100%"
                ),
            ),
            rx.cond(
                CalendarState.failure != "",
                rx.callout(CalendarState.failure, icon="circle-x", color_scheme="red", role="alert", width="100%"),
            ),
            rx.grid(
                rx.foreach(CalendarState.calendars, lambda row: _provider_row(row, then)),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            confirm_dialog(
                open=CalendarState.confirm_provider != "",
                title=t("calendar.confirm_title"),
                body=t("calendar.confirm_body"),
                confirm_label=t("calendar.disconnect"),
                on_confirm=CalendarState.disconnect,
                on_cancel=CalendarState.cancel_disconnect,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        on_mount=CalendarState.load_calendars,
        aria_label=t("calendar.title"),
        role="region",
    )


def _connect_button(row: rx.Var, label: rx.Var, then: str = "") -> rx.Component:
    # The browser leaves AVA for the connect route, then the provider's consent page (a full page load).
    return rx.button(label, type="button", on_click=CalendarState.connect(row["provider"].to(str), then))


def _provider_row(row: rx.Var, then: str = "") -> rx.Component:
    provider = row["provider"].to(str)
    connect_label = rx.cond(provider == "google", t("calendar.connect_google"), t("calendar.connect_microsoft"))
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(row["name"].to(str), weight="bold", size="3"),
                rx.spacer(),
                rx.cond(
                    row["connected"].to(bool),
                    rx.cond(
                        row["broken"].to(bool),
                        rx.badge(t("calendar.broken"), color_scheme="red"),
                        rx.badge(t("calendar.connected"), color_scheme="green"),
                    ),
                    rx.badge(t("calendar.not_connected"), color_scheme="gray"),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                row["connected"].to(bool),
                rx.vstack(
                    rx.text(
                        t("calendar.account"),
                        " ",
                        rx.text.strong(row["account_email"].to(str)),
                        size="2",
                        style={"overflowWrap": "anywhere"},
                    ),
                    rx.text(t("calendar.since"), " ", row["since"].to(str), size="1", color_scheme="gray"),
                    rx.cond(
                        row["broken"].to(bool),
                        rx.callout(
                            t("calendar.broken_body"), icon="triangle-alert", color_scheme="red", size="1", width="100%"
                        ),
                    ),
                    rx.hstack(
                        rx.cond(
                            row["broken"].to(bool),
                            rx.button(
                                t("calendar.reconnect"), type="button", on_click=CalendarState.connect(provider, then)
                            ),
                        ),
                        rx.button(
                            t("calendar.disconnect"),
                            type="button",
                            variant="soft",
                            color_scheme="red",
                            loading=CalendarState.disconnecting,
                            on_click=CalendarState.ask_disconnect(provider),
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.cond(
                    row["available"].to(bool),
                    _connect_button(row, connect_label, then),
                    rx.text(t("calendar.not_available"), size="2", color_scheme="gray"),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        padding="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        width="100%",
    )
