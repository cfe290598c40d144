"""/calls/[id]: one call, owner first — who called (and a call-back link), what it was about, what to do, then the
recording and the conversation; what only support needs (tools, reason code, billed minutes, downloads) is folded
away."""

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


def caller_card() -> rx.Component:
    """Who called and how to call them back: the first thing on the page, on a phone too."""
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.heading(S.call["heading"], size="6", as_="h2", id="call-caller"),
                    rx.cond(
                        S.call["is_test"],
                        rx.badge(rx.icon("flask-conical", size=12), t("call.test_call"), color_scheme="violet"),
                    ),
                    outcome_badge(S.call["outcome"], S.call["outcome_color"]),
                    rx.cond(
                        S.call["spam"],
                        rx.badge(rx.icon("shield-alert", size=12), t("outcome.spam"), color_scheme="red"),
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.cond(
                    S.call["number"] != "",
                    rx.link(S.call["number"], href=S.call["tel"], size="3", weight="medium", class_name="tabular"),
                ),
                rx.text(S.call["when"], " · ", S.call["duration"], size="2", color_scheme="gray"),
                spacing="1",
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                S.call["tel"] != "",
                rx.link(
                    rx.button(rx.icon("phone", size=16), t("call.call_back"), size="3", tab_index=-1),
                    href=S.call["tel"],
                    id="call-back",
                    underline="none",
                ),
            ),
            spam_button(),
            block_button(),
            gap="12px",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def spam_button() -> rx.Component:
    """Mark this call as spam, or take the mark off (admins and writers)."""
    return rx.cond(
        S.can_write & ~S.call["is_test"].to(bool),
        rx.cond(
            S.call["spam"],
            rx.button(
                rx.icon("shield-check", size=16), t("spam.unmark"), size="3", variant="soft", on_click=S.set_spam(False)
            ),
            rx.button(
                rx.icon("shield-alert", size=16),
                t("spam.mark"),
                size="3",
                variant="soft",
                color_scheme="gray",
                on_click=S.set_spam(True),
            ),
        ),
    )


def block_button() -> rx.Component:
    """Block this caller (or undo it), for admins and writers, on calls with a number to block."""
    return rx.cond(
        S.can_write & S.blockable,
        rx.cond(
            S.caller_blocked,
            rx.button(
                rx.icon("undo-2", size=16), t("block.call.unblock"), size="3", variant="soft", on_click=S.unblock_caller
            ),
            rx.button(
                rx.icon("ban", size=16),
                t("block.call.block"),
                size="3",
                variant="soft",
                color_scheme="red",
                on_click=S.ask_block,
            ),
        ),
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
        rx.cond(S.recording_src != "", section("call.recording", audio_player(S.recording_src))),
        section("call.transcript", transcript(S.messages, seekable=S.recording_src != "")),
        spacing="3",
        width="100%",
        min_width="0",
    )


def follow_up() -> rx.Component:
    """The follow-up, when the call needs one: open (with a large "Mark as done") or done (with "Reopen")."""
    return rx.cond(
        S.call["action_needed"],
        rx.cond(
            S.call["action_done"],
            rx.card(
                rx.flex(
                    rx.icon("circle-check", size=18, color=rx.color("grass", 10)),
                    rx.text(S.call["action_done_text"], size="2", color_scheme="grass"),
                    rx.spacer(),
                    rx.cond(
                        S.can_write,
                        rx.button(t("call.mark_open"), variant="soft", size="2", on_click=S.set_action_done(False)),
                    ),
                    gap="8px",
                    align="center",
                    wrap="wrap",
                    width="100%",
                ),
                width="100%",
            ),
            rx.callout.root(
                rx.flex(
                    rx.hstack(
                        rx.icon("flag", size=18),
                        rx.text(t("call.action"), weight="bold", size="3"),
                        align="center",
                        spacing="2",
                    ),
                    rx.spacer(),
                    rx.cond(
                        S.can_write,
                        rx.button(
                            rx.icon("check", size=16),
                            t("call.mark_done"),
                            size="3",
                            color_scheme="orange",
                            on_click=S.set_action_done(True),
                        ),
                    ),
                    gap="12px",
                    align="center",
                    wrap="wrap",
                    width="100%",
                ),
                color_scheme="orange",
                width="100%",
                id="call-action",
            ),
        ),
    )


def work_failed() -> rx.Component:
    return rx.cond(
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
    )


def summary_card() -> rx.Component:
    """What the call was about, with the details the caller gave, labelled in the page's language."""
    return section(
        "call.summary",
        rx.cond(
            S.call["summary"] != "",
            rx.vstack(
                rx.text(S.call["summary"], size="3", white_space="pre-line", id="call-summary"),
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
                width="100%",
            ),
            rx.hstack(
                rx.cond(S.call["summary_pending"], rx.spinner(size="1")),
                rx.text(t("call.no_summary"), size="2", color_scheme="gray", id="call-summary"),
                align="center",
                spacing="2",
            ),
        ),
        rx.cond(
            S.call["intent"] != "",
            rx.vstack(
                rx.text(t("call.intent"), size="1", color_scheme="gray"),
                rx.text(S.call["intent"], size="2"),
                spacing="0",
            ),
        ),
        rx.cond(
            S.data_fields.length() > 0,
            rx.vstack(
                rx.text(t("call.data_fields"), size="1", color_scheme="gray"),
                rx.foreach(S.data_fields, lambda field: fact_row(field["name"], field["value"])),
                spacing="1",
                width="100%",
                id="call-fields",
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
        work_failed(),
    )


def booking_item(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text(row["service"], size="3", weight="bold"),
            rx.badge(row["state"], color_scheme=row["state_color"].to(str), variant="soft"),
            gap="8px",
            align="center",
            wrap="wrap",
        ),
        fact_row(t("call.booking.when"), row["when"]),
        rx.cond(row["staff"] != "", fact_row(t("call.booking.staff"), row["staff"])),
        rx.cond(row["price"] != "", fact_row(t("call.booking.price"), row["price"])),
        rx.link(
            rx.icon("calendar-days", size=14),
            t("call.booking.open"),
            href=row["href"],
            size="2",
            display="inline-flex",
            align_items="center",
            gap="4px",
        ),
        spacing="1",
        width="100%",
        class_name="call-booking",
        custom_attrs={"data-booking": row["id"]},
    )


def booking_card() -> rx.Component:
    """The bookings the assistant made, moved or cancelled on this call, as they stand now, with their links."""
    return rx.cond(
        S.booking_rows.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("calendar-check", size=18), rx.heading(t("call.booking.title"), size="3"), align="center"
                ),
                rx.foreach(S.booking_rows, booking_item),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="call-booking",
        ),
    )


