"""Billing settings: Stripe's sandbox and its secrets, and where billing is offered."""

from __future__ import annotations

import pytest

from ava_app.services.providers.stripe_billing import billing_offered, sandbox_api_key
from ava_app.settings import ConfigError, load_settings
from tests.unit.test_settings import PROD, clean_env

__all__ = ["clean_env"]


def test_dev_runs_stripe_against_its_emulator_with_derived_secrets(clean_env, monkeypatch):
    monkeypatch.delenv("AVA_STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("AVA_STRIPE_WEBHOOK_SECRET", raising=False)
    settings = load_settings()
    assert settings.stripe_sandbox and billing_offered(settings)
    assert settings.stripe_webhook_secret.startswith("whsec_") and len(settings.stripe_webhook_secret) >= 38
    assert sandbox_api_key(settings).startswith("sk_test_sandbox_")
    # Derived from the server key: another installation has other ones.
    monkeypatch.setenv("AVA_SECRET_KEY", "x" * 48)
    other = load_settings()
    assert other.stripe_webhook_secret != settings.stripe_webhook_secret
    assert sandbox_api_key(other) != sandbox_api_key(settings)


def test_prod_with_a_stripe_key_needs_its_webhook_secret(clean_env, monkeypatch):
    monkeypatch.setenv("AVA_ENV", "prod")
    for name, value in PROD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AVA_STRIPE_API_KEY", "sk_live_" + "a" * 40)
    monkeypatch.delenv("AVA_STRIPE_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="AVA_STRIPE_WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("AVA_STRIPE_WEBHOOK_SECRET", "whsec_" + "b" * 40)
    assert not load_settings().stripe_sandbox


def test_prod_without_a_stripe_key_offers_no_billing(clean_env, monkeypatch):
    monkeypatch.setenv("AVA_ENV", "prod")
    for name, value in PROD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AVA_STRIPE_API_KEY", raising=False)
    assert not billing_offered(load_settings())


@pytest.mark.parametrize(("name", "value"), [("AVA_BILLING_AFTER_GRACE", "hang_up"), ("AVA_BILLING_GRACE_DAYS", "90")])
def test_billing_policy_values_are_checked(clean_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()
