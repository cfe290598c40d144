"""/dashboard: the organisation's calls at a glance — counts, outcomes, minutes used, charts, topics, last and live
calls.

A new business first sees its setup checklist in place of the empty figures; once calls come in with the list still
unfinished, a compact card of what is left sits above the figures. The figures render as soon as the state arrives;
the charts' plotly bundle loads after them (components/charts.py).
"""

from __future__ import annotations

import reflex as rx

from ava_app import routes
from ava_app.components.call_rows import live_strip, page_styles, recent_call_row
from ava_app.components.charts import chart_card
from ava_app.components.i18n import t
from ava_app.components.layout import app_layout
from ava_app.components.reach_card import reach_card
from ava_app.components.setup_checklist import setup_checklist_card
from ava_app.components.stats import period_card, stat_card
from ava_app.state.dashboard import DashboardState


def empty_state() -> rx.Component:
    # Test calls are listed below but are not in the figures: never "No calls yet" above a listed test call.
    return rx.callout.root(
        rx.callout.icon(rx.icon("phone-incoming")),
        rx.vstack(
            rx.text(
                rx.cond(DashboardState.only_test_calls, t("dashboard.only_test_title"), t("dashboard.empty_title")),
                weight="bold",
            ),
            rx.text(
                rx.cond(DashboardState.only_test_calls, t("dashboard.only_test_body"), t("dashboard.empty_body")),
                size="2",
            ),
            rx.link(
                rx.button(rx.icon("phone-outgoing", size=16), t("dash.empty_cta")),
                href=routes.with_query(routes.ASSISTANT, tab="test"),
            ),
            spacing="2",
        ),
        width="100%",
    )


def period_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(t("dash.period_today"), value="today"),
        rx.segmented_control.item(t("dash.period_week"), value="week"),
        rx.segmented_control.item(t("dash.period_month"), value="month"),
        value=DashboardState.period,
        on_change=DashboardState.set_period,
        aria_label=t("dash.period"),
        size="1",
    )


def period_figures() -> rx.Component:
    """The period's figures; a fifth card, "Booked by AVA", while the business takes bookings."""
    return rx.cond(DashboardState.bookings_shown, _figures_grid(with_bookings=True), _figures_grid())


def _figures_grid(*, with_bookings: bool = False) -> rx.Component:
    cards = [
        stat_card(t("dash.avg_duration"), DashboardState.average_duration, icon="timer"),
        stat_card(
            t("dash.minutes_used"),
            DashboardState.minutes_used,
            rx.text(DashboardState.minutes_included, size="1", color_scheme="gray"),
            rx.link(t("dash.see_usage"), href=routes.USAGE, size="1"),
            icon="gauge",
        ),
        stat_card(
            t("dash.answered"),
            DashboardState.answered_share,
            rx.text(DashboardState.missed_share, size="1", color_scheme="gray"),
            rx.text(DashboardState.junk_line, size="1", color_scheme="gray", id="dash-junk"),
            icon="phone-call",
        ),
        stat_card(
            t("dash.action_needed"),
            DashboardState.action_needed,
            rx.link(t("dash.see_calls"), href=routes.with_query(routes.CALLS, action="open"), size="1"),
            icon="flag",
        ),
    ]
    if with_bookings:
        cards.append(
            stat_card(
                t("dash.booked_by_ava"),
                DashboardState.bookings_made,
                rx.link(DashboardState.bookings_value, href=routes.BOOKINGS, size="1"),
                icon="calendar-check",
            )
        )
    return rx.grid(
        *cards,
        columns=rx.breakpoints(initial="2", md="5" if with_bookings else "4"),
        spacing="3",
        width="100%",
    )


def chart_days_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(t("dash.days_7"), value="7"),
        rx.segmented_control.item(t("dash.days_30"), value="30"),
        value=DashboardState.chart_days.to_string(),
        on_change=DashboardState.set_chart_days,
        size="1",
    )


