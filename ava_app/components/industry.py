"""The industries a business can pick at signup or when creating an organisation (the wizard's presets follow)."""

from __future__ import annotations

INDUSTRIES: list[tuple[str, str]] = [
    ("dental", "industry.dental"),
    ("medical", "industry.medical"),
    ("restaurant", "industry.restaurant"),
    ("salon", "industry.salon"),
    ("law_firm", "industry.law_firm"),
    ("garage", "industry.garage"),
    ("real_estate", "industry.real_estate"),
    ("hotel", "industry.hotel"),
    ("other", "industry.other"),
]
