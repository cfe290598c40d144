"""Page frames: the signed-in shell (sidebar, top bar) and the centred public layout."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_field, select_field
from ava_app.components.i18n import t
from ava_app.components.industry import INDUSTRIES
from ava_app.i18n import LANGUAGES
from ava_app.state.auth import AuthState
from ava_app.state.i18n import I18nState

NAV_ITEMS = (
    ("nav.dashboard", routes.DASHBOARD, "layout-dashboard"),
    ("nav.calls", routes.CALLS, "phone-call"),
    ("nav.bookings", routes.BOOKINGS, "calendar-days"),
    ("nav.usage", routes.USAGE, "gauge"),
    ("nav.phone_numbers", routes.PHONE_NUMBERS, "hash"),
    ("nav.assistant", routes.ASSISTANT, "bot"),
    ("nav.settings", routes.SETTINGS, "settings"),
)


def brand() -> rx.Component:
    return rx.hstack(
        rx.box(
            rx.icon("audio-lines", size=20, color="white"), bg=rx.color("accent", 9), padding="6px", border_radius="8px"
        ),
        # Not a heading: each page's own title is its one h1.
        rx.text("AVA", size="5", weight="bold", as_="span"),
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
    path = rx.State.router.page.path
    active = (path == href) | path.startswith(href + "/")
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
    links.append(rx.cond(AuthState.has_dev_outbox, nav_link("nav.outbox", routes.DEV_OUTBOX, "inbox"), rx.fragment()))
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


def organisation_item(org: dict) -> rx.Component:
    return rx.menu.item(
        rx.hstack(
            rx.icon("check", size=14, opacity=rx.cond(org["current"], "1", "0")),
            rx.text(org["name"], truncate=True, max_width="260px"),
            spacing="2",
            align="center",
        ),
        on_select=AuthState.switch_organisation(org["id"]),
        # Until the email is verified only the current organisation is open (the service refuses a switch too).
        disabled=~AuthState.email_verified & ~org["current"].to(bool),
    )


def organisation_verify_notice() -> rx.Component:
    """Why the other organisations are greyed out, and the way to fix it."""
    return rx.cond(
        ~AuthState.email_verified & (AuthState.user_email != ""),
        rx.fragment(
            rx.menu.separator(),
            rx.text(t("org.verify_first"), size="1", color_scheme="amber", padding="4px 12px", max_width="300px"),
            rx.menu.item(rx.icon("mail", size=14), t("verify_banner.resend"), on_select=AuthState.resend_verification),
        ),
    )


def organisation_switcher() -> rx.Component:
    """The current organisation; opens the list of the user's organisations and "Create organisation"."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("building-2", size=18, color=rx.color("gray", 10), flex_shrink="0"),
                rx.text(
                    rx.cond(
                        AuthState.tenant_name != "",
                        AuthState.tenant_name,
                        rx.cond(AuthState.user_email != "", t("org.none"), ""),
                    ),
                    weight="medium",
                    size="3",
                    min_width="0",
                    overflow="hidden",
                    white_space="nowrap",
                    text_overflow="ellipsis",
                ),
                rx.icon("chevrons-up-down", size=14, flex_shrink="0"),
                variant="ghost",
                color_scheme="gray",
                high_contrast=True,
                max_width="100%",
                overflow="hidden",
                aria_label=t("org.switch"),
            )
        ),
        rx.menu.content(
            rx.text(t("org.your_organisations"), size="1", color_scheme="gray", padding="4px 12px"),
            rx.foreach(AuthState.organisations, organisation_item),
            organisation_verify_notice(),
            rx.menu.separator(),
            rx.menu.item(rx.icon("plus", size=14), t("org.create"), on_select=AuthState.set_org_dialog_open(True)),
        ),
    )


def create_organisation_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("org.create")),
            rx.dialog.description(t("org.create_body"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    form_field("org.name", id="org-name", name="name", error=AuthState.org_error, auto_focus=True),
                    select_field(
                        "signup.industry",
                        INDUSTRIES,
                        id="org-industry",
                        name="industry",
                        placeholder_key="signup.industry_placeholder",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("common.cancel"), variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(t("org.create_submit"), type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    margin_top="12px",
                ),
                on_submit=AuthState.create_organisation,
                reset_on_submit=False,
                no_validate=True,
            ),
            max_width="440px",
        ),
        open=AuthState.org_dialog_open,
        on_open_change=AuthState.set_org_dialog_open,
    )


