"""AVA's plans in one place: what each costs a month and what it includes.

The built-in plans below are the default. An operator replaces them with a JSON file named by ``AVA_PLANS_FILE``: a
list of objects with the fields of ``Plan`` (prices in the currency's minor unit, cents for USD and EUR), where
``prices`` maps other currencies to their own prices: ``{"USD": {"monthly_price": 2900, "extra_minute_price": 25}}``.
Exactly one plan must be the trial. ``Tenant.plan`` holds a plan's ``code``; an unknown code reads as the trial, so
a plan the operator retired never breaks a business's pages.

A business is billed in its own currency when every paid plan has a price in it, else in the plans' first currency
(``billing_currency``); once it subscribes, in its subscription's currency (Stripe cannot change it). At Stripe, each
plan is one price with the other currencies as its ``currency_options``, and Checkout names the currency.

A paid plan's period is the subscription's (set from Stripe's events once the business subscribes); until then the
period is the trial's: ``trial_days`` from the organisation's creation.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from babel.numbers import get_currency_precision

from ava_app.models import Tenant, as_utc

PLANS_FILE_VARIABLE = "AVA_PLANS_FILE"


@dataclass(frozen=True)
class PlanPrice:
    """A plan's prices in one more currency (minor units)."""

    currency: str
    monthly_price: int
    extra_minute_price: int


@dataclass(frozen=True)
class Plan:
    """One plan. ``monthly_price`` and ``extra_minute_price`` are in the currency's minor unit (cents)."""

    code: str
    name: str
    monthly_price: int
    included_minutes: int
    extra_minute_price: int
    numbers_included: int
    concurrent_calls: int
    seats: int
    currency: str = "EUR"
    trial_days: int = 0
    prices: tuple[PlanPrice, ...] = ()

    @property
    def is_trial(self) -> bool:
        return self.trial_days > 0

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every currency the plan has a price in, its own first."""
        return (self.currency, *(price.currency for price in self.prices))

    def in_currency(self, currency: str | None) -> Plan:
        """The plan priced in ``currency`` (its own prices when it has none in it)."""
        code = (currency or "").upper()
        if code == self.currency:
            return self
        found = next((price for price in self.prices if price.currency == code), None)
        if found is None:
            return self
        return replace(
            self,
            currency=found.currency,
            monthly_price=found.monthly_price,
            extra_minute_price=found.extra_minute_price,
        )


def _priced(*rows: tuple[str, int, int]) -> tuple[PlanPrice, ...]:
    return tuple(PlanPrice(currency, monthly, extra) for currency, monthly, extra in rows)


# Euros first; the other prices are set per market (rounded as people there expect), not converted at a rate.
BUILT_IN_PLANS: tuple[Plan, ...] = (
    Plan(
        "trial",
        "Trial",
        0,
        60,
        0,
        1,
        1,
        2,
        trial_days=14,
        prices=_priced(("USD", 0, 0), ("GBP", 0, 0), ("CAD", 0, 0), ("AUD", 0, 0), ("CHF", 0, 0)),
    ),
    Plan(
        "starter",
        "Starter",
        2900,
        200,
        25,
        1,
        2,
        3,
        prices=_priced(("USD", 2900, 25), ("GBP", 2500, 22), ("CAD", 3900, 35), ("AUD", 4500, 39), ("CHF", 2900, 25)),
    ),
    Plan(
        "pro",
        "Pro",
        7900,
        700,
        20,
        2,
        5,
        10,
        prices=_priced(("USD", 7900, 20), ("GBP", 6900, 18), ("CAD", 10900, 28), ("AUD", 11900, 31), ("CHF", 7900, 20)),
    ),
    Plan(
        "business",
        "Business",
        19900,
        2000,
        15,
        5,
        10,
        25,
        prices=_priced(
            ("USD", 19900, 15), ("GBP", 17500, 13), ("CAD", 26900, 20), ("AUD", 29900, 23), ("CHF", 19900, 15)
        ),
    ),
)


class PlansFileInvalid(ValueError):
    """The operator's plans file cannot be used; the message says why."""


