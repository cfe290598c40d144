"""/dashboard: the organisation's calls at a glance, refreshed every few seconds while the page is open.

Every figure comes from ``analytics.dashboard_summary`` (the service behind ``GET /api/v1/analytics/summary``), so the
page and the API always agree. The state keeps ready-to-show strings, two small plotly figures and at most 10 + 20
rows; the refresh is driven by a timer component on the page, so it stops by itself when the page or tab goes away.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import analytics
from ava_app.state.auth import AuthState
from ava_app.state.call_display import (
    OUTCOME_COLORS,
    change_text,
    day_label,
    duration_text,
    money_text,
    outcome_label,
    share_text,
    when_text,
)

# Mid-tone Radix colours (step 9) read on both the light and the dark background.
CHART_COLORS = {
    "answered": "#46a758",
    "missed": "#e5484d",
    "voicemail": "#ffb224",
    "forwarded": "#0090ff",
    "failed": "#d6409f",
    "other": "#8b8d98",
    "pending": "#12a594",
}


def _base_layout(figure: go.Figure, *, height: int) -> go.Figure:
    # Transparent so the page's own light or dark background shows; the component's template sets fonts and grids.
    figure.update_layout(
        height=height,
        margin={"l": 36, "r": 8, "t": 8, "b": 8},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "Inter, system-ui, sans-serif", "size": 12, "color": "#8b8d98"},
        legend={"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 11}, "traceorder": "normal"},
        hoverlabel={"font": {"size": 12}},
        bargap=0.25,
    )
    figure.update_yaxes(gridcolor="rgba(139,141,152,0.25)", zeroline=False, rangemode="tozero", fixedrange=True)
    figure.update_xaxes(showgrid=False, fixedrange=True, type="category")
    return figure


def calls_per_day_figure(days: list[analytics.DayCalls], lang: str) -> go.Figure:
    """Stacked bars: one per day, one colour per outcome; outcomes nobody had are left out of the legend."""
    labels = [day_label(day.day, lang) for day in days]
    unit = translate("dash.calls_unit", lang)
    figure = go.Figure()
    for outcome in analytics.CHART_OUTCOMES:
        values = [day.by_outcome.get(outcome, 0) for day in days]
        if not any(values):
            continue
        name = outcome_label(outcome, lang)
        figure.add_bar(
            x=labels,
            y=values,
            name=name,
            marker_color=CHART_COLORS[outcome],
            hovertemplate=f"%{{x}} · {name}: %{{y}} {unit}<extra></extra>",
        )
    figure.update_layout(barmode="stack", showlegend=True)
    return _base_layout(figure, height=300)


def calls_by_hour_figure(hours: list[analytics.HourCalls], lang: str) -> go.Figure:
    """Bars for the 24 local hours of the day."""
    unit = translate("dash.calls_unit", lang)
    figure = go.Figure()
    figure.add_bar(
        x=[f"{hour.hour:02d}h" for hour in hours],
        y=[hour.calls for hour in hours],
        marker_color="#3e63dd",
        hovertemplate=f"%{{x}}: %{{y}} {unit}<extra></extra>",
    )
    figure.update_layout(showlegend=False)
    figure.update_xaxes(tickangle=0, nticks=12)
    return _base_layout(figure, height=240)


def _recent_row(call: analytics.RecentCall, lang: str, today) -> dict:
    outcome = call.outcome or "pending"
    return {
        "id": call.id,
        "href": routes.call_page(call.id),
        "when": when_text(call.started_at, lang, today=today),
        "caller": translate("calls.test_caller", lang)
        if call.call_type == "test"
        else call.caller_number or translate("calls.unknown_caller", lang),
        "is_test": call.call_type == "test",
        "duration": duration_text(call.duration_seconds),
        "outcome": outcome_label(outcome, lang),
        "color": OUTCOME_COLORS.get(outcome, "gray"),
        "summary": call.summary_line,
    }


def _period_card(count: analytics.PeriodCount, lang: str, *, label_key: str, versus_key: str) -> dict:
    change = change_text(count.change_pct, lang)
    return {
        "label": translate(label_key, lang),
        "value": str(count.calls),
        "change": change,
        "versus": translate(versus_key, lang) if change else translate("dash.no_previous", lang),
        "trend": "up" if (count.change_pct or 0) > 0 else "down" if (count.change_pct or 0) < 0 else "flat",
    }


class DashboardState(AuthState):
    """What the dashboard shows for the selected period and chart length; loaded on page load, then polled."""

    period: str = "week"
    chart_days: int = 7
    loaded: bool = False
    has_calls: bool = True
    has_test_calls: bool = False  # only test calls so far: the page says so rather than "no calls yet"
    period_cards: list[dict] = []
    average_duration: str = ""
    total_cost: str = ""
    answered_share: str = ""
    missed_share: str = ""
    action_needed: int = 0
    timezone: str = ""
    topics: list[dict] = []
    recent: list[dict] = []
    live: list[dict] = []
    day_figure: go.Figure = go.Figure()
    hour_figure: go.Figure = go.Figure()

    def _summaries(self, session, principal) -> tuple[analytics.DashboardSummary, list[analytics.DayCalls]]:
        """The summary for the selected period and the days the chart shows (a month's, when asked for)."""
        summary = analytics.dashboard_summary(session, principal=principal, period=self.period)
        chart = summary.calls_per_day
        if self.chart_days == 30 and self.period != "month":
            chart = analytics.dashboard_summary(session, principal=principal, period="month").calls_per_day
        return summary, chart

    def _read(self):
        """Fill the state from the service; a refusal is the event returned (a toast or the login redirect)."""
        call = self._call(self._summaries)
        if call.refused:
            return call.event
        summary, chart = call.value
        lang = self.lang or "en"
        chart = chart[-self.chart_days :]
        today = summary.generated_at.astimezone(ZoneInfo(summary.timezone)).date()
        self.timezone = translate("dash.timezone", lang, zone=summary.timezone)
        self.period_cards = [
            _period_card(summary.today, lang, label_key="dash.calls_today", versus_key="dash.vs_yesterday"),
            _period_card(summary.week, lang, label_key="dash.calls_week", versus_key="dash.vs_last_week"),
            _period_card(summary.month, lang, label_key="dash.calls_month", versus_key="dash.vs_last_month"),
        ]
        self.average_duration = duration_text(summary.average_duration_seconds)
        self.total_cost = money_text(summary.total_cost, lang)
        self.answered_share = share_text(summary.answered_share, lang)
        self.missed_share = translate("dash.missed_share", lang, share=share_text(summary.missed_share, lang))
        self.action_needed = summary.action_needed
        top = max((topic.calls for topic in summary.top_topics), default=0) or 1
        self.topics = [
            {"topic": topic.topic, "calls": topic.calls, "width": f"{round(topic.calls * 100 / top)}%"}
            for topic in summary.top_topics
        ]
        self.recent = [_recent_row(call, lang, today) for call in summary.recent_calls]
        self.live = [_recent_row(call, lang, today) for call in summary.live_calls[:5]]
        # Test calls show in the list but are not calls from callers yet: the empty state stays until one rings,
        # and has_test_calls lets it speak of the test calls listed under it.
        self.has_calls = summary.has_calls
        self.has_test_calls = summary.has_test_calls
        self.day_figure = calls_per_day_figure(chart, lang)
        self.hour_figure = calls_by_hour_figure(summary.calls_by_hour, lang)
        self.loaded = True
        return None

    @rx.event
    def load_dashboard(self):
        """On-load: read the summary for the selected period."""
        return self._read()

    @rx.event
    def refresh(self, _tick: str = ""):
        """Timer tick while the page is open: read again so new and live calls appear without a reload."""
        if not self._session_cookie():
            return None
        return self._read()

    @rx.event
    def set_period(self, period: str | list[str]):
        if isinstance(period, str) and period in analytics.PERIODS:
            self.period = period
        return DashboardState.load_dashboard

    @rx.event
    def set_chart_days(self, days: str | list[str]):
        self.chart_days = int(days) if days in ("7", "30") else 7
        return DashboardState.load_dashboard
