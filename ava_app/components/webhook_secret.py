"""The webhook-secret section of the Vapi card on /settings/integrations: its dates and a "replace" button."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import confirm_dialog
from ava_app.components.i18n import t
from ava_app.state.webhook_secret import WebhookSecretState


def webhook_secret_section(provider: rx.Var, row: rx.Var) -> rx.Component:
    """Shown in the Vapi card once the organisation saved its own Vapi key (mounting it loads the dates)."""
    return rx.cond((provider == "vapi") & row["configured"].to(bool), _section())


def _section() -> rx.Component:
    return rx.vstack(
        rx.separator(size="4"),
        rx.hstack(
            rx.icon("key-round", size=18, color=rx.color("gray", 10)),
            rx.text(t("webhook_secret.title"), weight="bold", size="3"),
            spacing="2",
            align="center",
        ),
        rx.text(t("webhook_secret.body"), size="2", color_scheme="gray"),
        rx.cond(
            WebhookSecretState.since != "",
            rx.text(t("webhook_secret.since"), " ", WebhookSecretState.since, size="2"),
        ),
        rx.cond(
            WebhookSecretState.previous_until != "",
            rx.callout(
                t("webhook_secret.previous_until") + " " + WebhookSecretState.previous_until,
                icon="clock",
                color_scheme="amber",
                size="1",
                role="status",
                width="100%",
            ),
        ),
        rx.button(
            t("webhook_secret.rotate"),
            type="button",
            variant="soft",
            color_scheme="amber",
            loading=WebhookSecretState.rotating,
            on_click=WebhookSecretState.ask_rotate,
        ),
        confirm_dialog(
            open=WebhookSecretState.confirm_open,
            title=t("webhook_secret.confirm_title"),
            body=t("webhook_secret.confirm_body"),
            confirm_label=t("webhook_secret.rotate"),
            on_confirm=WebhookSecretState.rotate_webhook_secret,
            on_cancel=WebhookSecretState.cancel_rotate,
        ),
        spacing="2",
        width="100%",
        on_mount=WebhookSecretState.load_webhook_secret,
    )
