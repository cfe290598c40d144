"""/calls: every call of the organisation — filters, sort and page kept in the URL, a count, 20 per page, delete and
export. Filters apply as they change (the search when submitted)."""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.call_rows import page_styles
from ava_app.components.calls_table import calls_cards, calls_table
from ava_app.components.date_time_input import date_input
from ava_app.components.downloads import download_script
from ava_app.components.forms import confirm_dialog, field_label
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.state.calls import ANY, CallsState

OUTCOMES = ("answered", "missed", "voicemail", "forwarded", "failed", "other", "blocked", "pending")


def filter_value(name: str) -> rx.Var:
    value = CallsState.filters[name]
    return rx.cond(value, value, "")


def filter_select(label_key: str, name: str, items: list[rx.Component]) -> rx.Component:
    return rx.vstack(
        field_label(label_key, id=f"filter-{name}"),
        rx.select.root(
            rx.select.trigger(id=f"filter-{name}", width="100%"),
            rx.select.content(rx.select.item(t("calls.any"), value=ANY), *items),
            name=name,
            default_value=rx.cond(CallsState.filters[name], CallsState.filters[name], ANY),
            on_change=lambda value: CallsState.set_filter(name, value),
        ),
        spacing="1",
        flex="1 1 150px",
        max_width="260px",
    )


def option_items(options: rx.Var) -> rx.Component:
    return rx.foreach(options, lambda option: rx.select.item(option["label"], value=option["value"]))


def date_filter(label_key: str, name: str) -> rx.Component:
    """A day filter in the reader's order ("07/12/2026", "12/07/2026"), applied when the field is left or a day is
    picked on its calendar; the form submits it too (``CallsState`` reads it back to ISO)."""
    return rx.vstack(
        field_label(label_key, id=f"filter-{name}"),
        date_input(
            filter_value(name),
            lambda value: CallsState.set_filter(name, value),
            id=f"filter-{name}",
            name=name,
            max_day="today",
        ),
        spacing="1",
        flex="1 1 140px",
        max_width="260px",
    )


def filter_input(label_key: str, name: str, **props) -> rx.Component:
    return rx.vstack(
        field_label(label_key, id=f"filter-{name}"),
        rx.input(
            id=f"filter-{name}",
            name=name,
            default_value=filter_value(name),
            width="100%",
            # Applied when the field is left (typing a date or a number goes through values that are not done yet).
            on_blur=lambda value: CallsState.set_filter(name, value),
            **props,
        ),
        spacing="1",
        flex="1 1 140px",
        max_width="260px",
    )


def filters_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="q",
                    default_value=filter_value("q"),
                    placeholder=t("calls.search"),
                    aria_label=t("calls.search"),
                    max_length=100,
                    flex="1",
                    size="3",
                ),
                rx.icon_button(
                    rx.icon("sliders-horizontal", size=18),
                    type="button",
                    variant=rx.cond(CallsState.filters_open | CallsState.has_filters, "solid", "soft"),
                    size="3",
                    on_click=CallsState.toggle_filters,
                    aria_label=t("calls.filters"),
                    aria_expanded=rx.cond(CallsState.filters_open, "true", "false"),
                    aria_controls="calls-filters",
                    title=t("calls.filters"),
                    display=rx.breakpoints(initial="inline-flex", md="none"),
                ),
                rx.button(t("calls.apply"), type="submit", size="3"),
                width="100%",
                spacing="2",
            ),
            rx.flex(
                date_filter("calls.date_from", "date_from"),
                date_filter("calls.date_to", "date_to"),
                filter_select(
                    "calls.outcome", "outcome", [rx.select.item(t(f"outcome.{o}"), value=o) for o in OUTCOMES]
                ),
                filter_select(
                    "calls.sentiment",
                    "sentiment",
                    [rx.select.item(t(f"sentiment.{s}"), value=s) for s in ("positive", "neutral", "negative")],
                ),
                filter_select(
                    "calls.action",
                    "action",
                    [
                        rx.select.item(t("calls.action_open"), value="open"),
                        rx.select.item(t("calls.action_done"), value="done"),
                    ],
                ),
                filter_select("calls.number", "phone_number_id", [option_items(CallsState.number_options)]),
                filter_select("calls.assistant", "assistant_id", [option_items(CallsState.assistant_options)]),
                filter_input("calls.min_duration", "min_duration", type="number", min="0", input_mode="numeric"),
                filter_input("calls.max_duration", "max_duration", type="number", min="0", input_mode="numeric"),
                gap="12px",
                wrap="wrap",
                width="100%",
                id="calls-filters",
                # Phones show the search alone until the filters button opens them; hidden fields still apply.
                display=rx.breakpoints(initial=rx.cond(CallsState.filters_open, "flex", "none"), md="flex"),
            ),
            spacing="3",
            width="100%",
        ),
        key=CallsState.form_key,
        on_submit=CallsState.apply_filters,
        reset_on_submit=False,
        width="100%",
    )


