"""/settings/billing: the organisation's plan and subscription, the plans side by side, Checkout and the portal."""

from __future__ import annotations

import json

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.models import utcnow
from ava_app.services import regional
from ava_app.services.billing import subscriptions
from ava_app.services.billing.plans import Plan
from ava_app.state.auth import AuthState

# How many times the page looks again for the plan after Checkout (every 2 s).
WAIT_ATTEMPTS = 15
KNOWN_STATUSES = ("trial", "managed", "active", "past_due", "unpaid", "canceled", "incomplete")


def _go(url: str):
    """Send the browser to Stripe's hosted page (another origin in production)."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def _counted(key: str, count: int, lang: str) -> str:
    return translate(f"{key}_one", lang) if count == 1 else translate(key, lang).format(count=count)


def shown_plan_name(plan: Plan, lang: str) -> str:
    """The operator names the paid plans; the trial is called so in the reader's language."""
    return translate("billing.status.trial", lang) if plan.is_trial else plan.name


class BillingState(AuthState):
    """Plain rows for the Billing page; every handler asks the services, which refuse non-admins."""

    billing_loaded: bool = False
    billing_failed: bool = False
    billing_busy: str = ""
    plan_name: str = ""
    plan_status: str = ""
    period_end: str = ""
    trial_end: str = ""
    trial_ended: bool = False
    grace_end: str = ""
    after_grace: str = "messages_only"
    ends_at_period: bool = False
    has_customer: bool = False
    checkout_done: bool = False
    plan_rows: list[dict] = []

    def _show(self, out: subscriptions.BillingOut) -> None:
        lang = self.lang or "en"
        tz, country = self._business_timezone, self.business_country

        def day(moment) -> str:
            return regional.format_date(moment, timezone=tz, language=lang, country=country) if moment else ""

        current = next((plan for plan in out.plans if plan.code == out.plan_code), out.plans[0])
        self.plan_name = shown_plan_name(current, lang)
        self.plan_status = out.status if out.status in KNOWN_STATUSES else "other"
        self.period_end, self.grace_end = day(out.period_end), day(out.grace_until)
        self.trial_end = day(out.trial_ends)
        self.trial_ended = out.trial_ends is not None and out.trial_ends <= utcnow()
        self.after_grace, self.ends_at_period = out.after_grace, out.cancel_at_period_end
        self.has_customer = out.has_customer
        paying = out.status in ("active", "past_due", "unpaid")
        rows = []
        for plan in out.plans:
            money = regional.format_money(plan.monthly_price / 100, plan.currency, lang)
            extra = regional.format_money(plan.extra_minute_price / 100, plan.currency, lang)
            rows.append(
                {
                    "code": plan.code,
                    "name": shown_plan_name(plan, lang),
                    "price": translate("billing.free", lang) if plan.is_trial else money,
                    "per_month": not plan.is_trial,
                    "trial": plan.is_trial,
                    "current": plan.code == out.plan_code,
                    "lines": [
                        translate("billing.trial_days", lang).format(days=plan.trial_days) if plan.is_trial else "",
                        translate("billing.minutes", lang).format(minutes=plan.included_minutes),
                        translate("billing.extra", lang).format(price=extra) if plan.extra_minute_price else "",
                        _counted("billing.numbers", plan.numbers_included, lang),
                        _counted("billing.concurrent", plan.concurrent_calls, lang),
                        _counted("billing.seats", plan.seats, lang),
                    ],
                    "action": translate("billing.change" if paying else "billing.upgrade", lang),
                }
            )
        for row in rows:
            row["lines"] = [line for line in row["lines"] if line]
        self.plan_rows = rows

    @rx.event
    async def load_billing(self):
        """On-load: the plan, the subscription's state and the plans on offer."""
        self.billing_loaded = self.billing_failed = False
        self.billing_busy = ""
        self.checkout_done = self.router.url.query_parameters.get("checkout") == "done"
        call = await self._call_async(lambda s, p: subscriptions.billing_overview(s, principal=p))
        if call.refused:
            self.billing_failed = True
            return call.event
        self._show(call.value)
        self.billing_loaded = True
        if self.checkout_done and self.plan_status == "trial":
            return self._wait_for_stripe()
        return None

    def _wait_for_stripe(self):
        """Back from Checkout before Stripe's webhook: look again in a moment, for half a minute at most."""
        try:
            attempt = int(self.router.url.query_parameters.get("wait", "0"))
        except ValueError:
            attempt = WAIT_ATTEMPTS
        if attempt >= WAIT_ATTEMPTS:
            return None
        again = routes.with_query(routes.SETTINGS_BILLING, checkout="done", wait=attempt + 1)
        return rx.call_script(f"setTimeout(() => window.location.replace({json.dumps(again)}), 2000)")

    @rx.event
    async def choose_plan(self, code: str):
        """Upgrade or change plan: to Stripe Checkout (or the portal's plan change for a subscriber)."""
        self.billing_busy = str(code)[:20]
        yield
        email = self.user_email
        call = await self._call_async(
            lambda s, p: subscriptions.checkout_url(s, principal=p, plan_code=str(code)[:20], email=email)
        )
        if call.refused:
            self.billing_busy = ""
            yield call.event
            return
        yield _go(call.value)

    @rx.event
    async def manage_billing(self):
        """Open the Stripe customer portal (card, invoices, cancellation)."""
        self.billing_busy = "portal"
        yield
        call = await self._call_async(lambda s, p: subscriptions.portal_url(s, principal=p))
        if call.refused:
            self.billing_busy = ""
            yield call.event
            return
        yield _go(call.value)
