"""Downloads started by a page: fetch a signed link with a small progress notice, then save the file.

A plain navigation would work too, but a large export takes a few seconds before the browser shows anything; the
notice counts the bytes as they stream in so the user knows it is coming.
"""

from __future__ import annotations

import reflex as rx


def download_script() -> rx.Component:
    """``window.avaDownload``: a file of AVA's assets (the page's Content-Security-Policy runs no inline script)."""
    return rx.script(src="/js/ava-download.js")
