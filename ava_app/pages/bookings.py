"""/bookings: the week (7 local days) or the upcoming list, filters, and creating, moving and cancelling bookings."""

from __future__ import annotations

import reflex as rx

from ava_app.components.date_time_input import date_input
from ava_app.components.forms import confirm_dialog, field_label, form_field
from ava_app.components.hours_editor import hours_editor
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.auth import AuthState
from ava_app.state.bookings import ANY, BookingsState
from ava_app.state.staff_editor import StaffEditorState


def _dynamic_select(options, value, on_change, *, label_key: str, any_key: str | None, id: str) -> rx.Component:
    items = [rx.select.item(t(any_key), value=ANY)] if any_key else []
    return rx.vstack(
        field_label(label_key, id=id),
        rx.select.root(
            rx.select.trigger(id=id, width="100%"),
            rx.select.content(*items, rx.foreach(options, lambda o: rx.select.item(o["name"], value=o["id"]))),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
        min_width="160px",
    )


def booking_actions(row: dict) -> rx.Component:
    return rx.cond(
        AuthState.can_write & row["live"].to(bool),
        rx.hstack(
            rx.button(
                rx.icon("pencil", size=12),
                t("bookings.edit"),
                size="1",
                variant="soft",
                on_click=BookingsState.open_edit(row["id"]),
            ),
            rx.button(
                t("bookings.cancel"),
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=BookingsState.ask_cancel(row["id"]),
            ),
            spacing="2",
            wrap="wrap",
        ),
    )


def booking_details(row: dict) -> rx.Component:
    return rx.vstack(
        rx.text(row["time"], weight="bold", size="2"),
        rx.text(row["service"], size="2"),
        rx.text(row["caller"], size="2"),
        rx.cond(row["tel"] != "", rx.link(row["phone"], href=row["tel"], size="2")),
        rx.text(row["staff"], size="1", color_scheme="gray"),
        rx.hstack(
            rx.cond(row["price"] != "", rx.text(row["price"], size="1")),
            rx.badge(row["status"], size="1"),
            rx.cond(row["call_href"] != "", rx.link(t("bookings.call_link"), href=row["call_href"], size="1")),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        booking_actions(row),
        spacing="1",
        align="start",
    )


def focus_card() -> rx.Component:
    """The booking a link opened (from a call's page or its summary email), live or cancelled, above the week."""
    row = BookingsState.focus
    return rx.cond(
        row.contains("id"),
        rx.card(
            rx.vstack(
                rx.heading(t("bookings.focus_title"), size="3"),
                rx.text(row["day"], size="2", weight="bold"),
                booking_details(row),
                spacing="2",
                width="100%",
            ),
            width="100%",
            id="booking-focus",
            class_name="booking-block",
        ),
    )


def week_block(row: dict) -> rx.Component:
    return rx.card(booking_details(row), width="100%", size="1", class_name="booking-block")


def day_column(day: dict) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.text(day["name"], weight="bold", size="2"),
            rx.text(day["label"], size="1", color_scheme="gray"),
            padding="6px",
            border_radius="6px",
            width="100%",
            bg=rx.cond(day["today"], rx.color("accent", 3), "transparent"),
        ),
        rx.foreach(day["items"].to(list[dict]), week_block),
        spacing="2",
        width="100%",
        min_width="0",
    )


def week_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.icon_button(
                rx.icon("chevron-left"),
                variant="soft",
                aria_label=t("bookings.previous"),
                on_click=BookingsState.show_week(-1),
            ),
            rx.button(t("bookings.today"), variant="soft", on_click=BookingsState.show_week(0)),
            rx.icon_button(
                rx.icon("chevron-right"),
                variant="soft",
                aria_label=t("bookings.next"),
                on_click=BookingsState.show_week(1),
            ),
            rx.text(BookingsState.week_label, size="2", weight="medium"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.cond(
            (BookingsState.rows.length() == 0) & BookingsState.enabled & (BookingsState.service_options.length() > 0),
            rx.text(t("bookings.week_empty"), size="2", color_scheme="gray", id="bookings-week-empty"),
        ),
        rx.grid(
            rx.foreach(BookingsState.days, day_column),
            columns=rx.breakpoints(initial="1", sm="2", md="4", lg="7"),
            spacing="2",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def list_row(row: dict) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.text(row["day"], weight="bold", size="2", min_width="110px"),
            booking_details(row),
            spacing="3",
            direction=rx.breakpoints(initial="column", sm="row"),
        ),
        width="100%",
    )


