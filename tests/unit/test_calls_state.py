"""/calls with filters that cannot be used: the message names each filter as the form labels it, in both languages."""

from __future__ import annotations

import importlib

import pytest

from ava_app.services import accounts
from ava_app.state.calls import CallsState
from tests.unit.test_state_tenant_isolation import PASSWORD, open_page, run, state_of


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


class Owner:
    def __init__(self, admin: accounts.AuthResult) -> None:
        self.admin = admin


@pytest.fixture()
def calls_state(engine, db):
    admin = accounts.signup(
        db, name="Delta Owner", email="owner@delta.example", password=PASSWORD, organisation_name="Delta Dental"
    )
    return state_of(CallsState, Owner(admin))


async def test_a_url_with_unusable_filters_names_them(calls_state):
    open_page(calls_state, "/calls?min_duration=abc&outcome=lost", "/calls")
    await run(calls_state, "load_calls")
    # Read in turn: the type errors first, then the checks of known values and ranges.
    assert calls_state.error == "Min. seconds: this value cannot be used, change or clear it."
    assert calls_state.rows == [] and calls_state.loaded
    # What the URL said stays in the form, to be corrected rather than typed again.
    assert calls_state.filters["min_duration"] == "abc" and calls_state.filters["outcome"] == "lost"

    open_page(calls_state, "/calls?outcome=lost", "/calls")
    await run(calls_state, "load_calls")
    assert calls_state.error == "Outcome: this value cannot be used, change or clear it."


async def test_an_empty_range_is_named_in_french(calls_state):
    calls_state.lang = "fr"
    open_page(calls_state, "/calls", "/calls")
    await run(calls_state, "load_calls")
    answered = await run(calls_state, "apply_filters", {"min_duration": "60", "max_duration": "30"})
    assert answered == ["toast:error"]
    open_page(calls_state, "/calls?min_duration=60&max_duration=30", "/calls")
    await run(calls_state, "load_calls")
    assert calls_state.error == "Secondes max. : cette valeur ne peut pas être utilisée, modifiez-la ou effacez-la."
