"""A tenant's own OpenAI key: summaries and test-call replies use it, then the platform's, then the local fallback.

The OpenAI emulator accepts exactly one key, so a reply or summary marked "llm" proves which key reached it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ava_app.models import Call
from ava_app.sandbox.openai.app import create_openai_emulator
from ava_app.services import credentials, post_call, test_calls
from ava_app.services.errors import ProviderError
from ava_app.services.principal import Principal
from ava_app.services.providers import llm
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_call, make_tenant, make_user
from tests.servers import serve_app

TENANT_KEY = "sk-tenant-own-key-3b7e"
PLATFORM_KEY = "sk-platform-key-91c4"
TRANSCRIPT = "AI: Bright Smile Dental, how can I help?\nUser: Hi, I'd like to book a cleaning next Tuesday."


@pytest.fixture()
def openai(engine, monkeypatch) -> Iterator:
    """An OpenAI emulator that accepts only the tenant's key; the platform has no key of its own."""
    app = create_openai_emulator(api_key=TENANT_KEY)
    with serve_app(app) as base_url:
        monkeypatch.setenv("AVA_OPENAI_BASE_URL", base_url + "/v1")
        monkeypatch.setenv("AVA_OPENAI_API_KEY", "")
        get_settings.cache_clear()
        yield app.state.control
    get_settings.cache_clear()


def _owner(db, *, key: str | None) -> Principal:
    tenant = make_tenant(db, name="Bright Smile Dental")
    if key:
        credentials.save_credential(db, tenant_id=tenant.id, provider="openai", secret={"api_key": key})
    user = make_user(db, tenant=tenant, role="admin")
    make_assistant(db, tenant=tenant, knowledge_base=[{"question": "Parking?", "answer": "Behind the building."}])
    return Principal(user_id=user.id, tenant_id=tenant.id, role="admin")


def _pending_call(db, principal: Principal) -> Call:
    from ava_app.models import Tenant

    return make_call(
        db,
        tenant=db.get(Tenant, principal.tenant_id),
        transcript=TRANSCRIPT,
        provider_analysis={},
        summary_status="pending",
        email_status="pending",
    )


def test_the_summary_of_a_tenants_call_uses_its_own_key(db, openai):
    owner = _owner(db, key=TENANT_KEY)
    call = _pending_call(db, owner)

    status = post_call.process_call(db, call_id=call.id)

    stored = db.get(Call, call.id, populate_existing=True)
    assert status.summary_status == "done" and stored.summary_source == "llm"
    assert len(openai.requests) == 1 and openai.requests[0]["response_format"]["type"] == "json_schema"


def test_a_tenant_without_a_key_falls_back_to_the_local_summary(db, openai):
    owner = _owner(db, key=None)
    call = _pending_call(db, owner)

    post_call.process_call(db, call_id=call.id)

    assert db.get(Call, call.id, populate_existing=True).summary_source == "local"
    assert openai.requests == []


def test_a_tenant_without_a_key_uses_the_platforms(db, monkeypatch):
    app = create_openai_emulator(api_key=PLATFORM_KEY)
    with serve_app(app) as base_url:
        monkeypatch.setenv("AVA_OPENAI_BASE_URL", base_url + "/v1")
        monkeypatch.setenv("AVA_OPENAI_API_KEY", PLATFORM_KEY)
        get_settings.cache_clear()
        call = _pending_call(db, _owner(db, key=None))
        post_call.process_call(db, call_id=call.id)
    get_settings.cache_clear()

    assert db.get(Call, call.id, populate_existing=True).summary_source == "llm"
    assert len(app.state.control.requests) == 1


async def test_test_call_replies_use_the_tenants_key_without_holding_it(db, openai):
    owner = _owner(db, key=TENANT_KEY)
    context = test_calls.reply_context(db, principal=owner)

    reply = test_calls.stream_reply(assistant=context, conversation=[{"role": "user", "content": "Parking?"}])

    # The page keeps the context in its state: it names the tenant, never the key.
    assert TENANT_KEY not in repr(context)
    assert (context["tenant_id"], context["reply_source"]) == (owner.tenant_id, "llm")
    assert reply.source == "llm"
    # The emulator answers from the facts of the prompt, as the model would.
    assert await reply.text() == "Emulated reply: Behind the building."


async def test_test_call_replies_are_local_when_no_key_resolves(db, openai):
    context = test_calls.reply_context(db, principal=_owner(db, key=None))

    reply = test_calls.stream_reply(assistant=context, conversation=[{"role": "user", "content": "Parking?"}])

    assert context["reply_source"] == "local" and reply.source == "local"
    assert await reply.text() == "Behind the building."
    assert openai.requests == []


async def test_a_key_removed_during_a_test_call_is_said_not_faked(db, openai):
    owner = _owner(db, key=TENANT_KEY)
    context = test_calls.reply_context(db, principal=owner)
    credentials.delete_credential(db, tenant_id=owner.tenant_id, provider="openai")

    reply = test_calls.stream_reply(assistant=context, conversation=[{"role": "user", "content": "Parking?"}])

    with pytest.raises(ProviderError) as error:
        await reply.text()
    assert error.value.code == "openai_not_configured"


async def test_an_explicit_access_wins_and_clients_are_kept_per_key(openai):
    access = llm.openai_access(tenant_key=TENANT_KEY)

    summary = await llm.summarise_call(transcript=TRANSCRIPT, language="en", access=access)

    assert summary.source == "llm" and access.owner == "tenant"
    assert llm.openai_client(access) is llm.openai_client(access)
    assert llm.openai_client(access) is not llm.openai_client(llm.openai_access(tenant_key="sk-other-tenant"))
    with pytest.raises(ProviderError):
        llm.openai_client()  # the platform has no key here
