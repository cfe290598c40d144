"""Page frames: the signed-in shell (sidebar, top bar) and the centred public layout."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.i18n import LANGUAGES
from ava_app.state.auth import AuthState
from ava_app.state.i18n import I18nState

NAV_ITEMS = (
    ("nav.dashboard", "/dashboard", "layout-dashboard"),
    ("nav.calls", "/calls", "phone-call"),
    ("nav.phone_numbers", "/phone-numbers", "hash"),
    ("nav.assistant", "/assistant", "bot"),
    ("nav.settings", "/settings", "settings"),
)


def brand() -> rx.Component:
    return rx.hstack(
        rx.box(
            rx.icon("audio-lines", size=20, color="white"), bg=rx.color("accent", 9), padding="6px", border_radius="8px"
        ),
        rx.heading("AVA", size="5", weight="bold"),
        align="center",
        spacing="2",
    )


def language_switch() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t("shell.language"), variant="ghost"),
        rx.select.content(*[rx.select.item(label, value=code) for code, label in LANGUAGES.items()]),
        value=rx.cond(I18nState.lang == "", "en", I18nState.lang),
        on_change=I18nState.set_language,
        size="2",
    )


def theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        aria_label=t("shell.theme"),
        title=t("shell.theme"),
    )


def nav_link(key: str, href: str, icon: str) -> rx.Component:
    active = rx.State.router.page.path == href
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(t(key), size="3"), spacing="3", align="center"),
        href=href,
        underline="none",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
        bg=rx.cond(active, rx.color("accent", 3), "transparent"),
        padding="8px 12px",
        border_radius="8px",
        width="100%",
        _hover={"bg": rx.color("gray", 3)},
        aria_current=rx.cond(active, "page", ""),
    )


def nav_links() -> rx.Component:
    links = [nav_link(*item) for item in NAV_ITEMS]
    links.append(rx.cond(AuthState.sandbox, nav_link("nav.outbox", "/dev/outbox", "inbox"), rx.fragment()))
    return rx.vstack(*links, spacing="1", width="100%")


# Radix's Box sets display itself, so responsive show/hide wrappers are plain divs.


def sidebar() -> rx.Component:
    return rx.el.div(
        rx.vstack(brand(), rx.divider(), nav_links(), spacing="4", padding="16px", width="100%"),
        display=["none", "none", "block"],
        width="240px",
        min_width="240px",
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        bg=rx.color("gray", 2),
    )


def mobile_menu() -> rx.Component:
    return rx.el.div(
        rx.drawer.root(
            rx.drawer.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label=t("nav.menu"))),
            rx.drawer.overlay(z_index="50"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(brand(), rx.divider(), nav_links(), spacing="4", padding="16px", width="100%"),
                    width="260px",
                    height="100%",
                    bg=rx.color("gray", 1),
                    z_index="60",
                )
            ),
            direction="left",
        ),
        display=["block", "block", "none"],
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("circle-user-round"), variant="soft", radius="full", aria_label=t("shell.user_menu"))
        ),
        rx.menu.content(
            rx.box(
                rx.text(AuthState.user_name, weight="bold", size="2"),
                rx.text(AuthState.user_email, size="1", color_scheme="gray"),
                padding="4px 8px 8px",
            ),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=16), t("shell.logout"), on_select=AuthState.logout),
        ),
    )


def top_bar() -> rx.Component:
    return rx.hstack(
        mobile_menu(),
        rx.hstack(
            rx.icon("building-2", size=18, color=rx.color("gray", 10), flex_shrink="0"),
            rx.text(AuthState.tenant_name, weight="medium", size="3", truncate=True),
            align="center",
            spacing="2",
            flex="1",
            min_width="0",
            aria_label=t("shell.organisation"),
        ),
        rx.el.div(
            rx.cond(
                AuthState.sandbox, rx.badge(t("shell.sandbox"), color_scheme="amber", title=t("shell.sandbox_hint"))
            ),
            display=["none", "none", "block"],
        ),
        language_switch(),
        theme_toggle(),
        user_menu(),
        align="center",
        spacing="3",
        padding=["10px 12px", "10px 12px", "10px 20px"],
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        position="sticky",
        top="0",
        bg=rx.color("gray", 1),
        z_index="10",
    )


def app_layout(*children: rx.Component, title_key: str) -> rx.Component:
    """The signed-in frame: sidebar on desktop, drawer on mobile, top bar, then the page."""
    return rx.hstack(
        sidebar(),
        rx.vstack(
            top_bar(),
            rx.vstack(
                rx.heading(t(title_key), size="7"),
                *children,
                spacing="5",
                padding=["16px", "20px", "32px"],
                width="100%",
                max_width="1200px",
            ),
            spacing="0",
            width="100%",
            min_width="0",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def public_layout(*children: rx.Component, max_width: str = "440px") -> rx.Component:
    """The frame of public pages: brand, a centred card, language and theme switches."""
    return rx.box(
        rx.hstack(brand(), rx.spacer(), language_switch(), theme_toggle(), padding="16px 20px", align="center"),
        rx.center(
            rx.card(rx.vstack(*children, spacing="4", width="100%"), size="4", width="100%", max_width=max_width),
            padding="16px",
            min_height="calc(100vh - 80px)",
        ),
        min_height="100vh",
        bg=rx.color("gray", 2),
    )
