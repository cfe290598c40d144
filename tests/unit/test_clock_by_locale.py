"""Times read as the business's locale writes them: AM/PM for a US (or Canadian) business read in English, 24-hour
in France and the UK, on pages, in emails and in what the assistant says of the hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from ava_app.services import regional
from ava_app.services.business_hours import business_hours_status, describe_hours, week_summary
from ava_app.services.messaging.templates import render
from ava_app.state.call_display import when_text
from ava_app.state.dashboard import hour_label
from ava_app.state.phone_numbers import hours_text

# 20:23 UTC on a winter day: 3:23 PM in New York, 20:23 in London, 21:23 in Paris.
MOMENT = datetime(2026, 12, 4, 20, 23, tzinfo=UTC)
WEEK = {
    "mon": [{"open": "09:30", "close": "19:00"}],
    "tue": [{"open": "09:30", "close": "19:00"}],
    "wed": [],
    "thu": [],
    "fri": [{"open": "08:00", "close": "12:00"}, {"open": "13:30", "close": "24:00"}],
    "sat": [],
    "sun": [],
}


@pytest.mark.parametrize(
    ("language", "country", "timezone", "expected_time", "expected_moment"),
    [
        ("en", "US", "America/New_York", "3:23 PM", "Dec 4, 2026, 3:23 PM"),
        ("en", "CA", "America/Toronto", "3:23 p.m.", "Dec 4, 2026, 3:23 p.m."),
        ("en", "GB", "Europe/London", "20:23", "4 Dec 2026, 20:23"),
        ("fr", "FR", "Europe/Paris", "21:23", "4 déc. 2026 à 21:23"),
        # A French reader of a US business: CLDR has no French of the US, French is written 24-hour.
        ("fr", "US", "America/New_York", "15:23", "4 déc. 2026 à 15:23"),
        # An English reader of the French demo clinic reads 24-hour times, as English is written in France.
        ("en", "FR", "Europe/Paris", "21:23", "4 Dec 2026, 21:23"),
    ],
)
def test_times_follow_the_language_as_written_in_the_business_country(
    language, country, timezone, expected_time, expected_moment
):
    assert regional.format_time(MOMENT, timezone=timezone, language=language, country=country) == expected_time
    assert regional.format_datetime(MOMENT, timezone=timezone, language=language, country=country) == expected_moment
    assert regional.uses_12_hour(language, country) == ("m" in expected_time.lower())


def test_pages_keep_a_date_and_a_time_each_on_one_line():
    shown = regional.format_datetime(MOMENT, timezone="America/New_York", language="en", country="US", nowrap=True)
    assert shown == "Dec\u00a04,\u00a02026, 3:23\u00a0PM"
    assert regional.format_day(date(2026, 12, 4), language="en", country="US") == "Dec 4"
    assert regional.format_day(date(2026, 12, 4), language="en", country="GB", with_year=True) == "4 Dec 2026"


def test_locale_of_pairs_language_and_country_only_when_cldr_knows_the_pair():
    assert regional.locale_of("en", "US") == "en_US"
    assert regional.locale_of("en-GB", "gb") == "en_GB"
    assert regional.locale_of("fr", "FR") == "fr_FR"
    assert regional.locale_of("fr", "US") == "fr"
    assert regional.locale_of("en", None) == "en" and regional.uses_12_hour("en")
    assert regional.locale_of("xx", "ZZ") == "en"


def test_opening_times_short_form_and_end_of_day():
    assert regional.format_time(time(19, 0), language="en", country="US", short=True) == "7 PM"
    assert regional.format_time(time(19, 0), language="en", country="US") == "7:00 PM"
    assert regional.format_time(time(19, 0), language="en", country="GB", short=True) == "19:00"
    assert regional.format_hhmm("09:30", language="en", country="US") == "9:30 AM"
    assert regional.format_hhmm("24:00", language="en", country="US") == "12:00 AM"
    assert regional.format_hhmm("24:00", language="fr", country="FR") == "24:00"
    assert regional.format_hhmm("not a time", language="en", country="US") == "not a time"


def test_the_week_as_the_assistant_says_it_in_the_us_the_uk_and_france():
    assert week_summary(WEEK, [], "en", "US") == (
        "Mon-Tue 9:30 AM to 7 PM · Wed-Thu closed · Fri 8 AM to 12 PM, 1:30 PM to midnight · Sat-Sun closed"
    )
    assert week_summary(WEEK, [], "en", "GB") == (
        "Mon-Tue 09:30 to 19:00 · Wed-Thu closed · Fri 08:00 to 12:00, 13:30 to 24:00 · Sat-Sun closed"
    )
    assert week_summary(WEEK, [], "fr", "FR") == (
        "lundi et mardi 9 h 30–19 h · mercredi et jeudi fermé · vendredi 8 h–12 h et 13 h 30–24 h"
        " · samedi et dimanche fermé"
    )


def test_the_hours_tool_writes_times_as_the_zone_country_does():
    """The assistant's tool passes only the zone: a New York business hears AM/PM, a London one 24-hour."""
    monday_noon_new_york = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    status = business_hours_status(
        business_hours=WEEK, holidays=[], timezone="America/New_York", at=monday_noon_new_york
    )
    assert status.country == "US"
    assert describe_hours(status, "en") == "Open now until 7 PM. Hours today: 9:30 AM to 7 PM."
    london = business_hours_status(business_hours=WEEK, holidays=[], timezone="Europe/London", at=monday_noon_new_york)
    assert describe_hours(london, "en") == "Open now until 19:00. Hours today: 09:30 to 19:00."
    paris = business_hours_status(business_hours=WEEK, holidays=[], timezone="Europe/Paris", at=monday_noon_new_york)
    assert describe_hours(paris, "fr") == "Ouvert en ce moment jusqu'à 19 h. Horaires du jour : 9 h 30–19 h."
    # The business's own country, when given, wins over the zone's.
    assert describe_hours(london, "en", "US") == "Open now until 7 PM. Hours today: 9:30 AM to 7 PM."
    wednesday = datetime(2026, 12, 9, 17, 0, tzinfo=UTC)
    closed = business_hours_status(business_hours=WEEK, holidays=[], timezone="America/New_York", at=wednesday)
    assert describe_hours(closed, "en").endswith("Next opening: Friday at 8 AM.")


