"""The assistant service: presets, validation, FAQ, versions, and sync to the Vapi emulator (incl. an outage).

The ``providers`` fixture (also used by the phone-number and onboarding tests) serves the Vapi and Twilio emulators on
a real port at ``/sandbox/vapi`` and ``/sandbox/twilio`` and points ``AVA_PUBLIC_URL`` there, so the product's own
clients reach them exactly as in sandbox mode. ``providers.down`` takes Vapi down (503) for outage tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount

from ava_app.models import AssistantVersion, Tenant
from ava_app.sandbox.twilio.app import create_twilio_emulator
from ava_app.sandbox.vapi.app import REDACTED, create_vapi_emulator
from ava_app.services import assistants, bookings
from ava_app.services.assistants import AssistantUpdate, DataFieldIn, FaqItem
from ava_app.services.errors import Forbidden, Invalid, NotFound
from ava_app.services.principal import Principal
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.services.providers.vapi import BOOKING_TOOLS, reset_circuit_breakers
from ava_app.settings import get_settings
from tests.factories import make_phone_number, make_tenant, make_user
from tests.servers import serve_app

TENANT_TWILIO_SID = "AC" + "5a" * 16
TENANT_TWILIO_TOKEN = "5a" * 16


@dataclass
class Providers:
    """The running emulators: where they are, their state, and which provider is down."""

    base_url: str
    twilio: Any
    down: set[str] = field(default_factory=set)
    refused: dict[str, int] = field(default_factory=dict)
    vapi: Any = None

    def vapi_get(self, path: str) -> httpx.Response:
        """Read the Vapi emulator's state with the sandbox key, as the Vapi dashboard would show it."""
        return httpx.get(
            f"{self.base_url}/sandbox/vapi{path}", headers={"Authorization": f"Bearer {sandbox_keys().vapi_api_key}"}
        )

    def vapi_stored(self, kind: str, object_id: str) -> dict:
        """What the Vapi emulator keeps (its REST answers hide the webhook secrets AVA pushes)."""
        return self.vapi.state.sandbox.store.get(kind, object_id)


class _Outage:
    """Answers 503 (``Retry-After: 0``, so client retries do not wait) for a provider listed in ``down``."""

    def __init__(self, app: Any, down: set[str], refused: dict[str, int]) -> None:
        self.app, self.down, self.refused = app, down, refused

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        name = next((name for name in self.down if path.startswith(f"/sandbox/{name}")), None)
        if scope["type"] == "http" and name is not None:
            self.refused[name] = self.refused.get(name, 0) + 1
            response = JSONResponse({"message": "Service Unavailable", "statusCode": 503}, status_code=503)
            response.headers["Retry-After"] = "0"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


