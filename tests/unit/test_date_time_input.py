"""Date and time fields read as the interface language and the business's country write them, not as the browser
does: the layout, the parsing of what is typed, and the fields the pages are made of."""

from __future__ import annotations

from datetime import date

import pytest
import reflex as rx

from ava_app.components import date_time_input
from ava_app.services import regional
from ava_app.state.calls import CallsState
from ava_app.state.notifications import NotificationsState
from ava_app.state.phone_numbers import PhoneNumbersState

DAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("language", "country", "order", "placeholder", "shown"),
    [
        ("fr", "FR", "dmy", "jj/mm/aaaa", "07/12/2026"),
        ("en", "US", "mdy", "mm/dd/yyyy", "12/07/2026"),
        ("en", "FR", "dmy", "dd/mm/yyyy", "07/12/2026"),  # an English reader of a French business
        ("fr", "US", "dmy", "jj/mm/aaaa", "07/12/2026"),  # a French reader of an American business
        ("en", "GB", "dmy", "dd/mm/yyyy", "07/12/2026"),
        ("en", "CA", "ymd", "yyyy-mm-dd", "2026-12-07"),
        ("en", None, "mdy", "mm/dd/yyyy", "12/07/2026"),
    ],
)
def test_the_layout_follows_the_reader_and_the_business(language, country, order, placeholder, shown):
    layout = regional.date_layout(language, country)
    assert (layout.order, layout.placeholder) == (order, placeholder)
    assert regional.format_date_input(DAY, language=language, country=country) == shown
    assert regional.parse_date_input(shown, language=language, country=country) == DAY


def test_the_same_figures_are_read_in_the_readers_order():
    assert regional.parse_date_input("7/12/2026", language="fr", country="FR") == date(2026, 12, 7)
    assert regional.parse_date_input("7/12/2026", language="en", country="US") == date(2026, 7, 12)
    assert regional.parse_date_input("07.12.26", language="fr", country="FR") == date(2026, 12, 7)
    assert regional.parse_date_input("7 12 2026", language="en", country="GB") == date(2026, 12, 7)
    assert regional.parse_date_input("7-12-2026", language="fr", country="FR") == date(2026, 12, 7)


def test_an_iso_day_from_the_calendar_is_read_whatever_the_locale():
    for language, country in (("fr", "FR"), ("en", "US"), ("en", "CA")):
        assert regional.parse_date_input("2026-12-07", language=language, country=country) == DAY


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "31/02/2026", "13/13/2026", "7/12", "7/12/2026/1", "7/12/026", "123/1/2026", "07/12/2026x"],
)
def test_what_is_not_a_day_is_refused(text):
    assert regional.parse_date_input(text, language="fr", country="FR") is None


def test_february_30_is_no_day_in_the_us_either():
    assert regional.parse_date_input("2/30/2026", language="en", country="US") is None
    assert regional.parse_date_input("2/28/2026", language="en", country="US") == date(2026, 2, 28)


def _state(cls: type[rx.State], *, lang: str, country: str):
    """A fresh state of ``cls`` for a reader of ``lang`` looking at a business in ``country``."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.business_country, state.lang = country, lang
    return state


def _run(state: rx.State, name: str, *args):
    return type(state).event_handlers[name].fn(state, *args)


def test_a_holiday_is_typed_in_french_order_kept_as_iso_and_listed_as_french_dates():
    state = _state(PhoneNumbersState, lang="fr", country="FR")
    assert _run(state, "set_new_holiday", "25/12/2026") is None
    assert state.new_holiday == "2026-12-25"
    _run(state, "add_holiday")
    assert state.holidays == ["2026-12-25"] and state.new_holiday == ""
    assert state.holiday_items == [{"value": "2026-12-25", "label": "25 déc. 2026"}]
    refused = _run(state, "set_new_holiday", "12/25/2026")  # month first is not a French date
    assert refused is not None and state.new_holiday == ""


def test_an_american_business_reads_month_first_and_a_calendar_pick_is_iso():
    state = _state(PhoneNumbersState, lang="en", country="US")
    _run(state, "set_new_holiday", "7/4/2027")
    assert state.new_holiday == "2027-07-04"
    _run(state, "set_new_holiday", "2027-11-25")
    assert state.new_holiday == "2027-11-25"


def test_the_calls_filters_keep_iso_days_in_the_url():
    state = _state(CallsState, lang="fr", country="FR")
    read = state._days_read({"date_from": "01/12/2026", "date_to": "2026-12-07", "q": "01/02/2026"})
    assert read == {"date_from": "2026-12-01", "date_to": "2026-12-07", "q": "01/02/2026"}, "only days are read"
    assert state._days_read({"date_from": "32/12/2026"}) is None
    assert state._days_read({"date_from": ""}) == {"date_from": "", "date_to": ""}


@pytest.mark.parametrize(
    ("language", "country", "first"),
    [
        ("fr", "FR", 0),  # Monday
        ("en", "FR", 0),  # an English reader of a French business: the business's week
        ("en", "US", 6),  # Sunday
        ("fr", "US", 6),  # a French reader of an American business
        ("en", "CA", 6),
        ("en", "GB", 0),
        ("en", None, 6),  # no business yet: where the language is most spoken
        ("fr", None, 0),
    ],
)
def test_a_calendar_week_starts_on_the_businesss_first_day(language, country, first):
    assert regional.first_weekday(language, country) == first


def test_the_calendar_counts_days_from_sunday_as_the_page_does():
    assert _state(PhoneNumbersState, lang="fr", country="FR").week_starts_on == 1
    assert _state(PhoneNumbersState, lang="fr", country="US").week_starts_on == 0


def test_the_fields_are_not_the_browsers_date_and_time_inputs():
    quiet = str(
        date_time_input.time_select(
            NotificationsState.quiet_from, NotificationsState.set_quiet_from, label="q", optional=True
        )
    )
    assert 'type:"time"' not in quiet and 'jsx("select"' in quiet and 'jsx("option",{value:""}' in quiet
    day = str(date_time_input.date_input(PhoneNumbersState.new_holiday, PhoneNumbersState.set_new_holiday, id="d"))
    # No browser date input at all: the calendar is AVA's, in the page's language and the business's week.
    assert 'type:"date"' not in day and "date_placeholder" in day
    assert "jsx(AvaDateCalendar," in day and "week_starts_on" in day and "i18n_state.lang" in day
    assert "timeZone:" in day and "business_timezone" in day  # today is the business's


def test_a_calendar_pick_reaches_the_fields_handler_as_iso():
    day = date_time_input.date_input(PhoneNumbersState.new_holiday, PhoneNumbersState.set_new_holiday, id="d")
    calendar = day.children[0].children[0]
    assert isinstance(calendar, date_time_input.DateCalendar)
    assert "set_new_holiday" in str(calendar.event_triggers["on_pick"])
    bounded = date_time_input.date_input(
        PhoneNumbersState.new_holiday, PhoneNumbersState.set_new_holiday, id="d", min_day="2026-12-01"
    )
    assert 'minDay:"2026-12-01"' in str(bounded)
