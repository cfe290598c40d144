"""Plans in one place (built-in or the operator's file) and which calls are billable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ava_app.models import Call, Tenant
from ava_app.services.billing import billable, plans


@pytest.fixture(autouse=True)
def fresh_plans(monkeypatch):
    monkeypatch.delenv(plans.PLANS_FILE_VARIABLE, raising=False)
    plans.all_plans.cache_clear()
    yield
    plans.all_plans.cache_clear()


def test_built_in_plans_have_one_trial_and_unknown_codes_read_as_it():
    assert [plan.code for plan in plans.all_plans() if plan.is_trial] == ["trial"]
    assert plans.plan_for("pro").included_minutes == 700
    assert plans.plan_for("retired-plan") is plans.trial_plan()
    assert plans.plan_for(None) is plans.trial_plan()


def test_the_operator_file_replaces_the_built_in_plans(tmp_path, monkeypatch):
    path = tmp_path / "plans.json"
    rows = [
        {"code": "free", "name": "Free", "monthly_price": 0, "included_minutes": 30, "extra_minute_price": 0,
         "numbers_included": 1, "concurrent_calls": 1, "seats": 1, "trial_days": 30},
        {"code": "solo", "name": "Solo", "monthly_price": 1900, "included_minutes": 100, "extra_minute_price": 30,
         "numbers_included": 1, "concurrent_calls": 1, "seats": 1, "currency": "USD"},
    ]  # fmt: skip
    path.write_text(json.dumps(rows), encoding="utf-8")
    monkeypatch.setenv(plans.PLANS_FILE_VARIABLE, str(path))
    assert [plan.code for plan in plans.all_plans()] == ["free", "solo"]
    assert plans.plan_for("solo").currency == "USD"
    assert plans.plan_for("pro").code == "free"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "Expecting value"),
        ("[]", "non-empty list"),
        ('[{"code": "a", "name": "A"}]', "missing"),
        (
            '[{"code": "a", "name": "A", "monthly_price": 0, "included_minutes": 1, "extra_minute_price": 0,'
            ' "numbers_included": 1, "concurrent_calls": 1, "seats": 1}]',
            "exactly one plan",
        ),
    ],
)
def test_a_bad_operator_file_says_why(tmp_path, monkeypatch, content, reason):
    path = tmp_path / "plans.json"
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv(plans.PLANS_FILE_VARIABLE, str(path))
    with pytest.raises(plans.PlansFileInvalid, match=reason):
        plans.all_plans()


def test_a_business_is_billed_in_its_own_currency_when_every_plan_has_a_price_in_it():
    starter = plans.plan_for("starter")
    assert starter.currencies[0] == "EUR" and {"USD", "GBP", "CAD", "AUD", "CHF"} <= set(starter.currencies)
    london = Tenant(name="Salon", currency="GBP", plan="starter")
    assert plans.billing_currency(london) == "GBP"
    assert (plans.tenant_plan(london).currency, plans.tenant_plan(london).monthly_price) == ("GBP", 2500)
    # What the plan includes never changes with the currency.
    assert plans.tenant_plan(london).included_minutes == starter.included_minutes
    # A currency the plans are not priced in falls back to their first; a subscription's currency wins over both.
    assert plans.billing_currency(Tenant(name="Tokyo", currency="JPY")) == "EUR"
    assert plans.billing_currency(london, subscribed="usd") == "USD"
    assert plans.tenant_plan(london, subscribed="USD").monthly_price == 2900


def _row(code: str, **fields) -> dict:
    row = {"code": code, "name": code.title(), "monthly_price": 0, "included_minutes": 30, "extra_minute_price": 0,
           "numbers_included": 1, "concurrent_calls": 1, "seats": 1}  # fmt: skip
    return row | fields


def test_the_operator_file_prices_plans_in_more_currencies(tmp_path, monkeypatch):
    path = tmp_path / "plans.json"
    canadian = {"CAD": {"monthly_price": 2500, "extra_minute_price": 40}}
    rows = [
        _row("free", trial_days=14),
        _row("solo", monthly_price=1900, currency="usd", prices=canadian),
        _row("team", monthly_price=4900, currency="USD"),
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    monkeypatch.setenv(plans.PLANS_FILE_VARIABLE, str(path))
    assert plans.plan_for("solo").in_currency("CAD").monthly_price == 2500
    # "team" has no Canadian price: every business is billed in US dollars.
    assert plans.offered_currencies() == ("USD",)
    assert plans.billing_currency(Tenant(name="Montreal", currency="CAD")) == "USD"


@pytest.mark.parametrize(
    ("prices", "currency", "reason"),
    [
        ({}, "JPY", "no cents"),
        ({}, "EURO", "not a currency code"),
        ({"GBP": {"monthly_price": 100}}, "EUR", "extra_minute_price"),
        ({"EUR": {"monthly_price": 1, "extra_minute_price": 1}}, "EUR", "another currency"),
        (["GBP"], "EUR", "prices must map"),
    ],
)
def test_bad_currencies_in_the_operator_file_say_why(tmp_path, monkeypatch, prices, currency, reason):
    path = tmp_path / "plans.json"
    path.write_text(json.dumps([_row("free", trial_days=14, currency=currency, prices=prices)]), encoding="utf-8")
    monkeypatch.setenv(plans.PLANS_FILE_VARIABLE, str(path))
    with pytest.raises(plans.PlansFileInvalid, match=reason):
        plans.all_plans()


def test_the_trial_runs_fourteen_days_from_the_organisation_creation():
    created = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    start, end = plans.trial_period(Tenant(name="Salon", created_at=created))
    assert (start, end) == (created, created + timedelta(days=14))


@pytest.mark.parametrize(
    ("fields", "reason", "minutes"),
    [
        ({"call_type": "inbound", "duration_seconds": 61}, None, 2),
        ({"call_type": "inbound", "duration_seconds": 60}, None, 1),
        ({"call_type": "inbound", "duration_seconds": 15}, None, 1),
        ({"call_type": "inbound", "duration_seconds": 14}, "short", 0),
        ({"call_type": "inbound", "duration_seconds": None}, "short", 0),
        ({"call_type": "web", "duration_seconds": 300}, "test", 0),
        ({"call_type": "test", "duration_seconds": 300}, "test", 0),
        ({"call_type": "inbound", "duration_seconds": 300, "outcome": "blocked"}, "blocked", 0),
        ({"call_type": "inbound", "duration_seconds": 300, "spam": True}, "spam", 0),
        ({"call_type": "outbound", "duration_seconds": 125}, None, 3),
    ],
)
def test_billable_minutes(fields, reason, minutes):
    call = Call(tenant_id=1, provider_call_id="c", **fields)
    assert billable.not_billed_reason(call) == reason
    assert billable.billable_minutes(call) == minutes
