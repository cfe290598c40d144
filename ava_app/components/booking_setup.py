"""Onboarding's "Appointments" card: let the assistant book, the services it offers (name, minutes, price) edited in
place, and an optional calendar to connect so bookings land in it and its busy times are respected."""

from __future__ import annotations

import reflex as rx

from ava_app.components.calendar_connections import calendar_section
from ava_app.components.i18n import t
from ava_app.state.booking_setup import BookingSetupState as S


def _error(key: rx.Var | str) -> rx.Component:
    return rx.cond(
        S.service_errors.contains(key),
        rx.text(S.service_errors[key], size="1", color_scheme="red", role="alert"),
    )


def _cell(label_key: str, field: rx.Component, error_key: rx.Var | str, width: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray", class_name="service-label"),
        field,
        _error(error_key),
        spacing="1",
        width=width,
        min_width="0",
    )


def service_row(row: rx.Var) -> rx.Component:
    key = row["id"].to(str)
    return rx.flex(
        _cell(
            "setup_bookings.service",
            rx.input(
                default_value=row["name"],
                on_blur=lambda value: S.save_service_field(key, "name", value),
                aria_label=t("setup_bookings.service"),
                max_length=80,
                width="100%",
            ),
            key + ":name:name",
            "100%",
        ),
        rx.flex(
            _cell(
                "setup_bookings.minutes",
                rx.input(
                    default_value=row["duration"],
                    on_blur=lambda value: S.save_service_field(key, "duration", value),
                    aria_label=t("setup_bookings.minutes"),
                    input_mode="numeric",
                    width="100%",
                ),
                key + ":duration:duration",
                "90px",
            ),
            _cell(
                "setup_bookings.price",
                rx.input(
                    rx.input.slot(S.currency_symbol),
                    default_value=row["price"],
                    on_blur=lambda value: S.save_service_field(key, "price", value),
                    aria_label=t("setup_bookings.price"),
                    input_mode="decimal",
                    width="100%",
                ),
                key + ":price:price",
                "120px",
            ),
            rx.icon_button(
                rx.icon("trash-2", size=16),
                variant="ghost",
                color_scheme="gray",
                on_click=S.remove_setup_service(key),
                aria_label=t("setup_bookings.remove"),
                margin_top="22px",
            ),
            gap="8px",
            align="start",
        ),
        gap="8px",
        direction=rx.breakpoints(initial="column", sm="row"),
        width="100%",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="setup-service",
        # The row is keyed by its saved values, so a value the server changed (a trimmed name) is shown again.
        key=row["id"].to(str) + row["name"].to(str) + row["duration"].to(str) + row["price"].to(str),
    )


def add_row() -> rx.Component:
    return rx.form(
        rx.flex(
            _cell(
                "setup_bookings.new_service",
                rx.input(
                    value=S.new_service_name,
                    on_change=S.set_new_service_name,
                    placeholder=t("setup_bookings.new_placeholder"),
                    id="setup-service-name",
                    max_length=80,
                    width="100%",
                ),
                "new:name",
                "100%",
            ),
            rx.flex(
                _cell(
                    "setup_bookings.minutes",
                    rx.input(
                        value=S.new_service_duration,
                        on_change=S.set_new_service_duration,
                        input_mode="numeric",
                        id="setup-service-minutes",
                        width="100%",
                    ),
                    "new:duration",
                    "90px",
                ),
                _cell(
                    "setup_bookings.price",
                    rx.input(
                        rx.input.slot(S.currency_symbol),
                        value=S.new_service_price,
                        on_change=S.set_new_service_price,
                        input_mode="decimal",
                        id="setup-service-price",
                        width="100%",
                    ),
                    "new:price",
                    "120px",
                ),
                rx.button(
                    rx.icon("plus", size=16),
                    t("setup_bookings.add"),
                    type="submit",
                    variant="soft",
                    loading=S.booking_setup_busy,
                    margin_top="22px",
                    id="setup-service-add",
                ),
                gap="8px",
                align="start",
            ),
            gap="8px",
            direction=rx.breakpoints(initial="column", sm="row"),
            width="100%",
        ),
        on_submit=lambda _form: S.add_setup_service(),
        reset_on_submit=False,
        width="100%",
    )


def booking_setup_card() -> rx.Component:
    """Shown to the owner in the wizard; loads itself when it appears."""
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading(t("setup_bookings.title"), size="4", as_="h2"),
                    rx.text(t("setup_bookings.hint"), size="2", color_scheme="gray"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.switch(
                    checked=S.booking_on,
                    on_change=S.set_booking_on,
                    id="setup-booking-on",
                    aria_label=t("setup_bookings.switch"),
                    size="3",
                ),
                gap="12px",
                align="start",
                width="100%",
            ),
            rx.cond(
                S.booking_on,
                rx.vstack(
                    rx.cond(
                        S.setup_services.length() > 0,
                        rx.vstack(rx.foreach(S.setup_services, service_row), spacing="0", width="100%"),
                        rx.text(t("setup_bookings.no_services"), size="2", color_scheme="gray"),
                    ),
                    add_row(),
                    calendar_section(then="onboarding"),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("setup_bookings.off_hint"), size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="setup-bookings",
        on_mount=S.load_booking_setup,
    )