@pytest.fixture()
def providers(engine, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[Providers]:
    """Both emulators on a real port, in sandbox mode, with a tenant-owned Twilio account registered."""
    for name in ("AVA_VAPI_API_KEY", "AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN"):
        monkeypatch.setenv(name, "")
    vapi_app = create_vapi_emulator(
        db_path=tmp_path / "vapi.db", public_base_url="http://vapi.invalid", auto_simulate=False
    )
    twilio_app = create_twilio_emulator(db_path=tmp_path / "twilio.db")
    twilio_app.state.emulator.add_account(TENANT_TWILIO_SID, TENANT_TWILIO_TOKEN)
    down: set[str] = set()
    refused: dict[str, int] = {}
    routes = [Mount("/sandbox/vapi", vapi_app), Mount("/sandbox/twilio", twilio_app)]
    app = _Outage(Starlette(routes=routes), down, refused)
    # Breakers are per Vapi account and process-wide: a port reused from an earlier test must not start open.
    reset_circuit_breakers()
    with serve_app(app) as base_url:
        monkeypatch.setenv("AVA_PUBLIC_URL", base_url)
        get_settings.cache_clear()
        yield Providers(base_url=base_url, twilio=twilio_app.state.emulator, down=down, refused=refused, vapi=vapi_app)
    get_settings.cache_clear()
    reset_circuit_breakers()


def principal_for(session, *, role: str = "admin", tenant: Tenant | None = None, **tenant_fields) -> Principal:
    """A member of ``tenant`` (or of a new one) with ``role``."""
    tenant = tenant or make_tenant(session, **tenant_fields)
    user = make_user(session, tenant=tenant, role=role)
    return Principal(user_id=user.id, tenant_id=tenant.id, role=role)


# --- creating and presets ---------------------------------------------------------------------------------------


def test_first_visit_creates_the_assistant_from_the_industry_preset(db):
    owner = principal_for(db, name="Bright Smile", industry="clinic", locale="fr")

    created = assistants.get_or_create_assistant(db, principal=owner)

    assert created.industry == "clinic" and created.language == "fr"
    assert created.first_message.startswith("Bonjour, vous êtes bien chez Bright Smile")
    assert 5 <= len(created.knowledge_base) <= 10
    assert {f["key"] for f in created.data_fields} >= {"patient_name", "reason", "urgency", "preferred_slot"}
    assert created.voice_provider == "azure" and created.voice_id.startswith("fr-FR")
    assert created.sync_status == "pending" and created.version == 1
    assert assistants.get_or_create_assistant(db, principal=owner).id == created.id


def test_viewers_read_but_never_create_or_change(db):
    owner = principal_for(db)
    viewer = principal_for(db, role="viewer", tenant=db.get(Tenant, owner.tenant_id))
    with pytest.raises(Forbidden):
        assistants.get_or_create_assistant(db, principal=viewer)
    assistants.get_or_create_assistant(db, principal=owner)
    assert assistants.get_or_create_assistant(db, principal=viewer).name == "Ava"
    with pytest.raises(Forbidden):
        assistants.update_assistant(db, principal=viewer, changes=AssistantUpdate(name="Eve"))


def test_apply_preset_switches_industry_in_one_version(db):
    owner = principal_for(db, name="Chez Luigi")
    assistants.get_or_create_assistant(db, principal=owner)

    applied = assistants.apply_preset(db, principal=owner, industry="restaurant", locale="en")

    assert applied.industry == "restaurant" and applied.version == 2
    assert applied.first_message == "Hi, thanks for calling Chez Luigi! This is Ava. Would you like to book a table?"
    assert "party_size" in {f["key"] for f in applied.data_fields}
    assert "groups of more than 10" in applied.conversation_rules
    assert db.get(Tenant, owner.tenant_id).industry == "restaurant"
    with pytest.raises(NotFound):
        assistants.apply_preset(db, principal=owner, industry="spaceport", locale="en")


# --- validation -------------------------------------------------------------------------------------------------


def test_validation_names_every_bad_field_in_plain_english(db):
    owner = principal_for(db)
    changes = AssistantUpdate(
        first_message="  ",
        max_duration_seconds=30,
        knowledge_base=[FaqItem(question="Parking?", answer=""), FaqItem(question="", answer="Yes")],
        summary_recipients=["owner@example.com", "not-an-email"],
        data_fields=[DataFieldIn(key="Patient Name", label="", type="colour")],
        tone="grumpy",
    )
    with pytest.raises(Invalid) as caught:
        assistants.update_assistant(db, principal=owner, changes=changes)

    fields = caught.value.details["fields"]
    assert fields["first_message"] == "The greeting is required."
    assert fields["max_duration_seconds"].startswith("The maximum call length must be between 60 and 3600 seconds")
    assert fields["knowledge_base.0.answer"] == "The answer to question 1 is empty."
    assert fields["knowledge_base.1.question"] == "Question 2 is empty."
    assert fields["summary_recipients.1"] == "'not-an-email' is not a valid email address."
    assert set(fields) >= {"data_fields.0.key", "data_fields.0.label", "data_fields.0.type", "tone"}
    assert assistants.get_or_create_assistant(db, principal=owner).version == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_message": "x" * 501}, "first_message", "The greeting can be at most 500 characters (it has 501)."),
        ({"max_duration_seconds": 3601}, "max_duration_seconds", None),
        ({"name": None}, "name", "This field cannot be empty."),
        ({"voice_provider": "vapi", "voice_id": "Nobody"}, "voice_id", None),
        ({"language": "fr", "voice_provider": "vapi", "voice_id": "Elliot"}, "voice_id", None),
        ({"enabled_integrations": ["book_rocket"]}, "enabled_integrations", None),
        ({"summary_recipients": [f"o{i}@example.com" for i in range(11)]}, "summary_recipients", None),
    ],
)
def test_each_rule(db, changes, field, message):
    owner = principal_for(db)
    with pytest.raises(Invalid) as caught:
        assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(**changes))
    assert field in caught.value.details["fields"]
    if message:
        assert caught.value.details["fields"][field] == message


