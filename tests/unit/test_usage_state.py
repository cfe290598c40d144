"""The Usage page's figure and strings: plotly.py accepts the plain dict, the quota line spans the whole period, and
the not-billed rows link to the calls list narrowed to them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from ava_app.services.billing import plans, usage
from ava_app.services.billing.period import BillingPeriod
from ava_app.state.usage import minutes_figure, usage_view


def days(*minutes: int) -> list[usage.DayMinutes]:
    total, rows = 0, []
    for index, used in enumerate(minutes):
        total += used
        rows.append(usage.DayMinutes(day=date(2027, 3, 15) + timedelta(days=index), minutes=used, cumulative=total))
    return rows


def test_the_figure_is_valid_plotly_and_the_quota_line_spans_the_period():
    figure = minutes_figure(days(5, 0, 12), 200, "fr", last_day=date(2027, 4, 14))
    checked = json.loads(to_json_plotly(go.Figure(figure)))
    used, included = checked["data"]
    assert len(used["x"]) == len(included["x"]) == 31
    assert used["y"][:3] == [5, 5, 17] and used["y"][3:] == [None] * 28
    assert set(included["y"]) == {200}
    assert used["x"][0] == "lun. 15"
    assert checked["layout"]["separators"] == ", "


def test_view_strings_and_not_billed_links():
    plan = plans.plan_for("starter")
    period = BillingPeriod(datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC), "monthly")
    found = usage.Usage(
        plan=plan,
        period=period,
        timezone="UTC",
        minutes_used=210,
        projected_minutes=400,
        billed_calls=70,
        leads=0,
        bookings=3,
        not_billed={"short": 4, "blocked": 2},
        cost_minor=usage.cost_minor(plan, 210),
        projected_cost_minor=usage.cost_minor(plan, 400),
        days=days(210),
        provider_cost=Decimal("3.5"),
        generated_at=datetime(2027, 3, 16, tzinfo=UTC),
    )
    view = usage_view(found, "en")
    assert view["minutes_text"] == "210 of 200 minutes"
    assert view["percent"] == 100 and view["bar_color"] == "red"
    assert view["over_text"] == "10 minutes over the plan"
    assert view["cost_text"] == "€31.50"  # 29.00 + 10 × 0.25
    assert view["per_booking"] == "€10.50" and view["per_lead"] == "—"
    assert view["period_text"] == "This period · Mar 15, 2027 – Apr 14, 2027"
    links = {row["reason"]: row["href"] for row in view["not_billed"]}
    assert links == {
        "blocked": "/calls?date_from=2027-03-15&date_to=2027-04-14&outcome=blocked",
        "short": "/calls?date_from=2027-03-15&date_to=2027-04-14&max_duration=14",
    }
    assert usage_view(found, "fr")["cost_text"] == "31,50\u00a0€"
