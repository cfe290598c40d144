"""Labels of a call's captured fields: the presets' labels are read once per industry, and no caller can change them
for the next."""

from __future__ import annotations

from ava_app.services import presets
from ava_app.services.calls import data_field_labels


def test_preset_labels_are_the_presets_and_survive_a_caller_changing_its_copy():
    industry = presets.list_industries()[0].key
    field = presets.get_preset(industry, "en").data_fields[0]
    french = {item.key: item.label for item in presets.get_preset(industry, "fr").data_fields}[field.key]
    first = data_field_labels([field.key, "loyalty_card_colour"], industry=industry)
    assert first[field.key] == {"en": field.label, "fr": french}
    assert first["loyalty_card_colour"] == {"en": "Loyalty card colour", "fr": "Loyalty card colour"}
    first[field.key]["en"] = "changed by a caller"
    first.clear()
    assert data_field_labels([field.key], industry=industry)[field.key] == {"en": field.label, "fr": french}
