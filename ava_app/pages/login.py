"""/login: email + password, email link or SMS code, chosen with a segmented control."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_alert, form_field, sms_code_field
from ava_app.components.i18n import t
from ava_app.components.layout import public_layout
from ava_app.components.sign_in_buttons import confirm_link_notice, provider_buttons, sign_in_error
from ava_app.state.account import LoginState
from ava_app.state.auth import AuthState
from ava_app.state.sign_in_providers import ProviderSignInState


def password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_alert(AuthState.form_error),
            form_field("login.email", id="login-email", name="email", type="email", auto_complete="email"),
            form_field(
                "login.password",
                id="login-password",
                name="password",
                type="password",
                auto_complete="current-password",
            ),
            rx.hstack(rx.spacer(), rx.link(t("login.forgot"), href=routes.FORGOT_PASSWORD, size="2"), width="100%"),
            rx.button(t("login.submit"), type="submit", width="100%", size="3", loading=AuthState.busy),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthState.login_with_password,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def magic_link_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("login.magic_intro"), size="2", color_scheme="gray"),
            form_alert(LoginState.magic_sent, color_scheme="green", icon="mail-check"),
            form_field(
                "login.email",
                id="magic-email",
                name="email",
                type="email",
                auto_complete="email",
                error=LoginState.magic_error,
            ),
            rx.button(t("login.magic_submit"), type="submit", width="100%", size="3", loading=LoginState.busy),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.send_magic_link,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def sms_phone_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("login.sms_intro"), size="2", color_scheme="gray"),
            form_field(
                "login.phone",
                id="sms-phone",
                name="phone",
                type="tel",
                auto_complete="tel",
                placeholder=LoginState.sms_placeholder,
                error=LoginState.sms_error,
            ),
            rx.button(t("login.sms_send"), type="submit", width="100%", size="3", loading=LoginState.busy),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.send_sms_code,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def sms_code_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_alert(LoginState.sms_sent, color_scheme="green", icon="message-square"),
            sms_code_field(id="sms-code", error=LoginState.sms_error),
            rx.button(t("login.submit"), type="submit", width="100%", size="3", loading=LoginState.busy),
            rx.button(
                t("login.sms_change"), type="button", variant="ghost", on_click=LoginState.change_phone, size="2"
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.login_with_sms_code,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def login_page() -> rx.Component:
    return public_layout(
        rx.heading(t("login.title"), size="6"),
        rx.text(t("login.subtitle"), color_scheme="gray", size="2"),
        sign_in_error(),
        rx.cond(ProviderSignInState.outcome == "confirm_link", confirm_link_notice(), provider_buttons()),
        rx.segmented_control.root(
            rx.segmented_control.item(t("login.with_password"), value="password"),
            rx.segmented_control.item(t("login.with_magic_link"), value="magic"),
            rx.segmented_control.item(t("login.with_sms"), value="sms"),
            value=LoginState.method,
            on_change=LoginState.set_method,
            size=rx.breakpoints(initial="1", sm="2"),
            width="100%",
        ),
        rx.match(
            LoginState.method,
            ("magic", magic_link_form()),
            ("sms", rx.cond(LoginState.sms_sent != "", sms_code_form(), sms_phone_form())),
            password_form(),
        ),
        rx.hstack(
            rx.text(t("login.no_account"), size="2"),
            rx.link(t("login.signup"), href=routes.SIGNUP, size="2"),
            spacing="1",
            wrap="wrap",
        ),
    )