def list_view() -> rx.Component:
    return rx.vstack(rx.foreach(BookingsState.rows, list_row), spacing="2", width="100%")


def empty_state() -> rx.Component:
    return rx.callout(
        rx.text(rx.text.strong(t("bookings.empty_title")), " ", t("bookings.empty_hint")),
        icon="calendar",
        width="100%",
    )


def booking_form() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(BookingsState.form_mode == "edit", t("bookings.edit_title"), t("bookings.new"))),
            rx.form(
                rx.vstack(
                    rx.cond(
                        BookingsState.form_current_label != "",
                        rx.text(
                            BookingsState.form_current_label,
                            size="2",
                            color_scheme="gray",
                            id="booking-current",
                        ),
                    ),
                    _dynamic_select(
                        BookingsState.service_options,
                        BookingsState.form_service,
                        BookingsState.set_form_service,
                        label_key="bookings.service",
                        any_key=None,
                        id="booking-service",
                    ),
                    _dynamic_select(
                        BookingsState.staff_options,
                        BookingsState.form_staff,
                        BookingsState.set_form_staff,
                        label_key="bookings.staff",
                        any_key="bookings.any_staff",
                        id="booking-staff",
                    ),
                    rx.vstack(
                        field_label("bookings.day", id="booking-day"),
                        date_input(
                            BookingsState.form_day, BookingsState.set_form_day, id="booking-day", min_day="today"
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.text(t("bookings.free_times"), size="2", weight="medium"),
                    rx.cond(
                        BookingsState.slots.length() > 0,
                        rx.flex(
                            rx.foreach(
                                BookingsState.slots,
                                lambda slot: rx.button(
                                    slot["label"],
                                    type="button",
                                    size="1",
                                    variant=rx.cond(BookingsState.form_slot == slot["value"], "solid", "outline"),
                                    on_click=BookingsState.pick_slot(slot["value"]),
                                    class_name="booking-slot",
                                    custom_attrs={"data-start": slot["value"]},
                                ),
                            ),
                            wrap="wrap",
                            spacing="2",
                        ),
                        rx.text(t("bookings.no_slots"), size="2", color_scheme="gray"),
                    ),
                    rx.vstack(
                        _caller_field("bookings.caller_name", "caller_name", "caller_name"),
                        _caller_field("bookings.caller_phone", "caller_phone", "caller_phone", type="tel"),
                        _caller_field("bookings.caller_email", "caller_email", "caller_email", type="email"),
                        _caller_field("bookings.notes", "booking_notes", "notes"),
                        width="100%",
                        spacing="2",
                        key=BookingsState.form_key.to(str),
                    ),
                    rx.cond(
                        BookingsState.form_mode == "edit",
                        rx.text(t("bookings.edit_hint"), size="1", color_scheme="gray"),
                    ),
                    rx.cond(
                        BookingsState.form_error != "",
                        rx.callout(BookingsState.form_error, color_scheme="red", icon="triangle-alert", width="100%"),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("common.cancel"), type="button", variant="soft", color_scheme="gray")
                        ),
                        rx.button(t("bookings.save"), type="submit", loading=BookingsState.saving),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=BookingsState.save_booking,
                reset_on_submit=False,
            ),
            max_width="520px",
        ),
        open=BookingsState.form_open,
        on_open_change=BookingsState.close_form,
    )


def _caller_field(label_key: str, id: str, name: str, **props) -> rx.Component:
    """A caller's detail in the booking form: what is saved (an edit) or was typed (a refusal) filled in."""
    return form_field(
        label_key,
        id=id,
        name=name,
        default_value=BookingsState.form_fields.get(name, ""),
        error=BookingsState.form_field_errors.get(name, ""),
        **props,
    )


def _number(label_key: str, name: str, error_key: str, value: rx.Var | str = "") -> rx.Component:
    return form_field(
        label_key,
        id=f"bookings-{error_key}",
        name=name,
        default_value=value,
        error=BookingsState.settings_errors.get(error_key, ""),
        input_mode="numeric",
    )