def test_valid_values_are_cleaned(db):
    owner = principal_for(db)
    saved = assistants.update_assistant(
        db,
        principal=owner,
        changes=AssistantUpdate(
            first_message="  Hello!  ",
            max_duration_seconds=60,
            summary_recipients=[" Owner@Example.com", "owner@example.com"],
            language="fr",
            voice_provider="11labs",
            voice_id="21m00Tcm4TlvDq8ikWAM",
        ),
    )
    assert saved.first_message == "Hello!"
    assert saved.summary_recipients == ["owner@example.com"]
    assert (saved.language, saved.voice_provider) == ("fr", "11labs")


# --- FAQ --------------------------------------------------------------------------------------------------------


def test_faq_add_edit_reorder_delete(db):
    owner = principal_for(db)
    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(knowledge_base=[]))
    assistants.add_faq(db, principal=owner, question="Parking?", answer="Behind the building.")
    assistants.add_faq(db, principal=owner, question="Cards?", answer="Yes, all cards.")
    edited = assistants.edit_faq(db, principal=owner, index=1, question="Do you take cards?", answer="Yes.")
    assert [item.question for item in edited.knowledge_base] == ["Parking?", "Do you take cards?"]
    reordered = assistants.reorder_faq(db, principal=owner, order=[1, 0])
    assert [item.question for item in reordered.knowledge_base] == ["Do you take cards?", "Parking?"]
    with pytest.raises(Invalid):
        assistants.reorder_faq(db, principal=owner, order=[0, 0])
    with pytest.raises(NotFound):
        assistants.delete_faq(db, principal=owner, index=5)
    remaining = assistants.delete_faq(db, principal=owner, index=0)
    assert [item.question for item in remaining.knowledge_base] == ["Parking?"]
    with pytest.raises(Invalid) as caught:
        assistants.add_faq(db, principal=owner, question="Empty?", answer=" ")
    assert caught.value.details["fields"] == {"knowledge_base.1.answer": "The answer to question 2 is empty."}


PASTED = """Frequently asked questions

Q: Do you have parking?
A: Yes, free parking
behind the building.

Question: Are you open on Sundays? Answer: No, we are closed on Sundays.
- What is the cancellation policy? 24 hours' notice, please.
2. Do you take new patients? Yes, always.
Q: Orphan question without answer

Réponse: stray answer
"""


def test_parse_faq_text_reads_blocks_inline_pairs_and_question_lines():
    parsed = assistants.parse_faq_text(PASTED)
    assert [(item.question, item.answer) for item in parsed] == [
        ("Do you have parking?", "Yes, free parking behind the building."),
        ("Are you open on Sundays?", "No, we are closed on Sundays."),
        ("What is the cancellation policy?", "24 hours' notice, please."),
        ("Do you take new patients?", "Yes, always."),
    ]
    with pytest.raises(Invalid) as caught:
        assistants.parse_faq_text("just some words\nwithout questions")
    assert "Question? Answer" in caught.value.message


def test_import_faq_appends_or_replaces(db):
    owner = principal_for(db)
    before = len(assistants.get_or_create_assistant(db, principal=owner).knowledge_base)
    appended = assistants.import_faq(db, principal=owner, text=PASTED)
    assert len(appended.knowledge_base) == before + 4
    replaced = assistants.import_faq(db, principal=owner, text="Open late? Until 9 pm.", replace=True)
    assert [item.answer for item in replaced.knowledge_base] == ["Until 9 pm."]


# --- versions ---------------------------------------------------------------------------------------------------


