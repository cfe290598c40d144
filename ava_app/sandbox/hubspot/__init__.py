"""Local emulator of HubSpot: OAuth with a consent page, private-app tokens, and the CRM v3 calls AVA makes.

One emulator per process (``hubspot_emulator()``): AVA mounts its app in dev, and tests read its records and make it
fail through the same object.
"""

from __future__ import annotations

from functools import lru_cache

from ava_app.sandbox.hubspot.app import HubSpotEmulator


@lru_cache(maxsize=1)
def hubspot_emulator() -> HubSpotEmulator:
    """This process's HubSpot emulator."""
    return HubSpotEmulator()
