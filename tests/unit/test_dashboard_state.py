"""The dashboard's state: the checklist it shows, "Only test calls so far" rather than "No calls yet", chart formats."""

from __future__ import annotations

import importlib
import json
import re
from datetime import date
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest
from reflex_base.utils.serializers import serialize_figure

from ava_app.models import Tenant
from ava_app.services import accounts, analytics
from ava_app.state.dashboard import DashboardState, calls_by_hour_figure, calls_per_day_figure
from tests.factories import make_call
from tests.unit.test_state_tenant_isolation import open_page, run, state_of


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


@pytest.fixture()
def owner(db):
    admin = accounts.signup(
        db, name="Gamma Owner", email="owner@gamma.example", password="tulip-garage-42", organisation_name="Gamma"
    )
    return SimpleNamespace(admin=admin, tenant=db.get(Tenant, admin.tenant_id))


async def test_a_new_business_sees_its_checklist_and_no_figures_yet(db, owner):
    state = state_of(DashboardState, owner)
    assert await run(state, "load_dashboard") == []
    assert state.setup_show is True and state.has_calls is False and state.only_test_calls is False
    # No assistant yet (no industry chosen), so no preset answer waits for review.
    assert [item["key"] for item in state.setup_items if item["done"]] == ["answers_reviewed"]
    assert state.setup_progress == "1 of 6 done"
    assert [item["title"] for item in state.setup_items][0] == "Confirm your email address"


async def test_only_test_calls_say_so_instead_of_no_calls_yet(db, owner):
    make_call(db, tenant=owner.tenant, call_type="test")
    state = state_of(DashboardState, owner)
    assert await run(state, "load_dashboard") == []
    assert [row["is_test"] for row in state.recent] == [True]
    assert state.has_calls is False and state.only_test_calls is True
    assert state.setup_progress == "2 of 6 done"

    make_call(db, tenant=owner.tenant, call_type="inbound")
    state.dirty_vars.clear()
    # The push of the new call (state/live.py) reads the figures again for the tab's own session.
    open_page(state, "/dashboard", "/dashboard")
    assert state._live_refresh(owner.tenant.id) is True
    assert state.has_calls is True and state.only_test_calls is False
    assert "has_calls" in state.dirty_vars and "timezone" not in state.dirty_vars, "only what changed is sent"


async def test_checklist_texts_follow_the_language(db, owner):
    state = state_of(DashboardState, owner)
    state.lang = "fr"
    assert await run(state, "load_dashboard") == []
    assert state.setup_progress == "1 sur 6 faits"
    assert state.setup_items[2]["title"] == "Faites un appel de test"


def _days(count: int) -> list[analytics.DayCalls]:
    return [
        analytics.DayCalls(day=date(2026, 11, 1 + index), total=1200, by_outcome={"answered": 1200})
        for index in range(count)
    ]


def test_french_charts_use_french_separators_and_labels():
    figure = calls_per_day_figure(_days(7), "fr")
    assert figure["layout"]["separators"] == ", " and figure["layout"]["yaxis"]["tickformat"] == ",d"
    assert figure["data"][0]["x"][0] == "dim. 1" and figure["layout"]["xaxis"]["ticktext"][0] == "dim.<br>1"
    assert calls_per_day_figure(_days(7), "en")["layout"]["separators"] == ".,"


def test_hour_labels_are_sparse_enough_for_a_phone():
    hours = [analytics.HourCalls(hour=hour, calls=hour) for hour in range(24)]
    english, french = calls_by_hour_figure(hours, "en", "US"), calls_by_hour_figure(hours, "fr")
    british = calls_by_hour_figure(hours, "en", "GB")
    assert len(english["data"][0]["x"]) == 24, "every hour keeps its bar"
    assert english["layout"]["xaxis"]["tickvals"] == ["12 AM", "6 AM", "12 PM", "6 PM"]
    assert british["layout"]["xaxis"]["tickvals"] == ["00:00", "06:00", "12:00", "18:00"]
    assert french["layout"]["xaxis"]["ticktext"][:3] == ["0h", "3h", "6h"]
    assert english["layout"]["xaxis"]["tickangle"] == 0


def test_a_month_of_days_shows_at_most_eight_labels():
    figure = calls_per_day_figure(_days(30), "en")
    assert len(figure["data"][0]["x"]) == 30 and len(figure["layout"]["xaxis"]["tickvals"]) <= 8


