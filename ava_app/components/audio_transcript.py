"""A call's recording and its conversation, linked: click a line to play from there; the line being heard is lit.

The link is a small browser script, not state: ``timeupdate`` fires several times a second and must not cost a round
trip. It listens on the document (capture phase, since ``timeupdate`` does not bubble), so it keeps working when
React re-renders the lines or the player, and it only needs ``#call-audio`` and lines carrying ``data-seek``.
"""

from __future__ import annotations

import reflex as rx

from ava_app.components.i18n import t

AUDIO_ID = "call-audio"


def audio_player(src: rx.Var) -> rx.Component:
    """The recording, streamed through AVA's signed link (the browser asks byte ranges when seeking)."""
    return rx.el.audio(
        id=AUDIO_ID,
        src=src,
        controls=True,
        preload="metadata",
        class_name="call-audio",
        style={"width": "100%"},
        aria_label=t("call.recording"),
    )


def tool_line(message: rx.Var) -> rx.Component:
    """What the assistant did with a tool during the call ("AVA took a message."), between the spoken lines; the
    tool's own arguments and answer are in the page's details."""
    return rx.flex(
        rx.hstack(
            rx.icon("sparkles", size=12, color=rx.color("gray", 10), flex_shrink="0"),
            rx.text(message["text"], size="1", color_scheme="gray", font_style="italic", overflow_wrap="anywhere"),
            spacing="2",
            align="center",
            padding="4px 10px",
            border=f"1px dashed {rx.color('gray', 6)}",
            border_radius="8px",
            max_width="90%",
        ),
        justify="center",
        width="100%",
    )


def transcript_line(message: rx.Var) -> rx.Component:
    return rx.cond(message["tool"], tool_line(message), spoken_line(message))


def spoken_line(message: rx.Var) -> rx.Component:
    is_assistant = message["assistant"]
    return rx.flex(
        rx.box(
            rx.hstack(
                rx.text(
                    rx.cond(is_assistant, t("call.assistant_role"), t("call.caller_role")),
                    size="1",
                    weight="bold",
                ),
                rx.text(message["clock"], size="1", color_scheme="gray", class_name="tabular"),
                spacing="2",
            ),
            rx.text(message["text"], size="2"),
            custom_attrs={"data-seek": message["seconds"], "role": "button", "tabindex": "0"},
            class_name="transcript-line",
            bg=rx.cond(is_assistant, rx.color("accent", 3), rx.color("gray", 3)),
            padding="8px 12px",
            border_radius="12px",
            max_width="85%",
            cursor="pointer",
            border="2px solid transparent",
        ),
        justify=rx.cond(is_assistant, "start", "end"),
        width="100%",
    )


TRANSCRIPT_CSS = """
.transcript-line[data-playing="true"]{border-color:var(--accent-9)!important;box-shadow:0 0 0 3px var(--accent-a4)}
.transcript-line:focus-visible{outline:2px solid var(--accent-8);outline-offset:2px}
.call-audio{color-scheme:light;border-radius:999px}
.dark .call-audio,.dark-theme .call-audio{color-scheme:dark}
"""


def transcript(messages: rx.Var, *, seekable: rx.Var | bool = True) -> rx.Component:
    """The conversation as bubbles: the assistant on the left, the caller on the right, each with its time.

    ``seekable``: the call has a recording, so "click a line to listen" is offered (and only then)."""
    return rx.vstack(
        rx.el.style(TRANSCRIPT_CSS),
        rx.script(src="/js/ava-transcript.js"),  # an asset file: the page policy runs no inline script
        rx.cond(
            messages.length() > 0,
            rx.vstack(
                rx.cond(seekable, rx.text(t("call.seek_hint"), size="1", color_scheme="gray")),
                rx.foreach(messages, transcript_line),
                spacing="2",
                width="100%",
                aria_live="polite",
            ),
            rx.text(t("call.no_transcript"), size="2", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )
