"""/invite?token=: join an organisation, as the logged-in user or with a new account."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import form_alert, form_field
from ava_app.components.i18n import t
from ava_app.components.layout import public_layout
from ava_app.pages.settings_team import role_label
from ava_app.state.team import InviteState


def verify_first() -> rx.Component:
    """A logged-in account whose email is not confirmed cannot join: say so, and offer the link again."""
    return rx.vstack(
        rx.callout(t("invite.verify_first"), icon="mail-warning", color_scheme="amber", width="100%", role="status"),
        rx.button(
            t("verify_banner.resend"),
            on_click=InviteState.resend_verification,
            loading=InviteState.resend_busy,
            variant="outline",
            width="100%",
            size="3",
        ),
        spacing="3",
        width="100%",
    )


def accept_as_logged_in() -> rx.Component:
    return rx.vstack(
        rx.text(t("invite.logged_in_as"), " ", rx.text.strong(InviteState.logged_in_email), size="2"),
        rx.cond(
            InviteState.logged_in_verified,
            rx.button(
                t("invite.accept"), on_click=InviteState.accept, width="100%", size="3", loading=InviteState.busy
            ),
            verify_first(),
        ),
        spacing="3",
        width="100%",
    )


def login_to_accept() -> rx.Component:
    return rx.vstack(
        rx.text(t("invite.login_first"), size="2"),
        rx.link(rx.button(t("login.submit"), width="100%", size="3"), href=InviteState.login_href, width="100%"),
        spacing="3",
        width="100%",
    )


def signup_to_accept() -> rx.Component:
    """A new account, or one started with this address but never confirmed (the invitation proves the address)."""
    return rx.form(
        rx.vstack(
            rx.cond(
                InviteState.account_exists,
                rx.callout(t("invite.claim_account"), icon="shield-alert", color_scheme="amber", width="100%"),
                rx.text(t("invite.create_account"), size="2"),
            ),
            form_field(
                "signup.name",
                id="invite-name",
                name="name",
                auto_complete="name",
                error=InviteState.errors["name"],
                on_blur=InviteState.check_required("name", "Enter your name."),
            ),
            form_field(
                "login.password",
                id="invite-password",
                name="password",
                type="password",
                auto_complete="new-password",
                hint_key="password.rule",
                error=InviteState.errors["password"],
                on_blur=InviteState.check_password("password"),
            ),
            rx.button(t("invite.join"), type="submit", width="100%", size="3", loading=InviteState.busy),
            spacing="3",
            width="100%",
        ),
        on_submit=InviteState.signup_and_accept,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def invite_details() -> rx.Component:
    return rx.vstack(
        rx.text(
            t("invite.body"),
            " ",
            rx.text.strong(InviteState.organisation_name),
            " (",
            role_label(InviteState.invited_role),
            ")",
            size="3",
        ),
        rx.text(
            t("invite.for"), " ", InviteState.invited_email, size="2", color_scheme="gray", overflow_wrap="anywhere"
        ),
        form_alert(InviteState.form_error),
        rx.cond(
            InviteState.logged_in_email != "",
            accept_as_logged_in(),
            rx.cond(InviteState.account_exists & InviteState.account_verified, login_to_accept(), signup_to_accept()),
        ),
        spacing="3",
        width="100%",
    )


def invite_page() -> rx.Component:
    return public_layout(
        rx.heading(t("invite.title"), size="6"),
        rx.match(
            InviteState.invite_status,
            ("ready", invite_details()),
            (
                "invalid",
                rx.vstack(
                    rx.callout(
                        InviteState.invite_message, icon="link-2-off", color_scheme="red", width="100%", role="alert"
                    ),
                    rx.link(t("common.back_home"), href=routes.LOGIN, size="2"),
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.hstack(rx.spinner(), rx.text(t("common.loading"), size="2"), spacing="2", align="center"),
        ),
    )
