"""/settings: the hub that leads to each settings page."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.auth import AuthState

SECTIONS = (
    ("settings.profile", "settings.profile_hint", routes.SETTINGS_PROFILE, "user-round"),
    ("settings.security", "settings.security_hint", routes.SETTINGS_SECURITY, "shield-check"),
    ("settings.team", "settings.team_hint", routes.SETTINGS_TEAM, "users"),
    ("business.hub_title", "business.hub_hint", routes.SETTINGS_BUSINESS, "globe"),
    ("settings.notifications", "settings.notifications_hint", routes.SETTINGS_NOTIFICATIONS, "bell"),
    ("settings.privacy", "settings.privacy_hint", routes.SETTINGS_PRIVACY, "eye-off"),
    ("settings.webhooks", "settings.webhooks_hint", routes.SETTINGS_WEBHOOKS, "webhook"),
    ("blocked.title", "blocked.hint", routes.SETTINGS_BLOCKED_CALLERS, "phone-off"),
    ("deliveries.title", "deliveries.hint", routes.SETTINGS_DELIVERIES, "send"),
)


def section_card(title_key: str, hint_key: str, href: str, icon: str) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.box(rx.icon(icon, size=20), color=rx.color("accent", 11), padding_top="2px"),
                rx.vstack(
                    rx.text(t(title_key), weight="bold", size="3"),
                    rx.text(t(hint_key), size="2", color_scheme="gray"),
                    spacing="1",
                ),
                spacing="3",
                align="start",
            ),
            width="100%",
            height="100%",
            _hover={"bg": rx.color("gray", 3)},
        ),
        href=href,
        underline="none",
        color="inherit",
        width="100%",
    )


def settings_page() -> rx.Component:
    billing = section_card("billing.title", "billing.hint", routes.SETTINGS_BILLING, "credit-card")
    audit = section_card("settings.audit", "settings.audit_hint", routes.SETTINGS_AUDIT, "scroll-text")
    keys = section_card("settings.api_keys", "settings.api_keys_hint", routes.SETTINGS_API_KEYS, "key-round")
    integrations = section_card(
        "settings.integrations", "settings.integrations_hint", routes.SETTINGS_INTEGRATIONS, "plug"
    )
    return app_layout(
        rx.grid(
            *[section_card(*section) for section in SECTIONS],
            rx.cond(AuthState.is_admin, billing),
            rx.cond(AuthState.is_admin, audit),
            rx.cond(AuthState.is_admin, integrations),
            rx.cond(AuthState.is_admin, keys),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        title_key="settings.title",
    )
