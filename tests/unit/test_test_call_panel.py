"""The test call panel's pieces as a phone draws them."""

from __future__ import annotations

import importlib

import pytest

from ava_app.components import test_call


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


def test_the_local_replies_badge_wraps_within_the_card():
    """A Radix badge never shrinks: without a width cap its one long line ran past a 390 px card's edge."""
    rendered = str(test_call._source_badge())
    assert '["whiteSpace"] : "normal"' in rendered and '["maxWidth"] : "100%"' in rendered
