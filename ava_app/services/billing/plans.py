"""AVA's plans in one place: what each costs a month and what it includes.

The built-in plans below are the default. An operator replaces them with a JSON file named by ``AVA_PLANS_FILE``: a
list of objects with the fields of ``Plan`` (prices in the currency's minor unit, cents for USD and EUR). Exactly one
plan must be the trial. ``Tenant.plan`` holds a plan's ``code``; an unknown code reads as the trial, so a plan the
operator retired never breaks a business's pages.

A paid plan's period is the subscription's (set from Stripe's events once the business subscribes); until then the
period is the trial's: ``trial_days`` from the organisation's creation.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from ava_app.models import Tenant, as_utc

PLANS_FILE_VARIABLE = "AVA_PLANS_FILE"


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

    @property
    def is_trial(self) -> bool:
        return self.trial_days > 0


BUILT_IN_PLANS: tuple[Plan, ...] = (
    Plan("trial", "Trial", 0, 60, 0, 1, 1, 2, trial_days=14),
    Plan("starter", "Starter", 2900, 200, 25, 1, 2, 3),
    Plan("pro", "Pro", 7900, 700, 20, 2, 5, 10),
    Plan("business", "Business", 19900, 2000, 15, 5, 10, 25),
)


class PlansFileInvalid(ValueError):
    """The operator's plans file cannot be used; the message says why."""


def _from_file(path: Path) -> tuple[Plan, ...]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PlansFileInvalid(f"{path}: {error}") from error
    names = {field.name for field in fields(Plan)}
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        raise PlansFileInvalid(f"{path}: expected a non-empty list of plans")
    try:
        plans = tuple(Plan(**{key: value for key, value in row.items() if key in names}) for row in rows)
    except TypeError as error:
        raise PlansFileInvalid(f"{path}: {error}") from error
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


def tenant_plan(tenant: Tenant) -> Plan:
    return plan_for(tenant.plan)


def trial_period(tenant: Tenant) -> tuple[datetime, datetime]:
    """The trial's period: from the organisation's creation, ``trial_days`` long."""
    start = as_utc(tenant.created_at)
    return start, start + timedelta(days=trial_plan().trial_days)
