"""/settings/integrations: connect a calendar; bring your own Vapi, Twilio, OpenAI and SMTP accounts, with a test."""

from __future__ import annotations

import reflex as rx

from ava_app.components.calendar_connections import calendar_section
from ava_app.components.crm_connection import hubspot_card
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.components.webhook_secret import webhook_secret_section
from ava_app.state.integrations import IntegrationsState


def provider_field(provider: rx.Var, field: rx.Var) -> rx.Component:
    field_id = "integration-" + provider.to(str) + "-" + field.to(str)
    error = IntegrationsState.errors.get(provider.to(str), {}).get(field.to(str), "").to(str)
    return rx.vstack(
        rx.el.label(
            rx.match(
                field,
                ("api_key", t("integrations.field.api_key")),
                ("public_key", t("integrations.field.public_key")),
                ("account_sid", t("integrations.field.account_sid")),
                ("auth_token", t("integrations.field.auth_token")),
                ("host", t("integrations.field.host")),
                ("username", t("integrations.field.username")),
                ("password", t("integrations.field.password")),
                ("port", t("integrations.field.port")),
                ("tls", t("integrations.field.tls")),
                field,
            ),
            html_for=field_id,
            style={"fontSize": "var(--font-size-2)", "fontWeight": "500"},
        ),
        rx.input(
            id=field_id,
            name=field,
            type=rx.cond(
                (field == "host")
                | (field == "username")
                | (field == "account_sid")
                | (field == "public_key")
                | (field == "port")
                | (field == "tls"),
                "text",
                "password",
            ),
            auto_complete="off",
            placeholder=t("integrations.keep_saved"),
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=rx.cond(error != "", field_id + "-error", ""),
        ),
        rx.cond(error != "", rx.text(error, id=field_id + "-error", size="1", color_scheme="red", role="alert")),
        spacing="1",
        width="100%",
    )


def provider_card(row: rx.Var) -> rx.Component:
    provider = row["provider"].to(str)
    result = IntegrationsState.results.get(provider, {})
    return rx.card(
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.heading(
                        rx.match(
                            provider,
                            ("vapi", "Vapi"),
                            ("twilio", "Twilio"),
                            ("openai", "OpenAI"),
                            ("smtp", t("integrations.smtp")),
                            provider,
                        ),
                        size="4",
                    ),
                    rx.spacer(),
                    rx.cond(
                        row["configured"],
                        rx.badge(t("integrations.own") + " · " + row["hint"].to(str), color_scheme="green"),
                        rx.badge(t("integrations.platform"), color_scheme="gray"),
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    ~row["readable"].to(bool),
                    rx.callout(t("integrations.unreadable"), icon="triangle-alert", color_scheme="amber"),
                ),
                rx.el.input(type="hidden", name="provider", value=provider),
                rx.foreach(row["fields"].to(list[str]), lambda field: provider_field(provider, field)),
                rx.cond(
                    provider == "smtp",
                    rx.hstack(
                        provider_field(provider, rx.Var.create("port")),
                        provider_field(provider, rx.Var.create("tls")),
                        width="100%",
                    ),
                ),
                rx.cond(
                    result.contains("ok"),
                    rx.callout(
                        result["message"],
                        icon=rx.cond(result["ok"], "circle-check", "circle-x"),
                        color_scheme=rx.cond(result["ok"], "green", "red"),
                        role="status",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.button(t("integrations.save"), type="submit"),
                    rx.button(
                        t("integrations.test"),
                        type="button",
                        variant="soft",
                        loading=IntegrationsState.busy_provider == provider,
                        # A form posts only through its submit button, which saves; the test reads the same fields.
                        on_click=rx.call_script(
                            "Object.fromEntries(new FormData(document.getElementById('integration-form-"
                            + provider
                            + "')))",
                            callback=IntegrationsState.test,
                        ),
                    ),
                    rx.cond(
                        row["configured"],
                        rx.button(
                            t("integrations.remove"),
                            type="button",
                            variant="ghost",
                            color_scheme="red",
                            on_click=IntegrationsState.remove(provider),
                        ),
                    ),
                    spacing="3",
                    wrap="wrap",
                ),
                webhook_secret_section(provider, row),
                spacing="3",
                width="100%",
            ),
            id="integration-form-" + provider,
            on_submit=IntegrationsState.save,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def integrations_page() -> rx.Component:
    return app_layout(
        rx.text(t("integrations.subtitle"), color_scheme="gray"),
        rx.cond(
            IntegrationsState.is_admin,
            rx.vstack(
                calendar_section(),
                hubspot_card(),
                rx.grid(
                    rx.foreach(IntegrationsState.providers, provider_card),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            rx.callout(t("integrations.admins_only"), icon="lock"),
        ),
        title_key="integrations.title",
    )
