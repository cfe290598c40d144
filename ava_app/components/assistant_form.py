"""The assistant's personalise fields, shared by wizard step 4 and /assistant: name, language, voice, tone, greeting
with a live preview, what it knows of the business (address, services and prices, bookings, the website import),
opening hours, forwarding number and summary recipients.

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
            placeholder=state.forwarding_placeholder,
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
        section("knowledge.section", business_fields(state), rx.divider(), website_import(state)),
        section("aform.hours", hours_note or rx.fragment(), hours_editor(state)),
        section("aform.section_contact", contact_fields(state)),
        spacing="4",
        width="100%",
    )


# --- what the assistant knows of the business ---------------------------------------------------------------------


def _service_row(state, row: rx.Var, index: rx.Var) -> rx.Component:
    """One service: name, price in the business's currency, minutes; what callers will hear, and the row's error."""
    number = (index + 1).to_string()

    def cell(field: str, label_key: str, **props) -> rx.Component:
        return rx.input(
            value=row[field],
            on_change=lambda value: state.set_service_field(index, field, value),
            aria_label=t(label_key) + " " + number,
            aria_invalid=rx.cond(row["error"] != "", "true", "false"),
            size="2",
            **props,
        )

    return rx.vstack(
        rx.flex(
            cell("name", "knowledge.service_name", placeholder=t("knowledge.service_name"), flex="2 1 160px"),
            cell(
                "price",
                "knowledge.service_price",
                placeholder=t("knowledge.service_price") + " (" + state.currency_symbol + ")",
                input_mode="decimal",
                flex="1 1 90px",
            ),
            cell(
                "duration",
                "knowledge.service_duration",
                placeholder=t("knowledge.service_duration"),
                input_mode="numeric",
                flex="1 1 70px",
            ),
            rx.icon_button(
                rx.icon("x", size=14),
                on_click=state.remove_service(index),
                variant="ghost",
                color_scheme="gray",
                size="2",
                aria_label=t("knowledge.service_remove") + " " + number,
            ),
            gap="8px",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            row["shown"] != "",
            rx.text(t("knowledge.service_shown"), " ", row["shown"], size="1", color_scheme="gray"),
        ),
        rx.cond(row["error"] != "", rx.text(row["error"], color_scheme="red", size="1", role="alert")),
        spacing="1",
        width="100%",
    )


def _services_editor(state) -> rx.Component:
    return rx.vstack(
        rx.text(t("knowledge.services"), " (", state.currency_symbol, ")", size="2", weight="medium", id="af-services"),
        rx.text(t("knowledge.services_hint"), size="1", color_scheme="gray"),
        rx.cond(
            state.services.length() > 0,
            rx.vstack(
                rx.foreach(state.services, lambda row, index: _service_row(state, row, index)),
                spacing="3",
                width="100%",
                role="group",
                aria_labelledby="af-services",
            ),
            rx.text(t("knowledge.service_empty"), size="2", color_scheme="gray"),
        ),
        rx.cond(
            state.services.length() < 10,
            rx.button(rx.icon("plus", size=14), t("knowledge.service_add"), on_click=state.add_service, variant="soft"),
            rx.text(t("knowledge.service_full"), size="1", color_scheme="gray"),
        ),
        field_error(_error(state, "services"), id="af-services"),
        spacing="2",
        width="100%",
    )


def _booking_picker(state) -> rx.Component:
    return rx.vstack(
        rx.text(t("knowledge.booking"), size="2", weight="medium", id="af-booking-label"),
        rx.radio_group.root(
            rx.flex(
                *[
                    rx.el.label(
                        rx.radio_group.item(value=value),
                        rx.text(t(f"knowledge.booking.{value}"), size="2"),
                        style={"display": "flex", "gap": "6px", "alignItems": "center", "cursor": "pointer"},
                    )
                    for value in ("message", "walk_in")
                ],
                direction="column",
                gap="8px",
            ),
            value=state.booking_mode,
            on_change=state.set_booking_mode,
            aria_labelledby="af-booking-label",
        ),
        text_area(
            state,
            "booking",
            "knowledge.booking_policy",
            state.booking_policy,
            state.set_booking_policy,
            rows="2",
            hint_key="knowledge.booking_policy_hint",
        ),
        spacing="2",
        width="100%",
    )


def business_fields(state) -> rx.Component:
    """Address and access, the main services with price and duration, and what to do for bookings."""
    return rx.vstack(
        rx.text(t("knowledge.section_hint"), size="2", color_scheme="gray"),
        text_input(
            state,
            "address",
            "knowledge.address",
            state.address,
            state.set_address,
            hint_key="knowledge.address_hint",
            auto_complete="street-address",
        ),
        text_area(
            state,
            "access",
            "knowledge.access",
            state.access,
            state.set_access,
            rows="2",
            hint_key="knowledge.access_hint",
        ),
        _services_editor(state),
        _booking_picker(state),
        spacing="4",
        width="100%",
    )


def _finding(state, item: rx.Var, index: rx.Var) -> rx.Component:
    kind = rx.match(
        item["kind"],
        ("phone", t("knowledge.kind.phone")),
        ("email", t("knowledge.kind.email")),
        ("address", t("knowledge.kind.address")),
        ("hours", t("knowledge.kind.hours")),
        t("knowledge.kind.faq"),
    )
    return rx.el.label(
        rx.checkbox(
            checked=item["chosen"] != "",
            on_change=lambda chosen: state.toggle_site_item(index, chosen),
            margin_top="3px",
        ),
        rx.vstack(
            rx.badge(kind, variant="soft", size="1"),
            rx.cond(
                item["kind"] == "faq",
                rx.vstack(
                    rx.text(item["question"], weight="bold", size="2"),
                    rx.text(item["answer"], size="2", color_scheme="gray"),
                    spacing="0",
                ),
                rx.text(item["value"], size="2"),
            ),
            spacing="1",
            min_width="0",
        ),
        style={
            "display": "flex",
            "gap": "10px",
            "alignItems": "flex-start",
            "cursor": "pointer",
            "padding": "8px 0",
            "borderBottom": f"1px solid {rx.color('gray', 4)}",
            "width": "100%",
            "overflowWrap": "anywhere",
        },
    )


def _hours_proposal(state) -> rx.Component:
    """Hours read from the website, offered as the business hours: taken only when the owner says so."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("clock", size=16)),
        rx.vstack(
            rx.text(t("knowledge.site.hours_found"), weight="bold", size="2"),
            rx.text(state.site_hours_text, size="2", data_testid="site-hours"),
            rx.text(t("knowledge.site.hours_ask"), size="2"),
            rx.flex(
                rx.button(t("knowledge.site.hours_use"), on_click=state.use_site_hours, size="2"),
                rx.button(
                    t("knowledge.site.hours_keep"),
                    on_click=state.keep_own_hours,
                    variant="soft",
                    color_scheme="gray",
                    size="2",
                ),
                gap="8px",
                wrap="wrap",
            ),
            spacing="2",
            min_width="0",
        ),
        color_scheme="blue",
        size="1",
        width="100%",
        role="region",
        aria_label=t("knowledge.site.hours_found"),
    )


