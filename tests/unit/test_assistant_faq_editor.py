"""The knowledge base's editor sends the keyboard to the field the owner writes first."""

from __future__ import annotations

from ava_app.state.assistant import AssistantState
from tests.unit.test_assistants import providers  # noqa: F401  (fixtures)
from tests.unit.test_state_tenant_isolation import reflex_app, run, state_of, world  # noqa: F401


def focus(field: str) -> list[str]:
    return [f"script:setTimeout(() => document.getElementById('{field}')?.focus(), 50)"]


async def test_a_new_entry_opens_on_its_question_and_an_existing_one_on_its_answer(world):  # noqa: F811
    state = state_of(AssistantState, world.b)
    state.faq = [{"question": "Parking?", "answer": "Behind the shop.", "review": ""}]
    assert await run(state, "edit_faq", -1) == focus("faq-q")
    assert (state.faq_open, state.faq_question, state.faq_answer) == (True, "", "")
    assert await run(state, "edit_faq", 0) == focus("faq-a")
    assert (state.faq_question, state.faq_answer) == ("Parking?", "Behind the shop.")
    assert await run(state, "edit_faq", 7) == focus("faq-q")  # out of range: a new entry
