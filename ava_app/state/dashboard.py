"""/dashboard: the organisation's calls at a glance, refreshed when its calls change while the page is open.

Every figure comes from ``analytics.dashboard_summary`` (the service behind ``GET /api/v1/analytics/summary``), so the
page and the API always agree. The state keeps ready-to-show strings, two small plotly figures (as plain dicts) and
at most 10 + 20 rows. The page's load registers the tab for live updates (``state/live.py``): when a webhook or a job
changes the organisation's calls, the server reads the figures again for this tab and pushes what changed; nothing
polls.
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.services import analytics, deliveries, regional, setup_checklist
from ava_app.services.billing import usage
from ava_app.state import live
from ava_app.state.auth import AuthState
from ava_app.state.call_display import (
    OUTCOME_COLORS,
    change_text,
    day_label,
    duration_text,
    outcome_label,
    share_text,
    when_text,
)

LIVE_PAGE = "dashboard"
# Mid-tone Radix colours (step 9) read on both the light and the dark background.
CHART_COLORS = {
    "answered": "#46a758",
    "missed": "#e5484d",
    "voicemail": "#ffb224",
    "forwarded": "#0090ff",
    "failed": "#d6409f",
    "other": "#8b8d98",
    "blocked": "#60646c",
    "hangup": "#ab6400",
    "spam": "#e54d2e",
    "pending": "#12a594",
}


# Plotly's number separators (decimal point, then thousands): "1 234,5" on French pages, "1,234.5" on English ones.
SEPARATORS = {"fr": ", ", "en": ".,"}
# At 390 px a chart's plot area is about 310 px wide: 8 labels of up to 5 characters fit side by side (a day's
# label is set on two lines for that).
MAX_TICKS = 8
# Up to this many calls a bar chart's count axis steps by one call.
SMALL_COUNT = 6
# What a chart shows before the first read: nothing, cheap to copy into each new tab.
EMPTY_FIGURE: dict = {"data": [], "layout": {}}


def _base_layout(*, height: int, lang: str, top: int) -> dict:
    """The layout both charts share, as the plain dict Plotly reads in the browser.

    Built by hand rather than through plotly.py's validating figure objects: building those took about 40 % of a busy
    web process's event loop, and a stored ``go.Figure`` is slow to copy into each new tab and to read back from
    Redis. ``tests/unit/test_dashboard_state.py`` checks that plotly.py accepts every key and sends the same JSON.
    """
    # Transparent so the page's own light or dark background shows; the component's template sets fonts and grids.
    # The text and grid colours are mid-greys that read on both backgrounds. An empty template of the figure's own:
    # the component merges its light or dark one over it in the browser anyway, and plotly.py's default would add
    # 7 KB to every figure sent (bench/README.md, "Dashboard on a phone").
    yaxis: dict = {
        "gridcolor": "rgba(139,141,152,0.25)",
        "zeroline": False,
        "rangemode": "tozero",
        "fixedrange": True,
        "tickformat": ",d",
    }
    # Count axes step by whole calls: with one or a few calls Plotly's own steps (0.2, 0.5) round to "0 0 0 1 1 1"
    # under the ``,d`` format, which is what a new business sees on its first day.
    if top <= SMALL_COUNT:
        yaxis.update(tick0=0, dtick=1)
    return {
        "template": {},
        "height": height,
        "margin": {"l": 36, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "Inter, system-ui, sans-serif", "size": 12, "color": "#8b8d98"},
        "legend": {"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 11}, "traceorder": "normal"},
        "hoverlabel": {"font": {"size": 12}},
        "separators": SEPARATORS.get(lang, SEPARATORS["en"]),
        "bargap": 0.25,
        "yaxis": yaxis,
        "xaxis": {"showgrid": False, "fixedrange": True, "type": "category", "tickangle": 0, "automargin": True},
    }


def _sparse_ticks(layout: dict, labels: list[str], *, every: int, two_lines: bool = False) -> None:
    """Label one category in ``every`` (all of them stay as bars), so the labels never overlap on a phone.

    ``two_lines`` puts a label's words one under the other ("Mon" above "3"): a week of days fits at 390 px.
    """
    shown = labels[::every]
    text = [label.replace(" ", "<br>") for label in shown] if two_lines else shown
    layout["xaxis"].update(tickmode="array", tickvals=shown, ticktext=text)


def hour_label(hour: int, lang: str, country: str | None = None) -> str:
    """``14h`` on French pages; on English ones the hour as the business's country writes it (``2 PM`` in the US,
    ``14:00`` in the UK), like the calls list."""
    if lang == "fr":
        return f"{hour}h"
    return regional.format_time(time(hour % 24), language=lang, country=country, short=True)


def calls_per_day_figure(days: list[analytics.DayCalls], lang: str) -> dict:
    """Stacked bars: one per day, one colour per outcome; outcomes nobody had are left out of the legend."""
    labels = [day_label(day.day, lang) for day in days]
    unit = translate("dash.calls_unit", lang)
    data = []
    for outcome in analytics.CHART_OUTCOMES:
        values = [day.by_outcome.get(outcome, 0) for day in days]
        if not any(values):
            continue
        name = outcome_label(outcome, lang)
        data.append(
            {
                "type": "bar",
                "x": labels,
                "y": values,
                "name": name,
                "marker": {"color": CHART_COLORS[outcome]},
                "hovertemplate": f"%{{x}} · {name}: %{{y}} {unit}<extra></extra>",
            }
        )
    top = max((sum(day.by_outcome.values()) for day in days), default=0)
    layout = {"barmode": "stack", "showlegend": True, **_base_layout(height=300, lang=lang, top=top)}
    _sparse_ticks(layout, labels, every=max(1, -(-len(labels) // MAX_TICKS)), two_lines=True)
    return {"data": data, "layout": layout}


def calls_by_hour_figure(hours: list[analytics.HourCalls], lang: str, country: str | None = None) -> dict:
    """Bars for the 24 local hours of the day."""
    unit = translate("dash.calls_unit", lang)
    labels = [hour_label(hour.hour, lang, country) for hour in hours]
    bars = {
        "type": "bar",
        "x": labels,
        "y": [hour.calls for hour in hours],
        "marker": {"color": "#3e63dd"},
        "hovertemplate": f"%{{x}}: %{{y}} {unit}<extra></extra>",
    }
    top = max((hour.calls for hour in hours), default=0)
    layout = {"showlegend": False, **_base_layout(height=240, lang=lang, top=top)}
    # Every third hour when labels are short (0h, 3h ... 21h); "00:00" labels every sixth, or eight of them touch
    # each other on a 390 px phone.
    _sparse_ticks(layout, labels, every=3 if max(map(len, labels), default=0) <= 3 else 6)
    return {"data": [bars], "layout": layout}


def _recent_row(call: analytics.RecentCall, lang: str, today, country: str | None = None) -> dict:
    outcome = call.outcome or "pending"
    return {
        "id": call.id,
        "href": routes.call_page(call.id),
        "when": when_text(call.started_at, lang, today=today, country=country),
        "caller": translate("calls.test_caller", lang)
        if call.call_type == "test"
        else call.caller_display or call.caller_number or translate("calls.unknown_caller", lang),
        "is_test": call.call_type == "test",
        "duration": duration_text(call.duration_seconds),
        "outcome": outcome_label(outcome, lang),
        "color": OUTCOME_COLORS.get(outcome, "gray"),
        "summary": call.summary_line,
    }


def timezone_note(timezone: str, lang: str) -> str:
    """The zone the dashboard's times are in, as the business's region names it ("heure de Paris (UTC+1)"): a new
    owner sees times of their own day, and is told which."""
    return translate("dash.times_shown", lang, zone=regional.timezone_label(timezone, lang))


def _period_card(count: analytics.PeriodCount, lang: str, *, label_key: str, versus_key: str) -> dict:
    change = change_text(count.change_pct, lang)
    return {
        "label": translate(label_key, lang),
        "value": str(count.calls),
        "change": change,
        "versus": translate(versus_key, lang) if change else translate("dash.no_previous", lang),
        "trend": "up" if (count.change_pct or 0) > 0 else "down" if (count.change_pct or 0) < 0 else "flat",
    }


def _setup_items(checklist: setup_checklist.SetupChecklist, lang: str) -> list[dict]:
    return [
        {
            "key": item.key,
            "title": translate(f"setup.item.{item.key}", lang),
            "hint": translate(f"setup.item.{item.key}_hint", lang),
            "done": item.done,
            "href": item.href,
        }
        for item in checklist.items
    ]


def _booking_figures(figures: analytics.BookingFigures | None, lang: str) -> dict:
    """The "Booked by AVA" card's values: shown while bookings are on or some were made in the period."""
    if figures is None:
        return {"bookings_shown": False, "bookings_made": 0, "bookings_value": ""}
    value = regional.format_money(figures.value_minor / 100, figures.currency, lang)
    return {
        "bookings_shown": figures.enabled or figures.booked > 0,
        "bookings_made": figures.booked,
        "bookings_value": translate("dash.bookings_value", lang, value=value),
    }


