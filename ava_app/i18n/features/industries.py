"""Industry names for the selects that list them (signup, new organisation): the presets' own labels, not a copy."""

from ava_app.services.presets import list_industries

LABEL_KEY = "industry.preset.{key}"

EN: dict[str, str] = {LABEL_KEY.format(key=item.key): item.label for item in list_industries("en")}
FR: dict[str, str] = {LABEL_KEY.format(key=item.key): item.label for item in list_industries("fr")}
