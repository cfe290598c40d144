"""Nothing secret in client-visible state: every public var of every AVA state is checked by name and by value."""

from __future__ import annotations

import importlib
import pkgutil
import re

import reflex as rx

import ava_app.state as state_package

# No session token at all: the browser's login is an httpOnly cookie (services.browser_sessions).
OWN_SESSION: set[str] = set()
# The Twilio emulator's published test token, prefilled in sandbox mode only.
SANDBOX_ONLY = {"sandbox_token"}
SECRET_NAME = re.compile(r"password(?!_busy)|token|secret|hash|api_key|otp|sms_code|auth_code|private", re.I)


def _ava_states() -> list[type[rx.State]]:
    for module in pkgutil.iter_modules(state_package.__path__):
        importlib.import_module(f"{state_package.__name__}.{module.name}")

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return [cls for cls in walk(rx.State) if cls.__module__.startswith("ava_app.")]


def test_states_are_found():
    names = {cls.__name__ for cls in _ava_states()}
    assert {"AuthState", "CallsState", "PhoneNumbersState", "TeamState", "IntegrationsState"} <= names


def test_no_public_var_is_named_like_a_secret():
    offenders = [
        f"{cls.__name__}.{name}"
        for cls in _ava_states()
        for name in cls.base_vars
        if SECRET_NAME.search(name) and name not in OWN_SESSION | SANDBOX_ONLY
    ]
    assert offenders == []


def test_typed_credentials_are_backend_only():
    from ava_app.state.phone_numbers import NumberFlowState

    # Underscore vars are Reflex backend vars: kept on the server, never part of the state sent to the browser.
    assert "_auth_token" in NumberFlowState.__annotations__
    assert not {"auth_token", "_auth_token"} & set(NumberFlowState.base_vars)