def toolbar() -> rx.Component:
    return rx.flex(
        rx.cond(
            CallsState.selected_count > 0,
            rx.hstack(
                rx.text(CallsState.selected_label, size="2"),
                rx.cond(
                    CallsState.can_write,
                    rx.button(
                        rx.icon("trash-2", size=14),
                        t("calls.delete"),
                        color_scheme="red",
                        variant="soft",
                        on_click=CallsState.ask_delete,
                        size="2",
                    ),
                ),
                align="center",
                spacing="3",
            ),
            rx.hstack(
                rx.text(CallsState.count_label, size="2", weight="medium", id="calls-count", aria_live="polite"),
                rx.cond(
                    CallsState.has_filters,
                    rx.button(
                        rx.icon("x", size=14), t("calls.clear"), variant="ghost", on_click=CallsState.clear_filters
                    ),
                ),
                align="center",
                spacing="3",
            ),
        ),
        rx.spacer(),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label=t("calls.sort")),
                rx.select.content(
                    rx.select.item(t("calls.sort_date"), value="date"),
                    rx.select.item(t("calls.sort_duration"), value="duration"),
                ),
                value=CallsState.sort,
                on_change=CallsState.set_sort_key,
                size="2",
            ),
            rx.icon_button(
                rx.cond(
                    CallsState.direction == "desc", rx.icon("arrow-down-wide-narrow"), rx.icon("arrow-up-narrow-wide")
                ),
                variant="soft",
                color_scheme="gray",
                on_click=CallsState.sort_by(CallsState.sort),
                aria_label=rx.cond(CallsState.direction == "desc", t("calls.newest"), t("calls.oldest")),
                title=rx.cond(CallsState.direction == "desc", t("calls.newest"), t("calls.oldest")),
            ),
            rx.menu.root(
                rx.menu.trigger(
                    rx.button(
                        rx.icon("download", size=14),
                        rx.cond(CallsState.selected_count > 0, t("calls.export_selected"), t("calls.export")),
                        variant="soft",
                    )
                ),
                rx.menu.content(
                    # CSV first: what an owner opens in a spreadsheet; JSON is for developers.
                    rx.menu.item(t("calls.export_csv"), on_select=CallsState.export("csv")),
                    rx.menu.item(t("calls.export_json"), on_select=CallsState.export("json")),
                ),
            ),
            spacing="2",
            align="center",
        ),
        gap="8px",
        align="center",
        wrap="wrap",
        width="100%",
    )


def pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            t("common.previous"),
            variant="soft",
            color_scheme="gray",
            on_click=CallsState.previous_page,
            disabled=CallsState.page <= 1,
        ),
        rx.text(CallsState.page_label, size="2", color_scheme="gray"),
        rx.button(
            t("common.next"),
            rx.icon("chevron-right", size=16),
            variant="soft",
            color_scheme="gray",
            on_click=CallsState.next_page,
            disabled=~CallsState.has_more,
        ),
        justify="center",
        align="center",
        spacing="3",
        width="100%",
    )


def empty_result() -> rx.Component:
    return rx.cond(
        CallsState.has_filters,
        rx.callout.root(
            rx.callout.icon(rx.icon("search-x")),
            rx.vstack(rx.text(t("calls.empty_title"), weight="bold"), rx.text(t("calls.empty_body"), size="2")),
            color_scheme="gray",
            width="100%",
        ),
        rx.callout.root(
            rx.callout.icon(rx.icon("phone-incoming")),
            rx.vstack(
                rx.text(t("calls.none_title"), weight="bold"),
                rx.text(t("calls.none_body"), size="2"),
                rx.link(rx.button(t("dash.empty_cta"), size="2"), href=routes.with_query(routes.ASSISTANT, tab="test")),
                spacing="2",
            ),
            width="100%",
        ),
    )


def results() -> rx.Component:
    return rx.cond(
        CallsState.error != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.hstack(
                rx.callout.text(CallsState.error),
                rx.button(t("calls.retry"), size="1", variant="outline", on_click=CallsState.load_calls),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        rx.cond(
            CallsState.rows.length() > 0,
            rx.vstack(
                rx.el.div(calls_table(CallsState), display=["none", "none", "block"], width="100%", overflow_x="auto"),
                rx.el.div(calls_cards(CallsState), display=["block", "block", "none"], width="100%"),
                pager(),
                spacing="4",
                width="100%",
            ),
            empty_result(),
        ),
    )


def calls_page() -> rx.Component:
    return app_layout(
        page_styles(),
        download_script(),
        rx.box(id="calls-top"),
        filters_form(),
        toolbar(),
        rx.cond(
            CallsState.loading & (CallsState.rows.length() == 0),
            rx.center(rx.spinner(size="3"), padding="48px", width="100%"),
            rx.box(results(), width="100%", opacity=rx.cond(CallsState.loading, "0.6", "1")),
        ),
        rx.cond(
            CallsState.can_write,
            rx.link(
                rx.hstack(
                    rx.icon("archive-restore", size=14), t("calls.recently_deleted"), spacing="1", align="center"
                ),
                href=routes.DELETED_CALLS,
                size="2",
                color_scheme="gray",
                id="calls-recently-deleted",
            ),
        ),
        confirm_dialog(
            open=CallsState.confirm_delete,
            title=CallsState.delete_title,
            body=rx.text(CallsState.delete_body),
            confirm_label=t("calls.delete"),
            on_confirm=CallsState.delete_selected,
            on_cancel=CallsState.cancel_delete,
        ),
        title_key="calls.title",
    )