def _currency(code: object, where: str) -> str:
    """An ISO 4217 code with two decimals (prices are kept in hundredths); ``PlansFileInvalid`` otherwise."""
    text = str(code).strip().upper()
    if len(text) != 3 or not text.isalpha():
        raise PlansFileInvalid(f"{where}: {code!r} is not a currency code such as EUR or USD")
    if get_currency_precision(text) != 2:
        raise PlansFileInvalid(f"{where}: {text} has no cents; plans are priced in currencies with two decimals")
    return text


def _plan(row: dict, where: str) -> Plan:
    names = {field.name for field in fields(Plan)} - {"prices"}
    values = {key: value for key, value in row.items() if key in names}
    values["currency"] = _currency(values.get("currency", "EUR"), where)
    extra = row.get("prices") or {}
    if not isinstance(extra, dict):
        raise PlansFileInvalid(f"{where}: prices must map a currency to its monthly_price and extra_minute_price")
    priced = []
    for code, price in extra.items():
        currency = _currency(code, where)
        if currency == values["currency"] or not isinstance(price, dict):
            raise PlansFileInvalid(f"{where}: prices.{code} must be another currency's monthly and minute prices")
        try:
            priced.append(PlanPrice(currency, int(price["monthly_price"]), int(price["extra_minute_price"])))
        except (KeyError, TypeError, ValueError) as error:
            raise PlansFileInvalid(f"{where}: prices.{code}: {error!r}") from error
    try:
        return Plan(**values, prices=tuple(priced))
    except TypeError as error:
        raise PlansFileInvalid(f"{where}: {error}") from error


def _from_file(path: Path) -> tuple[Plan, ...]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PlansFileInvalid(f"{path}: {error}") from error
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        raise PlansFileInvalid(f"{path}: expected a non-empty list of plans")
    plans = tuple(_plan(row, f"{path}, plan {index + 1}") for index, row in enumerate(rows))
    if sum(plan.is_trial for plan in plans) != 1:
        raise PlansFileInvalid(f"{path}: exactly one plan must have trial_days > 0")
    if len({plan.code for plan in plans}) != len(plans):
        raise PlansFileInvalid(f"{path}: plan codes must be unique")
    return plans


@lru_cache(maxsize=1)
def all_plans() -> tuple[Plan, ...]:
    """The plans on offer: the operator's file when ``AVA_PLANS_FILE`` is set, else the built-in ones."""
    path = os.environ.get(PLANS_FILE_VARIABLE, "").strip()
    return _from_file(Path(path)) if path else BUILT_IN_PLANS


def trial_plan() -> Plan:
    return next(plan for plan in all_plans() if plan.is_trial)


def plan_for(code: str | None) -> Plan:
    """The plan with this code; the trial for an unknown or empty one."""
    return next((plan for plan in all_plans() if plan.code == code), trial_plan())


def offered_currencies() -> tuple[str, ...]:
    """The currencies every paid plan has a price in, the plans' first currency first."""
    paid = [plan for plan in all_plans() if not plan.is_trial] or list(all_plans())
    first = paid[0].currencies
    return tuple(code for code in first if all(code in plan.currencies for plan in paid))


def billing_currency(tenant: Tenant, subscribed: str | None = None) -> str:
    """The currency ``tenant`` is billed in: its subscription's (``subscribed``) once it has one, else its own
    currency when the plans are priced in it, else the plans' first currency."""
    offered = offered_currencies()
    for code in ((subscribed or "").upper(), (tenant.currency or "").upper()):
        if code in offered:
            return code
    return offered[0]


def tenant_plan(tenant: Tenant, subscribed: str | None = None) -> Plan:
    """The business's plan, priced in the currency it is billed in."""
    return plan_for(tenant.plan).in_currency(billing_currency(tenant, subscribed))


def trial_period(tenant: Tenant) -> tuple[datetime, datetime]:
    """The trial's period: from the organisation's creation, ``trial_days`` long."""
    start = as_utc(tenant.created_at)
    return start, start + timedelta(days=trial_plan().trial_days)
