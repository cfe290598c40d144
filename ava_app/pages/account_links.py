"""Pages opened from account emails: /verify (login link), /verify-email, /forgot-password, /reset-password."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_alert, form_field
from ava_app.components.i18n import t
from ava_app.components.layout import public_layout
from ava_app.state.account import LinkState, PasswordState


def link_result(
    *, done: rx.Component, invalid_link: tuple[str, str], confirm: rx.Component | None = None
) -> rx.Component:
    """Checking → (confirm →) done, or the reason the link failed with a way forward."""
    return rx.match(
        LinkState.link_status,
        ("done", done),
        ("confirm", confirm if confirm is not None else rx.fragment()),
        (
            "invalid",
            rx.vstack(
                rx.callout(LinkState.link_message, icon="link-2-off", color_scheme="red", width="100%", role="alert"),
                rx.link(t(invalid_link[0]), href=invalid_link[1], size="2"),
                spacing="3",
                width="100%",
            ),
        ),
        rx.hstack(rx.spinner(), rx.text(t("common.loading"), size="2"), align="center", spacing="2"),
    )


def verify_page() -> rx.Component:
    return public_layout(
        rx.heading(t("verify.title"), size="6"),
        link_result(
            done=rx.text(t("verify.done"), size="2"),
            invalid_link=("verify.request_new", routes.LOGIN),
            confirm=rx.vstack(
                rx.text(t("verify.confirm"), " ", rx.text.strong(LinkState.link_account), size="2"),
                rx.button(
                    t("verify.log_in"),
                    on_click=LinkState.login_with_link,
                    loading=LinkState.link_status == "checking",
                    width="100%",
                    size="3",
                ),
                rx.text(t("verify.not_you"), size="1", color_scheme="gray"),
                spacing="3",
                width="100%",
            ),
        ),
    )


def password_removed_notice() -> rx.Component:
    """The link was opened outside the signup's browser: say what was removed and how to get back in."""
    return rx.vstack(
        rx.callout(t("verify_email.password_removed"), icon="shield-alert", color_scheme="amber", width="100%"),
        rx.link(rx.button(t("verify_email.login"), width="100%", size="3"), href=routes.LOGIN, width="100%"),
        spacing="3",
        width="100%",
    )


def verify_email_page() -> rx.Component:
    return public_layout(
        rx.heading(t("verify_email.title"), size="6"),
        link_result(
            done=rx.vstack(
                rx.callout(t("verify_email.done"), icon="circle-check", color_scheme="green", width="100%"),
                rx.cond(
                    LinkState.sign_in_reset,
                    password_removed_notice(),
                    rx.link(t("verify_email.continue"), href=routes.DASHBOARD, size="2"),
                ),
                spacing="3",
                width="100%",
            ),
            invalid_link=("verify_email.back", routes.DASHBOARD),
        ),
    )


def forgot_password_page() -> rx.Component:
    return public_layout(
        rx.heading(t("forgot.title"), size="6"),
        rx.text(t("forgot.subtitle"), color_scheme="gray", size="2"),
        rx.form(
            rx.vstack(
                form_alert(PasswordState.sent_message, color_scheme="green", icon="mail-check"),
                form_alert(PasswordState.form_error),
                form_field(
                    "login.email",
                    id="forgot-email",
                    name="email",
                    type="email",
                    auto_complete="email",
                    error=PasswordState.errors["email"],
                ),
                rx.button(t("forgot.submit"), type="submit", width="100%", size="3"),
                spacing="3",
                width="100%",
            ),
            on_submit=PasswordState.forgot_password,
            reset_on_submit=False,
            no_validate=True,
            width="100%",
        ),
        rx.link(t("common.back_to_login"), href=routes.LOGIN, size="2"),
    )


def reset_password_page() -> rx.Component:
    return public_layout(
        rx.heading(t("reset.title"), size="6"),
        rx.cond(
            PasswordState.reset_done,
            rx.vstack(
                rx.callout(t("reset.done"), icon="circle-check", color_scheme="green", width="100%"),
                rx.link(t("login.submit"), href=routes.LOGIN, size="2"),
                spacing="3",
                width="100%",
            ),
            rx.vstack(
                rx.form(
                    rx.vstack(
                        form_alert(PasswordState.form_error),
                        form_field(
                            "reset.new_password",
                            id="reset-password",
                            name="new_password",
                            type="password",
                            auto_complete="new-password",
                            hint_key="password.rule",
                            error=PasswordState.errors["new_password"],
                            on_blur=PasswordState.check_password("new_password"),
                        ),
                        rx.button(t("reset.submit"), type="submit", width="100%", size="3", loading=PasswordState.busy),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PasswordState.reset_password,
                    reset_on_submit=False,
                    no_validate=True,
                    width="100%",
                ),
                rx.link(t("forgot.request_again"), href=routes.FORGOT_PASSWORD, size="2"),
                spacing="3",
                width="100%",
            ),
        ),
    )
