"""Background work still running when its account signs out: the tab keeps nothing of that account.

A forwarded-call watch or a website import runs for a while after the button is pressed; a logout in between resets
the tab's states, and the work must not write the old account's data back into them for the next account to see.
"""

from __future__ import annotations

from types import SimpleNamespace

from ava_app.models import PhoneNumber
from ava_app.services import accounts, site_import
from ava_app.services.site_import import Finding, SiteFindings
from ava_app.state import reach as reach_state
from ava_app.state.assistant import AssistantFormState
from ava_app.state.auth import AuthState
from ava_app.state.reach import ReachState
from tests.unit.test_assistants import providers  # noqa: F401  (fixtures)
from tests.unit.test_state_tenant_isolation import reflex_app, run, state_of, world  # noqa: F401


async def test_a_watch_that_outlives_the_logout_writes_nothing_back(world, db, monkeypatch):  # noqa: F811
    number = db.get(PhoneNumber, world.b.number_ids[0])
    number.provider_number_id = number.provider_number_id or "pn-beta"
    number.forwarded_from, number.forwarding_confirmed_at = "+13125550142", None
    db.add(number)
    db.commit()

    async def placed(**_call) -> bool:
        return True

    state = state_of(ReachState, world.b)
    polls = 0

    async def sleep(_seconds: float) -> None:
        nonlocal polls
        polls += 1
        if polls == 3:  # two reads of the number have been seen: the account signs out in this tab
            await run(await state.get_state(AuthState), "logout")

    monkeypatch.setattr(reach_state, "_emulator_calls_offered", lambda: True)
    monkeypatch.setattr(reach_state, "place_sandbox_call", placed)
    monkeypatch.setattr(reach_state, "asyncio", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(reach_state, "CONFIRM_WAIT_SECONDS", 3)

    await run(state, "simulate_forwarded_call")
    assert polls >= 3
    assert (state.has_number, state.number_display, state.line_display, state.codes) == (False, "", "", [])
    assert not state.simulating


async def test_findings_read_for_an_account_that_signed_out_meanwhile_are_dropped(world, monkeypatch):  # noqa: F811
    def read_then_sign_out(session, *, principal, url):
        accounts.logout(session, principal=principal)  # the tab signs out while the page is being read
        return SiteFindings(url=url, items=[Finding(kind="email", value="hello@beta-salon.example")])

    monkeypatch.setattr(site_import, "read_website", read_then_sign_out)
    state = state_of(AssistantFormState, world.b)
    state.site_url = "https://beta-salon.example"
    await run(state, "import_site")
    assert state.site_items == [] and not state.site_busy


async def test_findings_read_before_another_account_signed_in_in_the_tab_are_dropped(world, monkeypatch):  # noqa: F811
    state = state_of(AssistantFormState, world.b)
    other_tab = state_of(AssistantFormState, world.a)

    def read_then_switch(session, *, principal, url):
        state.router = other_tab.router  # the tab now carries the other organisation's owner's session
        return SiteFindings(url=url, items=[Finding(kind="email", value="hello@beta-salon.example")])

    monkeypatch.setattr(site_import, "read_website", read_then_switch)
    state.site_url = "https://beta-salon.example"
    await run(state, "import_site")
    assert state.site_items == [] and not state.site_busy
