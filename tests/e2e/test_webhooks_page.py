"""An admin adds a webhook endpoint in /settings/webhooks pointing at a receiver this test runs on 127.0.0.1, copies
the secret shown once and sends a test event: the receiver fails the first attempt and the retry AVA makes five
seconds later; the delivery log shows both and the next retry, which "Retry now" brings forward, and it succeeds.
Then a call's report produces ``call.summarized``. Every request is verified with the ``standardwebhooks`` package."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session
from standardwebhooks import Webhook

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in
from tests.e2e.test_live_push import Business
from tests.e2e.test_privacy_redaction import report_with_card

pytestmark = pytest.mark.e2e


class Receiver:
    """A webhook receiver on 127.0.0.1: answers 500 to the first ``failures`` requests, then 200; keeps them all."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append((body, {key.lower(): value for key, value in self.headers.items()}))
                failing = len(receiver.received) <= receiver.failures
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"not yet" if failing else b"thanks")

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ava"

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"the receiver got {len(self.received)} requests, not {count}"
            time.sleep(0.2)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    target = Receiver(failures=2)
    thread = threading.Thread(target=target.server.serve_forever, daemon=True)
    thread.start()
    yield target
    target.server.shutdown()
    target.server.server_close()


def test_an_admin_adds_an_endpoint_and_it_gets_signed_events(live_server: str, page: Page, db: Session, receiver):
    business = Business(db, "Hooked Dental")
    log_in(page, live_server, business.owner.email)
    page.goto(live_server + "/settings/webhooks")
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description (optional)").fill("Our CRM")
    expect(page.get_by_role("checkbox", name="call.summarized")).to_be_checked()
    page.locator("#webhook-add-submit").click()
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="I have saved it").click()
    expect(page.locator("#webhook-secret")).to_have_count(0)
    expect(page.get_by_text(receiver.url)).to_be_visible()

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event sent")).to_be_visible()
    receiver.wait_for(2, timeout=30)  # the first answered 500, and so did the retry five seconds later
    # The next retry is five minutes away: the log shows the two failures, and "Retry now" sends it at once.
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_text("Attempts: 2")).to_be_visible()
    expect(page.get_by_text("not yet")).to_be_visible()
    expect(page.get_by_text("Next try:")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "webhooks-retry-waiting.png"), full_page=True)
    page.get_by_role("button", name="Retry now").click()
    receiver.wait_for(3, timeout=30)
    first, second, third = receiver.received
    for body, headers in (first, second, third):
        assert Webhook(secret).verify(body, headers)["type"] == "test.ping"
    assert first[1]["webhook-id"] == second[1]["webhook-id"] == third[1]["webhook-id"]
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_text("Delivered")).to_be_visible()
    expect(page.get_by_text("Attempts: 3")).to_be_visible()
    expect(page.get_by_text("thanks")).to_be_visible()
    # Each attempt on its own line: when, its answer, how long it took, what the receiver said.
    page.get_by_role("button", name="Attempts: 3").click()
    attempts = page.locator(".webhook-attempts")
    expect(attempts.get_by_text("HTTP 500")).to_have_count(2)
    expect(attempts.get_by_text("HTTP 200")).to_have_count(1)
    expect(attempts.get_by_text("not yet")).to_have_count(2)
    expect(attempts.get_by_text(re.compile(r"^\d+ ms$"))).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "webhooks-attempts.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "webhooks-delivery-log.png"), full_page=True)

    # A call's report: once its summary is written, call.summarized reaches the receiver, signed.
    body, provider_call_id = report_with_card(business, "+16505550123")
    response = httpx.post(
        f"{live_server}/api/v1/webhooks/vapi", json=body, headers={"X-Vapi-Secret": business.secret}, timeout=30
    )
    assert response.status_code == 200, response.text
    receiver.wait_for(4, timeout=60)
    payload = Webhook(secret).verify(*receiver.received[3])
    assert payload["type"] == "call.summarized" and payload["version"] == 1
    # The link is built on AVA's public URL; with Redis the job may run in any live server's worker, so only its
    # path is this test's.
    assert payload["data"]["summary"] and urlsplit(payload["data"]["url"]).path.startswith("/calls/")
    assert json.loads(receiver.received[3][0])["data"]["caller_number"] == "+16505550123"
