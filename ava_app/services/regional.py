"""The business's region: its country, timezone, language and currency, and how its dates, times and money read.

One region per business (``Tenant.country/timezone/locale/currency``). It is guessed from the owner's browser at
signup (``from_browser``: the IANA zone of ``Intl.DateTimeFormat().resolvedOptions().timeZone`` and the tag of
``navigator.language``), confirmed in onboarding and edited on /settings/business. Everything that shows or decides a
time uses the business's zone, not the server's or the viewer's: a Paris salon's 16:23 call reads 16:23 in its email.

The helpers other modules use, all plain values in and strings out:

* ``region_of(tenant)``: the tenant's ``Region``, with anything unknown replaced by a sane value;
* ``zone(name)``: a ``ZoneInfo`` that never raises (UTC for an unknown name); ``to_local(moment, timezone)``;
* ``format_date``, ``format_time``, ``format_datetime``: a moment (UTC if naive) in the business's zone, written
  the way the reader's language is written in the business's country (``locale_of``): "4 déc. 2026", "16:23",
  "4 déc. 2026 à 16:23" in France, "Dec 4, 2026", "4:23 PM" in the US, "4 Dec 2026", "16:23" in the UK. Every time
  shown to a person (pages, emails, what the assistant says of the hours) goes through ``format_time``; only
  machine-readable values (exports, APIs, stored hours) stay ISO / "HH:MM";
* ``locale_of(language, country)``: the CLDR locale of that reading ("en_US", "en_GB", "fr_FR");
  ``uses_12_hour`` says whether its clock has AM/PM (what the hours editor's selects show); ``format_hhmm`` writes
  a stored opening time ("09:30") the same way; ``first_weekday(language, country)`` is the day a calendar's weeks
  start on (Monday in France, Sunday in the US);
* ``format_money(amount, currency, language)``: "12,50 €", "$12.50"; ``format_decimal(number, language)``;
* ``utc_offset(timezone)``: "UTC+1", "UTC−5", "UTC+5:30" at a moment (now by default).

Times use a plain space before AM/PM (CLDR's narrow no-break space trips up plain-text mail and search); money and
decimals keep CLDR's no-break spaces ("12,50\\xa0€"), so an amount never wraps.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, localedata
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.core import get_global
from pydantic import BaseModel
from sqlmodel import Session

from ava_app.languages import DEFAULT_LANGUAGE, LANGUAGES
from ava_app.models import Tenant
from ava_app.services import audit
from ava_app.services.errors import Invalid, NotFound
from ava_app.services.principal import Principal

DEFAULT_COUNTRY = "US"
DEFAULT_TIMEZONE = "UTC"
# Two-letter codes CLDR lists as territories that are not countries (EU, UN, pseudo-locales, unknown).
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AQ", "CP", "CQ", "DG", "EA", "IC", "TA"}
_SEPARATOR = " · "
# zone.tab lists a country's zones by place, not population: the main zone of the countries where its first is not.
_MAIN_ZONES = {
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "ID": "Asia/Jakarta",
    "MX": "America/Mexico_City",
    "RU": "Europe/Moscow",
}


@dataclass(frozen=True)
class Region:
    """A business's country (ISO 3166 alpha-2), IANA timezone, language ("en"/"fr") and currency (ISO 4217)."""

    country: str = DEFAULT_COUNTRY
    timezone: str = DEFAULT_TIMEZONE
    language: str = DEFAULT_LANGUAGE
    currency: str = "USD"


class RegionOut(BaseModel):
    """The business's region as the settings page and the API show it, with labels in the reader's language."""

    country: str
    timezone: str
    language: str
    currency: str
    summary: str
    can_edit: bool


# --- the tz database and CLDR, read once ------------------------------------------------------------------------


@functools.cache
def timezones() -> frozenset[str]:
    """Every IANA zone this system knows (``zoneinfo.available_timezones``), minus the legacy ``posix/``/``right/``."""
    return frozenset(name for name in zoneinfo.available_timezones() if not name.startswith(("posix/", "right/")))


