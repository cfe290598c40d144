"""Strings of the date and time fields, which follow the interface language and the business's clock rather than the
browser's."""

EN: dict[str, str] = {
    "date.invalid": "Enter a date as {pattern}, for example {example}.",
    "date.pick": "Choose on a calendar",
}

FR: dict[str, str] = {
    "date.invalid": "Saisissez une date au format {pattern}, par exemple {example}.",
    "date.pick": "Choisir dans un calendrier",
}
