"""A bounded, seeded schemathesis run over the OpenAPI spec of /api/v1: whatever a client sends, no 5xx.

Every operation gets ``EXAMPLES`` generated requests that fit its schema and as many that break it (wrong types,
out-of-range numbers, missing fields), sent through the ASGI app as the admin of a throwaway organisation, with the
provider emulators running. Hypothesis is derandomised, so a run is repeatable; a total time budget keeps it short.
The provider webhooks are left out: without a valid signature they stop at the check (their payloads are covered by
``test_webhook_payload_hardening``).
"""

from __future__ import annotations

import os
import time
import warnings

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from ava_app.api.app import create_api
from ava_app.services import accounts, rate_limits
from ava_app.services.crm import hubspot
from ava_app.services.errors import DomainError
from tests.unit.test_assistants import providers

__all__ = ["providers"]

EXAMPLES = int(os.environ.get("AVA_FUZZ_EXAMPLES", "5"))
BUDGET_SECONDS = 90.0
PASSWORD = "tulip-garage-42"
SKIPPED_PATHS = ("/api/v1/webhooks/",)
# Connects to whatever host the body names (by design, through the outbound guard): fuzzed hosts only cost DNS time.
SKIPPED_OPERATIONS = {("POST", "/api/v1/integrations/{provider}/test")}


@pytest.fixture()
def api(engine, providers, jobs, monkeypatch):
    app = create_api()
    # HubSpot's API is the emulator this app mounts (a fuzzed token is then refused by it, as HubSpot would).
    monkeypatch.setattr(hubspot, "provider_transport", httpx.ASGITransport(app=app))
    return app


@pytest.fixture()
def owner(db) -> str:
    """The email of the admin of a throwaway organisation (each operation logs in afresh: some end the session)."""
    rate_limits.reset_rate_limits()
    accounts.signup(db, name="Fuzz Owner", email="owner@fuzz.example", password=PASSWORD, organisation_name="Fuzz")
    return "owner@fuzz.example"


def operations(schema) -> list:
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED_PATHS) or (operation.method.upper(), operation.path) in SKIPPED_OPERATIONS:
            continue
        found.append(operation)
    return found


def live_token(db, email: str, token: str) -> str:
    """``token`` while its session lives, else a fresh login (logout, a password change or a revoke ends it)."""
    if token:
        try:
            accounts.authenticate(db, access_token=token)
            return token
        except DomainError:
            pass
    db.rollback()
    return accounts.login(db, email=email, password=PASSWORD).access_token


def fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> tuple[int, list[tuple]]:
    """Send ``EXAMPLES`` generated requests of one operation in one mode; (how many, those answered 5xx)."""
    sent, failures = 0, []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def send(case) -> None:
        nonlocal sent
        response = case.call(headers=headers)
        sent += 1
        if response.status_code >= 500:
            failures.append((case.method, case.formatted_path, case.query, response.status_code, response.text[:200]))

    try:
        send()
    except Unsatisfiable:
        # Nothing to break in an operation without parameters or body: its positive run covered it.
        assert mode is GenerationMode.NEGATIVE, operation.label
    return sent, failures


def test_no_generated_request_gets_a_server_error(api, db, owner):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api)
    started = time.monotonic()
    failures: list[tuple] = []
    tried: list[str] = []
    sent, token = 0, ""
    ran = operations(schema)
    assert len(ran) > 50
    for operation in ran:
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        rate_limits.reset_rate_limits()
        token = live_token(db, owner, token)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            count, failed = fuzz(operation, mode, {"Authorization": f"Bearer {token}"})
            sent, failures = sent + count, failures + failed
        tried.append(operation.label)
    assert failures == [], failures[:10]
    assert sent >= len(tried), (sent, len(tried))
    if len(tried) < len(ran):
        # A loaded machine: the budget keeps the suite short, and says what this run did not reach.
        warnings.warn(f"time budget spent: {len(ran) - len(tried)} operation(s) not fuzzed this run", stacklevel=1)