def _zone_tab_text() -> str:
    """zone.tab from the tz database: the system's (``zoneinfo.TZPATH``), else the ``tzdata`` package's, else ''."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ""


@functools.cache
def _zone_countries() -> dict[str, list[str]]:
    """Country code -> its zones in zone.tab's order (CLDR's table when no zone.tab is found), the main zone first."""
    by_country: dict[str, list[str]] = {}
    for line in _zone_tab_text().splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            by_country.setdefault(parts[0].upper(), []).append(parts[2])
    if not by_country:
        for name, country in get_global("zone_territories").items():
            if name in timezones():
                by_country.setdefault(country, []).append(name)
    for country, main in _MAIN_ZONES.items():
        if main in by_country.get(country, []):
            by_country[country] = [main, *(name for name in by_country[country] if name != main)]
    return by_country


@functools.cache
def _country_of_zone() -> dict[str, str]:
    return {name: country for country, names in _zone_countries().items() for name in names}


@functools.cache
def countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes of the countries AVA offers (CLDR's territories that are countries)."""
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES)


@functools.cache
def currencies() -> frozenset[str]:
    """ISO 4217 codes of the currencies in use in some country today (what the currency select offers)."""
    return frozenset(code for country in countries() for code in babel_numbers.get_territory_currencies(country))


# --- deriving and checking a region -----------------------------------------------------------------------------


def country_of_timezone(timezone: str | None) -> str | None:
    """The country of an IANA zone from the tz database's zone.tab ("Europe/Paris" -> "FR"); None for UTC and
    unknown zones."""
    return _country_of_zone().get((timezone or "").strip())


def zones_of_country(country: str | None) -> list[str]:
    """The zones of ``country``, its main one first ("US" -> America/New_York, America/Detroit, ...)."""
    return list(_zone_countries().get((country or "").strip().upper(), []))


def currency_of(country: str | None) -> str:
    """The currency a country uses today (babel ``get_territory_currencies``); USD when unknown."""
    code = (country or "").strip().upper()
    if code not in countries():
        return "USD"
    found = babel_numbers.get_territory_currencies(code)
    return found[0] if found else "USD"


def language_of(tag: str | None) -> str:
    """The supported language of a browser tag ("fr-FR", "fr_CA", "FR" -> "fr"); English otherwise."""
    code = (tag or "").replace("_", "-").split("-")[0].strip().lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def country_of_tag(tag: str | None) -> str | None:
    """The region subtag of a language tag ("fr-FR" -> "FR", "zh-Hans-CN" -> "CN"); None without one."""
    for part in (tag or "").replace("_", "-").split("-")[1:]:
        if len(part) == 2 and part.isalpha() and part.upper() in countries():
            return part.upper()
    return None


def likely_country(tag: str | None) -> str | None:
    """The country a language is most spoken in, from CLDR's likely subtags ("fr" -> FR, "en" -> US)."""
    language = (tag or "").replace("_", "-").split("-")[0].strip().lower()
    likely = str(get_global("likely_subtags").get(language) or "")
    country = likely.split("_")[-1] if likely.count("_") == 2 else ""
    return country if country in countries() else None


def valid_timezone(timezone: str | None) -> str | None:
    """``timezone`` when it is an IANA zone this system knows, else None."""
    name = (timezone or "").strip()
    return name if name in timezones() else None


def from_browser(timezone: str | None, locale: str | None, *, country: str | None = None) -> Region:
    """The region a signup's browser suggests; never raises.

    ``timezone`` is the browser's IANA zone, ``locale`` its language tag. The country is ``country`` when given and
    valid, else the zone's country ("fr" + "Europe/Paris" -> FR), else the tag's region ("en-GB" + "UTC" -> GB),
    else the language's likely country ("fr" alone -> FR), else the US. The zone goes first because the system
    sets it from where the computer is, while many browsers keep "en-US" wherever they are. A missing or unknown
    zone becomes the country's main zone (UTC for a country the tz database does not list).
    """
    zone_name = valid_timezone(timezone)
    chosen = (country or "").strip().upper()
    found = (
        (chosen if chosen in countries() else None)
        or country_of_timezone(zone_name)
        or country_of_tag(locale)
        or likely_country(locale)
        or DEFAULT_COUNTRY
    )
    if zone_name is None:
        zone_name = next(iter(zones_of_country(found)), DEFAULT_TIMEZONE)
    return Region(country=found, timezone=zone_name, language=language_of(locale), currency=currency_of(found))


