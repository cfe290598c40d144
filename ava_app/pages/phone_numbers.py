"""/phone-numbers: the organisation's numbers, adding one, a number's settings, sync retry and release."""

from __future__ import annotations

import reflex as rx

from ava_app.components.date_time_input import date_input
from ava_app.components.forms import confirm_dialog
from ava_app.components.hours_editor import hours_editor
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.components.number_flows import number_flows
from ava_app.components.reach import reach_panel
from ava_app.state.phone_numbers import PhoneNumbersState

S = PhoneNumbersState
AFTER_HOURS = (
    ("voicemail", "numbers.after.voicemail"),
    ("forward", "numbers.after.forward"),
    ("ai", "numbers.after.ai"),
)


def sync_badge(row: dict) -> rx.Component:
    return rx.match(
        row["sync_status"],
        ("synced", rx.badge(t("numbers.sync.synced"), color_scheme="green", variant="soft")),
        ("failed", rx.badge(t("numbers.sync.failed"), color_scheme="amber", title=row["sync_error"])),
        rx.badge(t("numbers.sync.pending"), color_scheme="blue", variant="soft"),
    )


def status_badge(row: dict) -> rx.Component:
    return rx.match(
        row["status"],
        ("active", rx.badge(t("numbers.status.active"), color_scheme="green")),
        ("pending", rx.badge(t("numbers.status.pending"), color_scheme="blue")),
        ("activating", rx.badge(t("numbers.status.activating"), color_scheme="blue")),
        rx.badge(row["status"], color_scheme="gray"),
    )


def row_actions(row: dict) -> rx.Component:
    return rx.hstack(
        rx.cond(
            (row["sync_status"] == "failed") & S.can_write,
            rx.button(
                rx.icon("refresh-cw", size=14),
                t("numbers.retry"),
                on_click=S.retry_sync(row["id"]),
                loading=S.busy_number == row["id"],
                size="1",
                variant="soft",
                color_scheme="amber",
            ),
        ),
        rx.cond(
            S.can_write,
            rx.button(
                rx.icon("settings-2", size=14),
                t("numbers.configure"),
                on_click=S.open_config(row["id"]),
                size="1",
                variant="soft",
                aria_label=t("numbers.configure") + " " + row["shown"],
            ),
        ),
        rx.cond(
            S.is_admin,
            rx.button(
                t("numbers.release"),
                on_click=S.ask_release(row["id"], row["e164"]),
                size="1",
                variant="ghost",
                color_scheme="red",
                aria_label=t("numbers.release") + " " + row["shown"],
            ),
        ),
        spacing="2",
        wrap="wrap",
    )


def number_card(row: dict) -> rx.Component:
    """One number: a card that reads the same on a phone and on a desktop."""
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(row["shown"], weight="bold", size="4", style={"fontVariantNumeric": "tabular-nums"}),
                    status_badge(row),
                    sync_badge(row),
                    wrap="wrap",
                    align="center",
                    spacing="2",
                ),
                rx.text(row["label"], size="2", color_scheme="gray"),
                spacing="1",
                min_width="220px",
                flex="1",
            ),
            row_actions(row),
            gap="12px",
            wrap="wrap",
            align="start",
            width="100%",
        ),
        rx.grid(
            _fact("numbers.col.provider", row["provider"]),
            _fact("numbers.col.assistant", row["assistant"]),
            _fact("numbers.col.created", row["created"]),
            rx.cond(row["forwarding"] != "", _fact("numbers.forwarding", row["forwarding"], testid="forwarding")),
            columns=rx.breakpoints(initial="2", sm="3"),
            gap="8px",
            margin_top="12px",
            width="100%",
        ),
        rx.vstack(
            rx.text(t("numbers.col.hours"), size="1", color_scheme="gray"),
            rx.text(row["hours"], size="2", data_testid="hours-summary"),
            spacing="0",
            margin_top="8px",
        ),
        width="100%",
        data_number=row["e164"],
    )


def _fact(label_key: str, value, *, testid: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        rx.text(value, size="2", **({"data_testid": testid} if testid else {})),
        spacing="0",
    )


def add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(t("numbers.add_title"), margin="0"),
                rx.spacer(),
                rx.dialog.close(
                    rx.icon_button(rx.icon("x"), variant="ghost", color_scheme="gray", aria_label=t("numbers.done"))
                ),
                align="center",
                width="100%",
            ),
            rx.box(number_flows(), margin_top="12px"),
            max_width="680px",
        ),
        open=S.add_open,
        on_open_change=S.set_add_open,
    )


def _labelled(label_key: str, control: rx.Component, error=None, *, id: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(t(label_key), html_for=id, style={"fontSize": "14px", "fontWeight": "500"}),
        control,
        rx.cond(error, rx.text(error, color_scheme="red", size="1", role="alert"))
        if error is not None
        else rx.fragment(),
        spacing="1",
        width="100%",
    )


