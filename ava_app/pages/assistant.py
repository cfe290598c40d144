"""/assistant: everything the wizard set, editable later, plus instructions, knowledge base, call handling,
provider sync and version history."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.assistant_form import (
    business_fields,
    contact_fields,
    section,
    text_area,
    text_input,
    voice_fields,
    website_import,
)
from ava_app.components.i18n import t
from ava_app.components.industry_cards import industry_cards
from ava_app.components.layout import app_layout
from ava_app.components.test_call import test_call_panel
from ava_app.state.assistant import AssistantState

S = AssistantState


def confirm(*, open: rx.Var, title_key: str, body_key: str, label_key: str, on_confirm, on_cancel) -> rx.Component:
    """A confirmation for a change that can be undone from the history (so not styled as destructive)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t(title_key)),
            rx.alert_dialog.description(t(body_key), size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t(label_key), on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="460px",
        ),
        open=open,
        on_open_change=on_cancel,
    )


def sync_bar() -> rx.Component:
    """Where the saved assistant stands at the voice provider, with a retry when it is not there yet."""
    status = rx.match(
        S.sync_status,
        ("synced", rx.badge(rx.icon("circle-check", size=12), t("assistant.sync.synced"), color_scheme="green")),
        ("failed", rx.badge(rx.icon("cloud-off", size=12), t("assistant.sync.failed"), color_scheme="amber")),
        rx.badge(rx.spinner(size="1"), t("assistant.sync.pending"), color_scheme="blue"),
    )
    return rx.flex(
        status,
        rx.text(t("assistant.version"), " ", S.version, size="1", color_scheme="gray"),
        rx.cond(
            (S.sync_status == "failed") & S.can_write,
            rx.button(
                rx.icon("refresh-cw", size=14),
                t("assistant.retry"),
                on_click=S.retry_sync,
                loading=S.pushing,
                size="1",
                variant="soft",
            ),
        ),
        rx.cond(S.sync_error != "", rx.text(S.sync_error, size="1", color_scheme="amber")),
        rx.spacer(),
        rx.cond(
            S.can_write,
            rx.button(
                rx.icon("save", size=16),
                t("assistant.save"),
                on_click=S.save_assistant,
                loading=S.saving | S.pushing,
                size="3",
            ),
        ),
        gap="10px",
        align="center",
        wrap="wrap",
        width="100%",
    )


def voice_tab() -> rx.Component:
    return rx.vstack(
        section("aform.section_voice", voice_fields(S)),
        section("aform.section_contact", contact_fields(S, with_forwarding=False)),
        rx.callout(
            rx.text(
                t("assistant.hours_elsewhere"),
                " ",
                rx.link(t("assistant.numbers_link"), href=routes.PHONE_NUMBERS),
                ".",
            ),
            icon="clock",
            size="1",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def instructions_tab() -> rx.Component:
    return section(
        "assistant.tab.instructions",
        text_area(S, "system_prompt", "assistant.system_prompt", S.system_prompt, S.set_system_prompt, rows="12"),
        text_area(
            S,
            "conversation_rules",
            "assistant.conversation_rules",
            S.conversation_rules,
            S.set_conversation_rules,
            rows="4",
            hint_key="assistant.conversation_rules_hint",
        ),
        rx.el.details(
            rx.el.summary(t("assistant.preset_reference"), style={"cursor": "pointer", "fontSize": "14px"}),
            rx.vstack(
                rx.code_block(S.preset_prompt, language="markdown", wrap_long_lines=True, width="100%"),
                rx.text(S.preset_rules, size="2", color_scheme="gray"),
                rx.button(t("assistant.use_preset"), on_click=S.use_preset_prompt, variant="soft", size="2"),
                spacing="2",
                padding_top="8px",
            ),
            width="100%",
        ),
    )


def faq_row(item: dict, index: rx.Var) -> rx.Component:
    to_review = item["review"] != ""
    return rx.flex(
        rx.vstack(
            rx.cond(
                to_review,
                rx.badge(rx.icon("circle-alert", size=12), t("knowledge.review.badge"), color_scheme="amber"),
            ),
            rx.text(item["question"], weight="bold", size="2"),
            rx.text(item["answer"], size="2", color_scheme="gray"),
            spacing="1",
            flex="1 1 240px",
            min_width="0",
        ),
        rx.cond(
            S.can_write,
            rx.hstack(
                rx.cond(
                    item["placeholder"] != "",
                    rx.button(
                        rx.icon("pencil", size=14),
                        t("knowledge.review.fill"),
                        on_click=S.edit_faq(index),
                        variant="soft",
                        color_scheme="amber",
                        size="1",
                        aria_label=t("knowledge.review.fill") + ": " + item["question"].to(str),
                    ),
                    rx.cond(
                        to_review,
                        rx.button(
                            rx.icon("check", size=14),
                            t("knowledge.review.confirm"),
                            on_click=S.confirm_faq(index),
                            variant="soft",
                            color_scheme="green",
                            size="1",
                            aria_label=t("knowledge.review.confirm") + ": " + item["question"].to(str),
                        ),
                    ),
                ),
                rx.icon_button(
                    rx.icon("arrow-up", size=14),
                    on_click=S.move_faq(index, -1),
                    variant="ghost",
                    size="1",
                    disabled=index == 0,
                    aria_label=t("assistant.faq_up") + ": " + item["question"].to(str),
                ),
                rx.icon_button(
                    rx.icon("arrow-down", size=14),
                    on_click=S.move_faq(index, 1),
                    variant="ghost",
                    size="1",
                    disabled=index == S.faq.length() - 1,
                    aria_label=t("assistant.faq_down") + ": " + item["question"].to(str),
                ),
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    on_click=S.edit_faq(index),
                    variant="ghost",
                    size="1",
                    aria_label=t("assistant.faq_edit") + ": " + item["question"].to(str),
                ),
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    on_click=S.delete_faq(index),
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    aria_label=t("assistant.faq_delete") + ": " + item["question"].to(str),
                ),
                spacing="1",
                align="center",
            ),
        ),
        align="start",
        gap="8px",
        wrap="wrap",
        width="100%",
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background=rx.cond(to_review, rx.color("amber", 2), "transparent"),
    )


