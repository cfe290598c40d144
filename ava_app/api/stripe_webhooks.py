"""Stripe's webhook: ``POST /api/v1/webhooks/stripe``, signed with ``Stripe-Signature`` (``docs/contracts/stripe.md``).

The route verifies and stores the event (``services.billing.subscriptions.accept_webhook``) and answers at once;
a job re-reads the subscription from Stripe. A repeat delivery of an event id is answered 200 and does nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ava_app import routes
from ava_app.api.webhooks import MAX_BODY_BYTES
from ava_app.db import session_scope
from ava_app.services.billing.subscriptions import SignatureInvalid, accept_webhook

router = APIRouter(tags=["webhooks"])


def _accept(payload: bytes, signature: str) -> bool:
    with session_scope() as session:
        return accept_webhook(session, payload=payload, signature=signature)


@router.post(routes.STRIPE_WEBHOOK, include_in_schema=False)
async def stripe_webhook(request: Request) -> JSONResponse:
    """One Stripe event: 400 when its signature does not verify, else 200 (``duplicate`` for a repeat)."""
    payload = await request.body()
    if len(payload) > MAX_BODY_BYTES:
        return JSONResponse({"error": "payload_too_large"}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    try:
        fresh = await run_in_threadpool(_accept, payload, signature)
    except SignatureInvalid:
        return JSONResponse({"error": "invalid_signature"}, status_code=400)
    return JSONResponse({"received": True, "duplicate": not fresh})