def topics_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("dash.top_topics"), size="4"),
            rx.cond(
                DashboardState.topics.length() > 0,
                rx.vstack(
                    rx.foreach(
                        DashboardState.topics,
                        lambda topic: rx.vstack(
                            rx.hstack(
                                rx.text(topic["topic"], size="2", weight="medium"),
                                rx.spacer(),
                                rx.text(topic["calls"], size="2", color_scheme="gray", class_name="tabular"),
                                width="100%",
                            ),
                            rx.box(
                                rx.box(
                                    width=topic["width"], height="100%", bg=rx.color("accent", 9), border_radius="4px"
                                ),
                                width="100%",
                                height="6px",
                                bg=rx.color("gray", 4),
                                border_radius="4px",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.text(t("dash.no_topics"), size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def recent_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("dash.last_calls"), size="4"),
                rx.spacer(),
                rx.link(t("dash.all_calls"), href=routes.CALLS, size="2"),
                width="100%",
                align="center",
            ),
            rx.cond(
                DashboardState.recent.length() > 0,
                rx.vstack(rx.foreach(DashboardState.recent, recent_call_row), spacing="0", width="100%"),
                rx.text(t("dash.no_recent"), size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )


def timezone_note() -> rx.Component:
    """Which zone the times are in: under the figures, and under the first calls while the owner sets up."""
    return rx.text(DashboardState.timezone, size="1", color_scheme="gray", id="dash-timezone")


def reach_slot() -> rx.Component:
    """The AVA number and how calls get to it, or a warning while the organisation has no number."""
    return reach_card()


def figures() -> rx.Component:
    """The period counts, figures, charts, topics and last calls (the normal dashboard)."""
    return rx.vstack(
        rx.cond(~DashboardState.has_calls, empty_state()),
        rx.grid(
            rx.foreach(DashboardState.period_cards, period_card),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="3",
            width="100%",
            id="dash-stats",
        ),
        rx.flex(
            period_switch(),
            timezone_note(),
            justify="between",
            align="center",
            gap="8px",
            wrap="wrap",
            width="100%",
        ),
        period_figures(),
        chart_card(t("dash.calls_per_day"), DashboardState.day_figure, controls=chart_days_switch(), height="300px"),
        rx.grid(
            chart_card(t("dash.calls_by_hour"), DashboardState.hour_figure),
            topics_card(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        recent_card(),
        spacing="4",
        width="100%",
    )


def failed_deliveries_banner() -> rx.Component:
    """Shown while something AVA sent this week failed (an email, a text, a webhook), with the way to the log."""
    return rx.cond(
        DashboardState.failed_deliveries != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("mail-warning")),
            rx.callout.text(
                DashboardState.failed_deliveries,
                " ",
                rx.link(
                    t("deliveries.failed_banner_link"),
                    href=routes.with_query(routes.SETTINGS_DELIVERIES, status="failed"),
                    weight="medium",
                ),
            ),
            color_scheme="red",
            width="100%",
            id="dash-failed-deliveries",
        ),
    )


def dashboard_body() -> rx.Component:
    # No calls from callers and the checklist not done: the checklist is the page (and the test calls, if any).
    setting_up = DashboardState.setup_show & ~DashboardState.has_calls
    return rx.vstack(
        live_strip(DashboardState.live),
        failed_deliveries_banner(),
        rx.cond(
            setting_up,
            rx.vstack(
                setup_checklist_card(),
                reach_slot(),
                rx.cond(DashboardState.recent.length() > 0, rx.fragment(empty_state(), recent_card(), timezone_note())),
                spacing="4",
                width="100%",
            ),
            rx.vstack(
                rx.cond(DashboardState.setup_show, setup_checklist_card(compact=True)),
                reach_slot(),
                figures(),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


def dashboard_page() -> rx.Component:
    return app_layout(
        page_styles(),
        rx.cond(DashboardState.loaded, dashboard_body(), rx.center(rx.spinner(size="3"), width="100%", padding="48px")),
        title_key="dashboard.title",
    )
