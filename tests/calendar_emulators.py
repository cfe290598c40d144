"""The Google and Microsoft calendar emulators in-process for tests, and the consent page clicked like a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from ava_app import routes
from ava_app.sandbox.calendars.google import GoogleEmulator
from ava_app.sandbox.calendars.microsoft import MicrosoftEmulator
from ava_app.services.providers import calendar_oauth
from ava_app.services.providers.sandbox_keys import sandbox_oauth_client
from ava_app.settings import get_settings


@dataclass
class CalendarEmulators:
    google: GoogleEmulator
    microsoft: MicrosoftEmulator
    app: Starlette

    def of(self, provider: str) -> GoogleEmulator | MicrosoftEmulator:
        return self.google if provider == "google" else self.microsoft


def start_calendar_emulators() -> CalendarEmulators:
    """Fresh emulators knowing this installation's sandbox clients; AVA's clients reach them through the transport."""
    settings = get_settings()
    google, microsoft = GoogleEmulator(), MicrosoftEmulator()
    for provider, emulator in (("google", google), ("microsoft", microsoft)):
        client = sandbox_oauth_client(provider, settings)
        emulator.oauth.register(
            client_id=client.client_id,
            client_secret=client.client_secret,
            redirect_uri=settings.public_url + routes.calendar_callback(provider),
        )
    app = Starlette(
        routes=[Mount(routes.SANDBOX_GOOGLE, google.app()), Mount(routes.SANDBOX_MICROSOFT, microsoft.app())]
    )
    calendar_oauth.provider_transport = httpx.ASGITransport(app=app)
    return CalendarEmulators(google=google, microsoft=microsoft, app=app)


def stop_calendar_emulators() -> None:
    calendar_oauth.provider_transport = None


async def click_consent(browser: httpx.AsyncClient, authorize_url: str, *, decision: str = "allow") -> dict[str, str]:
    """Open the consent page, press "Allow" (or "Deny"), and return the query the provider redirects back with."""
    page = await browser.get(authorize_url)
    assert page.status_code == 200, page.text
    assert ">Allow<" in page.text or ">Autoriser<" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert action and request_id
    answer = await browser.post(action.group(1), data={"request": request_id.group(1), "decision": decision})
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}
