"""A horizontal stepper: numbered steps with their names, the current one marked, finished ones clickable."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t


def _step(index: int, label_key: str, *, current: rx.Var, reached: rx.Var, on_select) -> rx.Component:
    number = index + 1
    is_current = current == number
    done = (reached >= number) & ~is_current
    badge = rx.center(
        rx.cond(done, rx.icon("check", size=14), rx.text(str(number), size="1", weight="bold")),
        width="26px",
        height="26px",
        min_width="26px",
        border_radius="999px",
        bg=rx.cond(is_current | done, rx.color("accent", 9), rx.color("gray", 4)),
        color=rx.cond(is_current | done, "white", rx.color("gray", 11)),
    )
    # Names of other steps are hidden on phones, so six steps fit in 390 px; the current one shows unless the
    # ``compact`` rule hides it too (the page says "Step n of 6" and the card's heading names it).
    label = rx.el.span(
        rx.text(
            t(label_key),
            size="2",
            weight=rx.cond(is_current, "bold", "regular"),
            color=rx.cond(is_current, rx.color("gray", 12), rx.color("gray", 11)),
            white_space="nowrap",
        ),
        display=rx.cond(is_current, "inline", "none"),
        class_name=rx.cond(is_current, "ava-step-current", "ava-step-name"),
    )
    return rx.el.button(
        rx.hstack(badge, label, spacing="2", align="center"),
        on_click=on_select(number),
        disabled=~done,
        aria_current=rx.cond(is_current, "step", ""),
        aria_label=t(label_key),
        style={
            "background": "none",
            "border": "none",
            "padding": "4px",
            "cursor": rx.cond(done, "pointer", "default"),
            "borderRadius": "8px",
        },
    )


def _connector() -> rx.Component:
    return rx.box(flex="1", height="2px", min_width="4px", bg=rx.color("gray", 5))


def stepper(steps: list[str], *, current: rx.Var, reached: rx.Var, on_select) -> rx.Component:
    """``steps``: label keys in order; ``current``: the 1-based step shown; ``reached``: the furthest step finished
    or shown, so every step up to it can be revisited; ``on_select(number)``: the event to open a step."""
    items: list[rx.Component] = []
    for index, key in enumerate(steps):
        if index:
            items.append(_connector())
        items.append(_step(index, key, current=current, reached=reached, on_select=on_select))
    return rx.el.nav(
        # Radix breakpoints cannot be combined with a condition, so the wide-screen rule is plain CSS.
        rx.el.style(
            "@media (min-width: 768px) { .ava-step-name { display: inline !important; } }"
            + (
                "@media (max-width: 479px) { .ava-step-current { display: none !important; } }"
                if len(steps) > 5
                else ""
            )
        ),
        rx.hstack(*items, align="center", spacing="1", width="100%"),
        aria_label=t("onb.title"),
        width="100%",
    )