def ended_card() -> rx.Component:
    return section(
        "call.ended",
        rx.text(S.call["outcome_text"], size="2"),
        rx.cond(S.call["ended_reason"] != "", rx.text(S.call["ended_reason"], size="2", color_scheme="gray")),
        rx.cond(S.call["is_test"], rx.text(t("call.test_note"), size="2", color_scheme="violet")),
    )


def sent_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.icon(row["icon"], size=14, color=rx.color("gray", 10)),
            rx.text(row["what"], size="2", weight="medium"),
            rx.badge(row["status"], color_scheme=row["color"], variant="soft"),
            gap="6px",
            align="center",
            wrap="wrap",
        ),
        rx.text(row["to"], size="1", color_scheme="gray", word_break="break-word"),
        rx.cond(row["error"] != "", rx.text(row["error"], size="1", color_scheme="red", word_break="break-word")),
        spacing="1",
        width="100%",
        class_name="sent-row",
    )


def sent_card() -> rx.Component:
    """What AVA sent for this call (summary emails, texts, webhooks) and whether it arrived."""
    return section(
        "deliveries.call_section",
        rx.cond(
            S.sent_rows.length() > 0,
            rx.vstack(rx.foreach(S.sent_rows, sent_row), spacing="3", width="100%", id="call-sent"),
            rx.text(t("deliveries.call_none"), size="2", color_scheme="gray"),
        ),
        rx.link(
            t("deliveries.see_all"),
            href=routes.SETTINGS_DELIVERIES + "?call=" + S.call["id"].to(str),
            size="2",
            id="call-deliveries-link",
        ),
    )


def downloads() -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("file-text", size=14), t("call.export_txt"), variant="soft", on_click=S.export("txt")),
        rx.button(rx.icon("file-json", size=14), t("call.export_json"), variant="soft", on_click=S.export("json")),
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


def developer_details() -> rx.Component:
    """What support or a developer looks at, folded away: tools, reason code, statuses, billed minutes, downloads."""
    return rx.card(
        rx.el.details(
            rx.el.summary(
                rx.text(t("call.developer_details"), as_="span", size="3", weight="bold"),
                cursor="pointer",
                padding="2px 0",
            ),
            rx.vstack(
                fact("call.from", S.call["from"]),
                fact("call.to", S.call["to"]),
                fact("call.assistant", S.call["assistant"]),
                fact("call.started", S.call["when"]),
                fact("call.duration", S.call["duration"]),
                fact("call.ended_code", S.call["ended_code"]),
                rx.hstack(
                    rx.text(t("call.summary_status"), size="1", color_scheme="gray"),
                    rx.badge(S.call["summary_label"], color_scheme=S.call["summary_color"]),
                    rx.text(t("call.email_status"), size="1", color_scheme="gray"),
                    rx.badge(S.call["email_label"], color_scheme=S.call["email_color"], id="call-email-status"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    S.tool_rows.length() > 0,
                    rx.vstack(
                        rx.text(t("call.tools_used"), size="2", weight="medium"),
                        rx.foreach(
                            S.tool_rows,
                            lambda row: rx.text(
                                row["clock"],
                                " ",
                                row["text"],
                                size="1",
                                font_family="monospace",
                                color_scheme="gray",
                                overflow_wrap="anywhere",
                            ),
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.divider(),
                # Minutes as the plan counts them; what the providers charged AVA is not the owner's cost.
                rx.text(t("call.billing"), size="2", weight="medium"),
                rx.text(S.call["billing"], size="2", id="call-billing"),
                rx.divider(),
                rx.text(t("call.downloads"), size="2", weight="medium"),
                downloads(),
                spacing="2",
                width="100%",
                padding_top="12px",
            ),
            id="call-developer-details",
        ),
        width="100%",
    )


def fact_row(name: rx.Var, value: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(name, size="2", color_scheme="gray"),
        rx.spacer(),
        rx.text(value, size="2", class_name="tabular", text_align="right"),
        width="100%",
        align="start",
    )


def call_body() -> rx.Component:
    return rx.vstack(
        caller_card(),
        rx.cond(
            S.call["content_purged"],
            rx.callout(t("call.content_purged"), icon="archive-x", color_scheme="gray", width="100%"),
        ),
        rx.grid(
            rx.vstack(
                summary_card(), booking_card(), follow_up(), conversation(), spacing="3", width="100%", min_width="0"
            ),
            rx.vstack(ended_card(), sent_card(), developer_details(), spacing="3", width="100%", min_width="0"),
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
        confirm_dialog(
            open=S.confirm_block,
            title=t("block.call.title"),
            body=rx.text(t("block.call.body")),
            confirm_label=t("block.call.block"),
            on_confirm=S.block_caller,
            on_cancel=S.cancel_block,
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
