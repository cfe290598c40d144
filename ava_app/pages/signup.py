"""/signup: the account, its organisation, and straight into AVA."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_alert, form_field, select_field
from ava_app.components.i18n import t
from ava_app.components.industry import INDUSTRIES
from ava_app.components.layout import public_layout
from ava_app.components.sign_in_buttons import provider_buttons, sign_in_error
from ava_app.state.account import SignupState
from ava_app.state.sign_in_providers import ProviderSignInState


def provider_signup_form() -> rx.Component:
    """A new Google or Microsoft account: only the organisation is left to ask (no password)."""
    errors = ProviderSignInState.finish_errors
    return rx.vstack(
        rx.callout(ProviderSignInState.notice, icon="circle-check", color_scheme="green", width="100%", role="status"),
        rx.cond(~ProviderSignInState.pending_verified, rx.text(t("signin.new_unverified"), size="2")),
        rx.form(
            rx.vstack(
                form_field(
                    "signup.name",
                    id="provider-signup-name",
                    name="name",
                    auto_complete="name",
                    default_value=ProviderSignInState.pending_name,
                ),
                form_field(
                    "signup.organisation",
                    id="provider-signup-organisation",
                    name="organisation_name",
                    auto_complete="organization",
                    error=errors["organisation_name"],
                ),
                select_field(
                    "signup.industry",
                    INDUSTRIES,
                    id="provider-signup-industry",
                    name="industry",
                    placeholder_key="signup.industry_placeholder",
                ),
                rx.button(t("signin.finish"), type="submit", width="100%", size="3", loading=ProviderSignInState.busy),
                rx.button(
                    t("signin.cancel"), type="button", variant="ghost", size="2", on_click=ProviderSignInState.cancel
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=ProviderSignInState.finish_signup,
            reset_on_submit=False,
            no_validate=True,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def signup_page() -> rx.Component:
    return public_layout(
        rx.heading(rx.cond(ProviderSignInState.outcome == "new", t("signin.new_title"), t("signup.title")), size="6"),
        sign_in_error(),
        rx.cond(ProviderSignInState.outcome == "new", provider_signup_form(), email_signup()),
        rx.hstack(
            rx.text(t("signup.have_account"), size="2"),
            rx.link(t("login.submit"), href=routes.LOGIN, size="2"),
            spacing="1",
            wrap="wrap",
        ),
    )


def email_signup() -> rx.Component:
    errors = SignupState.errors
    return rx.vstack(
        rx.text(t("signup.subtitle"), color_scheme="gray", size="2"),
        provider_buttons(),
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
        spacing="3",
        width="100%",
    )
