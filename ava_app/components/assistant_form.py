"""The assistant's personalise fields, shared by wizard step 4 and /assistant: name, language, voice, tone, greeting
with a live preview, opening hours, forwarding number and summary recipients.

Every function takes the state class (``AssistantFormState`` or its subclass), so both pages bind the same fields.
"""

from __future__ import annotations

import reflex as rx

from ava_app.components.forms import field_error, field_label
from ava_app.components.hours_editor import hours_editor
from ava_app.components.i18n import t
from ava_app.languages import LANGUAGES
from ava_app.state.i18n import I18nState

LANGUAGE_OPTIONS = tuple((code, f"aform.lang.{code}") for code in LANGUAGES)
TONE_OPTIONS = (
    ("professional", "aform.tone.professional"),
    ("friendly", "aform.tone.friendly"),
    ("cheerful", "aform.tone.cheerful"),
)


def _error(state, field: str) -> rx.Var:
    return state.errors.get(field, "")


def text_input(state, field: str, label_key: str, value, on_change, *, hint_key: str = "", **props) -> rx.Component:
    """A labelled, controlled input whose error comes from ``state.errors[field]``."""
    error = _error(state, field)
    return rx.vstack(
        field_label(label_key, id=f"af-{field}"),
        rx.input(
            id=f"af-{field}",
            value=value,
            on_change=on_change,
            width="100%",
            size="3",
            aria_invalid=rx.cond(error, "true", "false"),
            **props,
        ),
        rx.text(t(hint_key), size="1", color_scheme="gray") if hint_key else rx.fragment(),
        field_error(error, id=f"af-{field}"),
        spacing="1",
        width="100%",
    )


def text_area(state, field: str, label_key: str, value, on_change, *, rows: str = "3", hint_key: str = ""):
    error = _error(state, field)
    return rx.vstack(
        field_label(label_key, id=f"af-{field}"),
        rx.text_area(
            id=f"af-{field}",
            value=value,
            on_change=on_change,
            rows=rows,
            width="100%",
            size="3",
            aria_invalid=rx.cond(error, "true", "false"),
        ),
        rx.text(t(hint_key), size="1", color_scheme="gray") if hint_key else rx.fragment(),
        field_error(error, id=f"af-{field}"),
        spacing="1",
        width="100%",
    )


def _language_select(state) -> rx.Component:
    return rx.vstack(
        field_label("aform.language", id="af-language"),
        rx.select.root(
            rx.select.trigger(id="af-language", width="100%"),
            rx.select.content(*[rx.select.item(t(key), value=value) for value, key in LANGUAGE_OPTIONS]),
            value=state.language,
            on_change=state.set_language,
            size="3",
        ),
        field_error(_error(state, "language"), id="af-language"),
        spacing="1",
        width="100%",
    )


def _voice_select(state) -> rx.Component:
    return rx.vstack(
        field_label("aform.voice", id="af-voice"),
        rx.select.root(
            rx.select.trigger(id="af-voice", width="100%"),
            rx.select.content(
                rx.foreach(
                    state.voices,
                    lambda v: rx.select.item(
                        rx.cond(I18nState.lang == "fr", v["label_fr"], v["label_en"]), value=v["value"]
                    ),
                )
            ),
            value=state.voice,
            on_change=state.set_voice,
            size="3",
        ),
        field_error(_error(state, "voice"), id="af-voice"),
        spacing="1",
        width="100%",
    )


def _tone_picker(state) -> rx.Component:
    return rx.vstack(
        rx.text(t("aform.tone"), size="2", weight="medium", id="af-tone-label"),
        rx.radio_group.root(
            rx.flex(
                *[
                    rx.el.label(
                        rx.radio_group.item(value=value),
                        rx.text(t(key), size="2"),
                        style={"display": "flex", "gap": "6px", "alignItems": "center", "cursor": "pointer"},
                    )
                    for value, key in TONE_OPTIONS
                ],
                gap="16px",
                wrap="wrap",
            ),
            value=state.tone,
            on_change=state.set_tone,
            aria_labelledby="af-tone-label",
        ),
        spacing="2",
        width="100%",
    )


def greeting_preview(state) -> rx.Component:
    """How the greeting reads to a caller, updated as it is typed."""
    return rx.vstack(
        rx.text(t("aform.preview"), size="1", color_scheme="gray", weight="medium"),
        rx.hstack(
            rx.center(
                rx.icon("bot", size=16, color="white"),
                bg=rx.color("accent", 9),
                width="28px",
                height="28px",
                min_width="28px",
                border_radius="999px",
            ),
            rx.box(
                rx.text(state.a_name, size="1", weight="bold", color=rx.color("accent", 11)),
                rx.text(state.greeting, size="2", white_space="pre-wrap"),
                bg=rx.color("accent", 3),
                padding="8px 12px",
                border_radius="4px 12px 12px 12px",
                max_width="100%",
            ),
            align="start",
            spacing="2",
            width="100%",
        ),
        spacing="1",
        width="100%",
        aria_live="polite",
    )


def voice_fields(state) -> rx.Component:
    """Name, language, voice, tone, greeting and its preview."""
    return rx.vstack(
        rx.grid(
            text_input(state, "name", "aform.name", state.a_name, state.set_a_name),
            _language_select(state),
            columns=rx.breakpoints(initial="1", sm="2"),
            gap="16px",
            width="100%",
        ),
        _voice_select(state),
        _tone_picker(state),
        text_area(
            state, "greeting", "aform.greeting", state.greeting, state.set_greeting, hint_key="aform.greeting_hint"
        ),
        greeting_preview(state),
        spacing="4",
        width="100%",
    )


def contact_fields(state, *, with_forwarding: bool = True) -> rx.Component:
    """Forwarding number (on the numbers) and who gets the call summaries."""
    return rx.vstack(
        text_input(
            state,
            "forwarding",
            "aform.forwarding",
            state.forwarding,
            state.set_forwarding,
            hint_key="aform.forwarding_hint",
            type="tel",
            placeholder="+33 6 12 34 56 78",
        )
        if with_forwarding
        else rx.fragment(),
        text_input(
            state,
            "recipients",
            "aform.recipients",
            state.recipients,
            state.set_recipients,
            hint_key="aform.recipients_hint",
            placeholder="owner@example.com",
        ),
        spacing="4",
        width="100%",
    )


def section(title_key: str, *children: rx.Component) -> rx.Component:
    """A titled card of the form."""
    return rx.card(
        rx.vstack(rx.heading(t(title_key), size="4"), *children, spacing="4", width="100%"),
        width="100%",
    )


def personalise_form(state, *, hours_note: rx.Component | None = None) -> rx.Component:
    """Wizard step 4: every personalise field, hours included."""
    return rx.vstack(
        section("aform.section_voice", voice_fields(state)),
        section("aform.hours", hours_note or rx.fragment(), hours_editor(state)),
        section("aform.section_contact", contact_fields(state)),
        spacing="4",
        width="100%",
    )
