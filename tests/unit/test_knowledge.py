"""Teaching AVA the business: the business profile (address, services and prices, bookings), the "to review" flag
of preset answers, and what of both reaches a call (the Vapi prompt, the text test call, the lookup_faq tool)."""

from __future__ import annotations

import pytest

from ava_app.models import Assistant
from ava_app.services import assistants, knowledge, test_calls
from ava_app.services.assistants import AssistantUpdate, FaqItem
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.knowledge import BusinessProfileIn, ServiceIn
from ava_app.services.principal import Principal
from ava_app.services.providers.llm_local import reply_locally
from ava_app.services.providers.vapi import vapi_assistant_config
from tests.factories import make_tenant, make_user

HAIRCUT = ServiceIn(name="Haircut", price="25,50", duration="30")
COLOUR = ServiceIn(name="Colour", price="60", duration="90 min")


def owner_of(db, **tenant_fields) -> Principal:
    tenant = make_tenant(db, **tenant_fields)
    user = make_user(db, tenant=tenant, role="admin")
    return Principal(user_id=user.id, tenant_id=tenant.id, role="admin")


def save_profile(db, principal, **fields) -> assistants.AssistantOut:
    profile = BusinessProfileIn(**fields)
    return assistants.update_assistant(db, principal=principal, changes=AssistantUpdate(business_profile=profile))


def ask(context: dict, question: str) -> str:
    """The text test call's local reply to one question (the assistant already greeted)."""
    return reply_locally(
        assistant=context,
        conversation=[{"role": "assistant", "content": "Hello"}, {"role": "user", "content": question}],
    )


def vapi_prompt(db, principal) -> str:
    row = db.get(Assistant, assistants.get_assistant(db, principal=principal).id)
    db.refresh(row)
    config = vapi_assistant_config(
        assistant=row,
        public_url="https://ava.example",
        webhook_secret="s" * 32,
        knowledge=assistants.call_knowledge(db, assistant=row),
        unconfirmed_rule=knowledge.unconfirmed_rule(row.language),
    )
    return config["model"]["messages"][0]["content"]


# --- the profile ----------------------------------------------------------------------------------------------


def test_the_profile_is_cleaned_and_blank_service_rows_are_dropped(db):
    owner = owner_of(db, industry="salon")
    saved = save_profile(
        db,
        owner,
        address=" 12 rue de la République, Lyon ",
        access="Métro Cordeliers",
        services=[HAIRCUT, ServiceIn(), COLOUR],
        booking_mode="message",
        booking_policy="24 h notice to cancel.",
    )
    assert saved.business_profile == {
        "address": "12 rue de la République, Lyon",
        "access": "Métro Cordeliers",
        "services": [
            {"name": "Haircut", "price": "25.50", "duration": 30},
            {"name": "Colour", "price": "60.00", "duration": 90},
        ],
        "booking_mode": "message",
        "booking_policy": "24 h notice to cancel.",
    }
    assert knowledge.profile_in(saved.business_profile).services[0] == ServiceIn(
        name="Haircut", price="25.50", duration="30"
    )


def test_bad_service_rows_are_refused_field_by_field_and_nothing_is_saved(db):
    owner = owner_of(db)
    rows = [ServiceIn(price="25"), ServiceIn(name="Cut", price="cheap", duration="half an hour")]
    with pytest.raises(Invalid) as refused:
        save_profile(db, owner, address="x" * 301, services=rows, booking_mode="teleport")
    assert refused.value.details["fields"] == {
        "business_profile.address": knowledge.ADDRESS_TOO_LONG,
        "business_profile.booking_mode": knowledge.BOOKING_MODE_UNKNOWN,
        "business_profile.services.0.name": knowledge.SERVICE_NAME_MISSING,
        "business_profile.services.1.price": knowledge.PRICE_NOT_A_NUMBER,
        "business_profile.services.1.duration": knowledge.DURATION_NOT_A_NUMBER,
    }
    assert assistants.get_assistant(db, principal=owner).business_profile == {}
    with pytest.raises(Invalid) as too_many:
        save_profile(db, owner, services=[HAIRCUT] * 11)
    assert too_many.value.details["fields"] == {"business_profile.services": knowledge.TOO_MANY_SERVICES}


def test_a_viewer_cannot_change_the_profile(db):
    tenant = make_tenant(db)
    viewer = make_user(db, tenant=tenant, role="viewer")
    with pytest.raises(Forbidden):
        save_profile(db, Principal(user_id=viewer.id, tenant_id=tenant.id, role="viewer"), address="Here")


@pytest.mark.parametrize(
    ("typed", "value"),
    [("25", "25"), ("25.5", "25.5"), ("25,50", "25.50"), ("1 250,00 €", "1250.00"), ("$1,250.00", "1250.00")],
)
def test_prices_are_read_the_way_owners_write_them(typed, value):
    assert str(knowledge.parse_price(typed)) == value


