"""``t(key)``: a UI string in the current language, chosen in the browser (no round trip, no state memory)."""

from __future__ import annotations

import reflex as rx

from ava_app.i18n import CATALOGUES
from ava_app.state.i18n import I18nState


def t(key: str) -> rx.Var:
    """The translated text for ``key`` as a Var usable as a child or a prop."""
    english = CATALOGUES["en"][key]
    return rx.cond(I18nState.lang == "fr", CATALOGUES["fr"].get(key, english), english)
