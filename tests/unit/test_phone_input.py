"""Phone numbers as people type them: read in the business's country ("06 12 34 56 78" in France, "(212) 555-0199"
in the US), stored in E.164, refused with an example of that country, shown national at home and international
elsewhere; the SMS login reads them in the browser's country, or asks for the country code."""

from __future__ import annotations

import importlib

import pytest
import reflex as rx
from reflex.istate.data import HeaderData, RouterData

from ava_app.i18n import translate_message
from ava_app.models import PhoneNumber, Tenant, User, utcnow
from ava_app.services import accounts, phone_input, phone_numbers, phones, rate_limits
from ava_app.services.errors import Invalid
from ava_app.services.messaging.templates import render
from ava_app.services.passwords import hash_password
from ava_app.services.phone_numbers import NumberConfig
from ava_app.state.account import LoginState, PhoneState
from ava_app.state.phone_numbers import PhoneNumbersState
from tests.factories import make_phone_number, make_tenant, make_user
from tests.unit.test_accounts import FakeSmsVerifier
from tests.unit.test_assistants import principal_for, providers
from tests.unit.test_state_tenant_isolation import browser_cookie, run

__all__ = ["providers"]

PASSWORD = "tulip-garage-42"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


@pytest.fixture()
def sms() -> FakeSmsVerifier:
    return FakeSmsVerifier()


# --- reading what was typed ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("(212) 555-0199", "US", "+12125550199"),
        ("212-555-0199", "US", "+12125550199"),
        ("+44 20 7946 0958", "FR", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("+33 6 12 34 56 78", "US", "+33612345678"),
    ],
)
def test_a_number_is_read_in_the_business_country(typed, country, e164):
    assert phone_input.read(typed, country) == e164


@pytest.mark.parametrize(
    ("country", "example"),
    [("US", "(201) 555-0123"), ("FR", "06 12 34 56 78"), ("GB", "07400 123456")],
)
@pytest.mark.parametrize("typed", ["banana", "12", "+999 1234567", "+1 800 FLOWERS", ""])
def test_garbage_is_refused_with_an_example_of_the_country(typed, country, example):
    with pytest.raises(Invalid) as refused:
        phone_input.read(typed, country, field="forwarding_number")
    message = refused.value.details["fields"]["forwarding_number"]
    assert message == f"Enter a phone number, e.g. {example}."
    assert translate_message(message, "fr") == f"Saisissez un numéro de téléphone, ex. {example}."


def test_every_country_message_has_its_french_text():
    for country, message in phone_input.format_messages().items():
        assert translate_message(message, "fr").startswith("Saisissez un numéro de téléphone, ex. "), country
        assert phones.example(country) in translate_message(message, "fr")


def test_without_a_country_only_an_international_number_is_read():
    assert phone_input.read("+33 6 12 34 56 78", None) == "+33612345678"
    assert phone_input.read("00 1 212 555 0199", None) == "+12125550199"
    for national in ("06 12 34 56 78", "(212) 555-0199"):
        with pytest.raises(Invalid) as refused:
            phone_input.read(national, None)
        assert refused.value.details["fields"]["phone"] == phone_input.INTERNATIONAL_MESSAGE
    assert translate_message(phone_input.INTERNATIONAL_MESSAGE, "fr") == (
        "Saisissez le numéro avec son indicatif pays, commençant par +, ex. +1 201-555-0123."
    )


def test_the_browser_language_names_the_login_country():
    assert phone_input.country_of_locale("fr-FR") == "FR"
    assert phone_input.country_of_locale("en_US") == "US"
    assert phone_input.country_of_locale("zh-Hant-TW") == "TW"
    assert phone_input.country_of_locale("fr") is None
    assert phone_input.country_of_locale("en-XX") is None
    assert phone_input.country_of_locale("") is None


def test_display_is_national_at_home_and_international_elsewhere():
    assert phones.display("+12125550199", "US") == "(212) 555-0199"
    assert phones.display("+12125550199", "FR") == "+1 212-555-0199"
    assert phones.display("+33612345678", "FR") == "06 12 34 56 78"
    assert phones.display("+33612345678", "US") == "+33 6 12 34 56 78"


# --- the profile phone --------------------------------------------------------------------------------------------


