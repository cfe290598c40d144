"""How calls reach AVA: the AVA number large, a call to try it, and the forwarding of an existing line with the
codes of the owner's carrier. The wizard's last step and /phone-numbers show it; the dashboard card links to it."""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import field_error, field_label
from ava_app.components.i18n import t
from ava_app.state.reach import ReachState

S = ReachState
MONO = {"fontVariantNumeric": "tabular-nums", "fontFamily": "var(--code-font-family)", "letterSpacing": "0.02em"}


def number_block() -> rx.Component:
    """The AVA number, big enough to read across a counter, and how to try it."""
    return rx.vstack(
        rx.text(t("reach.your_number"), size="2", color_scheme="gray", weight="medium"),
        rx.link(
            rx.text(S.number_display, size=rx.breakpoints(initial="7", sm="8"), weight="bold", style=MONO),
            href=S.number_tel,
            underline="none",
            id="reach-number",
        ),
        rx.text(t("reach.give_out"), size="2", color_scheme="gray"),
        rx.callout.root(
            rx.callout.icon(rx.icon("smartphone")),
            rx.vstack(
                rx.text(t("reach.call_now"), weight="bold"),
                rx.text(t("reach.call_now_body"), size="2"),
                rx.cond(
                    S.emulator_calls & S.can_write,
                    rx.vstack(
                        rx.button(
                            rx.icon("phone-outgoing", size=16),
                            t("reach.sandbox_call"),
                            on_click=S.place_call,
                            loading=S.placing_call,
                            variant="soft",
                        ),
                        rx.text(t("reach.sandbox_note"), size="1", color_scheme="gray"),
                        spacing="1",
                    ),
                ),
                spacing="2",
            ),
            color_scheme="blue",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _code_row(code: dict) -> rx.Component:
    return rx.flex(
        rx.text(code["label"], size="2", flex="1", min_width="180px"),
        rx.flex(
            rx.link(
                rx.code(code["dial"], size="3", style=MONO),
                href=code["dial_link"],
                underline="none",
                aria_label=code["label"],
                class_name="reach-code",
            ),
            rx.text(
                t("reach.to_stop"),
                " ",
                rx.link(rx.code(code["cancel"], style=MONO), href=code["cancel_link"], underline="none"),
                size="1",
                color_scheme="gray",
            ),
            direction="column",
            gap="2px",
            align="start",
        ),
        gap="8px",
        wrap="wrap",
        align="center",
        width="100%",
        padding_y="8px",
        border_top=f"1px solid {rx.color('gray', 4)}",
    )


def _status() -> rx.Component:
    return rx.cond(
        S.line_display == "",
        rx.text(t("reach.status.no_line"), size="2", color_scheme="gray"),
        rx.cond(
            S.confirmed,
            rx.callout(
                t("reach.status.confirmed"), icon="circle-check", color_scheme="green", width="100%", id="reach-status"
            ),
            rx.callout.root(
                rx.callout.icon(rx.icon("hourglass")),
                rx.vstack(
                    rx.text(t("reach.status.waiting"), size="2"),
                    rx.cond(
                        S.check_until != "",
                        rx.text(S.check_note, size="2", weight="medium", id="reach-check"),
                        rx.text(t("reach.check_how"), size="2"),
                    ),
                    rx.cond(S.not_seen, rx.text(t("reach.not_seen"), size="2", weight="medium")),
                    rx.text(t("reach.status.carrier_note"), size="1", color_scheme="gray"),
                    rx.flex(
                        rx.cond(
                            S.can_write,
                            rx.button(
                                rx.icon("phone-forwarded", size=14),
                                t("reach.start_check"),
                                on_click=S.start_check,
                                loading=S.starting_check,
                                id="reach-start-check",
                            ),
                        ),
                        rx.button(
                            rx.icon("refresh-cw", size=14), t("reach.check"), on_click=S.check_again, variant="soft"
                        ),
                        rx.cond(
                            S.emulator_calls & S.can_write,
                            rx.button(
                                rx.icon("flask-conical", size=14),
                                t("reach.simulate_forwarded"),
                                on_click=S.simulate_forwarded_call,
                                loading=S.simulating,
                                variant="outline",
                            ),
                        ),
                        gap="8px",
                        wrap="wrap",
                    ),
                    spacing="2",
                ),
                color_scheme="amber",
                width="100%",
                id="reach-status",
            ),
        ),
    )


def _line_form() -> rx.Component:
    """The existing line and the carrier (writers)."""
    return rx.form(
        rx.grid(
            rx.vstack(
                field_label("reach.existing_line", id="reach-line"),
                rx.hstack(
                    rx.input(
                        id="reach-line",
                        value=S.line_input,
                        on_change=S.set_line_input,
                        type="tel",
                        auto_complete="tel",
                        size="3",
                        width="100%",
                        aria_invalid=rx.cond(S.line_error, "true", "false"),
                        aria_describedby="reach-line-error",
                    ),
                    rx.button(t("reach.save_line"), type="submit", loading=S.line_saving, size="3"),
                    width="100%",
                ),
                field_error(S.line_error, id="reach-line"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                field_label("reach.carrier", id="reach-carrier"),
                rx.select.root(
                    rx.select.trigger(id="reach-carrier", width="100%"),
                    rx.select.content(
                        rx.foreach(S.carrier_options, lambda c: rx.select.item(c["name"], value=c["key"]))
                    ),
                    value=S.carrier_key,
                    on_change=S.set_carrier,
                    size="3",
                ),
                spacing="1",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            gap="12px",
            width="100%",
        ),
        on_submit=S.save_line,
        width="100%",
    )


def forwarding_block() -> rx.Component:
    """The existing line, the carrier, then what to dial and whether a forwarded call was seen."""
    return rx.vstack(
        rx.heading(t("reach.keep_title"), size="4"),
        rx.text(t("reach.keep_body"), size="2", color_scheme="gray"),
        # Viewers read the codes and the status; typing the line and choosing the carrier are for writers.
        rx.cond(S.can_write, _line_form()),
        rx.cond(
            S.line_display != "",
            rx.vstack(
                rx.text(t("reach.recommended"), size="2", weight="medium"),
                rx.box(rx.foreach(S.codes, _code_row), width="100%", id="reach-codes"),
                rx.cond(
                    S.cancel_all_code != "",
                    rx.text(
                        t("reach.cancel_all"),
                        " ",
                        rx.link(rx.code(S.cancel_all_code, style=MONO), href=S.cancel_all_link, underline="none"),
                        size="2",
                    ),
                ),
                rx.text(t("reach.tap_hint"), size="1", color_scheme="gray"),
                rx.cond(S.carrier_note, rx.text(t("reach.other_note"), size="1", color_scheme="gray")),
                spacing="2",
                width="100%",
            ),
        ),
        _status(),
        spacing="3",
        width="100%",
    )


def no_number_block(*, on_get_number) -> rx.Component:
    """Nothing rings the assistant yet: say so and offer the way to a number."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("phone-off")),
        rx.vstack(
            rx.text(t("reach.no_number_title"), weight="bold"),
            rx.text(t("reach.no_number_body"), size="2"),
            rx.button(rx.icon("phone", size=16), t("reach.go_number"), on_click=on_get_number),
            spacing="2",
        ),
        color_scheme="amber",
        width="100%",
        id="reach-no-number",
    )


def reach_panel(*, on_get_number) -> rx.Component:
    """The whole "How calls reach AVA" content (loading, no number, or number + forwarding)."""
    return rx.cond(
        S.reach_loaded,
        rx.cond(
            S.has_number,
            rx.vstack(number_block(), rx.separator(size="4"), forwarding_block(), spacing="4", width="100%"),
            no_number_block(on_get_number=on_get_number),
        ),
        rx.center(rx.spinner(size="2"), width="100%", padding="16px"),
    )