def test_each_save_keeps_the_previous_state_and_restore_brings_it_back(db):
    owner = principal_for(db)
    first = assistants.get_or_create_assistant(db, principal=owner)
    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(first_message="Version two"))
    third = assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(first_message="Version three"))
    # Saving the same values again is not a new version.
    same = assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(first_message="Version three"))
    assert third.version == same.version == 3

    versions = assistants.list_versions(db, principal=owner)
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].snapshot["first_message"] == "Version two"
    assert versions[1].snapshot["first_message"] == first.first_message
    assert versions[0].created_by_id == owner.user_id

    restored = assistants.restore_version(db, principal=owner, version=1)
    assert restored.first_message == first.first_message and restored.version == 4
    assert restored.sync_status == "pending"
    assert [v.version for v in assistants.list_versions(db, principal=owner)] == [3, 2, 1]
    with pytest.raises(NotFound):
        assistants.restore_version(db, principal=owner, version=42)


def test_versions_and_assistants_of_other_tenants_are_invisible(db):
    owner = principal_for(db)
    other = principal_for(db)
    theirs = assistants.get_or_create_assistant(db, principal=other)
    assistants.update_assistant(db, principal=other, changes=AssistantUpdate(name="Theirs"))
    assert assistants.list_versions(db, principal=owner) == []
    with pytest.raises(NotFound):
        assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(name="Mine"), assistant_id=theirs.id)
    with pytest.raises(NotFound):
        assistants.restore_version(db, principal=owner, version=1)
    assert db.query(AssistantVersion).filter_by(tenant_id=owner.tenant_id).count() == 0


# --- sync to Vapi -----------------------------------------------------------------------------------------------


def test_saving_syncs_to_vapi_through_the_job(db, providers, jobs):
    owner = principal_for(db, name="Bright Smile", industry="clinic")

    saved = assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(first_message="Hello there!"))

    db.expire_all()  # the job wrote through its own session
    current = assistants.get_or_create_assistant(db, principal=owner)
    assert saved.sync_status == "pending"
    assert current.sync_status == "synced" and current.sync_error is None and current.provider_assistant_id
    remote = providers.vapi_get(f"/assistant/{current.provider_assistant_id}").json()
    assert remote["firstMessage"] == "Hello there!"
    assert remote["server"]["url"] == providers.base_url + "/api/v1/webhooks/vapi"
    assert remote["server"]["headers"]["X-Vapi-Secret"] == REDACTED  # never handed back to whoever reads it
    stored = providers.vapi_stored("assistant", current.provider_assistant_id)
    assert stored["server"]["headers"]["X-Vapi-Secret"] == get_settings().vapi_webhook_secret
    assert remote["metadata"] == {"avaTenantId": str(owner.tenant_id), "avaAssistantId": str(current.id)}

    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(name="Clara"))
    db.expire_all()
    again = assistants.get_or_create_assistant(db, principal=owner)
    assert again.provider_assistant_id == current.provider_assistant_id
    assert providers.vapi_get(f"/assistant/{again.provider_assistant_id}").json()["name"] == "Clara"
    assert len(providers.vapi_get("/assistant").json()) == 1


def test_provider_outage_keeps_the_change_marks_failed_and_retry_syncs(db, providers, jobs):
    owner = principal_for(db)
    providers.down.add("vapi")

    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(first_message="Saved while down"))

    db.expire_all()  # the job wrote through its own session
    kept = assistants.get_or_create_assistant(db, principal=owner)
    assert kept.first_message == "Saved while down"
    assert kept.sync_status == "failed"
    assert kept.sync_error == assistants.SYNC_UNAVAILABLE_MESSAGE
    assert kept.provider_assistant_id is None
    # The job failed and huey scheduled its retry with backoff.
    assert len(jobs.scheduled()) >= 1

    still_down = assistants.retry_sync(db, principal=owner)
    assert still_down.sync_status == "failed"

    providers.down.clear()
    retried = assistants.retry_sync(db, principal=owner)
    assert retried.sync_status == "synced" and retried.sync_error is None
    remote = providers.vapi_get(f"/assistant/{retried.provider_assistant_id}").json()
    assert remote["firstMessage"] == "Saved while down"


