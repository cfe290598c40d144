"""Onboarding progress: steps, industry choice applying its preset, completion putting the assistant on Vapi."""

from __future__ import annotations

import pytest

from ava_app.models import PhoneNumber, Tenant
from ava_app.services import assistants, onboarding, phone_numbers
from ava_app.services.assistants import AssistantUpdate
from ava_app.services.errors import Forbidden, Invalid, ProviderUnavailable
from ava_app.services.phone_numbers import NumberChoice
from tests.factories import make_call
from tests.unit.test_assistants import principal_for, providers

__all__ = ["providers"]


def test_a_new_organisation_starts_at_the_welcome_step(db):
    owner = principal_for(db)
    progress = onboarding.get_progress(db, principal=owner)
    assert progress.step == 1 and progress.done_steps == [] and progress.steps[0] == "welcome"
    assert (progress.industry, progress.number, progress.test_call_done, progress.completed) == (
        None,
        None,
        False,
        False,
    )


def test_choosing_an_industry_applies_its_preset_once(db):
    owner = principal_for(db, name="Garage Martin")
    progress = onboarding.set_step(db, principal=owner, step=3, industry="garage", locale="fr")
    assert progress.step == 3 and progress.industry == "garage" and progress.done_steps == [1, 2]
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    assert assistant.first_message.startswith("Bonjour, Garage Martin") and assistant.language == "fr"

    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(first_message="Garage Martin, bonjour !"))
    onboarding.set_step(db, principal=owner, step=2, industry="garage", locale="fr")
    assert assistants.get_or_create_assistant(db, principal=owner).first_message == "Garage Martin, bonjour !"

    with pytest.raises(Invalid):
        onboarding.set_step(db, principal=owner, step=7)
    assert onboarding.set_step(db, principal=owner, step=6).step == 6, "the sixth step: how calls reach AVA"
    onboarding.set_step(db, principal=owner, step=3)
    with pytest.raises(Invalid):
        onboarding.set_step(db, principal=owner, step=2, industry="spaceport")
    viewer = principal_for(db, role="viewer", tenant=db.get(Tenant, owner.tenant_id))
    with pytest.raises(Forbidden):
        onboarding.set_step(db, principal=viewer, step=4)
    assert onboarding.get_progress(db, principal=viewer).industry == "garage"


def test_complete_needs_an_industry_but_a_number_can_wait(db, providers):
    owner = principal_for(db)
    with pytest.raises(Invalid) as caught:
        onboarding.complete_onboarding(db, principal=owner)
    assert caught.value.code == "onboarding_incomplete"
    onboarding.set_step(db, principal=owner, step=3, industry="salon", locale="en")

    progress = onboarding.complete_onboarding(db, principal=owner)  # "skip for now" at the number step

    assert progress.completed and progress.number is None
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    assert assistant.sync_status == "synced" and assistant.provider_assistant_id
    number = phone_numbers.provision_number(db, principal=owner, choice=NumberChoice(kind="vapi_free", area_code="415"))
    assert db.get(PhoneNumber, number.id).assistant_id == assistant.id


def test_complete_puts_the_assistant_on_vapi_and_routes_the_number(db, providers):
    owner = principal_for(db, name="Paws & Co")
    onboarding.set_step(db, principal=owner, step=3, industry="veterinary", locale="en")
    number = phone_numbers.provision_number(db, principal=owner, choice=NumberChoice(kind="vapi_free", area_code="212"))
    db.get(PhoneNumber, number.id).assistant_id = None  # e.g. imported before the assistant existed
    db.commit()

    progress = onboarding.complete_onboarding(db, principal=owner)

    assert progress.completed and progress.completed_at is not None and progress.step == 6
    assert progress.done_steps == [1, 2, 3, 4, 6] and progress.number == number.e164
    db.expire_all()
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    assert assistant.sync_status == "synced" and assistant.provider_assistant_id
    row = db.get(PhoneNumber, number.id)
    assert row.assistant_id == assistant.id and row.sync_status == "synced"
    remote = providers.vapi_get(f"/phone-number/{row.provider_number_id}").json()
    assert remote["server"]["url"] == providers.base_url + "/api/v1/webhooks/vapi"
    assert (
        providers.vapi_get(f"/assistant/{assistant.provider_assistant_id}")
        .json()["firstMessage"]
        .startswith("Hello, Paws & Co")
    )

    make_call(db, tenant=db.get(Tenant, owner.tenant_id), call_type="web")
    assert onboarding.get_progress(db, principal=owner).done_steps == [1, 2, 3, 4, 5, 6]


def test_complete_with_vapi_down_leaves_the_wizard_open(db, providers):
    owner = principal_for(db)
    onboarding.set_step(db, principal=owner, step=3, industry="fitness", locale="en")
    phone_numbers.provision_number(db, principal=owner, choice=NumberChoice(kind="vapi_free", area_code="305"))
    providers.down.add("vapi")
    with pytest.raises(ProviderUnavailable):
        onboarding.complete_onboarding(db, principal=owner)
    db.expire_all()
    progress = onboarding.get_progress(db, principal=owner)
    assert not progress.completed and progress.assistant_sync_status == "failed"
    providers.down.clear()
    assert onboarding.complete_onboarding(db, principal=owner).completed
