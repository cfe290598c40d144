"""/settings/notifications: per-call email (every call, only those needing action, never), the daily digest, and
SMS for urgent calls shown as coming (AVA sends no texts to members yet)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.notifications import NotificationsState

PER_CALL = ("every", "action", "never")


def _choice(mode: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=mode, id=f"notify-{mode}"),
            rx.vstack(
                rx.text(t(f"notify.per_call.{mode}"), size="2", weight="medium"),
                rx.text(t(f"notify.per_call.{mode}_hint"), size="1", color_scheme="gray"),
                spacing="0",
            ),
            spacing="3",
            align="start",
        ),
        html_for=f"notify-{mode}",
        cursor="pointer",
    )


def per_call_choice() -> rx.Component:
    return rx.vstack(
        rx.heading(t("notify.per_call"), size="3", as_="h2", id="notify-per-call"),
        rx.radio_group.root(
            rx.vstack(*[_choice(mode) for mode in PER_CALL], spacing="3"),
            value=NotificationsState.per_call,
            on_change=NotificationsState.set_per_call,
            aria_labelledby="notify-per-call",
            name="per_call",
        ),
        spacing="3",
        width="100%",
    )


def switch_row(title_key: str, hint_key: str, control: rx.Component, *, badge: rx.Component | None = None):
    return rx.flex(
        rx.vstack(
            rx.hstack(rx.text(t(title_key), size="2", weight="medium"), badge or rx.fragment(), align="center"),
            rx.text(t(hint_key), size="1", color_scheme="gray"),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        control,
        gap="16px",
        align="center",
        width="100%",
    )


def notifications_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(NotificationsState.notify_intro, size="2", color_scheme="gray"),
            per_call_choice(),
            rx.separator(size="4"),
            switch_row(
                "notify.digest",
                "notify.digest_hint",
                rx.switch(
                    checked=NotificationsState.digest,
                    on_change=NotificationsState.set_digest,
                    id="notify-digest",
                    aria_label=t("notify.digest"),
                ),
            ),
            switch_row(
                "notify.sms",
                "notify.sms_hint",
                rx.switch(checked=False, disabled=True, id="notify-sms", aria_label=t("notify.sms")),
                badge=rx.badge(t("notify.sms_soon"), color_scheme="gray", variant="soft"),
            ),
            rx.button(
                t("notify.save"),
                on_click=NotificationsState.save_notifications,
                loading=NotificationsState.notify_busy,
                id="notify-save",
            ),
            spacing="4",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="640px",
    )


def notifications_page() -> rx.Component:
    return app_layout(
        rx.cond(
            NotificationsState.notify_loaded,
            notifications_form(),
            rx.cond(
                NotificationsState.notify_failed,
                rx.callout(t("notify.load_error"), icon="triangle-alert", color_scheme="red", max_width="640px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="48px"),
            ),
        ),
        title_key="notify.title",
        back=("settings.title", routes.SETTINGS),
    )
