"""Stripe: the real SDK client, pointed at the local emulator in sandbox mode.

With ``AVA_STRIPE_API_KEY`` the client talks to Stripe; without it (dev only) to the emulator AVA serves at
``{public_url}/sandbox/stripe`` with this installation's sandbox key, derived from ``AVA_SECRET_KEY`` like the other
derived secrets, so every process agrees on it and it is never a constant. The webhook signing secret is
``Settings.stripe_webhook_secret`` either way. See ``docs/contracts/stripe.md``.
"""

from __future__ import annotations

import hashlib
import hmac

import stripe

from ava_app import routes
from ava_app.services.errors import ProviderUnavailable
from ava_app.settings import Settings, get_settings

# Stripe's own retries (idempotency keys included) on network errors and 409/429/5xx.
MAX_NETWORK_RETRIES = 2


def sandbox_api_key(settings: Settings) -> str:
    """The emulator's secret key for this installation."""
    digest = hmac.new(settings.secret_key.encode(), b"ava-stripe-sandbox-key", hashlib.sha256).hexdigest()
    return "sk_test_sandbox_" + digest[:40]


def sandbox_base_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + routes.SANDBOX_STRIPE


def billing_offered(settings: Settings | None = None) -> bool:
    """Stripe has a key, or runs against the emulator a dev deployment serves."""
    settings = settings or get_settings()
    return not settings.stripe_sandbox or settings.emulators_served


def stripe_client(settings: Settings | None = None) -> stripe.StripeClient:
    """A client for the configured Stripe (or its emulator); ProviderUnavailable where billing is not offered."""
    settings = settings or get_settings()
    if not billing_offered(settings):
        raise ProviderUnavailable("Billing is not configured on this server.", code="billing_not_configured")
    if settings.stripe_sandbox:
        key, base = sandbox_api_key(settings), sandbox_base_url(settings)
    else:
        key, base = settings.stripe_api_key, settings.stripe_base_url
    return stripe.StripeClient(
        key,
        base_addresses={"api": base},
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.HTTPXClient(timeout=20, allow_sync_methods=True),
    )