def test_the_profile_phone_is_read_in_the_organisation_country(db, sms):
    french = principal_for(db, country="FR")
    american = principal_for(db, country="US")

    assert accounts.send_phone_code(db, principal=french, phone="06 12 34 56 78", verifier=sms) == "+33612345678"
    me = accounts.confirm_phone(db, principal=french, phone="06 12 34 56 78", code="123456", verifier=sms)
    assert me.phone == "+33612345678" and me.phone_verified
    # The confirmed number, typed again the national way, is the same number.
    assert accounts.update_profile(db, principal=french, phone="06 12 34 56 78").phone == "+33612345678"

    assert accounts.send_phone_code(db, principal=american, phone="(212) 555-0199", verifier=sms) == "+12125550199"
    assert accounts.send_phone_code(db, principal=american, phone="+44 20 7946 0958", verifier=sms) == ("+442079460958")
    with pytest.raises(Invalid) as refused:
        accounts.send_phone_code(db, principal=american, phone="555", verifier=sms)
    assert refused.value.details["fields"]["phone"] == "Enter a phone number, e.g. (201) 555-0123."
    assert sms.sent == ["+33612345678", "+12125550199", "+442079460958"]


# --- the SMS login ------------------------------------------------------------------------------------------------


def test_the_sms_login_reads_a_national_number_in_the_browser_country(db, sms):
    owner = principal_for(db, country="FR")
    accounts.send_phone_code(db, principal=owner, phone="+33612345678", verifier=sms)
    accounts.confirm_phone(db, principal=owner, phone="+33612345678", code="123456", verifier=sms)
    sms.sent.clear()

    assert accounts.send_sms_code(db, phone="06 12 34 56 78", verifier=sms, country="fr") == "+33612345678"
    assert sms.sent == ["+33612345678"]
    result = accounts.login_with_sms_code(db, phone="06 12 34 56 78", code="123456", verifier=sms, country="FR")
    assert result.user_id == owner.user_id

    # No country from the browser: a national number cannot be told apart, the country code is asked for.
    with pytest.raises(Invalid) as refused:
        accounts.send_sms_code(db, phone="06 12 34 56 78", verifier=sms)
    assert refused.value.details["fields"]["phone"] == phone_input.INTERNATIONAL_MESSAGE
    # Read in another country, the same digits are another number, which no account has: nothing is texted.
    assert accounts.send_sms_code(db, phone="06 12 34 56 78", verifier=sms, country="GB") != "+33612345678"
    assert sms.sent == ["+33612345678"]


# --- forwarding numbers -------------------------------------------------------------------------------------------


def test_the_forwarding_number_is_read_in_the_business_country(db):
    american = principal_for(db, country="US")
    french = principal_for(db, country="FR")
    us_line = make_phone_number(db, tenant=db.get(Tenant, american.tenant_id))
    fr_line = make_phone_number(db, tenant=db.get(Tenant, french.tenant_id), e164="+33199000011", country="FR")

    saved = phone_numbers.configure_number(
        db, principal=american, number_id=us_line.id, config=NumberConfig(forwarding_number="(212) 555-0199")
    )
    assert saved.forwarding_number == "+12125550199"
    saved = phone_numbers.configure_number(
        db, principal=french, number_id=fr_line.id, config=NumberConfig(forwarding_number="06 12 34 56 78")
    )
    assert saved.forwarding_number == "+33612345678"
    saved = phone_numbers.configure_number(
        db, principal=french, number_id=fr_line.id, config=NumberConfig(forwarding_number="+44 20 7946 0958")
    )
    assert saved.forwarding_number == "+442079460958"

    with pytest.raises(Invalid) as refused:
        phone_numbers.configure_number(
            db, principal=french, number_id=fr_line.id, config=NumberConfig(forwarding_number="call me")
        )
    assert refused.value.details["fields"] == {"forwarding_number": "Enter a phone number, e.g. 06 12 34 56 78."}
    # The same line, typed the national way, is refused as its own forwarding number.
    with pytest.raises(Invalid) as refused:
        phone_numbers.configure_number(
            db, principal=french, number_id=fr_line.id, config=NumberConfig(forwarding_number="01 99 00 00 11")
        )
    assert refused.value.details["fields"] == {"forwarding_number": "Calls cannot be forwarded to this same number."}


