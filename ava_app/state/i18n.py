"""The interface language: kept in the browser, defaulting to the browser's language, then English."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import CATALOGUES, normalise_language


class I18nState(rx.State):
    """Holds the chosen language; UI strings are picked on the client from it (see components.i18n.t)."""

    lang: str = rx.LocalStorage("", name="ava_lang", sync=True)

    @rx.event
    def detect_language(self):
        """On first visit, adopt the browser's language."""
        return self._ask_browser_language()

    def _ask_browser_language(self):
        """The script asking the browser its language when none is chosen yet, else None. The guards of signed-in
        and public pages call it inside their own event, which spares every navigation an event of its own."""
        if not self.lang:
            return rx.call_script("navigator.language", callback=I18nState.set_browser_language)
        return None

    @rx.event
    def set_browser_language(self, value: str):
        """Callback of detect_language with navigator.language."""
        if not self.lang:
            self.lang = normalise_language(value)

    @rx.event
    def set_language(self, value: str):
        """Switch the interface language."""
        if value in CATALOGUES:
            self.lang = value
