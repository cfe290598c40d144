"""Form pieces: labelled inputs and selects with their inline error, so every field reads the same and is reachable
by label; and the one confirmation dialog shape used before anything destructive."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t


def field_label(label_key: str, *, id: str) -> rx.Component:
    return rx.el.label(t(label_key), html_for=id, style={"fontSize": "var(--font-size-2)", "fontWeight": "500"})


def field_error(error: rx.Var | str, *, id: str) -> rx.Component:
    return rx.cond(error, rx.text(error, id=f"{id}-error", color_scheme="red", size="1", role="alert"))


def form_field(label_key: str, *, id: str, error: rx.Var | str = "", hint_key: str = "", **input_props) -> rx.Component:
    """A label bound to its input (``for``/``id``), the input, an optional rule hint, and the field's error."""
    hint = rx.text(t(hint_key), id=f"{id}-hint", size="1", color_scheme="gray") if hint_key else rx.fragment()
    return rx.vstack(
        field_label(label_key, id=id),
        rx.input(
            id=id,
            width="100%",
            size="3",
            aria_invalid=rx.cond(error, "true", "false"),
            aria_describedby=f"{id}-hint {id}-error" if hint_key else f"{id}-error",
            **input_props,
        ),
        hint,
        field_error(error, id=id),
        spacing="1",
        width="100%",
    )


def select_field(
    label_key: str,
    options: list[tuple[str, str]],
    *,
    id: str,
    error: rx.Var | str = "",
    placeholder_key: str = "",
    **select_props,
) -> rx.Component:
    """A labelled select; ``options`` are (value, label key) pairs."""
    return rx.vstack(
        field_label(label_key, id=id),
        rx.select.root(
            rx.select.trigger(id=id, width="100%", placeholder=t(placeholder_key) if placeholder_key else None),
            rx.select.content(*[rx.select.item(t(key), value=value) for value, key in options]),
            size="3",
            **select_props,
        ),
        field_error(error, id=id),
        spacing="1",
        width="100%",
    )


def form_alert(message: rx.Var, *, color_scheme: str = "red", icon: str = "triangle-alert") -> rx.Component:
    """A message about the whole form (rate limit, expired link...), read out when it appears."""
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme=color_scheme, width="100%", role="alert"),
    )


def confirm_dialog(
    *,
    open: rx.Var,
    title: rx.Var | str,
    body: rx.Component,
    confirm_label: rx.Var | str,
    on_confirm,
    on_cancel,
    danger: bool = True,
) -> rx.Component:
    """A confirmation before a destructive action; Escape or Cancel closes it without doing anything."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(body, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(confirm_label, color_scheme="red" if danger else "accent", on_click=on_confirm)
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="460px",
        ),
        open=open,
        on_open_change=on_cancel,
    )


def sms_code_field(*, id: str, error: rx.Var | str = "") -> rx.Component:
    """The field for a code received by SMS (login, or confirming a number): digits, offered by the phone's keyboard."""
    return form_field(
        "login.sms_code",
        id=id,
        name="code",
        input_mode="numeric",
        auto_complete="one-time-code",
        auto_focus=True,
        max_length=10,
        error=error,
    )