async def test_a_french_business_reads_its_time_zone_and_callers_the_french_way(db, owner):
    """Right after going live a French owner's dashboard says its times are Paris time, and names callers by their
    national number, as the calls list does (not "+33 6…" nor a bare zone id)."""
    owner.tenant.country, owner.tenant.timezone = "FR", "Europe/Paris"
    db.add(owner.tenant)
    db.commit()
    make_call(db, tenant=owner.tenant, caller_number="+33612345678")
    make_call(db, tenant=owner.tenant, caller_number="+12125550199", minutes_ago=30)
    state = state_of(DashboardState, owner)
    state.lang = "fr"
    assert await run(state, "load_dashboard") == []
    assert re.fullmatch(r"Heures affichées : heure de Paris \(UTC\+[12]\)", state.timezone), state.timezone
    assert [row["caller"] for row in state.recent] == ["06 12 34 56 78", "+1 212-555-0199"]

    state.lang = "en"
    assert await run(state, "load_dashboard") == []
    assert re.fullmatch(r"Times shown in Paris time \(UTC\+[12]\)", state.timezone), state.timezone


def test_a_first_day_with_one_call_counts_in_whole_calls():
    """One call: the axis reads 0, 1, not "0 0 0 1 1 1" (Plotly's 0.2 steps under a whole-number format)."""
    days = [analytics.DayCalls(day=date(2026, 11, 1 + index), total=0, by_outcome={}) for index in range(6)]
    days.append(analytics.DayCalls(day=date(2026, 11, 7), total=1, by_outcome={"pending": 1}))
    assert calls_per_day_figure(days, "en")["layout"]["yaxis"]["dtick"] == 1
    hours = [analytics.HourCalls(hour=hour, calls=1 if hour == 3 else 0) for hour in range(24)]
    assert calls_by_hour_figure(hours, "fr")["layout"]["yaxis"]["dtick"] == 1
    # A busy day keeps Plotly's own steps (one tick per call would be unreadable).
    assert "dtick" not in calls_per_day_figure(_days(7), "en")["layout"]["yaxis"]


def test_figures_are_sent_without_plotly_s_default_template():
    """The page's chart component brings its light or dark template; the figures themselves stay a few KB."""
    hours = [analytics.HourCalls(hour=hour, calls=hour) for hour in range(24)]
    for figure in (calls_per_day_figure(_days(30), "en"), calls_by_hour_figure(hours, "fr")):
        assert figure["layout"]["template"] == {}
        assert figure["layout"]["separators"] and figure["data"][0]["type"] == "bar"
        assert len(json.dumps(figure)) < 4000


def _plotly_json(figure: dict) -> dict:
    """What plotly.py makes of the dict: it raises on any property Plotly does not know, and fills nothing in."""
    checked = serialize_figure(go.Figure(figure))
    # Given ``{}``, plotly.py puts its default template back; the browser gets the component's one either way.
    checked["layout"]["template"] = {}
    return checked


# What the figures built with plotly.py's figure objects (before they became plain dicts) sent for these inputs.
_LAYOUT = {
    "template": {},
    "margin": {"l": 36, "r": 8, "t": 8, "b": 8},
    "font": {"family": "Inter, system-ui, sans-serif", "size": 12, "color": "#8b8d98"},
    "legend": {"font": {"size": 11}, "orientation": "h", "y": -0.18, "x": 0, "traceorder": "normal"},
    "hoverlabel": {"font": {"size": 12}},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "bargap": 0.25,
}
_YAXIS = {"gridcolor": "rgba(139,141,152,0.25)", "zeroline": False, "rangemode": "tozero", "fixedrange": True}
_XAXIS = {"showgrid": False, "fixedrange": True, "type": "category", "tickangle": 0, "automargin": True}
_FR_DAYS = ["dim. 1", "lun. 2", "mar. 3"]
EXPECTED_DAYS_FR = {
    "data": [
        {
            "hovertemplate": "%{x} · Répondu: %{y} appels<extra></extra>",
            "marker": {"color": "#46a758"},
            "name": "Répondu",
            "x": _FR_DAYS,
            "y": [2, 2, 2],
            "type": "bar",
        },
        {
            "hovertemplate": "%{x} · Manqué: %{y} appels<extra></extra>",
            "marker": {"color": "#e5484d"},
            "name": "Manqué",
            "x": _FR_DAYS,
            "y": [1, 1, 1],
            "type": "bar",
        },
    ],
    "layout": {
        **_LAYOUT,
        "barmode": "stack",
        "showlegend": True,
        "height": 300,
        "separators": ", ",
        "yaxis": {**_YAXIS, "tickformat": ",d", "tick0": 0, "dtick": 1},
        "xaxis": {
            **_XAXIS,
            "tickmode": "array",
            "tickvals": _FR_DAYS,
            "ticktext": ["dim.<br>1", "lun.<br>2", "mar.<br>3"],
        },
    },
}
_EN_HOURS = [f"{hour:02d}:00" for hour in range(24)]
EXPECTED_HOURS_EN = {
    "data": [
        {
            "hovertemplate": "%{x}: %{y} calls<extra></extra>",
            "marker": {"color": "#3e63dd"},
            "x": _EN_HOURS,
            "y": [hour * 10 for hour in range(24)],
            "type": "bar",
        }
    ],
    "layout": {
        **_LAYOUT,
        "showlegend": False,
        "height": 240,
        "separators": ".,",
        "yaxis": {**_YAXIS, "tickformat": ",d"},
        "xaxis": {**_XAXIS, "tickmode": "array", "tickvals": _EN_HOURS[::6], "ticktext": _EN_HOURS[::6]},
    },
}