def test_pages_write_call_times_and_hours_the_business_way():
    local = datetime(2026, 12, 4, 15, 23)
    assert when_text(local, "en", today=date(2026, 12, 4), country="US") == "3:23\u00a0PM"
    assert when_text(local, "en", today=date(2026, 12, 4), country="GB") == "15:23"
    assert when_text(local, "fr", country="FR") == "4 déc. 15:23"
    assert when_text(local, "en", country="US") == "Dec 4, 3:23\u00a0PM"
    assert when_text(local, "en", country="GB") == "4 Dec, 15:23"
    assert when_text(local, "en", today=date(2027, 1, 2), country="US") == "Dec 4, 2026, 3:23\u00a0PM"
    assert hour_label(15, "en", "US") == "3 PM" and hour_label(15, "en", "GB") == "15:00"
    assert hour_label(15, "fr", "FR") == "15h"
    assert hours_text(WEEK, [], "en", "US").startswith("Mon–Tue 9:30\u00a0AM–7:00\u00a0PM")
    assert hours_text(WEEK, [], "en", "GB").startswith("Mon–Tue 09:30–19:00")


@pytest.mark.parametrize(
    ("locale", "country", "timezone", "expected"),
    [
        ("en", "US", "America/New_York", "Dec 4, 2026, 3:23 PM"),
        ("en", "GB", "Europe/London", "4 Dec 2026, 20:23"),
        ("fr", "FR", "Europe/Paris", "4 déc. 2026 à 21:23"),
    ],
)
def test_the_call_summary_email_writes_the_time_as_the_business_does(locale, country, timezone, expected):
    email = render(
        "call_summary",
        locale=locale,
        link="https://app.example.com/calls/1",
        caller="",
        started_at=MOMENT,
        duration_seconds=65,
        summary="",
        timezone=timezone,
        country=country,
    )
    assert expected in email.text and expected in email.html
