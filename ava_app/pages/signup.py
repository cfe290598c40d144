"""/signup: the account, its organisation, and straight into AVA."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_alert, form_field, select_field
from ava_app.components.i18n import t
from ava_app.components.industry import INDUSTRIES
from ava_app.components.layout import public_layout
from ava_app.state.account import SignupState


def signup_page() -> rx.Component:
    errors = SignupState.errors
    return public_layout(
        rx.heading(t("signup.title"), size="6"),
        rx.text(t("signup.subtitle"), color_scheme="gray", size="2"),
        rx.form(
            rx.vstack(
                form_alert(SignupState.form_error),
                form_field(
                    "signup.name",
                    id="signup-name",
                    name="name",
                    auto_complete="name",
                    error=errors["name"],
                    on_blur=SignupState.check_required("name", "Enter your name."),
                ),
                form_field(
                    "login.email",
                    id="signup-email",
                    name="email",
                    type="email",
                    auto_complete="email",
                    error=errors["email"],
                    on_blur=SignupState.check_email,
                ),
                form_field(
                    "login.password",
                    id="signup-password",
                    name="password",
                    type="password",
                    auto_complete="new-password",
                    hint_key="password.rule",
                    error=errors["password"],
                    on_blur=SignupState.check_password("password"),
                ),
                form_field(
                    "signup.organisation",
                    id="signup-organisation",
                    name="organisation_name",
                    auto_complete="organization",
                    error=errors["organisation_name"],
                    on_blur=SignupState.check_required("organisation_name", "Enter the name of your business."),
                ),
                select_field(
                    "signup.industry",
                    INDUSTRIES,
                    id="signup-industry",
                    name="industry",
                    placeholder_key="signup.industry_placeholder",
                ),
                rx.button(t("signup.submit"), type="submit", width="100%", size="3", loading=SignupState.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=SignupState.signup,
            reset_on_submit=False,
            no_validate=True,
            width="100%",
        ),
        rx.hstack(
            rx.text(t("signup.have_account"), size="2"),
            rx.link(t("login.submit"), href=routes.LOGIN, size="2"),
            spacing="1",
            wrap="wrap",
        ),
    )
