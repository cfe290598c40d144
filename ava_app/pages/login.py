"""/login: email + password, email link or SMS code."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import form_field
from ava_app.components.i18n import t
from ava_app.components.layout import public_layout
from ava_app.state.auth import AuthState


def login_page() -> rx.Component:
    return public_layout(
        rx.heading(t("login.title"), size="6"),
        rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
        rx.cond(
            AuthState.form_error != "", rx.callout(AuthState.form_error, icon="triangle-alert", color_scheme="red")
        ),
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
                rx.button(t("login.submit"), type="submit", width="100%", size="3", loading=AuthState.busy),
                spacing="2",
                width="100%",
            ),
            on_submit=AuthState.login_with_password,
            reset_on_submit=False,
            width="100%",
        ),
        rx.hstack(
            rx.text(t("login.no_account"), size="2"),
            rx.link(t("login.signup"), href="/signup", size="2"),
            spacing="1",
        ),
    )
