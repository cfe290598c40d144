"""The Stripe emulator: the API calls AVA makes, the hosted Checkout and portal pages, and signed webhooks.

API paths and shapes follow Stripe's (``/v1/customers``, ``/v1/prices``, ``/v1/checkout/sessions``,
``/v1/subscriptions``, ``/v1/billing_portal/sessions``, ``/v1/billing/meter_events``, ``/v1/invoices``), with form
encoded requests, ``Authorization: Bearer <secret key>`` and Stripe's error body ``{"error": {"type", "code",
"message"}}``. See ``docs/contracts/stripe.md``.

Prices carry ``currency_options`` (the plan's price in other currencies); a Checkout Session names the currency it
charges in, and the subscription, its invoices and plan changes keep that currency, as at Stripe.

Hosted pages: ``/pay/{session}`` (Checkout: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined) and
``/portal/{session}`` (change plan, change card, cancel, and a test clock that runs the next renewal with the card on
file), in the session's ``locale`` (English or French), amounts written as that language writes them. Every change
emits events, signed as Stripe signs them (``Stripe-Signature: t=...,v1=HMAC-SHA256``) and POSTed to AVA's endpoint
in order by one delivery thread; tests hold them (``auto_deliver = False``) and ``flush`` them twice or in reverse
order.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from babel.numbers import format_currency
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ava_app.sandbox.stripe.forms import decode

log = logging.getLogger(__name__)

PAYING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
MONTH_SECONDS = 30 * 86400
API_VERSION = "2025-08-27.basil"

Transport = Callable[[str, bytes, dict[str, str]], int]


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for ``payload``: ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def _error(status: int, message: str, *, code: str = "", kind: str = "invalid_request_error") -> JSONResponse:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return JSONResponse({"error": body}, status_code=status)


def _list(rows: list[dict], url: str) -> dict:
    return {"object": "list", "data": rows, "has_more": False, "url": url}


def _amount(price: dict, currency: str) -> int | None:
    """The price's unit amount in ``currency`` (lower case): its own, or one of its ``currency_options``."""
    if currency == price["currency"]:
        return int(price["unit_amount"])
    option = (price.get("currency_options") or {}).get(currency)
    return int(option["unit_amount"]) if option else None


def _post_webhook(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=15).status_code