def faq_editor() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.el.label(t("assistant.faq_question"), html_for="faq-q", style={"fontSize": "14px"}),
            rx.input(id="faq-q", value=S.faq_question, on_change=S.set_faq_question, width="100%", size="2"),
            rx.el.label(t("assistant.faq_answer"), html_for="faq-a", style={"fontSize": "14px"}),
            rx.text_area(id="faq-a", value=S.faq_answer, on_change=S.set_faq_answer, width="100%", rows="3"),
            rx.cond(S.faq_error != "", rx.text(S.faq_error, color_scheme="red", size="1", role="alert")),
            rx.hstack(
                rx.button(t("assistant.faq_save"), on_click=S.save_faq, size="2"),
                rx.button(t("common.cancel"), on_click=S.cancel_faq, variant="soft", color_scheme="gray", size="2"),
                spacing="2",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        variant="surface",
    )


def review_summary() -> rx.Component:
    """How many answers are still preset guesses, and what that means for callers."""
    return rx.cond(
        S.review_count > 0,
        rx.callout(
            rx.vstack(
                rx.text(S.review_count, " ", t("knowledge.review.count"), weight="bold", id="kb-review-count"),
                rx.text(t("knowledge.review.count_hint"), size="1"),
                spacing="1",
            ),
            icon="circle-alert",
            color_scheme="amber",
            size="1",
            width="100%",
        ),
        rx.cond(
            S.faq.length() > 0,
            rx.text(rx.icon("circle-check", size=14), " ", t("knowledge.review.none"), size="1", color_scheme="green"),
        ),
    )


def knowledge_tab() -> rx.Component:
    return rx.vstack(
        section(
            "knowledge.section",
            business_fields(S),
            rx.cond(S.can_write, rx.fragment(rx.divider(), website_import(S))),
        ),
        faq_section(),
        spacing="4",
        width="100%",
    )