def check(*, country: str, timezone: str, language: str, currency: str) -> Region:
    """The region as given, upper/lower-cased; Invalid naming every field that is not a known value."""
    region = Region(
        country=(country or "").strip().upper(),
        timezone=(timezone or "").strip(),
        language=(language or "").strip().lower(),
        currency=(currency or "").strip().upper(),
    )
    fields: dict[str, str] = {}
    if region.country not in countries():
        fields["country"] = "Choose a country from the list."
    if valid_timezone(region.timezone) is None:
        fields["timezone"] = "Choose a time zone from the list."
    if region.language not in LANGUAGES:
        fields["language"] = "Choose one of the offered languages."
    if region.currency not in currencies():  # what the select offers: no test code, metal or withdrawn currency
        fields["currency"] = "Choose a currency from the list."
    if fields:
        raise Invalid(fields=fields)
    return region


def region_of(tenant: Tenant | None) -> Region:
    """A tenant's region, each unknown stored value replaced (an old row, a zone since removed): never raises."""
    if tenant is None:
        return Region()
    country = (tenant.country or "").upper()
    country = country if country in countries() else DEFAULT_COUNTRY
    currency = (tenant.currency or "").upper()
    return Region(
        country=country,
        timezone=valid_timezone(tenant.timezone) or DEFAULT_TIMEZONE,
        language=language_of(tenant.locale),
        currency=currency if currency in babel_numbers.list_currencies() else currency_of(country),
    )


def apply(tenant: Tenant, region: Region) -> None:
    """Write ``region`` onto the tenant row (the caller commits)."""
    tenant.country, tenant.timezone = region.country, region.timezone
    tenant.locale, tenant.currency = region.language, region.currency


# --- time and money for the business ----------------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo of ``name``; UTC for an empty or unknown name, never an error."""
    return ZoneInfo(valid_timezone(name) or DEFAULT_TIMEZONE)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_local(moment: datetime, timezone: str | None) -> datetime:
    """``moment`` (UTC when naive) in the business's zone."""
    return _aware(moment).astimezone(zone(timezone))


