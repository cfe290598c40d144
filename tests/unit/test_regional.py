"""The business's region: derived from the browser, checked, formatted, and edited by admins of that business only."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from ava_app.models import AuditLog, Tenant
from ava_app.services import accounts, rate_limits, regional
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.principal import Principal
from ava_app.services.regional import Region
from tests.factories import make_tenant

WINTER = datetime(2026, 12, 4, 15, 23, tzinfo=UTC)
SUMMER = datetime(2026, 7, 4, 15, 23, tzinfo=UTC)
PASSWORD = "tulip-garage-42"


def _clear_caches() -> None:
    for cached in (regional._zone_countries, regional._country_of_zone):
        cached.cache_clear()


# --- from the browser ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "locale", "expected"),
    [
        ("Europe/Paris", "fr-FR", Region("FR", "Europe/Paris", "fr", "EUR")),
        ("America/New_York", "en-US", Region("US", "America/New_York", "en", "USD")),
        # A language without a region: the zone's country (zone.tab).
        ("Europe/Paris", "fr", Region("FR", "Europe/Paris", "fr", "EUR")),
        ("Asia/Kolkata", "en", Region("IN", "Asia/Kolkata", "en", "INR")),
        ("Europe/Brussels", "fr", Region("BE", "Europe/Brussels", "fr", "EUR")),
        ("America/Montreal", "fr-CA", Region("CA", "America/Montreal", "fr", "CAD")),
        # The zone says where the computer is, whatever region the browser's language carries.
        ("Europe/Paris", "en-US", Region("FR", "Europe/Paris", "en", "EUR")),
        # No zone the tz database places in a country: the language's region, then its main zone.
        ("UTC", "en-GB", Region("GB", "UTC", "en", "GBP")),
        (None, "fr-CA", Region("CA", "America/Toronto", "fr", "CAD")),
        ("", "fr-FR", Region("FR", "Europe/Paris", "fr", "EUR")),
        # Unsupported language: English; unknown or hostile values: sane defaults, never an error.
        ("Europe/Berlin", "de-DE", Region("DE", "Europe/Berlin", "en", "EUR")),
        ("Mars/Olympus", "xx-ZZ", Region("US", "America/New_York", "en", "USD")),
        # Nothing but a language: where it is most spoken.
        (None, "fr", Region("FR", "Europe/Paris", "fr", "EUR")),
        ("UTC", "en", Region("US", "UTC", "en", "USD")),
        ("../../etc/passwd", "<script>", Region("US", "America/New_York", "en", "USD")),
        (None, None, Region("US", "America/New_York", "en", "USD")),
    ],
)
def test_region_from_the_browser(timezone, locale, expected):
    assert regional.from_browser(timezone, locale) == expected


def test_a_given_country_wins_and_brings_its_currency():
    assert regional.from_browser("Europe/Paris", "fr", country="ch") == Region("CH", "Europe/Paris", "fr", "CHF")
    assert regional.from_browser("Europe/Paris", "fr", country="QQ").country == "FR"


def test_zone_countries_come_from_zone_tab(tmp_path, monkeypatch):
    """A zone.tab of our own on the zone path is the one read (the tz database's file, not a table of AVA's)."""
    (tmp_path / "zone.tab").write_text(
        "# country\tcoordinates\tTZ\tcomments\nFR\t+4852+00220\tEurope/Paris\nMC\t+4342+00723\tEurope/Monaco\n"
    )
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(tmp_path),))
    _clear_caches()
    try:
        assert regional.country_of_timezone("Europe/Monaco") == "MC"
        assert regional.country_of_timezone("America/New_York") is None
        assert regional.zones_of_country("fr") == ["Europe/Paris"]
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_without_zone_tab_the_cldr_table_answers(tmp_path, monkeypatch):
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(tmp_path),))
    monkeypatch.setattr(regional, "_zone_tab_text", lambda: "")
    _clear_caches()
    try:
        assert regional.country_of_timezone("Europe/Paris") == "FR"
        assert regional.zones_of_country("CA")[0] == "America/Toronto"
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_system_zone_tab_knows_the_usual_zones():
    assert regional.country_of_timezone("America/New_York") == "US"
    assert regional.country_of_timezone("Australia/Sydney") == "AU"
    assert regional.country_of_timezone("UTC") is None
    assert regional.zones_of_country("US")[0] == "America/New_York"
    assert regional.zones_of_country("ZZ") == []


def test_currency_follows_the_country():
    assert [regional.currency_of(c) for c in ("FR", "us", "CH", "GB", "JP")] == ["EUR", "USD", "CHF", "GBP", "JPY"]
    assert regional.currency_of("ZZ") == "USD" and regional.currency_of(None) == "USD"


# --- checking ----------------------------------------------------------------------------------------------------


def test_check_accepts_known_values_and_names_each_bad_field():
    assert regional.check(country="fr", timezone="Europe/Paris", language="FR", currency="eur") == Region(
        "FR", "Europe/Paris", "fr", "EUR"
    )
    with pytest.raises(Invalid) as error:
        regional.check(country="XX", timezone="Europe/Atlantis", language="de", currency="ABC")
    assert set(error.value.details["fields"]) == {"country", "timezone", "language", "currency"}
    with pytest.raises(Invalid) as error:
        regional.check(country="EU", timezone="posix/Europe/Paris", language="fr", currency="EUR")
    assert set(error.value.details["fields"]) == {"country", "timezone"}


def test_region_of_a_tenant_replaces_unknown_stored_values(db):
    old = make_tenant(db, country="ZZ", timezone="Gone/Away", locale="es", currency="???")
    assert regional.region_of(old) == Region("US", "UTC", "en", "USD")
    assert regional.region_of(None) == Region()


# --- formatting --------------------------------------------------------------------------------------------------


def test_dates_and_times_in_the_business_zone_and_language():
    paris = {"timezone": "Europe/Paris", "language": "fr"}
    new_york = {"timezone": "America/New_York", "language": "en"}
    assert regional.format_date(WINTER, **paris) == "4 déc. 2026"
    assert regional.format_date(date(2026, 12, 4), language="en") == "Dec 4, 2026"
    assert regional.format_time(WINTER, **paris) == "16:23"
    assert regional.format_time(WINTER, **new_york) == "10:23 AM"
    assert regional.format_datetime(WINTER, **paris) == "4 déc. 2026 à 16:23"
    assert regional.format_datetime(SUMMER, **paris) == "4 juil. 2026 à 17:23"
    assert regional.format_datetime(WINTER, **new_york) == "Dec 4, 2026, 10:23 AM"
    # Late in the evening in New York is already the next day in UTC: the local date is shown.
    assert regional.format_date(datetime(2026, 12, 5, 2, 0, tzinfo=UTC), **new_york) == "Dec 4, 2026"
    # A naive moment is UTC; an unknown zone is UTC.
    assert regional.format_time(datetime(2026, 12, 4, 15, 23), timezone="Nowhere/Land", language="fr") == "15:23"


def test_money_and_decimals_in_the_business_language():
    assert regional.format_money(Decimal("12.5"), "EUR", "fr") == "12,50\xa0€"
    assert regional.format_money(12.5, "USD", "en") == "$12.50"
    assert regional.format_money(12.5, "USD", "fr") == "12,50\xa0$US"
    assert regional.format_money(1234, "JPY", "en") == "¥1,234"
    assert regional.format_decimal(1234.5, "en") == "1,234.5"
    assert regional.format_decimal(1234.5, "fr") == "1\u202f234,5"
    assert regional.format_decimal(0.1234, "fr", digits=2) == "0,12"


def test_offsets_and_labels():
    assert regional.utc_offset("Europe/Paris", WINTER) == "UTC+1"
    assert regional.utc_offset("Europe/Paris", SUMMER) == "UTC+2"
    assert regional.utc_offset("America/New_York", WINTER) == "UTC\u22125"
    assert regional.utc_offset("Asia/Kolkata", WINTER) == "UTC+5:30"
    assert regional.utc_offset("UTC", WINTER) == "UTC"
    france = Region("FR", "Europe/Paris", "fr", "EUR")
    assert regional.summary(france, "fr", WINTER) == "France · heure de Paris (UTC+1) · Français · Euro"
    assert regional.summary(france, "en", WINTER) == "France · Paris time (UTC+1) · Français · Euro"
    us = Region("US", "America/New_York", "en", "USD")
    assert regional.summary(us, "en", WINTER) == "United States · New York time (UTC\u22125) · English · US Dollar"
    assert regional.summary(us, "fr", WINTER).startswith("États-Unis · heure de New York (UTC\u22125) · English")


def test_choices_for_the_settings_page():
    zones = regional.timezone_choices("FR", at=WINTER)
    assert zones[0] == ("Europe/Paris", "Europe/Paris (UTC+1)") and zones[1][0] == "UTC"
    assert ("America/New_York", "America/New York (UTC\u22125)") in zones
    assert len({name for name, _ in zones}) == len(zones) and all(regional.valid_timezone(n) for n, _ in zones)
    countries = dict(regional.country_choices("fr"))
    assert countries["FR"] == "France" and countries["US"] == "États-Unis" and "EU" not in countries
    assert dict(regional.currency_choices("en"))["EUR"] == "EUR · Euro"
    assert regional.language_choices() == [("en", "English"), ("fr", "Français")]


# --- signup ------------------------------------------------------------------------------------------------------


@pytest.fixture()
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


def _signup(db, email: str, **browser) -> Tenant:
    result = accounts.signup(db, name="Owner", email=email, password=PASSWORD, organisation_name="Salon", **browser)
    return db.get(Tenant, result.tenant_id)


def test_signup_sets_the_region_from_the_browser(db, _fresh_limits):
    paris = _signup(db, "salon@example.com", locale="fr-FR", timezone="Europe/Paris")
    assert (paris.country, paris.timezone, paris.locale, paris.currency) == ("FR", "Europe/Paris", "fr", "EUR")
    plumber = _signup(db, "plumber@example.com", locale="en-US", timezone="America/New_York")
    assert (plumber.country, plumber.timezone, plumber.locale, plumber.currency) == (
        "US",
        "America/New_York",
        "en",
        "USD",
    )
    geneva = _signup(db, "geneva@example.com", locale="fr", timezone="Europe/Zurich", country="CH")
    assert (geneva.country, geneva.currency) == ("CH", "CHF")


def test_signup_with_bad_or_missing_region_still_works(db, _fresh_limits):
    tenant = _signup(db, "odd@example.com", locale="klingon", timezone="Nowhere/Land", country="??")
    assert (tenant.country, tenant.timezone, tenant.locale, tenant.currency) == ("US", "America/New_York", "en", "USD")
    bare = _signup(db, "bare@example.com")
    assert bare.timezone == "America/New_York" and bare.locale == "en"


# --- the business settings service --------------------------------------------------------------------------------


def _members(db):
    tenant = make_tenant(db, country="FR", timezone="Europe/Paris", locale="fr", currency="EUR")
    other = make_tenant(db, country="US", timezone="America/New_York", locale="en", currency="USD")
    admin = Principal(user_id=None, tenant_id=tenant.id, role="admin")
    viewer = Principal(user_id=None, tenant_id=tenant.id, role="viewer")
    return tenant, other, admin, viewer


NEW_YORK = {"country": "US", "timezone": "America/New_York", "language": "en", "currency": "USD"}


def test_members_read_the_region_admins_change_it(db):
    tenant, _, admin, viewer = _members(db)
    seen = regional.get_business_region(db, principal=viewer, language="fr")
    assert (seen.country, seen.timezone, seen.language, seen.currency, seen.can_edit) == (
        "FR",
        "Europe/Paris",
        "fr",
        "EUR",
        False,
    )
    assert seen.summary.startswith("France · heure de Paris")
    with pytest.raises(Forbidden):
        regional.update_business_region(db, principal=viewer, **NEW_YORK)
    with pytest.raises(Forbidden):
        regional.update_business_region(
            db, principal=Principal(user_id=None, tenant_id=tenant.id, role="user"), **NEW_YORK
        )
    db.refresh(tenant)
    assert tenant.timezone == "Europe/Paris"

    changed = regional.update_business_region(db, principal=admin, **{**NEW_YORK, "currency": "EUR"})
    assert (changed.country, changed.currency, changed.can_edit) == ("US", "EUR", True)
    db.refresh(tenant)
    assert (tenant.country, tenant.timezone, tenant.locale, tenant.currency) == ("US", "America/New_York", "en", "EUR")
    (line,) = db.exec(select(AuditLog).where(AuditLog.action == "business_region_changed")).all()
    assert line.tenant_id == tenant.id and line.detail == {
        "country": "US",
        "timezone": "America/New_York",
        "language": "en",
    }


def test_bad_values_are_refused_field_by_field(db):
    tenant, _, admin, _ = _members(db)
    with pytest.raises(Invalid) as error:
        regional.update_business_region(
            db, principal=admin, country="FR", timezone="Europe/Pariss", language="fr", currency="EUR"
        )
    assert list(error.value.details["fields"]) == ["timezone"]
    db.refresh(tenant)
    assert tenant.timezone == "Europe/Paris"


def test_an_admin_changes_only_their_own_organisation(db):
    tenant, other, _, _ = _members(db)
    other_admin = Principal(user_id=None, tenant_id=other.id, role="admin")
    regional.update_business_region(
        db, principal=other_admin, country="GB", timezone="Europe/London", language="en", currency="GBP"
    )
    db.refresh(tenant)
    db.refresh(other)
    assert (tenant.country, tenant.timezone) == ("FR", "Europe/Paris")
    assert (other.country, other.timezone) == ("GB", "Europe/London")
    assert regional.get_business_region(db, principal=other_admin).country == "GB"
    with pytest.raises(Forbidden):
        regional.get_business_region(db, principal=Principal(user_id=None, tenant_id=None, role=None))


def test_another_organisation_of_the_owner_starts_in_the_same_region(db, _fresh_limits):
    from ava_app.services import team

    result = accounts.signup(
        db,
        name="Owner",
        email="two@example.com",
        password=PASSWORD,
        organisation_name="Salon",
        locale="fr-FR",
        timezone="Europe/Paris",
    )
    principal = accounts.authenticate(db, access_token=result.access_token)
    second = team.create_organisation(db, principal=principal, name="Second salon")
    tenant = db.get(Tenant, second.tenant_id)
    assert (tenant.country, tenant.timezone, tenant.locale, tenant.currency) == ("FR", "Europe/Paris", "fr", "EUR")
