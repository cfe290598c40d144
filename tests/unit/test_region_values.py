"""The business region accepts only what its selects offer: a currency in use today, not a test code, a metal or
one withdrawn decades ago (the API takes any string, so the check is the service's)."""

from __future__ import annotations

import pytest

from ava_app.services import regional
from ava_app.services.errors import Invalid

PARIS = {"country": "FR", "timezone": "Europe/Paris", "language": "fr"}


@pytest.mark.parametrize("currency", ["XTS", "XXX", "XAU", "FRF", "DEM"])
def test_a_currency_no_country_uses_is_refused(currency):
    with pytest.raises(Invalid) as refused:
        regional.check(**PARIS, currency=currency)
    assert set(refused.value.details["fields"]) == {"currency"}


@pytest.mark.parametrize("currency", ["EUR", "usd", "CHF", "XOF"])
def test_every_currency_the_select_offers_is_accepted(currency):
    assert regional.check(**PARIS, currency=currency).currency == currency.upper()
    assert currency.upper() in dict(regional.currency_choices("en"))
