"""When the browser test call is offered, and what the page starts Vapi's web SDK with."""

from __future__ import annotations

import pytest

from ava_app.services import credentials
from ava_app.services.errors import Forbidden
from ava_app.services.principal import Principal
from ava_app.services.web_calls import web_call_setup
from ava_app.settings import get_settings
from tests.factories import make_assistant, make_tenant, make_user


@pytest.fixture()
def live_vapi(monkeypatch):
    """The platform on a real Vapi account (private and public keys set)."""

    def configure(*, public_key: str = "pub-4f0c") -> None:
        monkeypatch.setenv("AVA_VAPI_API_KEY", "private-9d1e")
        monkeypatch.setenv("AVA_VAPI_PUBLIC_KEY", public_key)
        monkeypatch.setenv("AVA_VAPI_BASE_URL", "https://api.vapi.ai/")
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


def owner_of(db, **assistant_fields):
    tenant = make_tenant(db)
    user = make_user(db, tenant=tenant)
    make_assistant(db, tenant=tenant, **assistant_fields)
    return tenant, Principal(user_id=user.id, tenant_id=tenant.id, role="admin")


def test_sandbox_offers_no_browser_call(db):
    _, owner = owner_of(db, provider_assistant_id="asst-1")
    assert get_settings().vapi_sandbox
    assert web_call_setup(db, principal=owner) is None


def test_a_real_account_with_its_public_key_offers_one(db, live_vapi):
    live_vapi()
    _, owner = owner_of(db, provider_assistant_id="asst-1")

    setup = web_call_setup(db, principal=owner)

    assert setup is not None
    assert (setup.public_key, setup.api_base_url, setup.assistant_id) == ("pub-4f0c", "https://api.vapi.ai", "asst-1")


def test_no_public_key_or_assistant_not_on_vapi_yet_means_no_browser_call(db, live_vapi):
    live_vapi(public_key="")
    _, owner = owner_of(db, provider_assistant_id="asst-1")
    assert web_call_setup(db, principal=owner) is None

    live_vapi()
    _, newcomer = owner_of(db, provider_assistant_id=None)
    assert web_call_setup(db, principal=newcomer) is None


def test_an_organisation_on_its_own_vapi_account_uses_its_own_public_key(db, live_vapi):
    live_vapi()
    tenant, owner = owner_of(db, provider_assistant_id="asst-1")
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret={"api_key": "their-own-key"})
    assert web_call_setup(db, principal=owner) is None  # the platform's public key cannot see their assistant

    secret = {"api_key": "their-own-key", "public_key": "their-pub"}
    credentials.save_credential(db, tenant_id=tenant.id, provider="vapi", secret=secret)
    assert web_call_setup(db, principal=owner).public_key == "their-pub"


def test_viewers_cannot_start_one(db, live_vapi):
    live_vapi()
    tenant, _ = owner_of(db, provider_assistant_id="asst-1")
    viewer = make_user(db, tenant=tenant, role="viewer")
    with pytest.raises(Forbidden):
        web_call_setup(db, principal=Principal(user_id=viewer.id, tenant_id=tenant.id, role="viewer"))
