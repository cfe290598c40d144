"""/: what AVA is, in four points, and the way in (create an account, log in) for a visitor without a session.

A signed-in visitor never stays here: the page's on-load guard sends them on (``AuthState.redirect_if_logged_in``).
Landmarks: a header with the language and theme switches, the main content (one h1, one h2, an h3 per point), a
footer; a skip link comes first in the focus order.
"""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.i18n import t
from ava_app.components.layout import brand, language_switch, theme_toggle

MAIN_ID = "landing-main"

# What AVA does for a small business: (icon, title key, body key).
POINTS = (
    ("phone-incoming", "landing.answers.title", "landing.answers.body"),
    ("mail", "landing.email.title", "landing.email.body"),
    ("message-square-text", "landing.messages.title", "landing.messages.body"),
    ("timer", "landing.setup.title", "landing.setup.body"),
)


def skip_link() -> rx.Component:
    """Off screen until focused: keyboard users jump over the header to the content.

    The router takes over in-page links without moving the focus, so the click moves it to the content itself.
    """
    return rx.el.a(
        t("landing.skip"),
        href=f"#{MAIN_ID}",
        on_click=rx.call_script(f"document.getElementById('{MAIN_ID}').focus()"),
        position="absolute",
        left="-10000px",
        top="8px",
        padding="8px 12px",
        bg=rx.color("gray", 1),
        color=rx.color("accent", 11),
        border_radius="8px",
        z_index="100",
        _focus={"left": "8px"},
    )


def landing_header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.link(brand(), href=routes.INDEX, underline="none", color="inherit", aria_label="AVA"),
            rx.spacer(),
            rx.el.nav(
                rx.hstack(
                    language_switch(),
                    theme_toggle(),
                    rx.link(
                        t("landing.login"), href=routes.LOGIN, size="2", weight="medium", id="landing-header-login"
                    ),
                    align="center",
                    spacing="3",
                ),
                aria_label=t("landing.nav"),
            ),
            align="center",
            width="100%",
            max_width="1080px",
            margin="0 auto",
            padding=["12px 16px", "16px 24px"],
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        bg=rx.color("gray", 1),
    )


def hero() -> rx.Component:
    return rx.vstack(
        rx.heading(t("landing.title"), as_="h1", size=rx.breakpoints(initial="7", md="8"), align="center"),
        rx.text(t("landing.lead"), size=rx.breakpoints(initial="3", md="4"), color_scheme="gray", align="center"),
        rx.flex(
            # The button's look on a plain link: one focusable element, announced as a link.
            rx.button(
                rx.el.a(t("landing.signup"), href=routes.SIGNUP, id="landing-signup"),
                as_child=True,
                size="4",
                width=rx.breakpoints(initial="100%", sm="auto"),
            ),
            rx.hstack(
                rx.text(t("landing.have_account"), size="3", color_scheme="gray"),
                rx.link(t("landing.login"), href=routes.LOGIN, size="3", weight="medium", id="landing-login"),
                spacing="1",
                wrap="wrap",
                justify="center",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            align="center",
            gap="16px",
            width="100%",
            justify="center",
        ),
        align="center",
        spacing="5",
        width="100%",
        max_width="760px",
        margin="0 auto",
        padding=["40px 0 32px", "64px 0 48px"],
    )


def point(icon: str, title_key: str, body_key: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.box(
                rx.icon(icon, size=20, color=rx.color("accent", 11), aria_hidden="true"),
                bg=rx.color("accent", 3),
                padding="8px",
                border_radius="8px",
                line_height="0",
            ),
            rx.heading(t(title_key), as_="h3", size="4"),
            rx.text(t(body_key), size="2", color_scheme="gray"),
            spacing="3",
        ),
        size="3",
        width="100%",
        min_width="0",
    )


def points() -> rx.Component:
    return rx.el.section(
        rx.heading(
            t("landing.points_title"),
            as_="h2",
            size="6",
            align="center",
            margin_bottom="20px",
            id="landing-points-title",
        ),
        rx.grid(
            *[point(*item) for item in POINTS],
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            gap="16px",
            width="100%",
        ),
        aria_labelledby="landing-points-title",
        id="landing-points",
        width="100%",
    )


def landing_page() -> rx.Component:
    return rx.box(
        skip_link(),
        landing_header(),
        rx.el.main(
            hero(),
            points(),
            id=MAIN_ID,
            tab_index=-1,
            max_width="1080px",
            margin="0 auto",
            padding=["0 16px 48px", "0 24px 64px"],
            outline="none",
        ),
        rx.el.footer(
            rx.text(t("landing.footer"), size="2", color_scheme="gray", align="center"),
            padding="24px 16px",
            border_top=f"1px solid {rx.color('gray', 5)}",
        ),
        min_height="100vh",
        bg=rx.color("gray", 2),
    )
