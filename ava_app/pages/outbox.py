"""/dev/outbox: what AVA sent in sandbox mode, with rendered HTML so links can be followed."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.components.layout import public_layout
from ava_app.state.outbox import OutboxState


def message_card(message: dict) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(rx.cond(message["channel"] == "sms", t("outbox.channel.sms"), t("outbox.channel.email"))),
                rx.text(message["to"], weight="medium"),
                rx.spacer(),
                rx.badge(
                    rx.match(
                        message["status"],
                        ("sent", t("outbox.status.sent")),
                        ("failed", t("outbox.status.failed")),
                        t("outbox.status.queued"),
                    ),
                    variant="soft",
                    color_scheme=rx.cond(message["status"] == "sent", "green", "gray"),
                ),
                rx.text(message["created_at"], size="1", color_scheme="gray"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.cond(message["subject"] != "", rx.heading(message["subject"], size="3")),
            rx.cond(
                message["body_html"] != "",
                rx.el.iframe(
                    src_doc=message["body_html"],
                    title=message["subject"],
                    sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation",
                    width="100%",
                    height="360px",
                    style={"border": "none", "background": "white", "border-radius": "8px"},
                ),
                rx.text(message["body_text"], white_space="pre-wrap"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def outbox_page() -> rx.Component:
    return public_layout(
        rx.heading(t("outbox.title"), size="6"),
        rx.text(t("outbox.subtitle"), color_scheme="gray"),
        rx.button(
            rx.icon("refresh-cw", size=16), t("outbox.refresh"), on_click=OutboxState.load_messages, variant="soft"
        ),
        rx.cond(
            OutboxState.refused,
            rx.callout(t("outbox.refused"), icon="lock", color_scheme="amber", role="alert"),
        ),
        rx.cond(
            OutboxState.messages.length() > 0,
            rx.vstack(rx.foreach(OutboxState.messages, message_card), spacing="3", width="100%"),
            rx.cond(
                OutboxState.loaded,
                rx.cond(OutboxState.refused, rx.fragment(), rx.callout(t("outbox.empty"), icon="inbox")),
                rx.spinner(),
            ),
        ),
        max_width="880px",
    )