def test_repeated_outages_open_the_accounts_breaker_for_every_tenant_on_it(db, providers, jobs):
    first, second = principal_for(db), principal_for(db)
    for owner in (first, second):
        assistants.get_or_create_assistant(db, principal=owner)
    providers.down.add("vapi")

    # Each sync builds a fresh client, as every provider operation does; the breaker is the account's.
    for _ in range(5):
        assert assistants.retry_sync(db, principal=first).sync_status == "failed"
    reached = providers.refused["vapi"]
    refused_fast = assistants.retry_sync(db, principal=second)

    assert providers.refused["vapi"] == reached, "an open breaker does not call Vapi at all"
    assert refused_fast.sync_status == "failed"
    assert refused_fast.sync_error == assistants.SYNC_UNAVAILABLE_MESSAGE

    providers.down.clear()
    reset_circuit_breakers()  # what its reset timeout (30 s) would do
    assert assistants.retry_sync(db, principal=second).sync_status == "synced"


def test_sync_declares_the_builtin_tools_and_a_real_transfer_to_the_forwarding_number(db, providers, jobs):
    owner = principal_for(db, name="Bright Smile", industry="clinic")
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    tenant = db.get(Tenant, owner.tenant_id)
    make_phone_number(db, tenant=tenant, assistant_id=assistant.id, forwarding_number="+14155550100")
    make_phone_number(db, tenant=tenant, assistant_id=assistant.id, forwarding_number=None)

    synced = assistants.retry_sync(db, principal=owner)

    remote = providers.vapi_get(f"/assistant/{synced.provider_assistant_id}").json()
    tools = remote["model"]["tools"]
    names = [tool["function"]["name"] if tool["type"] == "function" else tool["type"] for tool in tools]
    assert names == ["check_business_hours", "take_message", "transferCall", "lookup_faq"]
    assert [d["number"] for d in tools[2]["destinations"]] == ["+14155550100"]
    secret = get_settings().vapi_webhook_secret
    stored = providers.vapi_stored("assistant", synced.provider_assistant_id)["model"]["tools"]
    assert all(tool["server"]["headers"] == {"X-Vapi-Secret": secret} for tool in stored if tool["type"] == "function")

    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(enabled_integrations=["lookup_faq"]))
    db.expire_all()
    remote = providers.vapi_get(f"/assistant/{synced.provider_assistant_id}").json()
    assert [tool["function"]["name"] for tool in remote["model"]["tools"]] == ["lookup_faq"]


def test_sync_declares_the_booking_tools_and_rule_while_the_business_takes_bookings(db, providers, jobs):
    owner = principal_for(db, name="Salon Lumière", industry="clinic")
    assistants.get_or_create_assistant(db, principal=owner)
    bookings.save_booking_rules(
        db,
        tenant_id=owner.tenant_id,
        enabled=True,
        min_notice_minutes=60,
        horizon_days=30,
        granularity_minutes=30,
        max_per_day=None,
    )
    db.commit()

    synced = assistants.retry_sync(db, principal=owner)

    remote = providers.vapi_get(f"/assistant/{synced.provider_assistant_id}").json()
    names = [tool["function"]["name"] for tool in remote["model"]["tools"] if tool["type"] == "function"]
    assert names[-5:] == list(BOOKING_TOOLS)
    assert "check_availability" in remote["model"]["messages"][0]["content"]


def test_assistant_deleted_at_vapi_is_recreated(db, providers, jobs):
    owner = principal_for(db)
    assistants.update_assistant(db, principal=owner, changes=AssistantUpdate(name="Nova"))
    db.expire_all()
    first_id = assistants.get_or_create_assistant(db, principal=owner).provider_assistant_id
    httpx.delete(
        f"{providers.base_url}/sandbox/vapi/assistant/{first_id}",
        headers={"Authorization": f"Bearer {sandbox_keys().vapi_api_key}"},
    )
    synced = assistants.retry_sync(db, principal=owner)
    assert synced.sync_status == "synced" and synced.provider_assistant_id != first_id
