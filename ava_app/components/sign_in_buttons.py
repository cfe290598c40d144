""" "Continue with Google / Microsoft" buttons, and what the login and signup pages show of a provider sign-in."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.state.sign_in_providers import ProviderSignInState


def _provider_button(provider: rx.Var) -> rx.Component:
    # A link styled as a button: the start route is a navigation (it answers with the provider's page).
    return rx.button(
        rx.el.a(
            provider["label"],
            href=provider["href"],
            data_provider=provider["id"],
            # A document load, not the page router: the start route answers with a redirect to the provider.
            custom_attrs={"reloadDocument": True},
        ),
        as_child=True,
        variant="outline",
        color_scheme="gray",
        high_contrast=True,
        size="3",
        width="100%",
    )


def provider_buttons() -> rx.Component:
    """The offered providers' buttons and an "or" rule above the page's own form (nothing when none is offered)."""
    return rx.cond(
        ProviderSignInState.providers.length() > 0,
        rx.vstack(
            rx.foreach(ProviderSignInState.providers, _provider_button),
            rx.hstack(
                rx.separator(size="4", flex="1"),
                rx.text(t("signin.or"), size="2", color_scheme="gray"),
                rx.separator(size="4", flex="1"),
                align="center",
                width="100%",
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
    )


def sign_in_error() -> rx.Component:
    return rx.cond(
        ProviderSignInState.signin_error != "",
        rx.callout(
            ProviderSignInState.signin_error, icon="triangle-alert", color_scheme="red", width="100%", role="alert"
        ),
    )


def confirm_link_notice() -> rx.Component:
    """The address is already an AVA account's: prove it (emailed link or password) in this browser to link."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("link")),
        rx.vstack(
            rx.text(t("signin.confirm_title"), weight="bold", size="2"),
            rx.text(ProviderSignInState.notice, size="2"),
            spacing="1",
        ),
        color_scheme="blue",
        width="100%",
        role="status",
    )