def website_import(state) -> rx.Component:
    """One URL in, what the page says out, accepted item by item (nothing is kept before that)."""
    return rx.vstack(
        rx.text(t("knowledge.site.title"), size="3", weight="bold"),
        rx.text(t("knowledge.site.hint"), size="1", color_scheme="gray"),
        rx.flex(
            rx.input(
                id="af-site-url",
                value=state.site_url,
                on_change=state.set_site_url,
                placeholder="https://www.example.com",
                type="url",
                aria_label=t("knowledge.site.url"),
                flex="1 1 220px",
                size="3",
            ),
            rx.button(
                rx.icon("globe", size=16),
                t("knowledge.site.read"),
                on_click=state.import_site,
                loading=state.site_busy,
                variant="outline",
                size="3",
            ),
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(state.site_busy, rx.text(t("knowledge.site.reading"), size="1", color_scheme="gray", role="status")),
        rx.cond(
            state.site_error != "",
            rx.callout(
                state.site_error, icon="triangle-alert", color_scheme="red", size="1", role="alert", width="100%"
            ),
        ),
        rx.cond(state.site_hours_text != "", _hours_proposal(state)),
        rx.cond(
            state.site_items.length() > 0,
            rx.vstack(
                rx.text(t("knowledge.site.found"), size="2", weight="medium"),
                rx.vstack(
                    rx.foreach(state.site_items, lambda item, index: _finding(state, item, index)),
                    spacing="0",
                    width="100%",
                ),
                rx.hstack(
                    rx.button(t("knowledge.site.add"), on_click=state.accept_site_items, size="2"),
                    rx.button(
                        t("knowledge.site.dismiss"), on_click=state.dismiss_site, variant="soft", color_scheme="gray"
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )
