"""AVA's monthly price for a phone number, per country, in that country's currency.

AVA bills a number it buys for a business (on the platform's Twilio account) at a price of its own, not the
provider's cost in USD: the provider's price list moves and is in dollars, while a French business is billed in
euros. A country missing here falls back to the provider's price in the provider's currency, labelled as such.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

# country -> (ISO 4217 currency, monthly price). Reviewed with the provider's local-number prices (Twilio Pricing v1).
PRICE_LIST: dict[str, tuple[str, Decimal]] = {
    "US": ("USD", Decimal("1.50")),
    "CA": ("CAD", Decimal("2.00")),
    "GB": ("GBP", Decimal("1.50")),
    "FR": ("EUR", Decimal("2.50")),
    "BE": ("EUR", Decimal("2.50")),
    "ES": ("EUR", Decimal("2.00")),
    "DE": ("EUR", Decimal("2.50")),
    "CH": ("CHF", Decimal("5.00")),
    "AU": ("AUD", Decimal("5.00")),
}


def monthly_price(
    country: str, *, provider_price: Decimal | None, provider_unit: str | None
) -> tuple[Decimal | None, str | None]:
    """AVA's price and currency for a number of ``country``; the provider's own when AVA lists none."""
    listed = PRICE_LIST.get((country or "").upper())
    if listed is not None:
        return listed[1], listed[0]
    return provider_price, (provider_unit or "USD").upper() if provider_price is not None else None


def price_text(amount: Decimal | None, currency: str | None, lang: str) -> str:
    """``amount`` formatted for a reader of ``lang`` ("2,50 €" in French, "$1.50" in English); '' without one."""
    if amount is None or not currency:
        return ""
    locale = "fr_FR" if lang == "fr" else "en_US"
    return format_currency(amount, currency, locale=locale)
