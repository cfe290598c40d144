"""/settings/profile: name, phone for SMS login, language; password change."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import form_field, select_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.settings import ProfileState

LOCALE_OPTIONS = [("en", "profile.locale.en"), ("fr", "profile.locale.fr"), ("es", "profile.locale.es")]


def section(title_key: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(t(title_key), size="4"), *children, spacing="4", width="100%"),
        width="100%",
        max_width="640px",
    )


def profile_form() -> rx.Component:
    errors = ProfileState.errors
    return rx.form(
        rx.vstack(
            form_field(
                "signup.name",
                id="profile-name",
                name="name",
                default_value=ProfileState.name,
                key=ProfileState.name,
                auto_complete="name",
                error=errors["name"],
            ),
            form_field(
                "profile.phone",
                id="profile-phone",
                name="phone",
                type="tel",
                default_value=ProfileState.phone,
                key=ProfileState.phone,
                auto_complete="tel",
                placeholder="+33 6 12 34 56 78",
                hint_key="profile.phone_hint",
                error=errors["phone"],
            ),
            select_field(
                "profile.locale",
                LOCALE_OPTIONS,
                id="profile-locale",
                value=ProfileState.locale,
                on_change=ProfileState.set_locale,
                error=errors["locale"],
            ),
            rx.button(t("common.save"), type="submit", loading=ProfileState.profile_busy),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=ProfileState.save_profile,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def password_form() -> rx.Component:
    errors = ProfileState.errors
    return rx.form(
        rx.vstack(
            form_field(
                "password.current",
                id="current_password",
                name="current_password",
                type="password",
                auto_complete="current-password",
                error=errors["current_password"],
            ),
            form_field(
                "reset.new_password",
                id="new_password",
                name="new_password",
                type="password",
                auto_complete="new-password",
                hint_key="password.rule",
                error=errors["new_password"],
                on_blur=ProfileState.check_password("new_password"),
            ),
            rx.text(t("password.others_logged_out"), size="1", color_scheme="gray"),
            rx.button(t("password.change"), type="submit", loading=ProfileState.password_busy),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=ProfileState.change_password,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def profile_page() -> rx.Component:
    return app_layout(
        section("profile.details", profile_form()),
        section("password.title", password_form()),
        title_key="settings.profile",
        back=("settings.title", "/settings"),
    )
