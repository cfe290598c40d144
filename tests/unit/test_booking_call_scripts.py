"""The pieces behind the scripted booking calls: free times over a range of days, landlines, the Twilio emulator's
voice codes and handset, and how the Vapi emulator's caller reads AVA's answers and the codes sent to them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ava_app.sandbox.vapi.scenarios import (
    LINES,
    ReadPhone,
    Said,
    ToolStep,
    build_scenario,
    code_in,
    found_bookings,
    misread,
)
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.bookings.availability import StaffHours, free_slots
from ava_app.services.bookings.catalog import BookingRules
from ava_app.services.phones import is_landline
from ava_app.services.providers import twilio as tw
from tests.unit.test_booking_tools import answer, clinic
from tests.unit.test_sms import emulator

__all__ = ["clinic", "emulator"]

WEEKDAYS = {day: [{"open": "09:00", "close": "12:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_per_day_keeps_the_soonest_times_of_each_day():
    rules = BookingRules(
        enabled=True, min_notice_minutes=0, horizon_days=30, granularity_minutes=30, max_per_day=None
    )  # fmt: skip
    slots = free_slots(
        timezone="Europe/Paris", business_hours=WEEKDAYS, holidays=[], rules=rules, duration_minutes=30,
        buffer_minutes=0, staff=[StaffHours(id=1, name="Kim", working_hours={})], taken={},
        now=datetime(2027, 3, 26, 6, 0, tzinfo=UTC), first_day=date(2027, 3, 26), last_day=date(2027, 3, 30),
        per_day=2,
    )  # fmt: skip
    local = [slot.start_at.astimezone(UTC).strftime("%a %H:%M") for slot in slots]
    # Friday before the clock change (UTC+1), Monday and Tuesday after it (UTC+2); the weekend is closed.
    assert local == ["Fri 08:00", "Fri 08:30", "Mon 07:00", "Mon 07:30", "Tue 07:00", "Tue 07:30"]


def test_a_range_offers_each_open_day_then_tops_up_with_the_soonest(db, clinic):
    # Friday 6 to Monday 9 June 2025: the weekend is closed, so Friday's first two times and Monday's first.
    said = answer(
        db, "check_availability", {"service": "cleaning", "date": "2025-06-06", "date_to": "2025-06-09"}
    )  # fmt: skip
    assert said == (
        "Free times for Cleaning: Friday 6 June at 9:00 AM (slot 2025-06-06T09:00), Friday 6 June at 9:30 AM "
        "(slot 2025-06-06T09:30), Monday 9 June at 9:00 AM (slot 2025-06-09T09:00). Offer them to the caller; to book "
        "one, pass its slot."
    )
    one_day = answer(db, "check_availability", {"service": "cleaning", "date": "2025-06-06"}, tool_id="t2")
    assert one_day.count("2025-06-06T") == 3


def test_only_numbers_known_to_be_fixed_are_landlines():
    assert is_landline("+33199000712") and is_landline("+442079460712")
    assert not is_landline("+33612345678")  # a French mobile
    assert not is_landline("+16505550712")  # North America: fixed or mobile, cannot tell
    assert not is_landline("not a number")


def test_the_twilio_emulator_says_a_call_code_and_keeps_what_each_phone_received(emulator):
    landline, mobile = "+33199000713", "+33612345679"
    sent = run_coroutine_sync(tw.send_verification_code(to=landline, channel="call", locale="fr"))
    assert (sent["channel"], sent["status"]) == ("call", "pending")
    run_coroutine_sync(tw.send_verification_code(to=mobile, locale="en"))
    (heard,) = emulator.received(landline)
    assert heard["channel"] == "call" and heard["body"].startswith("Bonjour, ici AVA. Votre code de vérification est")
    code = code_in(heard["body"])
    assert code is not None and len(code) == 6 and heard["body"].count(", ".join(code)) == 2
    assert emulator.last_received(mobile)["channel"] == "sms"
    assert emulator.last_received("+33612345670") is None
    assert run_coroutine_sync(tw.check_verification_code(to=landline, code=misread(code))) is False
    assert run_coroutine_sync(tw.check_verification_code(to=landline, code=code)) is True


def test_the_caller_reads_codes_and_bookings_out_of_avas_answers():
    assert code_in("Your AVA verification code is: 042917") == "042917"
    assert code_in("Hello, this is AVA. Your verification code is 0, 4, 2, 9, 1, 7. Once again…") == "042917"
    assert code_in("Nothing here") is None and code_in(None) is None
    assert all(a != b for a, b in zip(misread("090919"), "090919", strict=True))
    english = found_bookings(
        "Appointments to come for this caller: Check-up on Tuesday 8 December at 9:00 AM with Dr. Kim (booking 12); "
        "Deep clean on Friday 11 December at 2:00 PM with Dr. Kim (booking 14)."
    )
    assert [(found.service, found.id) for found in english] == [("Check-up", 12), ("Deep clean", 14)]
    assert english[0].spoken == "Check-up on Tuesday 8 December at 9:00 AM with Dr. Kim"
    (french,) = found_bookings(
        "Rendez-vous à venir de l'appelant : Détartrage le mardi 8 décembre à 09:00 avec Dr Kim (réservation 3)."
    )
    assert (french.service, french.id) == ("Détartrage", 3)
    assert found_bookings("No appointment to come was found for the number the caller is calling from.") == []


def _assistant(language: str, tools: list[str]) -> dict:
    return {
        "transcriber": {"language": language},
        "model": {"tools": [{"type": "function", "function": {"name": name}} for name in tools]},
    }


def test_the_change_scenarios_use_avas_tools_in_both_languages_and_a_message_without_them():
    tools = ["check_availability", "book_appointment", "find_my_appointment", "reschedule_appointment"]
    for language in ("en", "fr"):
        moving = build_scenario(
            intent="reschedule", assistant=_assistant(language, tools), direction="inbound", seed="s"
        )
        names = [step.tool["function"]["name"] for step in moving.steps if isinstance(step, ToolStep)]
        assert names == ["find_my_appointment", "check_availability", "reschedule_appointment"]
        cancelling = build_scenario(
            intent="cancel",
            assistant=_assistant(language, [*tools, "cancel_appointment"]),
            direction="inbound",
            seed="s",
            details={"bookedWith": "+16505550100"},
        )
        assert [type(step) for step in cancelling.steps].count(ReadPhone) == 1
        assert any(isinstance(step, Said) for step in cancelling.steps)
        # Without AVA's booking tools the caller's change becomes a message for the team.
        noted = build_scenario(intent="cancel", assistant=_assistant(language, ["take_message"]), direction="inbound",
                               seed="s")  # fmt: skip
        (step,) = [step for step in noted.steps if isinstance(step, ToolStep)]
        assert step.tool["function"]["name"] == "take_message" and noted.facts["callback"] is True
    assert set(LINES["en"]) == set(LINES["fr"])


def test_a_scripted_range_asks_for_the_days_given():
    scenario = build_scenario(
        intent="availability", assistant=_assistant("en", ["check_availability"]), direction="inbound", seed="s",
        details={"dateFrom": "2027-03-27", "dateTo": "2027-03-30"},
    )  # fmt: skip
    (first, _) = [step for step in scenario.steps if isinstance(step, ToolStep)]
    assert first.arguments == {"date": "2027-03-27", "date_to": "2027-03-30"}
    asked = next(step.text for step in scenario.steps if getattr(step, "role", "") == "user")
    assert "between Saturday 27 March and Tuesday 30 March" in asked
    default = build_scenario(
        intent="availability", assistant=_assistant("fr", ["check_availability"]), direction="inbound", seed="s"
    )
    (step, _) = [step for step in default.steps if isinstance(step, ToolStep)]
    first_day = date.fromisoformat(step.arguments["date"])
    assert first_day.weekday() == 0 and date.fromisoformat(step.arguments["date_to"]) == first_day + timedelta(days=2)
