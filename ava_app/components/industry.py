"""The industries a business can pick at signup or when creating an organisation: the presets' own list.

Values are preset keys, so the organisation's assistant starts from the preset of the industry picked; labels are the
presets' names in the page's language ("Other" last, as the wizard shows them).
"""

from __future__ import annotations

from ava_app.i18n.features.industries import LABEL_KEY
from ava_app.services.presets import INDUSTRIES as PRESET_KEYS

INDUSTRIES: list[tuple[str, str]] = [(key, LABEL_KEY.format(key=key)) for key in PRESET_KEYS]
