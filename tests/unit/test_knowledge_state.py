"""The business card of the personalise form in the browser's state: a refused save keeps every typed value and
puts each message, in the page's language, under the field or the service row that caused it."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

from ava_app.i18n import translate_message
from ava_app.services import accounts, assistants, knowledge, rate_limits
from ava_app.services.passwords import hash_password
from ava_app.state.assistant import AssistantFormState
from tests.factories import make_tenant, make_user
from tests.unit.test_state_tenant_isolation import run, state_of

PASSWORD = "tulip-garage-42"


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    importlib.import_module("ava_app.ava_app")


def signed_in_form(db, lang: str, **tenant_fields) -> tuple[AssistantFormState, accounts.AuthResult]:
    tenant = make_tenant(db, industry="salon", **tenant_fields)
    user = make_user(db, tenant=tenant, role="admin", password_hash=hash_password(PASSWORD))
    rate_limits.reset_rate_limits()
    login = accounts.login(db, email=user.email, password=PASSWORD)
    form = state_of(AssistantFormState, SimpleNamespace(admin=login))
    form.lang = lang
    return form, login


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_refused_profile_keeps_what_was_typed(db, lang):
    form, login = signed_in_form(db, lang, locale="fr", country="FR", currency="EUR")
    assert await run(form, "load_form") == []
    assert form.currency_symbol == "€"
    await run(form, "set_address", "x" * 301)
    await run(form, "add_service")
    await run(form, "set_service_field", 0, "name", "Coupe")
    await run(form, "set_service_field", 0, "price", "25,5")
    assert form.services[0]["shown"] == "25,50\xa0€"
    await run(form, "add_service")
    await run(form, "set_service_field", 1, "price", "beaucoup")

    assert (await form._save_form()).refused
    assert form.errors["address"] == translate_message(knowledge.ADDRESS_TOO_LONG, lang)
    assert form.services[0]["error"] == ""
    assert form.services[1]["error"] == " ".join(
        translate_message(message, lang) for message in (knowledge.SERVICE_NAME_MISSING, knowledge.PRICE_NOT_A_NUMBER)
    )
    assert (form.address, form.services[1]["price"]) == ("x" * 301, "beaucoup")  # nothing typed is lost

    await run(form, "set_address", "12 rue de la République")
    await run(form, "remove_service", 1)
    assert not (await form._save_form()).refused
    assert form.errors == {} and form.services[0]["error"] == ""
    principal = accounts.authenticate(db, access_token=login.access_token)
    saved = assistants.get_assistant(db, principal=principal).business_profile
    assert saved["services"] == [{"name": "Coupe", "price": "25.50", "duration": None}]

    # Opened again, the price reads the way the business writes it.
    again, _ = signed_in_form(db, lang)
    again.router = form.router
    await run(again, "load_form")
    assert again.services[0]["price"] == "25,50" and again.address == "12 rue de la République"


async def test_at_most_ten_services(db):
    form, _ = signed_in_form(db, "en")
    await run(form, "load_form")
    for _ in range(12):
        await run(form, "add_service")
    assert len(form.services) == knowledge.MAX_SERVICES
