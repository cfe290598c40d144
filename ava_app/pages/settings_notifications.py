"""/settings/notifications: per-call email (every call, only those needing action, never), the daily digest, and
texts to the member's confirmed mobile with quiet hours."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.date_time_input import time_select
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


def sms_choice() -> rx.Component:
    """Texts to the member's own mobile: which calls, and quiet hours; a link to confirm a mobile when none is."""
    no_phone = NotificationsState.sms_phone == ""
    return rx.vstack(
        rx.heading(t("notify.sms"), size="3", as_="h2", id="notify-sms-title"),
        rx.cond(
            no_phone,
            rx.text(
                t("notify.sms_no_phone"),
                " ",
                rx.link(t("notify.sms_confirm_phone"), href=routes.SETTINGS_PROFILE),
                size="1",
                color_scheme="gray",
            ),
            rx.text(t("notify.sms_to"), " ", NotificationsState.sms_phone, size="1", color_scheme="gray"),
        ),
        rx.select.root(
            rx.select.trigger(id="notify-sms", aria_labelledby="notify-sms-title"),
            rx.select.content(
                rx.select.item(t("notify.sms.never"), value="never"),
                rx.select.item(t("notify.sms.action"), value="action"),
                rx.select.item(t("notify.sms.every"), value="every"),
            ),
            value=NotificationsState.sms,
            on_change=NotificationsState.set_sms,
            disabled=no_phone,
        ),
        rx.cond(
            NotificationsState.sms != "never",
            rx.flex(
                rx.el.label(
                    rx.text(t("notify.quiet_from"), size="1"),
                    time_select(
                        NotificationsState.quiet_from,
                        NotificationsState.set_quiet_from,
                        label=t("notify.quiet_from"),
                        id="notify-quiet-from",
                        optional=True,
                    ),
                ),
                rx.el.label(
                    rx.text(t("notify.quiet_until"), size="1"),
                    time_select(
                        NotificationsState.quiet_until,
                        NotificationsState.set_quiet_until,
                        label=t("notify.quiet_until"),
                        id="notify-quiet-until",
                        optional=True,
                    ),
                ),
                rx.text(t("notify.quiet_hint"), size="1", color_scheme="gray", width="100%"),
                gap="12px",
                wrap="wrap",
                align="end",
            ),
        ),
        spacing="2",
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
            sms_choice(),
            rx.cond(
                NotificationsState.notify_error != "",
                rx.callout(NotificationsState.notify_error, icon="triangle-alert", color_scheme="red", width="100%"),
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
