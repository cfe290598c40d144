"""The hours editor's times: quarter hours stored as "HH:MM", shown 24-hour in French and 12-hour in English."""

from __future__ import annotations

from ava_app.components import date_time_input, hours_editor
from ava_app.state.assistant import AssistantFormState


def test_quarter_hours_with_a_closing_midnight():
    assert date_time_input.TIMES[:3] == ["00:00", "00:15", "00:30"] and date_time_input.TIMES[-2:] == ["23:45", "24:00"]
    assert len(date_time_input.TIMES) == 24 * 4 + 1


def test_french_labels_are_24_hour_english_12_hour():
    french = dict(date_time_input.choices(date_time_input.TIMES, twelve=False))
    english = dict(date_time_input.choices(date_time_input.TIMES, twelve=True))
    assert (french["18:30"], french["00:00"], french["24:00"]) == ("18:30", "00:00", "24:00")
    assert (english["18:30"], english["00:00"], english["12:00"]) == ("6:30 PM", "12:00 AM", "12:00 PM")
    assert english["24:00"] == "Midnight"


def test_english_labels_are_short_enough_for_a_phone():
    """Both selects of a range and "to" fit the hours card at 390 px: no label longer than "12:45 PM"."""
    assert max(len(label) for _, label in date_time_input.choices(date_time_input.TIMES, twelve=True)) == len(
        "12:45 PM"
    )


def test_the_editor_is_made_of_selects_not_browser_time_inputs():
    rendered = str(hours_editor.hours_editor(AssistantFormState))
    assert '"time"' not in rendered and "select" in rendered