def verify_email_banner() -> rx.Component:
    """Shown on every signed-in page until the address is verified."""
    return rx.cond(
        ~AuthState.email_verified & (AuthState.user_email != ""),
        rx.callout.root(
            rx.callout.icon(rx.icon("mail-warning")),
            rx.flex(
                rx.callout.text(t("verify_banner.text"), flex="1", min_width="200px"),
                rx.button(
                    t("verify_banner.resend"),
                    on_click=AuthState.resend_verification,
                    loading=AuthState.resend_busy,
                    size="1",
                    variant="outline",
                    color_scheme="amber",
                ),
                gap="12px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            color_scheme="amber",
            width="100%",
        ),
    )


def deletion_banner() -> rx.Component:
    """Shown on every signed-in page while the organisation is due to be deleted; admins can cancel from Privacy."""
    return rx.cond(
        AuthState.org_deletion_due != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("trash-2")),
            rx.flex(
                rx.callout.text(
                    t("org_delete.banner"),
                    " ",
                    rx.text.strong(AuthState.org_deletion_due),
                    ".",
                    flex="1",
                    min_width="200px",
                ),
                rx.cond(
                    AuthState.is_admin,
                    rx.link(t("org_delete.banner_cancel"), href=routes.SETTINGS_PRIVACY, size="2", weight="medium"),
                ),
                gap="12px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            color_scheme="red",
            width="100%",
        ),
    )


def suspended_banner() -> rx.Component:
    """Shown to everyone in an organisation the platform's operators suspended: why, and what callers hear."""
    return rx.cond(
        AuthState.org_suspended_reason != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-pause")),
            rx.callout.text(
                t("suspended.banner"),
                " ",
                rx.text.strong(AuthState.org_suspended_reason),
                " ",
                t("suspended.banner_after"),
            ),
            color_scheme="red",
            width="100%",
            id="suspended-banner",
        ),
    )


def trial_banner() -> rx.Component:
    """Shown to admins from a few days before a free trial without a plan ends, and after: when, and what callers
    get without a plan."""
    return rx.cond(
        AuthState.is_admin & (AuthState.trial_ends_on != ""),
        rx.callout.root(
            rx.callout.icon(rx.icon("hourglass")),
            rx.flex(
                rx.callout.text(
                    rx.cond(AuthState.trial_over, t("trial.banner_over"), t("trial.banner_soon")),
                    " ",
                    rx.text.strong(AuthState.trial_ends_on),
                    ". ",
                    rx.cond(
                        AuthState.trial_over,
                        rx.cond(
                            AuthState.trial_policy == "pause",
                            t("trial.banner_over_after.pause"),
                            t("trial.banner_over_after.messages_only"),
                        ),
                        t("trial.banner_soon_after"),
                    ),
                    flex="1",
                    min_width="200px",
                ),
                rx.link(t("trial.choose_plan"), href=routes.SETTINGS_BILLING, size="2", weight="medium"),
                gap="12px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            color_scheme=rx.cond(AuthState.trial_over, "red", "amber"),
            width="100%",
            id="trial-banner",
        ),
    )


def billing_grace_banner() -> rx.Component:
    """Shown to admins on every signed-in page while a payment has failed: until when calls are answered as usual."""
    return rx.cond(
        AuthState.is_admin & (AuthState.billing_grace_until != ""),
        rx.callout.root(
            rx.callout.icon(rx.icon("credit-card")),
            rx.flex(
                rx.callout.text(
                    t("billing.grace_banner"),
                    " ",
                    rx.text.strong(AuthState.billing_grace_until),
                    ".",
                    flex="1",
                    min_width="200px",
                ),
                rx.link(t("billing.grace_banner_fix"), href=routes.SETTINGS_BILLING, size="2", weight="medium"),
                gap="12px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            color_scheme="red",
            width="100%",
            id="billing-grace-banner",
        ),
    )


def top_bar() -> rx.Component:
    return rx.hstack(
        mobile_menu(),
        rx.box(organisation_switcher(), flex="1", min_width="0"),
        create_organisation_dialog(),
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


def back_link(label_key: str, href: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=14), rx.text(t(label_key), size="2"), spacing="1", align="center"),
        href=href,
        color_scheme="gray",
        underline="hover",
    )


def app_layout(*children: rx.Component, title_key: str, back: tuple[str, str] | None = None) -> rx.Component:
    """The signed-in frame: sidebar on desktop, drawer on mobile, top bar, then the page (``back``: label key, href)."""
    return rx.hstack(
        sidebar(),
        rx.vstack(
            top_bar(),
            rx.vstack(
                deletion_banner(),
                suspended_banner(),
                billing_grace_banner(),
                trial_banner(),
                verify_email_banner(),
                back_link(*back) if back else rx.fragment(),
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
            rx.card(
                rx.vstack(*children, spacing="4", width="100%"),
                size=rx.breakpoints(initial="3", sm="4"),
                width="100%",
                max_width=max_width,
            ),
            padding="16px",
            min_height="calc(100vh - 80px)",
        ),
        min_height="100vh",
        bg=rx.color("gray", 2),
    )
