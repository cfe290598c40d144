"""/calls/[id]: one call — recording and conversation on the left, what it was about and what to do on the right."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.audio_transcript import audio_player, transcript
from ava_app.components.call_rows import outcome_badge, page_styles
from ava_app.components.downloads import download_script
from ava_app.components.forms import confirm_dialog
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.call_detail import CallDetailState as S

REFRESH_MS = 3000


def section(title_key: str, *children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(t(title_key), size="3"), *children, spacing="2", width="100%"), width="100%")


def fact(label_key: str, value: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(t(label_key), size="2", color_scheme="gray", min_width="120px"),
        rx.text(value, size="2", weight="medium"),
        width="100%",
        align="start",
    )


def actions() -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("file-json", size=14), t("call.export_json"), variant="soft", on_click=S.export("json")),
        rx.button(rx.icon("file-text", size=14), t("call.export_txt"), variant="soft", on_click=S.export("txt")),
        rx.cond(
            S.is_admin & ~S.live,
            rx.button(
                rx.icon("sparkles", size=14),
                t("call.rerun_summary"),
                variant="soft",
                on_click=S.rerun_summary,
                loading=S.call["summary_pending"].to(bool),
            ),
        ),
        rx.cond(
            S.can_write,
            rx.button(
                rx.icon("trash-2", size=14), t("call.delete"), color_scheme="red", variant="soft", on_click=S.ask_delete
            ),
        ),
        gap="8px",
        wrap="wrap",
    )


def header() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.hstack(
                rx.heading(S.call["heading"], size="6"),
                outcome_badge(S.call["outcome"], S.call["outcome_color"]),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.text(S.call["when"], " · ", S.call["duration"], size="2", color_scheme="gray"),
            spacing="1",
        ),
        rx.spacer(),
        actions(),
        gap="12px",
        align="center",
        wrap="wrap",
        width="100%",
    )


def conversation() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.live,
            rx.callout.root(
                rx.callout.icon(rx.box(class_name="live-dot")),
                rx.callout.text(t("call.live")),
                color_scheme="grass",
                width="100%",
                role="status",
            ),
        ),
        section(
            "call.recording",
            rx.cond(
                S.recording_src != "",
                audio_player(S.recording_src),
                rx.text(t("call.no_recording"), size="2", color_scheme="gray"),
            ),
        ),
        section("call.transcript", transcript(S.messages)),
        spacing="3",
        width="100%",
        min_width="0",
    )


def follow_up() -> rx.Component:
    return section(
        "call.action",
        rx.cond(
            S.call["action_needed"],
            rx.vstack(
                rx.cond(
                    S.call["action_done"],
                    rx.text(S.call["action_done_text"], size="2", color_scheme="grass"),
                    rx.badge(rx.icon("flag", size=12), t("calls.action_open"), color_scheme="orange"),
                ),
                rx.cond(
                    S.can_write,
                    rx.cond(
                        S.call["action_done"],
                        rx.button(t("call.mark_open"), variant="soft", size="2", on_click=S.set_action_done(False)),
                        rx.button(
                            rx.icon("check", size=14), t("call.mark_done"), size="2", on_click=S.set_action_done(True)
                        ),
                    ),
                ),
                spacing="2",
            ),
            rx.text(t("call.action_none"), size="2", color_scheme="gray"),
        ),
    )


def work_status() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(t("call.summary_status"), size="1", color_scheme="gray"),
            rx.badge(S.call["summary_label"], color_scheme=S.call["summary_color"]),
            rx.text(t("call.email_status"), size="1", color_scheme="gray"),
            rx.badge(S.call["email_label"], color_scheme=S.call["email_color"]),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            S.call["work_failed"],
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.vstack(
                    rx.callout.text(t("call.work_failed")),
                    rx.cond(S.is_admin, rx.button(t("call.retry"), size="1", on_click=S.retry_summary)),
                    spacing="2",
                ),
                color_scheme="red",
                size="1",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


def about() -> rx.Component:
    return rx.vstack(
        section(
            "call.summary",
            rx.cond(
                S.call["summary"] != "",
                rx.vstack(
                    rx.text(S.call["summary"], size="2", white_space="pre-line"),
                    rx.cond(
                        S.call["summary_local"],
                        rx.badge(
                            rx.icon("cpu", size=12),
                            t("call.summary_local"),
                            color_scheme="amber",
                            variant="soft",
                            white_space="normal",
                        ),
                    ),
                    spacing="1",
                ),
                rx.text(t("call.no_summary"), size="2", color_scheme="gray"),
            ),
            rx.cond(
                S.call["intent"] != "",
                rx.vstack(
                    rx.text(t("call.intent"), size="1", color_scheme="gray"),
                    rx.text(S.call["intent"], size="2"),
                    spacing="0",
                ),
            ),
            rx.hstack(
                rx.foreach(S.topics, lambda topic: rx.badge(topic, variant="surface")),
                rx.cond(
                    S.call["sentiment"] != "",
                    rx.badge(S.call["sentiment"], color_scheme=S.call["sentiment_color"], variant="outline"),
                ),
                spacing="2",
                wrap="wrap",
            ),
            work_status(),
        ),
        follow_up(),
        rx.cond(
            S.data_fields.length() > 0,
            section(
                "call.data_fields",
                rx.foreach(S.data_fields, lambda field: fact_row(field["name"], field["value"])),
            ),
        ),
        section(
            "call.ended",
            rx.text(S.call["outcome_text"], size="2"),
            rx.cond(S.call["ended_reason"] != "", rx.text(S.call["ended_reason"], size="1", color_scheme="gray")),
        ),
        section(
            "call.details",
            fact("call.from", S.call["from"]),
            fact("call.to", S.call["to"]),
            fact("call.assistant", S.call["assistant"]),
            fact("call.started", S.call["when"]),
            fact("call.duration", S.call["duration"]),
        ),
        section(
            "call.cost",
            rx.foreach(S.cost_rows, lambda row: fact_row(row["name"], row["value"])),
            rx.divider(),
            rx.hstack(
                rx.text(t("call.cost_total"), size="2", weight="bold"),
                rx.spacer(),
                rx.text(S.call["cost"], size="2", weight="bold", class_name="tabular"),
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
        min_width="0",
    )


def fact_row(name: rx.Var, value: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(name, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.text(value, size="2", class_name="tabular", text_align="right"),
        width="100%",
    )


def call_body() -> rx.Component:
    return rx.vstack(
        header(),
        rx.grid(
            conversation(),
            about(),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4",
            width="100%",
        ),
        rx.cond(S.watching, rx.moment(interval=REFRESH_MS, on_change=S.refresh, display="none")),
        confirm_dialog(
            open=S.confirm_delete,
            title=t("call.delete_title"),
            body=rx.text(t("call.delete_body")),
            confirm_label=t("call.delete"),
            on_confirm=S.delete_call,
            on_cancel=S.cancel_delete,
        ),
        spacing="4",
        width="100%",
    )


def call_detail_page() -> rx.Component:
    return app_layout(
        page_styles(),
        download_script(),
        rx.cond(
            S.not_found,
            rx.callout(t("call.not_found"), icon="search-x", color_scheme="gray", width="100%"),
            rx.cond(S.loaded, call_body(), rx.center(rx.spinner(size="3"), padding="48px", width="100%")),
        ),
        title_key="call.title",
        back=("call.back", routes.CALLS),
    )
