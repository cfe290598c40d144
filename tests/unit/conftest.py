"""Fixtures shared by the unit tests of Vapi webhook ingestion and the assistant's tools."""

from __future__ import annotations

import pytest

from tests.unit.vapi_messages import setup_business


@pytest.fixture()
def vapi_business(db):
    """(tenant, assistant, number) of the contract fixtures' business (tests/fixtures/contracts)."""
    return setup_business(db)