def local_day_bounds(day: date, timezone: str | None) -> tuple[datetime, datetime]:
    """The UTC start and end of the local day ``day`` (23 or 25 hours long on a DST change)."""
    tz = zone(timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _plain(text: str) -> str:
    return text.replace("\u202f", " ")


@functools.cache
def _locale_ids() -> frozenset[str]:
    return frozenset(localedata.locale_identifiers())


def locale_of(language: str | None, country: str | None = None) -> str:
    """The CLDR locale for a reader of ``language`` looking at a business in ``country``: "en_US", "en_GB",
    "en_FR", "fr_FR", "fr_CA"; the language alone when CLDR has no such pair (a French reader of a US business
    reads "fr"), and the language alone without a country ("en" writes times as the US does)."""
    lang = language_of(language)
    code = (country or "").strip().upper()
    tag = f"{lang}_{code}"
    return tag if code and tag in _locale_ids() else lang


@functools.cache
def _twelve_hour(locale: str) -> bool:
    pattern = re.sub(r"'[^']*'", "", Locale.parse(locale).time_formats["short"].pattern)
    return "h" in pattern or "K" in pattern


def uses_12_hour(language: str | None, country: str | None = None) -> bool:
    """True when the locale's clock has AM/PM ("en" in the US or Canada), False for 24-hour ones (France, the UK)."""
    return _twelve_hour(locale_of(language, country))


def format_date(
    moment: datetime | date, *, timezone: str | None = None, language: str | None = None, country: str | None = None
) -> str:
    """A date as the business reads it: "4 déc. 2026" / "Dec 4, 2026" / "4 Dec 2026" (a datetime is taken to the
    zone first)."""
    if isinstance(moment, datetime):
        moment = to_local(moment, timezone).date()
    return _date_text(moment, locale_of(language, country), "medium")


def format_day(day: date, *, language: str | None = None, country: str | None = None, with_year: bool = False) -> str:
    """A day without its weekday, short, as the locale orders it: "Dec 4" in the US, "4 Dec" in the UK, "4 déc." in
    France ("Dec 4, 2025" with the year)."""
    return _date_text(day, locale_of(language, country), "yMMMd" if with_year else "MMMd")


@functools.lru_cache(maxsize=8192)
def _date_text(day: date, locale: str, form: str) -> str:
    """A day as ``locale`` writes it, in Babel's ``medium`` format or a skeleton ("MMMd"). Cached like
    ``_clock_text``: lists and charts write the same few days over and over, and Babel matches a skeleton anew each
    time."""
    if form == "medium":
        return _plain(babel_dates.format_date(day, "medium", locale=locale))
    return _plain(babel_dates.format_skeleton(form, day, locale=locale))


@dataclass(frozen=True)
class DateLayout:
    """How a locale writes a date in figures, as a date field shows and reads it: the order of day, month and year
    ("dmy", "mdy", "ymd"), the separator, and the placeholder in the reader's language ("jj/mm/aaaa")."""

    order: str
    separator: str
    placeholder: str


# The letters a placeholder uses for day, month and year, per language ("dd/mm/yyyy", "jj/mm/aaaa").
_PLACEHOLDER_LETTERS = {"en": {"d": "dd", "m": "mm", "y": "yyyy"}, "fr": {"d": "jj", "m": "mm", "y": "aaaa"}}


@functools.cache
def _date_layout(locale: str, lang: str) -> DateLayout:
    pattern = re.sub(r"'[^']*'", "", Locale.parse(locale).date_formats["short"].pattern)
    order = "".join(field[0].lower() for field in re.findall(r"[dMy]+", pattern))
    separator = next((part.strip() for part in re.findall(r"[^dMy]+", pattern) if part.strip()), "/")
    if sorted(order) != ["d", "m", "y"]:
        order, separator = "dmy", "/"
    letters = _PLACEHOLDER_LETTERS.get(lang, _PLACEHOLDER_LETTERS["en"])
    return DateLayout(order, separator, separator.join(letters[field] for field in order))


def date_layout(language: str | None, country: str | None = None) -> DateLayout:
    """The date layout of a reader of ``language`` looking at a business in ``country``: day first in France and the
    UK ("07/12/2026"), month first in the US ("12/07/2026"), year first in Canada ("2026-12-07"), whatever the
    browser's own date inputs would show."""
    return _date_layout(locale_of(language, country), language_of(language))


@functools.cache
def _first_weekday(country: str) -> int:
    # CLDR keeps the first day of the week per territory: any locale of the country carries it.
    tags = sorted(tag for tag in _locale_ids() if tag.split("_")[-1] == country)
    return Locale.parse(tags[0]).first_week_day if tags else Locale.parse("en_US").first_week_day


def first_weekday(language: str | None, country: str | None = None) -> int:
    """The day a calendar's weeks start on for a business in ``country`` (0 Monday … 6 Sunday, as babel counts):
    Monday in France and most of Europe, Sunday in the US and Canada. Without a country, the country the reader's
    language is most spoken in ("fr" -> Monday, "en" -> Sunday)."""
    code = (country or "").strip().upper()
    if code not in countries():
        code = likely_country(language_of(language)) or DEFAULT_COUNTRY
    return _first_weekday(code)


def format_date_input(day: date, *, language: str | None = None, country: str | None = None) -> str:
    """``day`` as a date field shows it: figures in the locale's order, two-digit day and month, four-digit year."""
    layout = date_layout(language, country)
    parts = {"d": f"{day.day:02d}", "m": f"{day.month:02d}", "y": f"{day.year:04d}"}
    return layout.separator.join(parts[field] for field in layout.order)


def parse_date_input(text: str | None, *, language: str | None = None, country: str | None = None) -> date | None:
    """The day typed in a date field, read in the locale's order ("7/12/2026" is 7 December in France and July 12 in
    the US); an ISO date ("2026-12-07", what a calendar picker sends) is read as such. Any of / . - or spaces between
    the figures; a two-digit year is in this century. None when it is not a real day."""
    raw = (text or "").strip()
    if not raw or len(raw) > 20:
        return None
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        if not re.fullmatch(r"\d{1,4}(\s*[/.\-\s]\s*\d{1,4}){2}", raw):
            return None
        figures = dict(zip(date_layout(language, country).order, re.findall(r"\d+", raw), strict=True))
        if len(figures["y"]) not in (2, 4) or len(figures["d"]) > 2 or len(figures["m"]) > 2:
            return None
        year = int(figures["y"]) + (2000 if len(figures["y"]) == 2 else 0)
        month, day = int(figures["m"]), int(figures["d"])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def format_time(
    moment: datetime | time,
    *,
    timezone: str | None = None,
    language: str | None = None,
    country: str | None = None,
    short: bool = False,
) -> str:
    """A clock time as the business's locale writes it: "16:23" in France or the UK, "4:23 PM" in the US.

    A datetime is taken to the business's zone first (UTC when naive); a ``time`` is already local (an opening
    hour). ``short`` drops the minutes of a whole hour on 12-hour clocks, as people say it ("7 PM", not
    "7:00 PM"); 24-hour clocks keep "19:00".
    """
    clock = moment if isinstance(moment, time) else to_local(moment, timezone).time()
    return _clock_text(clock.replace(tzinfo=None, second=0, microsecond=0), locale_of(language, country), short)


@functools.lru_cache(maxsize=8192)
def _clock_text(clock: time, locale: str, short: bool) -> str:
    """One minute of the day as ``locale`` writes it. Cached: a day has 1,440 of them, and Babel matches the
    skeleton anew on every call (a dashboard's 24 hour labels cost a millisecond or more each)."""
    if short and clock.minute == 0 and _twelve_hour(locale):
        return _plain(babel_dates.format_skeleton("ha", clock, locale=locale))
    return _plain(babel_dates.format_time(clock, "short", locale=locale))


def format_hhmm(value: str, *, language: str | None = None, country: str | None = None, short: bool = False) -> str:
    """A stored opening time ("09:30", "24:00" for the end of the day) as ``format_time`` writes it: "9:30 AM",
    "12 AM" (midnight) in the US, "09:30", "24:00" in France; text that is not "HH:MM" is returned as it is."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", (value or "").strip())
    if not match or int(match[1]) > 24 or int(match[2]) > 59:
        return value
    hours, minutes = int(match[1]), int(match[2])
    if hours == 24 and not uses_12_hour(language, country):
        return "24:00" if minutes == 0 else value
    return format_time(time(hours % 24, minutes), language=language, country=country, short=short)


def format_datetime(
    moment: datetime,
    *,
    timezone: str | None = None,
    language: str | None = None,
    country: str | None = None,
    nowrap: bool = False,
) -> str:
    """A moment in the business's zone: "4 déc. 2026 à 16:23" / "Dec 4, 2026, 4:23 PM" / "4 Dec 2026, 16:23".

    ``nowrap`` (pages): no-break spaces inside the date and inside the time, so a narrow line breaks only between
    them, never in "Dec 5" or "4:23 PM"."""
    lang = language_of(language)
    day = format_date(moment, timezone=timezone, language=lang, country=country)
    clock = format_time(moment, timezone=timezone, language=lang, country=country)
    if nowrap:
        day, clock = day.replace(" ", "\u00a0"), clock.replace(" ", "\u00a0")
    return f"{day} à {clock}" if lang == "fr" else f"{day}, {clock}"


def format_money(
    amount: float | Decimal | int, currency: str | None, language: str | None = None, *, digits: int | None = None
) -> str:
    """An amount in ``currency`` as the business's language writes it: "12,50 €", "$12.50", "12,50 $US".

    ``digits`` shows that many decimals (a call's cost of "$0.125") instead of the currency's usual ones. Amounts are
    never converted: a provider's cost in US dollars is shown in US dollars, whatever the business's currency.
    """
    code = (currency or "USD").strip().upper() or "USD"
    lang = language_of(language)
    if digits is None:
        return babel_numbers.format_currency(amount, code, locale=lang)
    pattern = Locale(lang).currency_formats["standard"].pattern.split(";")[0]
    zeros = "0" * digits
    pattern = pattern.replace("0.00", f"0.{zeros}" if digits else "0")
    return babel_numbers.format_currency(amount, code, format=pattern, locale=lang, currency_digits=False)


def format_decimal(number: float | Decimal | int, language: str | None = None, *, digits: int | None = None) -> str:
    """A number in the business's language ("1 234,5" / "1,234.5"); ``digits`` fixes the decimals shown."""
    if digits is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return babel_numbers.format_decimal(number, format=pattern, locale=language_of(language))
    return babel_numbers.format_decimal(number, locale=language_of(language))


def utc_offset(timezone: str | None, at: datetime | None = None) -> str:
    """The zone's offset at ``at`` (now by default): "UTC", "UTC+1", "UTC−5", "UTC+5:30"."""
    offset = to_local(at or datetime.now(UTC), timezone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# --- labels -----------------------------------------------------------------------------------------------------


def country_name(country: str, language: str | None = None) -> str:
    """ "France" / "États-Unis"; the code itself when unknown."""
    return Locale(language_of(language)).territories.get((country or "").upper(), country)


def language_name(language: str) -> str:
    """A language by its own name, capitalised as in a menu: "Français", "English"."""
    lang = language_of(language)
    name = Locale(lang).languages.get(lang, lang)
    return name[:1].upper() + name[1:]


def currency_name(currency: str, language: str | None = None) -> str:
    """ "Euro" / "Dollar des États-Unis", capitalised; the code when unknown."""
    name = Locale(language_of(language)).currencies.get((currency or "").upper(), currency)
    return name[:1].upper() + name[1:]


def city_of(timezone: str, language: str | None = None) -> str:
    """The zone's main city in the reader's language ("America/New_York" -> "New York"); "UTC" for UTC."""
    name = valid_timezone(timezone) or DEFAULT_TIMEZONE
    if name == "UTC" or "/" not in name:
        return name
    return str(babel_dates.get_timezone_location(name, locale=language_of(language), return_city=True))


def timezone_label(timezone: str, language: str | None = None, at: datetime | None = None) -> str:
    """ "Paris time (UTC+1)" / "heure de Paris (UTC+1)"; "UTC" alone for UTC."""
    offset = utc_offset(timezone, at)
    city = city_of(timezone, language)
    if city == "UTC":
        return "UTC"
    if language_of(language) == "fr":
        return f"heure de {city} ({offset})"
    return f"{city} time ({offset})"


def summary(region: Region, language: str | None = None, at: datetime | None = None) -> str:
    """One line to confirm: "France · Paris time (UTC+1) · Français · Euro"."""
    return _SEPARATOR.join(
        [
            country_name(region.country, language),
            timezone_label(region.timezone, language, at),
            language_name(region.language),
            currency_name(region.currency, language),
        ]
    )


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of every country, sorted by name in the reader's language."""
    names = Locale(language_of(language)).territories
    return sorted(((code, names.get(code, code)) for code in countries()), key=lambda pair: pair[1].casefold())


def currency_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, "EUR · Euro") of every currency in use, by code."""
    return [(code, f"{code} · {currency_name(code, language)}") for code in sorted(currencies())]


def timezone_choices(country: str | None = None, at: datetime | None = None) -> list[tuple[str, str]]:
    """(zone, "Europe/Paris (UTC+1)") for the select: the country's zones first, then every other zone by name."""
    first = zones_of_country(country)
    rest = sorted(name for name in timezones() if name not in first and "/" in name and not name.startswith("Etc/"))
    moment = at or datetime.now(UTC)
    return [(name, f"{name.replace('_', ' ')} ({utc_offset(name, moment)})") for name in [*first, "UTC", *rest]]


def language_choices() -> list[tuple[str, str]]:
    """(code, own name) of the languages AVA speaks."""
    return [(code, language_name(code)) for code in LANGUAGES]


# --- the business settings (services for /settings/business and the API) ------------------------------------------


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("This organisation no longer exists.")
    return tenant


def _out(tenant: Tenant, principal: Principal, language: str | None) -> RegionOut:
    region = region_of(tenant)
    return RegionOut(
        country=region.country,
        timezone=region.timezone,
        language=region.language,
        currency=region.currency,
        summary=summary(region, language or region.language),
        can_edit=principal.is_admin,
    )


def get_business_region(session: Session, *, principal: Principal, language: str | None = None) -> RegionOut:
    """The caller's organisation's region, labelled in ``language`` (the business's own by default). Any member."""
    tenant_id = principal.require_member()
    return _out(_tenant(session, tenant_id), principal, language)


def update_business_region(
    session: Session,
    *,
    principal: Principal,
    country: str,
    timezone: str,
    language: str,
    currency: str,
    display_language: str | None = None,
) -> RegionOut:
    """Change the organisation's country, timezone, language and currency. Admins only; Invalid per bad field."""
    tenant_id = principal.require_admin()
    region = check(country=country, timezone=timezone, language=language, currency=currency)
    tenant = _tenant(session, tenant_id)
    before = region_of(tenant)
    apply(tenant, region)
    if before != region:
        changed = {
            name: getattr(region, name)
            for name in ("country", "timezone", "language", "currency")
            if getattr(before, name) != getattr(region, name)
        }
        audit.record(
            session, action="business_region_changed", tenant_id=tenant_id, user_id=principal.user_id, detail=changed
        )
    session.add(tenant)
    session.commit()
    session.refresh(tenant)
    return _out(tenant, principal, display_language)
