"""Nothing secret in client-visible state: every public var of every AVA state is checked by name and by value."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re

import reflex as rx

import ava_app.state as state_package
from ava_app.settings import get_settings

# No session token at all: the browser's login is an httpOnly cookie (services.browser_sessions).
OWN_SESSION: set[str] = set()
# A secret the admin just asked for and must copy (a webhook endpoint's signing secret, when it is created or
# rotated; a new API key): sent once, cleared when dismissed or the page is opened again, never read back from the
# database.
SHOWN_ONCE = {"WebhooksState.shown_secret", "ApiKeysState.shown_key"}
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
        if SECRET_NAME.search(name) and name not in OWN_SESSION and f"{cls.__name__}.{name}" not in SHOWN_ONCE
    ]
    assert offenders == []


def test_typed_credentials_are_backend_only():
    from ava_app.state.phone_numbers import NumberFlowState

    # Underscore vars are Reflex backend vars: kept on the server, never part of the state sent to the browser.
    assert "_auth_token" in NumberFlowState.__annotations__
    assert not {"auth_token", "_auth_token"} & set(NumberFlowState.base_vars)


def test_no_state_var_holds_an_emulator_key(engine):
    from ava_app.services.providers.sandbox_keys import sandbox_keys
    from ava_app.state.phone_numbers import NumberFlowState

    keys = sandbox_keys()
    root = rx.State(_reflex_internal_init=True)
    flow = root.get_substate(NumberFlowState.get_full_name().split(".")[1:])
    # The import form in sandbox mode, the sandbox account chosen: the server resolves its token, the page has none.
    NumberFlowState.event_handlers["reset_flow"].fn(flow)
    NumberFlowState.event_handlers["set_use_sandbox_account"].fn(flow, True)
    assert flow.use_sandbox_account and flow._twilio_credentials()[1] == keys.twilio_auth_token

    sent = json.dumps(root.dict(), default=str)
    assert '"use_sandbox_account_rx_state_": true' in sent  # the flow's public vars are all in there
    for value in (keys.vapi_api_key, keys.vapi_public_key, keys.twilio_auth_token, get_settings().secret_key):
        assert value not in sent
    assert get_settings().vapi_webhook_secret not in sent
