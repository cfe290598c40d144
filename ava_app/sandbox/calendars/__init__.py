"""Local emulators of Google Calendar and Microsoft 365 (Graph): OAuth with a consent page, and the calendar calls.

One emulator of each per process (``google_emulator()``, ``microsoft_emulator()``): AVA mounts their apps in dev, and
tests read their calendars and revoke their grants through the same objects.
"""

from __future__ import annotations

from functools import lru_cache

from ava_app.sandbox.calendars.google import GoogleEmulator
from ava_app.sandbox.calendars.microsoft import MicrosoftEmulator


@lru_cache(maxsize=1)
def google_emulator() -> GoogleEmulator:
    """This process's Google emulator."""
    return GoogleEmulator()


@lru_cache(maxsize=1)
def microsoft_emulator() -> MicrosoftEmulator:
    """This process's Microsoft emulator."""
    return MicrosoftEmulator()