def test_prices_are_shown_in_the_business_currency_and_language():
    assert knowledge.format_price("35", currency="EUR", language="fr", country="FR") == "35,00\xa0€"
    assert knowledge.format_price("35", currency="USD", language="en", country="US") == "$35.00"
    assert knowledge.format_price("", currency="USD", language="en", country="US") == ""


# --- what a call knows -------------------------------------------------------------------------------------------


def test_the_prompt_and_the_test_call_answer_from_the_profile(db):
    owner = owner_of(db, industry="salon", locale="fr", country="FR", currency="EUR")
    assistants.get_or_create_assistant(db, principal=owner)
    save_profile(
        db,
        owner,
        address="12 rue de la République, Lyon",
        access="parking Célestins à deux minutes",
        services=[ServiceIn(name="une coupe homme", price="25", duration="30"), COLOUR],
        booking_mode="message",
        booking_policy="Annulation gratuite jusqu'à 24 h avant.",
    )
    prompt = vapi_prompt(db, owner)
    assert "12 rue de la République, Lyon" in prompt and "parking Célestins" in prompt
    assert "une coupe homme : 25,00\xa0€." in prompt and "Colour (60,00\xa0€, 90 min)" in prompt
    assert "Annulation gratuite jusqu'à 24 h avant." in prompt

    context = test_calls.reply_context(db, principal=owner)
    assert "12 rue de la République" in ask(context, "Où êtes-vous ? C'est quoi votre adresse ?")
    assert "25,00\xa0€" in ask(context, "Combien coûte une coupe homme ?")
    booking = ask(context, "Est-ce que je peux prendre rendez-vous ?")
    assert "rappellera pour confirmer" in booking and "Annulation gratuite" in booking


def test_an_english_business_answers_in_dollars(db):
    owner = owner_of(db, industry="salon", locale="en", country="US", currency="USD")
    assistants.get_or_create_assistant(db, principal=owner)
    save_profile(db, owner, address="5 Main Street", services=[HAIRCUT], booking_mode="walk_in")
    context = test_calls.reply_context(db, principal=owner)
    assert ask(context, "How much is a haircut?") == "Haircut costs $25.50. Haircut takes about 30 minutes."
    assert "5 Main Street" in ask(context, "Where are you?")
    assert ask(context, "Can I book an appointment?").startswith("We don't take bookings by phone.")


# --- "to review" -------------------------------------------------------------------------------------------------


def test_preset_answers_start_to_review_and_placeholders_are_never_stated(db):
    owner = owner_of(db, industry="clinic", locale="en")
    created = assistants.get_or_create_assistant(db, principal=owner)
    assert created.knowledge_base and all(item.review for item in created.knowledge_base)
    placeholder = next(item for item in created.knowledge_base if "first consultation cost" in item.question)
    assert "[to fill:" in placeholder.answer

    prompt = vapi_prompt(db, owner)
    assert "[to fill" not in prompt and "billed at the standard rate" not in prompt
    assert knowledge.unconfirmed_rule("en") in prompt

    reply = ask(test_calls.reply_context(db, principal=owner), "How much does a first consultation cost?")
    assert "[to fill" not in reply
    assert reply == knowledge._TEXTS["en"]["unconfirmed"]


def test_editing_or_confirming_an_entry_clears_its_flag(db):
    owner = owner_of(db, industry="clinic", locale="en")
    entries = assistants.get_or_create_assistant(db, principal=owner).knowledge_base
    index = next(i for i, item in enumerate(entries) if "[to fill" in item.answer)
    plain = next(i for i, item in enumerate(entries) if "[to fill" not in item.answer)

    with pytest.raises(Invalid) as refused:
        assistants.confirm_faq(db, principal=owner, index=index)
    assert refused.value.message == knowledge.PLACEHOLDER_LEFT
    with pytest.raises(Invalid):
        assistants.edit_faq(db, principal=owner, index=index, question="Fee?", answer="It is [to fill: fee].")

    confirmed = assistants.confirm_faq(db, principal=owner, index=plain).knowledge_base
    assert not confirmed[plain].review and confirmed[index].review
    edited = assistants.edit_faq(db, principal=owner, index=index, question="Fee?", answer="A first visit is 60 euros.")
    assert not edited.knowledge_base[index].review
    # Moving and deleting keep the other entries' flags.
    moved = assistants.reorder_faq(db, principal=owner, order=[1, 0, *range(2, len(entries))]).knowledge_base
    assert sum(item.review for item in moved) == len(entries) - 2

    reply = ask(test_calls.reply_context(db, principal=owner), "Fee?")
    assert reply == "A first visit is 60 euros."


def test_accepted_website_answers_are_reviewed(db):
    owner = owner_of(db, industry="salon")
    assistants.get_or_create_assistant(db, principal=owner)
    gift_cards = FaqItem(question="Gift cards?", answer="Yes, at the desk.")
    saved = assistants.add_faqs(db, principal=owner, items=[gift_cards])
    assert saved.knowledge_base[-1] == FaqItem(question="Gift cards?", answer="Yes, at the desk.", review=False)
