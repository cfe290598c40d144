"""The browser call on /assistant?tab=test, wired as with a real Vapi account (a private and a public key).

A second AVA is started with Vapi keys and ``AVA_VAPI_BASE_URL`` pointing at a small local stand-in (so nothing AVA
does on the server side can reach Vapi). The page's Vapi web SDK posts to ``${AVA_VAPI_BASE_URL}/call/web``; the test
catches that request in the browser, checks what it carries and answers it as Vapi answers a rejected key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as StarletteRoute

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_assistant
from tests.servers import serve_app

pytestmark = pytest.mark.e2e
PUBLIC_KEY = "pub-test-key"
PROVIDER_ASSISTANT_ID = "5b0a7c3e-1f2d-4c6b-9a8e-7d6c5b4a3f21"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "authorization, content-type",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
}


@pytest.fixture(scope="module")
def vapi_stand_in():
    """Answers whatever AVA's server side might ask Vapi (an object echoing the path's id); records the requests."""
    seen: list[str] = []

    async def anything(request: Request) -> JSONResponse:
        seen.append(f"{request.method} {request.url.path}")
        object_id = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        return JSONResponse({"id": object_id, "orgId": "org-e2e"})

    app = Starlette(routes=[StarletteRoute("/{path:path}", anything, methods=["GET", "POST", "PATCH", "DELETE"])])
    with serve_app(app) as base_url:
        yield base_url, seen


@pytest.fixture(scope="module")
def keyed_server(start_live_server, vapi_stand_in) -> str:
    base_url, _seen = vapi_stand_in
    return start_live_server(
        {
            "AVA_VAPI_API_KEY": "e2e-private-key-not-a-real-one",
            "AVA_VAPI_PUBLIC_KEY": PUBLIC_KEY,
            "AVA_VAPI_BASE_URL": base_url,
        },
        name="live-server-vapi-keys",
    )


@pytest.fixture()
def microphone_page(browser, request) -> Iterator[Page]:
    """Chromium with a fake microphone, and the permission to use it granted."""
    with_microphone = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
        headless=True,
    )
    try:
        context = with_microphone.new_context(viewport={"width": 1440, "height": 900}, permissions=["microphone"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        with_microphone.close()


def test_browser_call_sends_the_public_key_and_shows_a_refusal(
    keyed_server: str, vapi_stand_in, microphone_page: Page, db: Session
):
    page = microphone_page
    tenant = make_business(db, name="Clinique Web")
    owner = make_member(db, tenant=tenant)
    # As if the assistant had been pushed to Vapi already: nothing on the page needs to reach Vapi.
    make_assistant(db, tenant=tenant, provider_assistant_id=PROVIDER_ASSISTANT_ID, sync_status="synced")

    web_calls: list[dict] = []

    def vapi_web_call(route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS)
            return
        web_calls.append({"headers": route.request.headers, "body": route.request.post_data_json})
        route.fulfill(
            status=401,
            headers={**CORS, "Content-Type": "application/json"},
            body=json.dumps({"message": "Invalid Key.", "error": "Unauthorized", "statusCode": 401}),
        )

    page.route("**/call/web", vapi_web_call)
    log_in(page, keyed_server, owner.email)
    page.goto(keyed_server + "/assistant?tab=test")
    expect(page.get_by_text("Live on the phone line")).to_be_visible()
    start = page.get_by_role("button", name="Call from the browser")
    expect(start).to_be_visible()
    # The text test call stays available beside it, without the note meant for accounts with no browser call.
    expect(page.get_by_role("button", name="Call to test")).to_be_visible()
    expect(page.get_by_text("With a Vapi account and its public key set")).to_have_count(0)

    start.click()
    alert = page.get_by_role("alert").filter(has_text="The browser call could not start")
    expect(alert).to_be_visible()
    # A refused key is not a microphone problem: the page says what the provider answered.
    expect(alert).not_to_contain_text("microphone")
    page.screenshot(path=str(ARTIFACTS / "web-call-refused.png"), full_page=True)

    assert len(web_calls) == 1
    assert web_calls[0]["headers"]["authorization"] == f"Bearer {PUBLIC_KEY}"
    assert web_calls[0]["body"]["assistantId"] == PROVIDER_ASSISTANT_ID
    # The button is back, ready for another try.
    expect(page.get_by_role("button", name="Call from the browser")).to_be_visible()
