"""A local emulator of the Stripe API calls AVA makes, its hosted Checkout and customer portal pages, and its
signed webhooks (``app.StripeEmulator``). Mounted at ``/sandbox/stripe`` in dev when no Stripe key is set."""

from __future__ import annotations

from functools import lru_cache

from ava_app import routes
from ava_app.private_files import private_dir
from ava_app.sandbox.stripe.app import StripeEmulator
from ava_app.services.billing.plans import all_plans
from ava_app.services.providers.stripe_billing import sandbox_api_key, sandbox_base_url
from ava_app.settings import get_settings


@lru_cache(maxsize=1)
def stripe_emulator() -> StripeEmulator:
    """This process's Stripe emulator: this installation's sandbox key and signing secret, AVA's webhook as its
    endpoint, and a monthly price per paid plan (lookup key = the plan's code) with its other currencies."""
    settings = get_settings()
    emulator = StripeEmulator(
        api_key=sandbox_api_key(settings),
        webhook_secret=settings.stripe_webhook_secret,
        webhook_url=routes.absolute(settings.public_url, routes.api(routes.STRIPE_WEBHOOK)),
        state_file=private_dir(settings.data_dir) / "sandbox_stripe.json",
    )
    emulator.base_url = sandbox_base_url(settings)
    add_plan_prices(emulator)
    return emulator


def add_plan_prices(emulator: StripeEmulator) -> None:
    """A monthly price per paid plan, its lookup key the plan's code, with its amount in each of its currencies."""
    for plan in all_plans():
        if not plan.is_trial:
            emulator.add_price(
                lookup_key=plan.code,
                name=plan.name,
                unit_amount=plan.monthly_price,
                currency=plan.currency,
                others={price.currency: price.monthly_price for price in plan.prices},
            )