class StripeEmulator:
    """One Stripe account in memory: its prices, customers, subscriptions, invoices, meter events and events."""

    def __init__(
        self, *, api_key: str, webhook_secret: str, webhook_url: str = "", state_file: Path | None = None
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.base_url = ""  # where the hosted pages are served, for the ``url`` of sessions
        self.prices: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.cards: dict[str, str] = {}  # customer id -> card number on file
        self.checkout_sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        self.meter_events: dict[str, dict] = {}
        self.events: list[dict] = []
        self.auto_deliver = True
        self.pending: list[dict] = []
        self.transport: Transport = _post_webhook
        self._outbox: queue.Queue[dict] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.RLock()
        # Kept across restarts (dev): a business subscribed yesterday still has its customer and subscription.
        self.state_file = state_file
        self._load()

    _KEPT = (
        "prices",
        "customers",
        "cards",
        "checkout_sessions",
        "subscriptions",
        "invoices",
        "portal_sessions",
        "meter_events",
    )

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            kept = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("stripe emulator: %s is unreadable; starting empty", self.state_file)
            return
        for name in self._KEPT:
            getattr(self, name).update(kept.get(name) or {})

    def _save(self) -> None:
        if self.state_file is None:
            return
        with self._lock:
            kept = {name: getattr(self, name) for name in self._KEPT}
            temporary = self.state_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(kept), encoding="utf-8")
            temporary.chmod(0o600)
            temporary.replace(self.state_file)

    # --- set-up

    def add_price(
        self, *, lookup_key: str, name: str, unit_amount: int, currency: str, others: dict[str, int] | None = None
    ) -> dict:
        """A monthly price for one of AVA's plans (its lookup key is the plan's code); ``others`` gives its amount in
        more currencies (Stripe's ``currency_options``)."""
        options = {
            code.lower(): {"unit_amount": amount, "tax_behavior": "unspecified"}
            for code, amount in (others or {}).items()
            if code.lower() != currency.lower()
        }
        with self._lock:
            for price in self.prices.values():
                if price["lookup_key"] == lookup_key:
                    price.update(
                        unit_amount=unit_amount, currency=currency.lower(), nickname=name, currency_options=options
                    )
                    return price
            price = {
                "id": _id("price"),
                "object": "price",
                "active": True,
                "currency": currency.lower(),
                "currency_options": options,
                "lookup_key": lookup_key,
                "nickname": name,
                "product": _id("prod"),
                "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
                "type": "recurring",
                "unit_amount": unit_amount,
            }
            self.prices[price["id"]] = price
            self._save()
            return price

    # --- events and their delivery

    def _emit(self, kind: str, obj: dict) -> dict:
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
        }
        self.events.append(event)
        self._save()
        if self.auto_deliver:
            self._outbox.put(event)
            self._start_worker()
        else:
            self.pending.append(event)
        return event

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._deliver_forever, name="stripe-emulator-webhooks", daemon=True)
            self._worker.start()

    def _deliver_forever(self) -> None:
        while True:
            event = self._outbox.get()
            for attempt in range(5):
                try:
                    if self.deliver(event) < 500:
                        break
                except httpx.HTTPError as error:
                    log.info("stripe emulator: delivery of %s failed: %s", event["id"], error)
                time.sleep(0.5 * 2**attempt)

    def deliver(self, event: dict) -> int:
        """POST one event to AVA's endpoint, signed; returns the HTTP status."""
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(body, self.webhook_secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        return self.transport(self.webhook_url, body, headers)

    def flush(self, *, reverse: bool = False, twice: bool = False) -> list[int]:
        """Deliver the held events now (tests): in order, or ``reverse``d, each ``twice`` if asked."""
        held, self.pending = self.pending, []
        statuses = []
        for event in reversed(held) if reverse else held:
            for _ in range(2 if twice else 1):
                statuses.append(self.deliver(event))
        return statuses

    # --- the business of a subscription

    def _invoice(self, subscription: dict, *, paid: bool, reason: str) -> dict:
        price = subscription["items"]["data"][0]["price"]
        amount = _amount(price, subscription["currency"]) or 0
        invoice_id = _id("in")
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "attempt_count": 1,
            "billing_reason": reason,
            "created": int(time.time()),
            "currency": subscription["currency"],
            "customer": subscription["customer"],
            "hosted_invoice_url": f"{self.base_url}/invoice/{invoice_id}",
            "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription["id"]}},
            "period_start": subscription["current_period_start"],
            "period_end": subscription["current_period_end"],
            "status": "paid" if paid else "open",
            "subscription": subscription["id"],
        }
        self.invoices[invoice["id"]] = invoice
        subscription["latest_invoice"] = invoice["id"]
        return invoice

    def _set_period(self, subscription: dict, start: int) -> None:
        subscription["current_period_start"], subscription["current_period_end"] = start, start + MONTH_SECONDS
        for item in subscription["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = start, start + MONTH_SECONDS

    def _subscribe(self, session: dict) -> dict:
        price = self.prices[session["_price"]]
        now = int(time.time())
        subscription = {
            "id": _id("sub"),
            "object": "subscription",
            "cancel_at_period_end": False,
            "canceled_at": None,
            "created": now,
            "currency": session["currency"],
            "customer": session["customer"],
            "items": {"object": "list", "data": [{"id": _id("si"), "object": "subscription_item", "price": price}]},
            "latest_invoice": None,
            "metadata": dict(session.get("metadata") or {}),
            "status": "active",
        }
        self._set_period(subscription, now)
        self.subscriptions[subscription["id"]] = subscription
        invoice = self._invoice(subscription, paid=True, reason="subscription_create")
        session.update(status="complete", payment_status="paid", subscription=subscription["id"])
        self._emit("customer.subscription.created", subscription)
        self._emit("invoice.paid", invoice)
        self._emit("checkout.session.completed", self._public(session))
        return subscription

    def renew(self, subscription_id: str) -> dict:
        """The test clock: the next period starts and the card on file is charged (declined: past due)."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            if subscription["status"] == "canceled":
                return subscription
            if subscription["cancel_at_period_end"]:
                return self.end(subscription_id)
            self._set_period(subscription, subscription["current_period_end"])
            paid = self.cards.get(subscription["customer"]) != DECLINED_CARD
            subscription["status"] = "active" if paid else "past_due"
            invoice = self._invoice(subscription, paid=paid, reason="subscription_cycle")
            self._emit("customer.subscription.updated", subscription)
            self._emit("invoice.paid" if paid else "invoice.payment_failed", invoice)
            return subscription

    def end(self, subscription_id: str) -> dict:
        """The subscription ends now (a cancellation reaching its period's end)."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            subscription.update(status="canceled", canceled_at=int(time.time()))
            self._emit("customer.subscription.deleted", subscription)
            return subscription

    def _retry_open_invoices(self, customer: str) -> None:
        """A new card pays what is still open, as Stripe's retries would."""
        for invoice in list(self.invoices.values()):
            if invoice["customer"] != customer or invoice["status"] != "open":
                continue
            invoice.update(status="paid", amount_paid=invoice["amount_due"], attempt_count=invoice["attempt_count"] + 1)
            subscription = self.subscriptions[invoice["subscription"]]
            subscription["status"] = "active"
            self._emit("invoice.paid", invoice)
            self._emit("customer.subscription.updated", subscription)

    def _change_plan(self, subscription: dict, price_id: str) -> bool:
        """Move to another price; refused (False) when it has no amount in the subscription's currency."""
        if _amount(self.prices[price_id], subscription["currency"]) is None:
            return False
        subscription["items"]["data"][0]["price"] = self.prices[price_id]
        self._emit("customer.subscription.updated", subscription)
        return True

    @staticmethod
    def _public(session: dict) -> dict:
        return {key: value for key, value in session.items() if not key.startswith("_")}

    # --- the API

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/customers", self._customers, methods=["POST"]),
                Route("/v1/customers/{id}", self._customer, methods=["GET"]),
                Route("/v1/prices", self._prices, methods=["GET"]),
                Route("/v1/checkout/sessions", self._create_checkout, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._checkout, methods=["GET"]),
                Route("/v1/subscriptions", self._list_subscriptions, methods=["GET"]),
                Route("/v1/subscriptions/{id}", self._subscription, methods=["GET"]),
                Route("/v1/subscriptions/{id}", self._cancel_subscription, methods=["DELETE"]),
                Route("/v1/billing_portal/sessions", self._create_portal, methods=["POST"]),
                Route("/v1/billing/meter_events", self._meter_event, methods=["POST"]),
                Route("/v1/invoices", self._list_invoices, methods=["GET"]),
                Route("/v1/invoices/{id}", self._get_invoice, methods=["GET"]),
                Route("/pay/{id}", self._pay_page, methods=["GET", "POST"]),
                Route("/portal/{id}", self._portal_page, methods=["GET", "POST"]),
                Route("/invoice/{id}", self._invoice_page, methods=["GET"]),
            ]
        )

    async def _params(self, request: Request) -> dict[str, Any] | Response:
        if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
            return _error(401, "Invalid API Key provided.", kind="invalid_request_error")
        body = (await request.body()).decode() if request.method == "POST" else request.url.query
        return decode(body)

    def _missing(self, kind: str, key: str) -> JSONResponse:
        return _error(404, f"No such {kind}: '{key}'", code="resource_missing")

    async def _customers(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        with self._lock:
            customer: dict[str, Any] = {
                "id": _id("cus"),
                "object": "customer",
                "created": int(time.time()),
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata") or {},
                "preferred_locales": params.get("preferred_locales") or [],
            }
            self.customers[customer["id"]] = customer
            self._save()
        return JSONResponse(customer)

    async def _customer(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        key = request.path_params["id"]
        found = self.customers.get(key)
        return JSONResponse(found) if found else self._missing("customer", key)

    async def _prices(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        keys = params.get("lookup_keys") or []
        rows = [price for price in self.prices.values() if not keys or price["lookup_key"] in keys]
        return JSONResponse(_list(rows, "/v1/prices"))

    async def _create_checkout(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        customer = params.get("customer", "")
        if customer not in self.customers:
            return self._missing("customer", customer)
        items = params.get("line_items") or []
        price_id = items[0].get("price", "") if items and isinstance(items[0], dict) else ""
        if price_id not in self.prices or params.get("mode") != "subscription":
            return _error(400, "A subscription Checkout needs one recurring price.", code="parameter_invalid")
        currency = str(params.get("currency") or self.prices[price_id]["currency"]).lower()
        if _amount(self.prices[price_id], currency) is None:
            return _error(400, f"The price {price_id} has no amount in {currency}.", code="parameter_invalid")
        with self._lock:
            session_id = _id("cs")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "cancel_url": params.get("cancel_url"),
                "client_reference_id": params.get("client_reference_id"),
                "currency": currency,
                "customer": customer,
                "locale": params.get("locale"),
                "metadata": params.get("metadata") or {},
                "mode": "subscription",
                "payment_status": "unpaid",
                "status": "open",
                "subscription": None,
                "success_url": params.get("success_url"),
                "url": f"{self.base_url}/pay/{session_id}",
                "_price": price_id,
            }
            self.checkout_sessions[session_id] = session
            self._save()
        return JSONResponse(self._public(session))

    async def _checkout(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        key = request.path_params["id"]
        found = self.checkout_sessions.get(key)
        return JSONResponse(self._public(found)) if found else self._missing("checkout.session", key)

    async def _subscription(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        key = request.path_params["id"]
        found = self.subscriptions.get(key)
        return JSONResponse(found) if found else self._missing("subscription", key)

    async def _cancel_subscription(self, request: Request) -> Response:
        """DELETE /v1/subscriptions/{id}: cancel now (``customer.subscription.deleted`` follows, as at Stripe)."""
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        key = request.path_params["id"]
        if key not in self.subscriptions:
            return self._missing("subscription", key)
        if self.subscriptions[key]["status"] == "canceled":
            return _error(400, "This subscription has already been canceled.", code="resource_already_canceled")
        return JSONResponse(self.end(key))

    async def _list_subscriptions(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        customer = params.get("customer")
        rows = [row for row in self.subscriptions.values() if not customer or row["customer"] == customer]
        rows.sort(key=lambda row: row["created"], reverse=True)
        return JSONResponse(_list(rows, "/v1/subscriptions"))

    async def _create_portal(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        customer = params.get("customer", "")
        if customer not in self.customers:
            return self._missing("customer", customer)
        with self._lock:
            portal_id = _id("bps")
            flow = params.get("flow_data") or {}
            confirm = flow.get("subscription_update_confirm") or {}
            items = confirm.get("items") or []
            portal = {
                "id": portal_id,
                "object": "billing_portal.session",
                "created": int(time.time()),
                "customer": customer,
                "locale": params.get("locale"),
                "return_url": params.get("return_url"),
                "url": f"{self.base_url}/portal/{portal_id}",
                "_target_price": items[0].get("price") if items and isinstance(items[0], dict) else None,
            }
            self.portal_sessions[portal_id] = portal
            self._save()
        return JSONResponse(self._public(portal))

    async def _meter_event(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        payload = params.get("payload") or {}
        if not params.get("event_name") or "stripe_customer_id" not in payload:
            return _error(400, "event_name and payload[stripe_customer_id] are required.", code="parameter_missing")
        identifier = params.get("identifier") or _id("mev")
        with self._lock:
            if identifier in self.meter_events:
                # Stripe enforces unique identifiers: a repeat is refused and never counted twice.
                return _error(
                    400,
                    f"An event already exists with identifier {identifier}.",
                    code="resource_already_exists",
                )
            event = {
                "object": "billing.meter_event",
                "created": int(time.time()),
                "event_name": params["event_name"],
                "identifier": identifier,
                "livemode": False,
                "payload": payload,
                "timestamp": int(params.get("timestamp") or time.time()),
            }
            self.meter_events[identifier] = event
            self._save()
        return JSONResponse(event)

    async def _list_invoices(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        customer = params.get("customer")
        rows = [row for row in self.invoices.values() if not customer or row["customer"] == customer]
        rows.sort(key=lambda row: row["created"], reverse=True)
        return JSONResponse(_list(rows, "/v1/invoices"))

    async def _get_invoice(self, request: Request) -> Response:
        params = await self._params(request)
        if isinstance(params, Response):
            return params
        key = request.path_params["id"]
        found = self.invoices.get(key)
        return JSONResponse(found) if found else self._missing("invoice", key)

    # --- hosted pages

    async def _pay_page(self, request: Request) -> Response:
        session = self.checkout_sessions.get(request.path_params["id"])
        if session is None:
            return _html(_page("Checkout", "<p>This Checkout session does not exist.</p>"), status_code=404)
        lang = _language(session.get("locale"))
        price = self.prices[session["_price"]]
        currency = session.get("currency") or price["currency"]
        problem = ""
        if request.method == "POST":
            form = decode((await request.body()).decode())
            if form.get("action") == "back":
                return RedirectResponse(session["cancel_url"] or "/", status_code=303)
            card = "".join(ch for ch in str(form.get("card", "")) if ch.isdigit())
            if session["status"] == "complete":
                problem = _word(lang, "already_paid")
            elif card == PAYING_CARD:
                with self._lock:
                    self.cards[session["customer"]] = card
                    self._subscribe(session)
                    self._save()
                target = str(session["success_url"] or "/").replace("{CHECKOUT_SESSION_ID}", session["id"])
                return RedirectResponse(target, status_code=303)
            elif card == DECLINED_CARD:
                problem = _word(lang, "declined")
            else:
                problem = _word(lang, "use_test_card")
        amount = _money(_amount(price, currency) or 0, currency, lang)
        name = html.escape(price["nickname"] or price["lookup_key"])
        body = f"""
<p class="muted">{_word(lang, "test_mode")}</p>
<h1>{_word(lang, "subscribe_to").format(name=name)}</h1>
<p class="price">{html.escape(amount)} <span class="muted">{_word(lang, "per_month")}</span></p>
{f'<p class="error" role="alert">{html.escape(problem)}</p>' if problem else ""}
<form method="post">
  <label for="card">{_word(lang, "card_number")}</label>
  <input id="card" name="card" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242">
  <div class="row">
    <div><label for="exp">{_word(lang, "expiry")}</label><input id="exp" name="exp" placeholder="12 / 34"></div>
    <div><label for="cvc">CVC</label><input id="cvc" name="cvc" placeholder="123"></div>
  </div>
  <button type="submit" name="action" value="pay">{_word(lang, "subscribe")}</button>
  <button type="submit" name="action" value="back" class="link">{_word(lang, "back")}</button>
</form>"""
        return _html(_page(_word(lang, "checkout"), body, lang), status_code=402 if problem else 200)

    async def _portal_page(self, request: Request) -> Response:
        portal = self.portal_sessions.get(request.path_params["id"])
        if portal is None:
            return _html(_page("Billing", "<p>This portal session does not exist.</p>"), status_code=404)
        lang = _language(portal.get("locale"))
        customer = portal["customer"]
        subscriptions = [row for row in self.subscriptions.values() if row["customer"] == customer]
        current = max(subscriptions, key=lambda row: row["created"]) if subscriptions else None
        note = ""
        if request.method == "POST":
            form = decode((await request.body()).decode())
            action = form.get("action", "")
            with self._lock:
                if action == "return":
                    return RedirectResponse(portal["return_url"] or "/", status_code=303)
                if action == "card":
                    card = "".join(ch for ch in str(form.get("card", "")) if ch.isdigit())
                    if card in (PAYING_CARD, DECLINED_CARD):
                        self.cards[customer] = card
                        self._save()
                        note = _word(lang, "card_updated")
                        if card == PAYING_CARD:
                            self._retry_open_invoices(customer)
                    else:
                        note = _word(lang, "use_test_card")
                elif current is not None and action == "plan" and form.get("price") in self.prices:
                    changed = self._change_plan(current, form["price"])
                    note = _word(lang, "plan_changed" if changed else "plan_not_in_currency")
                elif current is not None and action == "cancel":
                    current["cancel_at_period_end"] = True
                    self._emit("customer.subscription.updated", current)
                    note = _word(lang, "will_end")
                elif current is not None and action == "renew":
                    self.renew(current["id"])
                    note = _word(lang, "renewed")
        body = self._portal_body(portal, current, note, lang)
        return _html(_page(_word(lang, "billing"), body, lang))

    def _portal_body(self, portal: dict, current: dict | None, note: str, lang: str) -> str:
        customer = portal["customer"]
        card = self.cards.get(customer, "")
        rows = []
        if current is not None:
            price = current["items"]["data"][0]["price"]
            currency = current["currency"]
            chosen = portal["_target_price"] or price["id"]
            status = html.escape(_word(lang, f"status_{current['status']}", current["status"]))
            rows.append(
                f"<p>{_word(lang, 'plan')} <strong>{html.escape(price['nickname'] or price['lookup_key'])}</strong>"
                f" · {_word(lang, 'status')} <strong>{status}</strong>"
                + (f" · {_word(lang, 'ends_at_period')}" if current["cancel_at_period_end"] else "")
                + "</p>"
            )
            options = "".join(
                f'<option value="{p["id"]}"{" selected" if p["id"] == chosen else ""}>'
                f"{html.escape(p['nickname'] or p['lookup_key'])} — "
                f"{html.escape(_money(_amount(p, currency) or 0, currency, lang))}</option>"
                for p in self.prices.values()
                if (_amount(p, currency) or 0) > 0
            )
            rows.append(
                f'<form method="post"><label for="price">{_word(lang, "change_plan")}</label>'
                f'<select id="price" name="price">{options}</select>'
                f'<button name="action" value="plan">{_word(lang, "confirm_plan")}</button></form>'
            )
            rows.append(
                f'<form method="post"><button name="action" value="cancel" class="secondary">'
                f"{_word(lang, 'cancel')}</button></form>"
            )
            rows.append(
                f'<form method="post"><button name="action" value="renew" class="secondary">'
                f"{_word(lang, 'test_clock')}</button></form>"
            )
        else:
            rows.append(f"<p>{_word(lang, 'no_subscription')}</p>")
        invoices = [row for row in self.invoices.values() if row["customer"] == customer]
        listed = "".join(
            f"<li>{html.escape(_money(row['amount_due'], row['currency'], lang))} · "
            f"{html.escape(_word(lang, 'invoice_' + row['status'], row['status']))}</li>"
            for row in sorted(invoices, key=lambda row: row["created"], reverse=True)
        )
        ending = _word(lang, "card_ending").format(last=card[-4:]) if card else _word(lang, "no_card")
        return f"""
<p class="muted">{_word(lang, "test_mode")}</p>
<h1>{_word(lang, "billing")}</h1>
{f'<p class="note" role="status">{html.escape(note)}</p>' if note else ""}
{"".join(rows)}
<form method="post"><label for="card">{_word(lang, "card")} ({ending})</label>
<input id="card" name="card" inputmode="numeric" placeholder="4242 4242 4242 4242">
<button name="action" value="card">{_word(lang, "update_card")}</button></form>
<h2>{_word(lang, "invoices")}</h2><ul>{listed or f"<li>{_word(lang, 'none_yet')}</li>"}</ul>
<form method="post"><button name="action" value="return" class="link">{_word(lang, "return")}</button></form>"""

    async def _invoice_page(self, request: Request) -> Response:
        invoice = self.invoices.get(request.path_params["id"])
        if invoice is None:
            return _html(_page("Invoice", "<p>This invoice does not exist.</p>"), status_code=404)
        customer = self.customers.get(invoice["customer"]) or {}
        lang = _language(next(iter(customer.get("preferred_locales") or []), None))
        amount = _money(invoice["amount_due"], invoice["currency"], lang)
        status = _word(lang, f"invoice_{invoice['status']}", invoice["status"])
        body = f"<h1>{_word(lang, 'invoice')}</h1><p>{html.escape(amount)} · {html.escape(status)}</p>"
        return _html(_page(_word(lang, "invoice"), body, lang))


# What the hosted pages say, in the session's locale (Stripe's pages follow ``locale`` too).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "already_paid": "This session is already paid.",
        "back": "Back to AVA",
        "billing": "Billing",
        "cancel": "Cancel subscription",
        "card": "Card",
        "card_ending": "card ending {last}",
        "card_number": "Card number",
        "card_updated": "Card updated.",
        "change_plan": "Change plan",
        "checkout": "Checkout",
        "confirm_plan": "Confirm plan",
        "declined": "Your card was declined.",
        "ends_at_period": "ends at the period's end",
        "expiry": "Expiry",
        "invoice": "Invoice",
        "invoice_open": "open",
        "invoice_paid": "paid",
        "invoices": "Invoices",
        "no_card": "no card",
        "no_subscription": "No subscription.",
        "none_yet": "None yet",
        "per_month": "per month",
        "plan": "Plan:",
        "plan_changed": "Plan changed.",
        "plan_not_in_currency": "This plan has no price in your subscription's currency.",
        "renewed": "The next renewal ran.",
        "return": "Return to AVA",
        "status": "status",
        "status_active": "active",
        "status_canceled": "canceled",
        "status_past_due": "past due",
        "subscribe": "Subscribe",
        "subscribe_to": "Subscribe to {name}",
        "test_clock": "Test clock: run the next renewal",
        "test_mode": "Test mode · AVA sandbox",
        "update_card": "Update card",
        "use_test_card": "Use a test card: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.",
        "will_end": "Your subscription will end at the end of the period.",
    },
    "fr": {
        "already_paid": "Cette session est déjà payée.",
        "back": "Retour à AVA",
        "billing": "Facturation",
        "cancel": "Résilier l'abonnement",
        "card": "Carte",
        "card_ending": "carte se terminant par {last}",
        "card_number": "Numéro de carte",
        "card_updated": "Carte mise à jour.",
        "change_plan": "Changer de forfait",
        "checkout": "Paiement",
        "confirm_plan": "Confirmer le forfait",
        "declined": "Votre carte a été refusée.",
        "ends_at_period": "prend fin à la fin de la période",
        "expiry": "Expiration",
        "invoice": "Facture",
        "invoice_open": "à payer",
        "invoice_paid": "payée",
        "invoices": "Factures",
        "no_card": "aucune carte",
        "no_subscription": "Aucun abonnement.",
        "none_yet": "Aucune pour l'instant",
        "per_month": "par mois",
        "plan": "Forfait :",
        "plan_changed": "Forfait changé.",
        "plan_not_in_currency": "Ce forfait n'a pas de prix dans la devise de votre abonnement.",
        "renewed": "Le prochain renouvellement a eu lieu.",
        "return": "Revenir à AVA",
        "status": "statut",
        "status_active": "actif",
        "status_canceled": "résilié",
        "status_past_due": "paiement en retard",
        "subscribe": "S'abonner",
        "subscribe_to": "S'abonner à {name}",
        "test_clock": "Horloge de test : lancer le prochain renouvellement",
        "test_mode": "Mode test · bac à sable AVA",
        "update_card": "Mettre à jour la carte",
        "use_test_card": ("Utilisez une carte de test : 4242 4242 4242 4242 paie, 4000 0000 0000 0002 est refusée."),
        "will_end": "Votre abonnement prendra fin à la fin de la période.",
    },
}


def _language(locale: str | None) -> str:
    """The pages' language for a Stripe ``locale`` ("fr", "fr-CA" -> fr; anything else -> en)."""
    return "fr" if str(locale or "").lower().startswith("fr") else "en"


def _word(lang: str, key: str, default: str = "") -> str:
    return WORDS[lang].get(key) or WORDS["en"].get(key) or default


def _money(minor: int, currency: str, lang: str) -> str:
    """An amount in minor units as ``lang`` writes it: "29,00 €", "$29.00"."""
    return format_currency(minor / 100, currency.upper(), locale=lang)


# The hosted pages' own policy: their inline style, forms posting to this origin, no script, never framed.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _html(page: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status_code, headers={"Content-Security-Policy": PAGE_POLICY})


def _page(title: str, body: str, lang: str = "en") -> str:
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · Stripe sandbox</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;padding:24px;color:#1a1f36}}
main{{max-width:420px;margin:0 auto;background:#fff;border-radius:12px;padding:24px;box-shadow:0 2px 8px #0001}}
label{{display:block;font-size:14px;margin:12px 0 4px}} input,select{{width:100%;box-sizing:border-box;padding:10px;
border:1px solid #cfd7df;border-radius:6px;font-size:16px}} .row{{display:flex;gap:12px}} .row>div{{flex:1}}
button{{margin-top:16px;width:100%;padding:12px;border:0;border-radius:6px;background:#635bff;color:#fff;
font-size:16px;cursor:pointer}} button.secondary{{background:#e3e8ee;color:#1a1f36}}
button.link{{background:none;color:#635bff}} .muted{{color:#697386;font-size:13px}} .price{{font-size:24px}}
.error{{color:#df1b41}} .note{{color:#0e6245}}
</style></head><body><main>{body}</main></body></html>"""