def service_row(service: dict) -> rx.Component:
    return rx.hstack(
        rx.text(service["name"], weight="medium"),
        rx.text(service["duration"], " min", size="2", color_scheme="gray"),
        rx.cond(service["price_label"] != "", rx.text(service["price_label"], size="2")),
        rx.spacer(),
        rx.button(
            t("bookings.deactivate"),
            size="1",
            variant="soft",
            color_scheme="gray",
            on_click=BookingsState.deactivate_service(service["id"]),
        ),
        width="100%",
        align="center",
        wrap="wrap",
    )


def settings_section() -> rx.Component:
    grid = rx.breakpoints(initial="1", sm="2", md="4")
    return rx.card(
        rx.vstack(
            rx.heading(t("bookings.settings"), size="4"),
            rx.cond(
                BookingsState.settings_errors.contains("form"),
                rx.callout(BookingsState.settings_errors["form"], color_scheme="red", icon="triangle-alert"),
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(name="enabled", default_checked=BookingsState.rules_form["enabled"] != ""),
                            rx.text(t("bookings.enabled")),
                            align="center",
                        ),
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(
                                name="remind_day_before",
                                default_checked=BookingsState.rules_form["remind_day_before"] != "",
                            ),
                            rx.text(t("bookings.remind_day_before")),
                            align="center",
                        ),
                    ),
                    rx.grid(
                        _number(
                            "bookings.min_notice",
                            "min_notice_minutes",
                            "min_notice_minutes",
                            BookingsState.rules_form["min_notice_minutes"],
                        ),
                        _number(
                            "bookings.horizon", "horizon_days", "horizon_days", BookingsState.rules_form["horizon_days"]
                        ),
                        _number(
                            "bookings.granularity",
                            "granularity_minutes",
                            "granularity_minutes",
                            BookingsState.rules_form["granularity_minutes"],
                        ),
                        _number(
                            "bookings.max_per_day",
                            "max_per_day",
                            "max_per_day",
                            BookingsState.rules_form["max_per_day"],
                        ),
                        columns=grid,
                        spacing="3",
                        width="100%",
                    ),
                    rx.button(t("bookings.save_rules"), type="submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=BookingsState.save_rules,
                reset_on_submit=False,
                key=BookingsState.rules_form.to_string(),
            ),
            rx.divider(),
            rx.heading(t("bookings.services"), size="3"),
            rx.foreach(BookingsState.services, service_row),
            rx.form(
                rx.vstack(
                    rx.grid(
                        form_field(
                            "bookings.service_name",
                            id="bookings-service_name",
                            name="name",
                            error=BookingsState.settings_errors.get("service_name", ""),
                        ),
                        _number("bookings.duration", "duration", "service_duration"),
                        _number("bookings.price", "price", "service_price"),
                        _number("bookings.buffer", "buffer", "service_buffer"),
                        columns=grid,
                        spacing="3",
                        width="100%",
                    ),
                    rx.button(t("bookings.add_service"), type="submit", variant="soft"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=BookingsState.add_service,
                reset_on_submit=False,
            ),
            rx.divider(),
            rx.heading(t("bookings.staff_heading"), size="3"),
            rx.foreach(BookingsState.staff_options, staff_row),
            rx.form(
                rx.flex(
                    form_field("bookings.staff_name", id="bookings-staff_name", name="name"),
                    rx.button(t("bookings.add_staff"), type="submit", variant="soft"),
                    spacing="3",
                    align="end",
                    wrap="wrap",
                ),
                on_submit=BookingsState.add_staff,
                reset_on_submit=True,
            ),
            rx.text(t("bookings.staff_hint"), size="1", color_scheme="gray"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def staff_row(member: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(member["name"]),
        rx.button(
            rx.icon("pencil", size=14),
            t("bookings.edit_staff"),
            size="1",
            variant="soft",
            on_click=StaffEditorState.open_staff(member["id"].to(int)),
            aria_label=t("bookings.edit_staff"),
        ),
        justify="between",
        align="center",
        width="100%",
    )


def staff_dialog() -> rx.Component:
    """Name, services and own working hours of one staff member (admins)."""
    S = StaffEditorState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("bookings.staff_title")),
            rx.vstack(
                rx.vstack(
                    field_label("bookings.staff_name", id="staff-name"),
                    rx.input(value=S.staff_name, on_change=S.set_staff_name, id="staff-name", width="100%"),
                    spacing="1",
                    width="100%",
                ),
                rx.text(t("bookings.staff_services"), size="2", weight="medium"),
                rx.cond(
                    S.staff_services.length() == 0,
                    rx.text(t("bookings.staff_no_services"), size="1", color_scheme="gray"),
                ),
                rx.foreach(
                    S.staff_services,
                    lambda item: rx.el.label(
                        rx.hstack(
                            rx.checkbox(
                                checked=item["checked"].to(bool),
                                on_change=lambda checked: S.toggle_staff_service(item["id"], checked),
                            ),
                            rx.text(item["name"], size="2"),
                            align="center",
                        )
                    ),
                ),
                rx.divider(),
                rx.el.label(
                    rx.hstack(
                        rx.switch(checked=S.own_hours, on_change=S.set_own_hours, id="staff-own-hours"),
                        rx.vstack(
                            rx.text(t("bookings.staff_own_hours"), size="2", weight="medium"),
                            rx.text(t("bookings.staff_own_hours_hint"), size="1", color_scheme="gray"),
                            spacing="0",
                        ),
                        align="start",
                    ),
                ),
                rx.cond(S.own_hours, hours_editor(S, multi=True)),
                rx.cond(
                    S.staff_error != "",
                    rx.callout(S.staff_error, color_scheme="red", icon="triangle-alert", width="100%"),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button(t("common.cancel"), type="button", variant="soft", color_scheme="gray")),
                    rx.button(t("bookings.save"), on_click=S.save_staff, loading=S.staff_busy, id="staff-save"),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="560px",
        ),
        open=S.staff_open,
        on_open_change=S.close_staff,
    )


def bookings_page() -> rx.Component:
    return app_layout(
        rx.flex(
            rx.segmented_control.root(
                rx.segmented_control.item(t("bookings.week"), value="week"),
                rx.segmented_control.item(t("bookings.list"), value="list"),
                value=BookingsState.view,
                on_change=BookingsState.set_view,
            ),
            _dynamic_select(
                BookingsState.staff_options,
                BookingsState.filter_staff,
                BookingsState.set_filter_staff,
                label_key="bookings.staff",
                any_key="bookings.all_staff",
                id="filter-staff",
            ),
            _dynamic_select(
                BookingsState.service_options,
                BookingsState.filter_service,
                BookingsState.set_filter_service,
                label_key="bookings.service",
                any_key="bookings.all_services",
                id="filter-service",
            ),
            rx.spacer(),
            rx.cond(
                AuthState.is_admin,
                rx.button(
                    rx.icon("settings", size=16),
                    t("bookings.settings"),
                    variant="soft",
                    on_click=BookingsState.toggle_settings,
                ),
            ),
            rx.cond(
                AuthState.can_write & (BookingsState.service_options.length() > 0),
                rx.button(rx.icon("plus", size=16), t("bookings.new"), on_click=BookingsState.open_create),
            ),
            spacing="3",
            align="end",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(BookingsState.settings_open & AuthState.is_admin, settings_section()),
        focus_card(),
        rx.cond(
            BookingsState.loaded,
            rx.fragment(
                rx.cond(
                    (BookingsState.service_options.length() == 0) | ~BookingsState.enabled,
                    rx.cond(BookingsState.rows.length() == 0, empty_state()),
                ),
                rx.cond(
                    BookingsState.view == "week",
                    week_view(),
                    rx.cond(
                        BookingsState.rows.length() > 0,
                        list_view(),
                        rx.text(t("bookings.none_upcoming"), color_scheme="gray"),
                    ),
                ),
            ),
            rx.center(rx.spinner(), width="100%", padding="24px"),
        ),
        booking_form(),
        staff_dialog(),
        confirm_dialog(
            open=BookingsState.cancel_id != 0,
            title=t("bookings.cancel_title"),
            body=rx.text(t("bookings.cancel_body"), " ", rx.text.strong(BookingsState.cancel_label)),
            confirm_label=t("bookings.cancel_confirm"),
            on_confirm=BookingsState.confirm_cancel,
            on_cancel=BookingsState.close_cancel,
        ),
        title_key="nav.bookings",
    )
