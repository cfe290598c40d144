"""/settings/profile: name, language; the SMS-login number, confirmed by a texted code; password change."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.forms import confirm_dialog, form_alert, form_field, select_field, sms_code_field
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.languages import LANGUAGES
from ava_app.state.account import PhoneState
from ava_app.state.settings import ProfileState

LOCALE_OPTIONS = [(code, f"profile.locale.{code}") for code in LANGUAGES]


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


def phone_status() -> rx.Component:
    """The saved number and whether login codes go to it, or a line saying there is none."""
    confirmed = rx.badge(rx.icon("circle-check", size=14), t("profile_phone.confirmed"), color_scheme="green")
    unconfirmed = rx.badge(rx.icon("circle-alert", size=14), t("profile_phone.unconfirmed"), color_scheme="orange")
    return rx.cond(
        PhoneState.phone != "",
        rx.vstack(
            rx.hstack(
                rx.text(PhoneState.phone, size="3", weight="medium"),
                rx.cond(PhoneState.phone_verified, confirmed, unconfirmed),
                rx.spacer(),
                rx.button(
                    t("profile_phone.remove"),
                    type="button",
                    variant="soft",
                    color_scheme="red",
                    on_click=PhoneState.remove_phone,
                ),
                align="center",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.text(
                rx.cond(
                    PhoneState.phone_verified, t("profile_phone.confirmed_hint"), t("profile_phone.unconfirmed_hint")
                ),
                size="2",
                color_scheme="gray",
            ),
            # A number saved before confirmation existed: one click texts it a code, nothing to retype.
            rx.cond(
                ~PhoneState.phone_verified & (PhoneState.pending_phone == ""),
                rx.button(
                    t("profile_phone.confirm_saved"),
                    type="button",
                    variant="soft",
                    loading=PhoneState.phone_busy,
                    on_click=PhoneState.send_phone_code({"phone": PhoneState.phone_e164}),
                ),
            ),
            spacing="1",
            width="100%",
        ),
        rx.text(t("profile_phone.none"), size="2", color_scheme="gray"),
    )


def phone_field(label_key: str) -> rx.Component:
    return form_field(
        label_key,
        id="profile-phone",
        name="phone",
        type="tel",
        auto_complete="tel",
        placeholder=PhoneState.phone_placeholder,
        hint_key="profile_phone.hint",
        error=PhoneState.phone_error,
    )


def phone_number_form() -> rx.Component:
    """Step 1: the new number; a code is texted to it."""
    return rx.form(
        rx.vstack(
            rx.cond(PhoneState.phone != "", phone_field("profile_phone.new"), phone_field("profile.phone")),
            rx.button(t("profile_phone.send"), type="submit", loading=PhoneState.phone_busy),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=PhoneState.send_phone_code,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def phone_code_form() -> rx.Component:
    """Step 2: the code from the SMS; the number is saved as confirmed when it matches."""
    return rx.form(
        rx.vstack(
            form_alert(PhoneState.code_sent_message, color_scheme="green", icon="message-square"),
            sms_code_field(id="profile-phone-code", error=PhoneState.code_error),
            rx.hstack(
                rx.button(t("profile_phone.confirm"), type="submit", loading=PhoneState.phone_busy),
                rx.button(t("profile_phone.other"), type="button", variant="ghost", on_click=PhoneState.change_number),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=PhoneState.confirm_phone,
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


def delete_account_form() -> rx.Component:
    """Delete one's own account: confirmed with the password (or the email address), then once more in a dialog."""
    return rx.vstack(
        rx.text(t("account_delete.intro"), size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.cond(
                    ProfileState.account_confirm_kind == "password",
                    form_field(
                        "account_delete.password",
                        id="account-delete-confirmation",
                        name="confirmation",
                        type="password",
                        auto_complete="current-password",
                        error=ProfileState.account_error,
                    ),
                    form_field(
                        "account_delete.email",
                        id="account-delete-confirmation",
                        name="confirmation",
                        type="email",
                        auto_complete="off",
                        error=ProfileState.account_error,
                    ),
                ),
                rx.button(
                    t("account_delete.submit"), type="submit", color_scheme="red", variant="soft",
                    loading=ProfileState.account_busy,
                ),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=ProfileState.ask_delete_account,
            reset_on_submit=False,
            no_validate=True,
            width="100%",
        ),
        confirm_dialog(
            open=ProfileState.account_dialog,
            title=t("account_delete.dialog_title"),
            body=rx.text(t("account_delete.dialog_body")),
            confirm_label=t("account_delete.dialog_confirm"),
            on_confirm=ProfileState.delete_account,
            on_cancel=ProfileState.cancel_delete_account,
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def profile_page() -> rx.Component:
    return app_layout(
        rx.cond(
            ProfileState.sign_in_reset,
            rx.callout(t("verify.password_removed"), icon="shield-alert", color_scheme="amber", width="100%"),
        ),
        section("profile.details", profile_form()),
        section(
            "profile_phone.title",
            phone_status(),
            rx.cond(PhoneState.pending_phone != "", phone_code_form(), phone_number_form()),
        ),
        section("password.title", password_form()),
        section("account_delete.title", delete_account_form()),
        title_key="settings.profile",
        back=("settings.title", routes.SETTINGS),
    )