# --- emails -------------------------------------------------------------------------------------------------------


def test_the_summary_email_writes_the_caller_as_the_business_does():
    base = {"link": "https://ava.example/calls/1", "started_at": utcnow(), "duration_seconds": 65}
    us = render("call_summary", locale="en", caller="+12125550199", country="US", **base)
    assert us.subject == "New call from (212) 555-0199" and "(212) 555-0199" in us.text
    fr = render("call_summary", locale="fr", caller="+12125550199", country="FR", **base)
    assert fr.subject == "Nouvel appel de +1 212-555-0199"
    unknown = render("call_summary", locale="en", caller="", country="US", **base)
    assert unknown.subject == "New call from Unknown number"


# --- the pages' states --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reflex_app():
    importlib.import_module("ava_app.ava_app")


def _signed_in(db, state_class, *, tenant, lang: str = "en"):
    user = make_user(db, tenant=tenant, role="admin", password_hash=hash_password(PASSWORD))
    login = accounts.login(db, email=user.email, password=PASSWORD)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_class.get_full_name().split(".")[1:])
    state.router = RouterData(headers=HeaderData(cookie=browser_cookie(login)))
    state.lang = lang
    return state, user


async def test_a_us_owner_types_a_national_forwarding_number_and_reads_it_back(db, jobs, providers, reflex_app):
    tenant = make_tenant(db, country="US")
    number = make_phone_number(db, tenant=tenant, e164="+14155550100")
    state, _ = _signed_in(db, PhoneNumbersState, tenant=tenant)

    await run(state, "load_numbers")
    assert state.forwarding_placeholder == "(201) 555-0123"
    assert state.numbers[0]["shown"] == "(415) 555-0100" and state.numbers[0]["e164"] == "+14155550100"
    await run(state, "open_config", str(number.id))
    assert state.editing_shown == "(415) 555-0100"
    await run(state, "set_forwarding", "(212) 555-0199")
    assert "toast:success" in await run(state, "save_config")

    db.expire_all()
    assert db.get(PhoneNumber, number.id).forwarding_number == "+12125550199"
    await run(state, "load_numbers")
    assert state.numbers[0]["forwarding"] == "(212) 555-0199"
    await run(state, "open_config", str(number.id))
    assert state.forwarding == "(212) 555-0199"


async def test_a_french_owner_is_told_in_french_what_to_type(db, jobs, providers, reflex_app):
    tenant = make_tenant(db, country="FR")
    number = make_phone_number(db, tenant=tenant, e164="+33199000011", country="FR")
    state, _ = _signed_in(db, PhoneNumbersState, tenant=tenant, lang="fr")

    await run(state, "load_numbers")
    assert state.numbers[0]["shown"] == "01 99 00 00 11" and state.forwarding_placeholder == "06 12 34 56 78"
    await run(state, "open_config", str(number.id))
    await run(state, "set_forwarding", "n'importe quoi")
    assert await run(state, "save_config") == []
    assert state.config_errors["forwarding_number"] == "Saisissez un numéro de téléphone, ex. 06 12 34 56 78."
    db.expire_all()
    assert db.get(PhoneNumber, number.id).forwarding_number is None


async def test_the_profile_shows_the_number_the_national_way(db, reflex_app):
    tenant = make_tenant(db, country="FR")
    state, user = _signed_in(db, PhoneState, tenant=tenant)
    user = db.get(User, user.id)
    user.phone, user.phone_verified_at = "+33612345678", utcnow()
    db.add(user)
    db.commit()

    await run(state, "load_phone")
    assert state.phone == "06 12 34 56 78" and state.phone_e164 == "+33612345678"
    assert state.phone_placeholder == "06 12 34 56 78"


async def test_the_login_form_reads_the_browser_country(db, reflex_app):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(LoginState.get_full_name().split(".")[1:])
    assert state.sms_placeholder == phone_input.INTERNATIONAL_EXAMPLE
    await run(state, "set_browser_country", "en-US")
    assert state.sms_country == "US" and state.sms_placeholder == "(201) 555-0123"
    await run(state, "set_browser_country", "fr")
    assert state.sms_country == "" and state.sms_placeholder == phone_input.INTERNATIONAL_EXAMPLE
