"""The text test call: a transcript that grows line by line as the assistant's reply streams in, and the caller's
input. Bound to ``TestCallState``."""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t
from ava_app.components.web_call import web_call
from ava_app.state.test_call import TestCallState

S = TestCallState


def _line(turn: dict) -> rx.Component:
    is_caller = turn["role"] == "user"
    return rx.hstack(
        rx.box(
            rx.text(
                rx.cond(is_caller, t("testcall.caller"), S.assistant_name),
                size="1",
                weight="bold",
                color=rx.cond(is_caller, rx.color("gray", 11), rx.color("accent", 11)),
            ),
            rx.text(rx.cond(turn["content"] == "", "…", turn["content"]), size="2", white_space="pre-wrap"),
            bg=rx.cond(is_caller, rx.color("gray", 3), rx.color("accent", 3)),
            padding="8px 12px",
            border_radius=rx.cond(is_caller, "12px 4px 12px 12px", "4px 12px 12px 12px"),
            max_width="85%",
        ),
        justify=rx.cond(is_caller, "end", "start"),
        width="100%",
    )


def _source_badge() -> rx.Component:
    return rx.match(
        S.reply_source,
        (
            "local",
            # A badge does not shrink (Radix sets flex-shrink: 0): capped at the row's width, the long French and
            # English texts wrap on a 390 px phone instead of running past the card's edge.
            rx.badge(
                rx.icon("cpu", size=12),
                t("testcall.source_local"),
                color_scheme="amber",
                white_space="normal",
                max_width="100%",
                id="test-call-source",
            ),
        ),
        ("llm", rx.badge(rx.icon("sparkles", size=12), t("testcall.source_llm"), color_scheme="violet")),
        rx.fragment(),
    )


def _browser_call() -> rx.Component:
    """With a real Vapi account: talk to the assistant from the browser; its lines fill the same transcript."""
    return rx.cond(
        S.web_key != "",
        rx.vstack(
            rx.text(t("webcall.intro"), size="2", color_scheme="gray"),
            web_call(
                public_key=S.web_key,
                api_base_url=S.web_base,
                assistant_id=S.web_assistant,
                labels={
                    "start": t("webcall.start"),
                    "stop": t("webcall.stop"),
                    "connecting": t("webcall.connecting"),
                    "live": t("webcall.live"),
                    "ended": t("webcall.ended_short"),
                },
                on_transcript=S.web_call_line,
                on_status=S.web_call_status,
            ),
            rx.cond(
                S.web_error != "",
                rx.callout(S.web_error, icon="mic-off", color_scheme="red", role="alert", size="1", width="100%"),
            ),
            rx.text(t("webcall.or_text"), size="1", color_scheme="gray"),
            spacing="2",
            width="100%",
        ),
    )


def test_call_panel() -> rx.Component:
    """Start, talk (type as the caller), end; the transcript is a live region read out as it grows."""
    transcript = rx.vstack(
        rx.cond(
            S.turns.length() > 0,
            rx.foreach(S.turns, _line),
            rx.text(t("testcall.empty"), color_scheme="gray", size="2"),
        ),
        spacing="2",
        width="100%",
        min_height="180px",
        max_height="420px",
        overflow_y="auto",
        padding="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="10px",
        bg=rx.color("gray", 1),
        role="log",
        aria_live="polite",
        aria_label=t("testcall.transcript"),
        id="test-call-transcript",
    )
    composer = rx.form(
        rx.hstack(
            rx.input(
                name="message",
                placeholder=t("testcall.placeholder"),
                aria_label=t("testcall.input"),
                size="3",
                flex="1",
                auto_focus=True,
                auto_complete="off",
                max_length=2000,
            ),
            rx.button(rx.icon("send", size=16), t("testcall.send"), type="submit", size="3", loading=S.replying),
            width="100%",
            spacing="2",
        ),
        on_submit=S.send,
        reset_on_submit=True,
        width="100%",
    )
    return rx.vstack(
        _browser_call(),
        rx.flex(
            rx.cond(
                S.call_active,
                rx.hstack(
                    rx.badge(rx.icon("phone-call", size=12), t("testcall.live"), color_scheme="green"),
                    rx.button(
                        rx.icon("phone-off", size=16),
                        t("testcall.end"),
                        on_click=S.end_call,
                        color_scheme="red",
                        variant="soft",
                        disabled=S.replying,
                    ),
                    spacing="3",
                    align="center",
                ),
                rx.button(
                    rx.icon("phone", size=16),
                    rx.cond(S.call_saved, t("testcall.restart"), t("testcall.start")),
                    on_click=S.start_call,
                    size="3",
                    variant=rx.cond(S.call_saved, "soft", "solid"),
                ),
            ),
            _source_badge(),
            gap="12px",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        transcript,
        rx.cond(S.call_active, composer),
        rx.cond(
            S.call_saved,
            rx.callout.root(
                rx.callout.icon(rx.icon("circle-check")),
                rx.vstack(
                    rx.callout.text(t("testcall.saved_note")),
                    rx.cond(
                        S.saved_call_href != "",
                        rx.link(
                            t("testcall.open_call"),
                            rx.icon("arrow-right", size=14),
                            href=S.saved_call_href,
                            weight="medium",
                            id="test-call-open",
                        ),
                    ),
                    spacing="1",
                ),
                color_scheme="green",
                width="100%",
            ),
        ),
        rx.cond(S.web_key == "", rx.text(t("testcall.sandbox_note"), size="1", color_scheme="gray")),
        spacing="3",
        width="100%",
    )
