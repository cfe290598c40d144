"""/login: email + password, email link or SMS code."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import form_field
from ava_app.components.i18n import t
from ava_app.components.layout import public_layout


def login_page() -> rx.Component:
    return public_layout(
        rx.heading(t("login.title"), size="6"),
        rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
        rx.form(
            rx.vstack(
                form_field("login.email", id="login-email", name="email", type="email", auto_complete="email"),
                form_field(
                    "login.password",
                    id="login-password",
                    name="password",
                    type="password",
                    auto_complete="current-password",
                ),
                rx.button(t("login.submit"), type="submit", width="100%", size="3"),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.hstack(
            rx.text(t("login.no_account"), size="2"),
            rx.link(t("login.signup"), href="/signup", size="2"),
            spacing="1",
        ),
    )
