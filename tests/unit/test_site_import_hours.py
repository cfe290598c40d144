"""Opening hours read from a business's website: proposed as its business hours when AVA can read them whole, kept
as an answer to review when it cannot, and never put in place of the owner's hours without the owner's yes."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ava_app.services import site_import
from ava_app.services.principal import Principal
from ava_app.state.assistant import AssistantFormState
from ava_app.state.hours import hours_payload
from tests.factories import make_tenant, make_user
from tests.servers import serve_app

CLOSED: list[dict[str, str]] = []


def _days(ranges: list[tuple[str, str]], *days: str) -> dict[str, list[dict[str, str]]]:
    week = {day: list(CLOSED) for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    for day in days:
        week[day] = [{"open": opens, "close": closes} for opens, closes in ranges]
    return week


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY = (*WEEKDAYS, "sat", "sun")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Mon–Fri 9:00–18:00"], _days([("09:00", "18:00")], *WEEKDAYS)),
        (["Lundi au vendredi 9h-18h"], _days([("09:00", "18:00")], *WEEKDAYS)),
        (["9am-5pm"], _days([("09:00", "17:00")], *EVERY_DAY)),
        (["Monday-Friday: 9:00 AM - 5:00 PM"], _days([("09:00", "17:00")], *WEEKDAYS)),
        (["Mon-Fri 9-5"], _days([("09:00", "17:00")], *WEEKDAYS)),
        (["Open daily 11 a.m. - 10 p.m."], _days([("11:00", "22:00")], *EVERY_DAY)),
        (
            ["Mo-Fr 09:00-18:00", "Sa 10:00-14:00"],
            {**_days([("09:00", "18:00")], *WEEKDAYS), "sat": [{"open": "10:00", "close": "14:00"}]},
        ),
        (
            ["du lundi au vendredi de 9h à 12h et de 14h à 18h, fermé le dimanche"],
            _days([("09:00", "12:00"), ("14:00", "18:00")], *WEEKDAYS),
        ),
        (
            ["Mon-Fri 9-12, 14-18; Sat 9am to noon; Sun closed"],
            {
                **_days([("09:00", "12:00"), ("14:00", "18:00")], *WEEKDAYS),
                "sat": [{"open": "09:00", "close": "12:00"}],
            },
        ),
        (["Fri–Sat 6 pm – midnight"], _days([("18:00", "24:00")], "fri", "sat")),
    ],
)
def test_hours_written_the_usual_ways_become_a_week(lines, expected):
    assert site_import.proposed_week(lines) == expected


@pytest.mark.parametrize(
    "lines",
    [
        ["By appointment only"],
        ["Tue-Sat 10-7 except holidays"],
        ["Mon-Fri 9:00-18:00", "Saturday by appointment"],  # one line unread: nothing is proposed
        ["Fri 10pm-2am"],  # past midnight: not business hours AVA can store as one range
        ["Mon 9-18", "Mon 10-12"],  # overlapping ranges
        ["Mon-Fri"],  # days without times
        ["Mon-Fri 25:00-26:00"],
        [],
    ],
)
def test_hours_it_cannot_read_whole_are_not_guessed(lines):
    assert site_import.proposed_week(lines) is None


# --- the import flow, from a local page to the owner's choice ---------------------------------------------------

PAGE = """<!doctype html><html lang="en"><body>
<h1>Joe's Plumbing</h1>
<p>Call <a href="tel:+12125550199">(212) 555-0199</a></p>
<p itemprop="openingHours" content="Mo-Fr 08:00-18:00">Monday to Friday, 8 AM to 6 PM</p>
<p itemprop="openingHours" content="Sa 09:00-13:00">Saturday 9 AM to 1 PM</p>
</body></html>"""
UNREADABLE = """<!doctype html><html><body>
<p itemprop="openingHours">Weekdays by appointment, call ahead</p></body></html>"""


@pytest.fixture(scope="module")
def site():
    async def page(request):
        return HTMLResponse(PAGE)

    async def unreadable(request):
        return HTMLResponse(UNREADABLE)

    app = Starlette(routes=[Route("/", page), Route("/unreadable", unreadable)])
    with serve_app(app) as base_url:
        yield base_url


def _owner(db) -> Principal:
    tenant = make_tenant(db, country="US", locale="en", timezone="America/New_York")
    user = make_user(db, tenant=tenant, role="admin")
    return Principal(user_id=user.id, tenant_id=tenant.id, role="admin")


def test_a_local_page_hours_become_a_proposed_week(db, site):
    found = site_import.read_website(db, principal=_owner(db), url=f"{site}/")
    hours = [item.value for item in found.items if item.kind == "hours"]
    assert hours == ["Mo-Fr 08:00-18:00", "Sa 09:00-13:00"]
    week = site_import.proposed_week(hours)
    assert week == {**_days([("08:00", "18:00")], *WEEKDAYS), "sat": [{"open": "09:00", "close": "13:00"}]}
    _, entries = site_import.accepted_entries([item for item in found.items if item.kind == "hours"], language="en")
    assert entries == [], "readable hours are proposed, not added as an answer"


def test_unreadable_hours_stay_an_answer_to_review(db, site):
    found = site_import.read_website(db, principal=_owner(db), url=f"{site}/unreadable")
    _, entries = site_import.accepted_entries(found.items, language="en")
    assert entries == [
        {
            "question": "What are your opening hours?",
            "answer": "Weekdays by appointment, call ahead.",
            "review": True,
        }
    ]


async def test_the_wizard_proposes_the_hours_and_takes_them_only_when_asked():
    """The personalise step's form: the proposal is shown in the business's way of writing times, the owner's week
    stays as it is until "Use these hours", and "Keep my hours" leaves it alone."""
    form = AssistantFormState(_reflex_internal_init=True)
    form.lang, form.business_country, form.language = "en", "US", "en"
    form._set_week({day: [{"open": "10:00", "close": "16:00"}] for day in EVERY_DAY})
    before = hours_payload(form.week)
    form.site_items = [
        {"kind": "hours", "value": "Mo-Fr 08:00-18:00", "question": "", "answer": "", "chosen": "1"},
        {"kind": "hours", "value": "Sa 09:00-13:00", "question": "", "answer": "", "chosen": "1"},
    ]
    assert await form._accept_site_items() is None  # only hours: the proposal is what the owner sees next
    assert form.site_hours_text.replace("\u00a0", " ") == "Mon–Fri 8:00 AM–6:00 PM · Sat 9:00 AM–1:00 PM · Sun closed"
    assert hours_payload(form.week) == before, "nothing replaces the owner's hours before they say so"

    AssistantFormState.event_handlers["keep_own_hours"].fn(form)
    assert form.site_hours == {} and form.site_hours_text == "" and hours_payload(form.week) == before

    form.site_items = [{"kind": "hours", "value": "Mo-Fr 08:00-18:00", "question": "", "answer": "", "chosen": "1"}]
    await form._accept_site_items()
    await AssistantFormState.event_handlers["use_site_hours"].fn(form)
    assert hours_payload(form.week) == _days([("08:00", "18:00")], *WEEKDAYS)
    assert form.site_hours_text == ""
