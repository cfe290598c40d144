"""How AVA's tests launch Chromium: the machine's Debian build, headless, with no background networking."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("AVA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def launch(playwright):
    """A headless Chromium browser."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