def holidays_editor() -> rx.Component:
    return rx.vstack(
        rx.text(t("numbers.holidays"), weight="medium", size="2"),
        rx.text(t("numbers.holidays_hint"), size="1", color_scheme="gray"),
        rx.hstack(
            date_input(
                S.new_holiday,
                S.set_new_holiday,
                id="holiday-day",
                aria_label=t("numbers.holidays"),
                min_day="today",
                width="170px",
            ),
            rx.button(t("numbers.add_day"), on_click=S.add_holiday, size="2", variant="soft"),
            spacing="2",
        ),
        rx.flex(
            rx.foreach(
                S.holiday_items,
                lambda day: rx.badge(
                    day["label"],
                    rx.icon(
                        "x",
                        size=12,
                        cursor="pointer",
                        on_click=S.remove_holiday(day["value"]),
                        aria_label=t("numbers.remove_day"),
                    ),
                    size="2",
                    variant="soft",
                ),
            ),
            gap="6px",
            wrap="wrap",
        ),
        rx.cond(
            S.config_errors.contains("holidays"), rx.text(S.config_errors["holidays"], color_scheme="red", size="1")
        ),
        spacing="2",
        width="100%",
    )


def config_dialog() -> rx.Component:
    hours = rx.vstack(
        rx.hstack(
            rx.text(t("numbers.hours"), weight="medium", size="2"),
            rx.spacer(),
            rx.cond(
                S.week.length() > 0,
                rx.button(t("numbers.clear_hours"), on_click=S.always_open, size="1", variant="ghost"),
                rx.button(t("numbers.set_hours"), on_click=S.use_hours, size="1", variant="soft"),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            S.week.length() > 0,
            hours_editor(S, multi=True),
            rx.text(t("numbers.always_open_note"), size="2", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("numbers.config_title"), " ", S.editing_shown),
            rx.vstack(
                hours,
                holidays_editor(),
                _labelled(
                    "numbers.after_hours",
                    rx.radio_group.root(
                        rx.vstack(
                            *[
                                rx.el.label(
                                    rx.radio_group.item(value=value),
                                    rx.text(t(key), size="2"),
                                    style={"display": "flex", "gap": "8px", "alignItems": "center"},
                                )
                                for value, key in AFTER_HOURS
                            ],
                            spacing="2",
                        ),
                        value=S.after_hours,
                        on_change=S.set_after_hours,
                        id="nc-after",
                    ),
                    S.config_errors.get("after_hours_action", ""),
                    id="nc-after",
                ),
                _labelled(
                    "numbers.route",
                    rx.select.root(
                        rx.select.trigger(id="nc-route", width="100%"),
                        rx.select.content(
                            rx.select.item(t("numbers.route_none"), value="none"),
                            rx.foreach(S.assistant_options, lambda a: rx.select.item(a["name"], value=a["id"])),
                        ),
                        value=S.route_to,
                        on_change=S.set_route_to,
                    ),
                    S.config_errors.get("assistant_id", ""),
                    id="nc-route",
                ),
                _labelled(
                    "numbers.forwarding",
                    rx.input(
                        id="nc-forwarding",
                        value=S.forwarding,
                        on_change=S.set_forwarding,
                        type="tel",
                        placeholder=S.forwarding_placeholder,
                        auto_complete="tel",
                        width="100%",
                    ),
                    S.config_errors.get("forwarding_number", ""),
                    id="nc-forwarding",
                ),
                _labelled(
                    "numbers.voicemail",
                    rx.text_area(
                        id="nc-voicemail", value=S.voicemail, on_change=S.set_voicemail, rows="2", width="100%"
                    ),
                    S.config_errors.get("voicemail_message", ""),
                    id="nc-voicemail",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                    rx.button(t("numbers.save"), on_click=S.save_config, loading=S.config_saving),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                margin_top="12px",
                width="100%",
            ),
            max_width="640px",
        ),
        open=S.editing_id > 0,
        on_open_change=S.close_config,
    )


def phone_numbers_page() -> rx.Component:
    return app_layout(
        rx.flex(
            rx.text(t("numbers.subtitle"), color_scheme="gray", flex="1", min_width="240px"),
            rx.cond(
                S.is_admin,
                rx.button(rx.icon("plus", size=16), t("numbers.add"), on_click=S.set_add_open(True), size="3"),
            ),
            gap="12px",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            S.numbers.length() > 0,
            rx.vstack(rx.foreach(S.numbers, number_card), spacing="3", width="100%", max_width="900px"),
            rx.callout(t("numbers.empty"), icon="phone", width="100%"),
        ),
        rx.card(
            rx.vstack(
                rx.heading(t("reach.title"), size="5"),
                reach_panel(on_get_number=S.set_add_open(True)),
                spacing="3",
                width="100%",
            ),
            id="reach",
            width="100%",
            max_width="900px",
        ),
        add_dialog(),
        config_dialog(),
        confirm_dialog(
            open=S.release_id > 0,
            title=t("numbers.release_title"),
            body=rx.vstack(rx.text(S.release_shown, weight="bold"), rx.text(t("numbers.release_body"))),
            confirm_label=t("numbers.release"),
            on_confirm=S.release,
            on_cancel=S.cancel_release,
        ),
        title_key="numbers.title",
    )
