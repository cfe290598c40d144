"""Test calls the sandbox places on request: the Vapi emulator calls an AVA number as a customer would.

Used by "How calls reach AVA" in sandbox mode, where no real phone can ring the emulator's numbers. The request goes
over HTTP to the emulator's ``POST /sandbox/simulate-call`` (with the installation's sandbox key), so the call reaches
AVA through the same webhooks as any other: nothing is written to AVA's database here.
"""

from __future__ import annotations

import logging

import httpx

from ava_app.services.providers.vapi import vapi_endpoint

log = logging.getLogger(__name__)

INTENT = "question"


async def place_sandbox_call(*, phone_number_id: str, forwarded_from: str | None = None) -> bool:
    """Ask the emulator to call the number (forwarded from ``forwarded_from`` when given), in real time.

    False when there is no emulator (a real Vapi account) or it refused; the call plays in the background.
    """
    endpoint = vapi_endpoint()
    if not endpoint.sandbox:
        return False
    body: dict[str, object] = {"phoneNumberId": phone_number_id, "intent": INTENT, "speed": 1.0}
    if forwarded_from:
        body["forwardedFrom"] = forwarded_from
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            response = await http.post(
                f"{endpoint.base_url}/sandbox/simulate-call",
                json=body,
                headers={"Authorization": f"Bearer {endpoint.api_key}"},
            )
    except httpx.HTTPError as exc:
        log.warning("the Vapi emulator did not take the sandbox call: %s", exc)
        return False
    if response.status_code != 201:
        log.warning("the Vapi emulator refused the sandbox call: %s %s", response.status_code, response.text[:200])
        return False
    return True