def faq_section() -> rx.Component:
    return section(
        "assistant.tab.knowledge",
        review_summary(),
        rx.cond(
            S.faq.length() > 0,
            rx.vstack(rx.foreach(S.faq, faq_row), spacing="0", width="100%"),
            rx.text(t("assistant.faq_empty"), color_scheme="gray"),
        ),
        rx.cond(
            S.can_write,
            rx.vstack(
                rx.cond(
                    S.faq_open,
                    faq_editor(),
                    rx.button(
                        rx.icon("plus", size=14),
                        t("assistant.faq_add"),
                        on_click=S.edit_faq(-1),
                        variant="soft",
                        size="2",
                    ),
                ),
                rx.el.details(
                    rx.el.summary(t("assistant.faq_import"), style={"cursor": "pointer", "fontSize": "14px"}),
                    rx.vstack(
                        rx.text(t("assistant.faq_import_hint"), size="1", color_scheme="gray"),
                        rx.text_area(
                            value=S.import_text,
                            on_change=S.set_import_text,
                            rows="6",
                            width="100%",
                            aria_label=t("assistant.faq_import"),
                        ),
                        rx.cond(
                            S.import_error != "", rx.text(S.import_error, color_scheme="red", size="1", role="alert")
                        ),
                        rx.button(t("assistant.faq_import_button"), on_click=S.import_faq, size="2"),
                        spacing="2",
                        padding_top="8px",
                        width="100%",
                    ),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
        ),
    )


def calls_tab() -> rx.Component:
    return section(
        "assistant.tab.calls",
        text_area(
            S, "end_call_message", "assistant.end_call_message", S.end_call_message, S.set_end_call_message, rows="2"
        ),
        text_area(
            S,
            "voicemail_message",
            "assistant.voicemail_message",
            S.voicemail_message,
            S.set_voicemail_message,
            rows="2",
        ),
        rx.box(
            text_input(
                S,
                "max_minutes",
                "assistant.max_minutes",
                S.max_minutes,
                S.set_max_minutes,
                hint_key="assistant.max_minutes_hint",
                type="number",
                min="1",
                max="60",
            ),
            max_width="260px",
        ),
    )


def industry_tab() -> rx.Component:
    return section(
        "assistant.tab.industry",
        rx.text(t("assistant.preset_hint"), size="2", color_scheme="gray"),
        industry_cards(S.industries, selected=S.industry, busy="", on_choose=S.ask_preset),
        confirm(
            open=S.preset_to_apply != "",
            title_key="assistant.preset_confirm_title",
            body_key="assistant.preset_hint",
            label_key="assistant.preset_confirm",
            on_confirm=S.apply_preset,
            on_cancel=S.cancel_preset,
        ),
    )


def version_row(item: dict) -> rx.Component:
    return rx.hstack(
        rx.badge("v", item["version"], variant="soft"),
        rx.vstack(
            rx.text(item["when"], " · ", item["name"], size="2", weight="medium"),
            rx.text(item["greeting"], size="1", color_scheme="gray", truncate=True, max_width="560px"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            S.can_write,
            rx.button(
                t("assistant.restore"),
                on_click=S.ask_restore(item["version"]),
                variant="soft",
                size="1",
                aria_label=t("assistant.restore") + " v" + item["version"].to(str),
            ),
        ),
        align="center",
        width="100%",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def history_tab() -> rx.Component:
    return section(
        "assistant.tab.history",
        rx.cond(
            S.versions.length() > 0,
            rx.vstack(rx.foreach(S.versions, version_row), spacing="0", width="100%"),
            rx.text(t("assistant.history_empty"), color_scheme="gray"),
        ),
        confirm(
            open=S.restore_version_number > 0,
            title_key="assistant.restore_confirm_title",
            body_key="assistant.restore_confirm_body",
            label_key="assistant.restore",
            on_confirm=S.restore_version,
            on_cancel=S.cancel_restore,
        ),
    )


def test_tab() -> rx.Component:
    return section(
        "assistant.tab.test",
        rx.text(t("assistant.test_hint"), size="2", color_scheme="gray"),
        rx.cond(S.can_write, test_call_panel(), rx.text(t("assistant.read_only"), color_scheme="gray")),
    )


TABS = (
    ("voice", "assistant.tab.voice", voice_tab),
    ("instructions", "assistant.tab.instructions", instructions_tab),
    ("knowledge", "assistant.tab.knowledge", knowledge_tab),
    ("calls", "assistant.tab.calls", calls_tab),
    ("industry", "assistant.tab.industry", industry_tab),
    ("history", "assistant.tab.history", history_tab),
    ("test", "assistant.tab.test", test_tab),
)


def assistant_page() -> rx.Component:
    return app_layout(
        rx.text(t("assistant.subtitle"), color_scheme="gray"),
        rx.cond(~S.can_write, rx.callout(t("assistant.read_only"), icon="lock", size="1", width="100%")),
        rx.cond(
            S.form_loaded,
            rx.vstack(
                sync_bar(),
                rx.cond(
                    S.pushing, rx.callout(t("assistant.pushing"), icon="upload", size="1", width="100%", role="status")
                ),
                rx.tabs.root(
                    rx.scroll_area(
                        rx.tabs.list(*[rx.tabs.trigger(t(label), value=value) for value, label, _ in TABS]),
                        scrollbars="horizontal",
                        type="auto",
                        width="100%",
                    ),
                    *[rx.tabs.content(body(), value=value, padding_top="16px") for value, _, body in TABS],
                    value=S.tab,
                    on_change=S.set_tab,
                    width="100%",
                ),
                spacing="4",
                width="100%",
                max_width="900px",
            ),
            rx.center(rx.spinner(size="3"), width="100%", padding="40px"),
        ),
        title_key="assistant.title",
    )
