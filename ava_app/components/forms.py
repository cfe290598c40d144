"""Form pieces: a labelled input with its inline error, so every field reads the same and is reachable by label."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t


def form_field(label_key: str, *, id: str, error: rx.Var | str = "", **input_props) -> rx.Component:
    """A label bound to its input (``for``/``id``), the input, and the field's error message when there is one."""
    return rx.vstack(
        rx.el.label(t(label_key), html_for=id, style={"fontSize": "var(--font-size-2)", "fontWeight": "500"}),
        rx.input(id=id, width="100%", size="3", aria_invalid=rx.cond(error != "", "true", "false"), **input_props),
        rx.cond(error != "", rx.text(error, color_scheme="red", size="1", role="alert")),
        spacing="1",
        width="100%",
    )