def failed_banner(failures: int, lang: str) -> str:
    """The dashboard's warning: "" when nothing failed this week, the singular for one."""
    if not failures:
        return ""
    if failures == 1:
        return translate("deliveries.failed_banner_one", lang)
    return translate("deliveries.failed_banner", lang, count=failures)


class DashboardState(AuthState):
    """What the dashboard shows for the selected period and chart length; loaded on page load, then pushed."""

    period: str = "week"
    chart_days: int = 7
    loaded: bool = False
    has_calls: bool = True
    # Test calls listed, none from a caller: the empty state says so instead of "No calls yet".
    only_test_calls: bool = False
    setup_show: bool = False
    setup_items: list[dict] = []
    setup_progress: str = ""
    setup_percent: int = 0
    can_choose_reach: bool = False
    setup_busy: bool = False
    # The organisation the figures were last read for (the tab's registration for live updates).
    _tenant_id: int | None = None
    period_cards: list[dict] = []
    average_duration: str = ""
    # Minutes used in the billing period against the plan's (provider costs are not shown to owners).
    minutes_used: str = ""
    minutes_included: str = ""
    answered_share: str = ""
    missed_share: str = ""
    # Answered / hang-ups / spam / blocked of the period, from the rollup the summary already reads.
    junk_line: str = ""
    action_needed: int = 0
    # "3 messages could not be delivered in the last 7 days", or "" when nothing failed.
    failed_deliveries: str = ""
    # "Booked by AVA" in the period, shown while the business takes bookings or has some.
    bookings_shown: bool = False
    bookings_made: int = 0
    bookings_value: str = ""
    timezone: str = ""
    topics: list[dict] = []
    recent: list[dict] = []
    live: list[dict] = []
    # Plain dicts in Plotly's JSON shape (see ``_base_layout``); empty until the first read.
    day_figure: dict = EMPTY_FIGURE
    hour_figure: dict = EMPTY_FIGURE

    def _summaries(
        self, session, principal
    ) -> tuple[analytics.DashboardSummary, setup_checklist.SetupChecklist, usage.MinutesUsed, int]:
        """The summary for the selected period holding the days the chart shows (one summary, whether the chart is a
        week's or a month's), the checklist, the minutes used in the billing period, and how many messages failed this
        week (counts on partial indexes of failed rows).

        Runs in a worker thread (``_call_async``): it reads the state, and writes nothing to it."""
        summary = analytics.dashboard_summary(
            session, principal=principal, period=self.period, chart_days=self.chart_days
        )
        checklist = setup_checklist.setup_checklist(session, principal=principal)
        minutes = usage.minutes_used(session, principal=principal)
        return summary, checklist, minutes, deliveries.recent_failures(session, principal=principal)

    def _show_checklist(self, checklist: setup_checklist.SetupChecklist) -> None:
        lang = self.lang or "en"
        self._keep(
            setup_show=checklist.show,
            setup_items=_setup_items(checklist, lang),
            setup_progress=translate("setup.progress", lang, done=checklist.done, total=checklist.total),
            setup_percent=round(checklist.done * 100 / checklist.total) if checklist.total else 100,
            can_choose_reach=checklist.can_choose_reach,
        )

    @rx.event
    async def load_dashboard(self):
        """On-load: read the summary for the selected period, and have the organisation's call changes pushed.

        The queries run in a worker thread, so the event loop serves other tabs meanwhile. Only what changed is
        assigned: an unchanged figure is not sent again, so a phone re-draws nothing on a push that changed nothing
        it shows.
        """

        def read(session, principal):
            found = self._summaries(session, principal)
            live.watch(self, page=LIVE_PAGE, tenant_id=principal.tenant_id)
            return principal.tenant_id, found

        call = await self._call_async(read)
        if call.refused:
            return call.event
        self._tenant_id, found = call.value
        self._show(*found)
        return None

    def _show(
        self,
        summary: analytics.DashboardSummary,
        checklist: setup_checklist.SetupChecklist,
        minutes: usage.MinutesUsed,
        failures: int = 0,
    ) -> None:
        lang = self.lang or "en"
        self._keep(
            minutes_used=regional.format_decimal(minutes.used, lang),
            minutes_included=translate(
                "dash.minutes_of_included", lang, included=regional.format_decimal(minutes.included, lang)
            ),
            failed_deliveries=failed_banner(failures, lang),
        )
        self._show_summary(summary)
        self._show_checklist(checklist)

    def _show_summary(self, summary: analytics.DashboardSummary) -> None:
        """The figures that depend on the period and the chart's length (everything but the minutes used, the failed
        deliveries and the checklist)."""
        lang = self.lang or "en"
        country = self.business_country
        chart = summary.calls_per_day[-self.chart_days :]
        today = summary.generated_at.astimezone(ZoneInfo(summary.timezone)).date()
        top = max((topic.calls for topic in summary.top_topics), default=0) or 1
        # Test calls show in the list but are not calls from callers yet: the empty state stays until one rings,
        # and says "only test calls so far" when some are listed under it.
        has_calls = summary.has_calls
        self._keep(
            timezone=timezone_note(summary.timezone, lang),
            period_cards=[
                _period_card(summary.today, lang, label_key="dash.calls_today", versus_key="dash.vs_yesterday"),
                _period_card(summary.week, lang, label_key="dash.calls_week", versus_key="dash.vs_last_week"),
                _period_card(summary.month, lang, label_key="dash.calls_month", versus_key="dash.vs_last_month"),
            ],
            average_duration=duration_text(summary.average_duration_seconds),
            answered_share=share_text(summary.answered_share, lang),
            missed_share=translate("dash.missed_share", lang, share=share_text(summary.missed_share, lang)),
            junk_line=translate(
                "dash.junk_line",
                lang,
                answered=summary.outcome_counts.get("answered", 0),
                hangups=summary.outcome_counts.get("hangup", 0),
                spam=summary.outcome_counts.get("spam", 0),
                blocked=summary.outcome_counts.get("blocked", 0),
            ),
            action_needed=summary.action_needed,
            **_booking_figures(summary.bookings, lang),
            topics=[
                {"topic": topic.topic, "calls": topic.calls, "width": f"{round(topic.calls * 100 / top)}%"}
                for topic in summary.top_topics
            ],
            recent=[_recent_row(call, lang, today, country) for call in summary.recent_calls],
            live=[_recent_row(call, lang, today, country) for call in summary.live_calls[:5]],
            has_calls=has_calls,
            only_test_calls=not has_calls and summary.has_test_calls,
            day_figure=calls_per_day_figure(chart, lang),
            hour_figure=calls_by_hour_figure(summary.calls_by_hour, lang, country),
            loaded=True,
        )

    def _keep(self, **values) -> None:
        """Assign each value that differs from the one the page has (an assignment re-sends the var)."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _live_refresh(self, tenant_id: int) -> bool:
        """A push (``state/live.py``, outside any event): read again if the tab's session is still ``tenant_id``'s.

        A session that ended, or that switched to another organisation, is shown nothing: the tab is dropped.
        """
        if not live.still_on(self, routes.DASHBOARD) or not self.loaded:
            return False
        call = self._call_for_tenant(tenant_id, self._summaries)
        if call.refused:
            return False
        self._show(*call.value)
        return True

    @rx.event
    async def set_period(self, period: str | list[str]):
        if isinstance(period, str) and period in analytics.PERIODS:
            self.period = period
        yield  # the control shows the choice at once; the figures follow
        yield await self._switch()

    @rx.event
    async def set_chart_days(self, days: str | list[str]):
        self.chart_days = int(days) if days in ("7", "30") else 7
        yield
        yield await self._switch()

    async def _switch(self):
        """A period or chart-length switch reads the summary again, and only it: the minutes used, the failed
        deliveries and the checklist depend on neither (a push or the next page load refreshes them). In this event,
        not a chained ``load_dashboard``: one event, one session check, four reads fewer."""

        def read(session, principal) -> analytics.DashboardSummary:
            return analytics.dashboard_summary(
                session, principal=principal, period=self.period, chart_days=self.chart_days
            )

        call = await self._call_async(read)
        if call.refused:
            return call.event
        self._show_summary(call.value)
        return None

    async def _checklist_change(self, work, message_key: str):
        call = await self._call_async(work, busy="setup_busy")
        if call.refused:
            return call.event
        self._show_checklist(call.value)
        return rx.toast.success(translate(message_key, self.lang or "en"))

    @rx.event
    async def dismiss_setup(self):
        """Hide the checklist for this member (remembered); the normal dashboard shows."""
        return await self._checklist_change(
            lambda s, p: setup_checklist.dismiss_setup_checklist(s, principal=p), "setup.dismissed"
        )

    @rx.event
    async def give_out_ava_number(self):
        """ "We give out the AVA number": calls reach AVA without forwarding (the service checks the role)."""
        return await self._checklist_change(
            lambda s, p: setup_checklist.give_out_ava_number(s, principal=p), "setup.give_out_number_saved"
        )