def test_plain_dict_figures_send_what_the_plotly_objects_sent():
    """The figures are built as dicts (cheap to build, copy and store) but the browser gets the same JSON as when
    plotly.py's objects built them: same traces, colours, separators, ticks and hover texts."""
    days = [
        analytics.DayCalls(day=date(2026, 11, 1 + index), total=3, by_outcome={"answered": 2, "missed": 1})
        for index in range(3)
    ]
    hours = [analytics.HourCalls(hour=hour, calls=hour * 10) for hour in range(24)]
    day_figure, hour_figure = calls_per_day_figure(days, "fr"), calls_by_hour_figure(hours, "en", "GB")
    assert day_figure == EXPECTED_DAYS_FR and hour_figure == EXPECTED_HOURS_EN
    assert json.loads(json.dumps(day_figure)) == _plotly_json(day_figure) == EXPECTED_DAYS_FR
    assert _plotly_json(hour_figure) == EXPECTED_HOURS_EN


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_figure_is_one_plotly_accepts_as_it_is(lang):
    """A month with every outcome, an empty week, a quiet and a busy day of hours: plotly.py validates each figure
    and changes nothing in it."""
    months = [
        analytics.DayCalls(
            day=date(2026, 11, 1 + index), total=0, by_outcome=dict.fromkeys(analytics.CHART_OUTCOMES, index)
        )
        for index in range(30)
    ]
    empty = [analytics.DayCalls(day=date(2026, 11, 1 + index), total=0, by_outcome={}) for index in range(7)]
    for days in (months, empty, []):
        figure = calls_per_day_figure(days, lang)
        assert _plotly_json(figure) == json.loads(json.dumps(figure))
    for calls in (0, 1, 1000):
        figure = calls_by_hour_figure([analytics.HourCalls(hour=hour, calls=calls) for hour in range(24)], lang)
        assert _plotly_json(figure) == json.loads(json.dumps(figure))


async def test_an_unchanged_figure_is_not_sent_again(db, owner):
    """A push that changes no chart leaves both figures out of the delta; a new call re-sends the one it changes."""
    make_call(db, tenant=owner.tenant, call_type="inbound")
    state = state_of(DashboardState, owner)
    assert state.day_figure == state.hour_figure == {"data": [], "layout": {}}, "a new tab copies two tiny dicts"
    assert await run(state, "load_dashboard") == []
    assert state.day_figure["data"] and state.hour_figure["data"]
    open_page(state, "/dashboard", "/dashboard")
    state.dirty_vars.clear()
    assert state._live_refresh(owner.tenant.id) is True
    assert "day_figure" not in state.dirty_vars and "hour_figure" not in state.dirty_vars

    make_call(db, tenant=owner.tenant, call_type="inbound")
    before = state.day_figure["data"][-1]["y"][-1]
    assert state._live_refresh(owner.tenant.id) is True
    assert "day_figure" in state.dirty_vars and state.day_figure["data"][-1]["y"][-1] == before + 1


def test_the_failed_deliveries_warning_counts_in_words():
    from ava_app.state.dashboard import failed_banner

    assert failed_banner(0, "en") == ""
    assert failed_banner(1, "en") == "1 message could not be delivered in the last 7 days."
    assert failed_banner(3, "fr") == "3 envois n'ont pas pu être remis ces 7 derniers jours."


async def test_a_month_s_chart_beside_today_s_figures_is_one_summary(db, owner, monkeypatch):
    """The 30-day chart with another period's figures: one summary read, the same days a month's summary holds."""
    make_call(db, tenant=owner.tenant, call_type="inbound", minutes_ago=20 * 24 * 60)
    make_call(db, tenant=owner.tenant, call_type="inbound")
    summaries: list[str] = []
    real = analytics.dashboard_summary

    def counted(session, **kwargs):
        summaries.append(kwargs["period"])
        return real(session, **kwargs)

    monkeypatch.setattr(analytics, "dashboard_summary", counted)
    state = state_of(DashboardState, owner)
    state.period, state.chart_days = "today", 30
    assert await run(state, "load_dashboard") == []
    assert summaries == ["today"]
    principal = accounts.authenticate(db, access_token=owner.admin.access_token)
    month = real(db, principal=principal, period="month").calls_per_day
    assert state.day_figure == calls_per_day_figure(month[-30:], "en")
