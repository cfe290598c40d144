"""The "HubSpot" card of /settings/integrations: connect with OAuth or a private-app token, see the account,
reconnect when broken, disconnect with confirmation."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import confirm_dialog
from ava_app.components.i18n import t
from ava_app.state.crm import CrmState


def hubspot_card() -> rx.Component:
    """Shown to admins; mounting it loads the connection and the outcome of a connection just made."""
    row = CrmState.hubspot
    connected, broken = row["connected"].to(bool), row["broken"].to(bool)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("contact", size=20, color=rx.color("accent", 10)),
                rx.heading("HubSpot", size="4", as_="h2"),
                rx.spacer(),
                rx.cond(
                    connected,
                    rx.cond(
                        broken,
                        rx.badge(t("crm.broken"), color_scheme="red"),
                        rx.badge(t("crm.connected"), color_scheme="green"),
                    ),
                    rx.badge(t("crm.not_connected"), color_scheme="gray"),
                ),
                spacing="2",
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.text(t("crm.subtitle"), size="2", color_scheme="gray"),
            rx.cond(
                CrmState.notice != "",
                rx.callout(CrmState.notice, icon="circle-check", color_scheme="green", role="status", width="100%"),
            ),
            rx.cond(
                CrmState.failure != "",
                rx.callout(CrmState.failure, icon="circle-x", color_scheme="red", role="alert", width="100%"),
            ),
            rx.cond(connected, _connected_body(broken), _connect_body()),
            confirm_dialog(
                open=CrmState.confirm_disconnect,
                title=t("crm.confirm_title"),
                body=t("crm.confirm_body"),
                confirm_label=t("crm.disconnect"),
                on_confirm=CrmState.disconnect,
                on_cancel=CrmState.cancel_disconnect,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        on_mount=CrmState.load_crm,
        aria_label="HubSpot",
        role="region",
    )


def _connected_body(broken: rx.Var) -> rx.Component:
    row = CrmState.hubspot
    return rx.vstack(
        rx.text(
            t("crm.account"), " ", rx.text.strong(row["account"].to(str)), size="2", style={"overflowWrap": "anywhere"}
        ),
        rx.text(
            rx.cond(row["oauth"].to(bool), t("crm.via_oauth"), t("crm.via_token")),
            " · ",
            t("crm.since"),
            " ",
            row["since"].to(str),
            size="1",
            color_scheme="gray",
        ),
        rx.cond(broken, rx.callout(t("crm.broken_body"), icon="triangle-alert", color_scheme="red", size="1")),
        rx.cond(broken, _connect_body()),
        rx.button(
            t("crm.disconnect"),
            type="button",
            variant="soft",
            color_scheme="red",
            loading=CrmState.disconnecting,
            on_click=CrmState.ask_disconnect,
        ),
        spacing="2",
        width="100%",
    )


def _connect_body() -> rx.Component:
    return rx.vstack(
        rx.cond(
            CrmState.hubspot["oauth_available"].to(bool),
            rx.button(
                rx.cond(CrmState.hubspot["broken"].to(bool), t("crm.reconnect"), t("crm.connect_oauth")),
                type="button",
                on_click=CrmState.connect_oauth,
            ),
        ),
        rx.form(
            rx.vstack(
                rx.el.label(t("crm.token_label"), html_for="crm-token", style={"fontSize": "var(--font-size-2)"}),
                rx.hstack(
                    rx.input(
                        id="crm-token",
                        name="token",
                        type="password",
                        auto_complete="off",
                        placeholder="pat-…",
                        flex="1",
                        min_width="180px",
                        aria_invalid=rx.cond(CrmState.paste_error != "", "true", "false"),
                        aria_describedby=rx.cond(CrmState.paste_error != "", "crm-token-error", "crm-token-help"),
                    ),
                    rx.button(t("crm.save_token"), type="submit", variant="soft", loading=CrmState.saving),
                    width="100%",
                    wrap="wrap",
                ),
                rx.cond(
                    CrmState.paste_error != "",
                    rx.text(CrmState.paste_error, id="crm-token-error", size="1", color_scheme="red", role="alert"),
                    rx.text(t("crm.token_help"), id="crm-token-help", size="1", color_scheme="gray"),
                ),
                spacing="1",
                width="100%",
            ),
            on_submit=CrmState.save_token,
            reset_on_submit=False,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )
