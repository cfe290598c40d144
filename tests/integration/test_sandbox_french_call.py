"""A French business's simulated call: the Vapi emulator plays it in French, and AVA's tools answer in French.

The assistant is French (as onboarding a French business makes it), synced by AVA to the sandbox Vapi, whose scripted
caller and assistant then speak French; AVA stores the call's French transcript from the end-of-call report.
"""

from __future__ import annotations

from sqlmodel import select

from ava_app.models import Call
from ava_app.sandbox.vapi.app import simulate_call
from ava_app.services import assistants
from ava_app.services.providers.vapi import BUILTIN_TOOLS
from tests.factories import make_assistant, make_phone_number, make_tenant
from tests.integration.test_sandbox_tool_calls import ALWAYS_OPEN, _line_after_tool, ava

__all__ = ["ava"]

TARIFS = "Une coupe femme coûte 35 €, une coupe homme 22 €."


async def test_a_french_business_gets_a_french_simulated_call_and_transcript(db, ava, jobs):
    tenant = make_tenant(db, name="Salon Élise", locale="fr", country="FR", timezone="Europe/Paris")
    assistant = make_assistant(
        db,
        tenant=tenant,
        language="fr",
        voice_provider="azure",
        voice_id="fr-FR-DeniseNeural",
        first_message="Bonjour, Salon Élise, Ava à l'appareil. Que puis-je faire pour vous ?",
        end_call_message="Merci d'avoir appelé Salon Élise, à bientôt !",
        knowledge_base=[{"question": "Quels sont vos tarifs ?", "answer": TARIFS}],
        enabled_integrations=list(BUILTIN_TOOLS),
    )
    make_phone_number(db, tenant=tenant, assistant_id=assistant.id, business_hours=ALWAYS_OPEN)
    synced = assistants.sync_assistant(db, tenant_id=tenant.id, assistant_id=assistant.id)
    assert synced.sync_status == "synced", synced.sync_error

    call = await simulate_call(ava, intent="question", assistant_id=synced.provider_assistant_id, speed=0)

    transcript = call["artifact"]["transcript"]
    assert transcript.splitlines() == [
        "AI: Bonjour, Salon Élise, Ava à l'appareil. Que puis-je faire pour vous ?",
        "User: Bonjour, une petite question. Quels sont vos tarifs ?",
        "AI: Je vérifie pour vous.",
        f"AI: {TARIFS}",
        "User: Très bien. Et vous êtes ouverts en ce moment ?",
        "AI: Ouvert en ce moment. Horaires du jour : 0 h–24 h.",
        "User: Parfait, c'est tout ce qu'il me fallait. Merci !",
        "AI: Merci d'avoir appelé Salon Élise, à bientôt !",
    ]
    hours_result, hours_line = _line_after_tool(call, "check_business_hours")
    assert hours_result == hours_line
    assert call["analysis"]["summary"].endswith("L'assistante a répondu à partir de la base de connaissances.")
    db.expire_all()
    stored = db.exec(select(Call).where(Call.provider_call_id == call["id"])).one()
    assert stored.tenant_id == tenant.id and stored.transcript == transcript


async def test_a_french_message_is_taken_in_french(db, ava, jobs):
    tenant = make_tenant(db, name="Garage Martin", locale="fr", timezone="Europe/Paris")
    assistant = make_assistant(
        db,
        tenant=tenant,
        language="fr",
        first_message="Garage Martin, bonjour !",
        enabled_integrations=["take_message"],
        data_fields=[{"key": "reason", "label": "Motif de l'appel", "type": "string"}],
    )
    synced = assistants.sync_assistant(db, tenant_id=tenant.id, assistant_id=assistant.id)

    call = await simulate_call(ava, intent="complaint", assistant_id=synced.provider_assistant_id, speed=0)

    result, line = _line_after_tool(call, "take_message")
    assert result.startswith("Message enregistré pour l'équipe.")
    assert "J'ai enregistré votre réclamation" in line
    db.expire_all()
    stored = db.exec(select(Call).where(Call.provider_call_id == call["id"])).one()
    assert stored.data_fields["reason"] == "réclamation pour double débit"
    assert stored.data_fields["message"].startswith("A été débité deux fois")
