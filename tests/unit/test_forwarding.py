"""Forwarding codes per country and carrier, the saved existing line, and recognising a forwarded call."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from ava_app.models import AuditLog, PhoneNumber, Tenant, utcnow
from ava_app.services import forwarding, reach
from ava_app.services.errors import Forbidden, Invalid
from tests.factories import make_phone_number
from tests.unit.test_assistants import principal_for
from tests.unit.vapi_messages import load, send

AVA_FR = "+33176340000"
AVA_US = "+14155550142"


def _by_kind(country: str, carrier: str, target: str) -> dict[str, forwarding.ForwardingCode]:
    return {code.kind: code for code in forwarding.codes(country, carrier, target)}


@pytest.mark.parametrize("carrier", ["orange_fr", "sfr", "bouygues", "free"])
def test_french_mobile_carriers_use_the_gsm_codes_with_the_national_number(carrier):
    codes = _by_kind("FR", carrier, AVA_FR)
    assert codes["busy"].dial == "**67*0176340000#" and codes["busy"].cancel == "##67#"
    assert codes["no_answer"].dial == "**61*0176340000#" and codes["no_answer"].cancel == "##61#"
    assert codes["unreachable"].dial == "**62*0176340000#" and codes["unreachable"].cancel == "##62#"
    assert codes["always"].dial == "**21*0176340000#" and codes["always"].cancel == "##21#"
    assert forwarding.cancel_all("FR", carrier) == "##002#"
    assert list(codes)[-1] == "always", "conditional forwarding is recommended first"


def test_a_number_of_another_country_is_dialled_in_international_form():
    assert _by_kind("BE", "proximus", AVA_FR)["busy"].dial == "**67*+33176340000#"
    assert _by_kind("CH", "swisscom", AVA_FR)["unreachable"].dial == "**62*+33176340000#"


def test_verizon_and_us_landlines_use_star_codes_with_ten_digits():
    verizon = _by_kind("US", "verizon", AVA_US)
    assert (verizon["conditional"].dial, verizon["always"].dial, verizon["always"].cancel) == (
        "*714155550142",
        "*724155550142",
        "*73",
    )
    assert "busy" not in verizon
    landline = _by_kind("US", "us_landline", AVA_US)
    assert (landline["busy"].dial, landline["busy"].cancel) == ("*904155550142", "*91")
    assert (landline["no_answer"].dial, landline["no_answer"].cancel) == ("*924155550142", "*93")
    assert _by_kind("US", "att", AVA_US)["no_answer"].dial == "**61*14155550142#"
    assert _by_kind("CA", "rogers", "+14165550123")["busy"].dial == "**67*14165550123#"
    assert _by_kind("US", "verizon", AVA_FR)["always"].dial == "*7201133176340000"


def test_every_listed_country_has_its_main_carriers_and_other():
    for country in ("FR", "US", "GB", "BE", "CH", "CA"):
        listed = forwarding.carriers(country)
        assert len(listed) >= 4 and listed[-1].key == forwarding.OTHER
        for carrier in listed:
            assert forwarding.codes(country, carrier.key, AVA_FR), f"{country}/{carrier.key} has no code"
    assert [c.key for c in forwarding.carriers("JP")] == [forwarding.OTHER]
    assert _by_kind("GB", "bt_landline", "+442071234567")["always"].dial == "*21*02071234567#"
    assert forwarding.carrier("FR", "nonsense").key == forwarding.OTHER


def test_tap_to_dial_links_encode_star_and_hash():
    code = _by_kind("FR", "sfr", AVA_FR)["busy"]
    assert code.dial_link == "tel:%2A%2A67%2A0176340000%23" and code.cancel_link == "tel:%23%2367%23"
    assert forwarding.tel_link("**67*+33176340000#") == "tel:%2A%2A67%2A+33176340000%23"


# --- the existing line ------------------------------------------------------------------------------------------


def _business(db, *, country: str = "FR", e164: str = AVA_FR, **number_fields):
    owner = principal_for(db, country=country, currency="EUR" if country == "FR" else "USD")
    tenant = db.get(Tenant, owner.tenant_id)
    number = make_phone_number(db, tenant=tenant, e164=e164, provider_number_id=f"pn-{e164}", **number_fields)
    return owner, number


def test_the_existing_line_is_read_in_the_business_country(db):
    owner, number = _business(db)
    out = reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    assert out.forwarded_from == "+33612345678" and out.forwarded_display == "06 12 34 56 78"
    assert out.display == "01 76 34 00 00" and out.tel == f"tel:{AVA_FR}" and out.forwarding_confirmed_at is None
    with pytest.raises(Invalid) as bad:
        reach.set_forwarded_from(db, principal=owner, text="hello")
    assert "forwarded_from" in bad.value.details["fields"]
    with pytest.raises(Invalid):
        reach.set_forwarded_from(db, principal=owner, text="01 76 34 00 00")  # AVA's own number
    viewer = principal_for(db, role="viewer", tenant=db.get(Tenant, number.tenant_id))
    with pytest.raises(Forbidden):
        reach.set_forwarded_from(db, principal=viewer, text="06 12 34 56 78")


def test_without_a_number_there_is_nothing_to_forward_to(db):
    owner = principal_for(db, country="FR")
    out = reach.get_reach(db, principal=owner)
    assert out.number_id is None and out.display == "" and not out.live
    with pytest.raises(Invalid) as caught:
        reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    assert caught.value.code == "no_number"
    with pytest.raises(Invalid):
        reach.sandbox_call_target(db, principal=owner, forwarded=False)


def test_another_organisation_never_sees_or_changes_this_line(db):
    owner_a, number_a = _business(db)
    reach.set_forwarded_from(db, principal=owner_a, text="06 12 34 56 78")
    owner_b, number_b = _business(db, e164="+33176340001")

    reach.set_forwarded_from(db, principal=owner_b, text="06 99 99 99 99")
    target_b = reach.sandbox_call_target(db, principal=owner_b, forwarded=True)

    db.refresh(number_a)
    assert number_a.forwarded_from == "+33612345678"
    assert reach.get_reach(db, principal=owner_b).number_id == number_b.id
    assert target_b.provider_number_id == number_b.provider_number_id and target_b.forwarded_from == "+33699999999"


# --- recognising the forwarded call -----------------------------------------------------------------------------


def _status_update(number: PhoneNumber, *, details: dict | None, call_id: str, caller: str | None = None) -> dict:
    body = load("status-update")
    call = body["message"]["call"]
    call["id"] = call_id
    call["phoneNumberId"] = number.provider_number_id
    call.pop("assistantId", None)
    body["message"].pop("assistant", None)
    body["message"]["phoneNumber"] = {"id": number.provider_number_id, "number": number.e164}
    if details is not None:
        call["phoneCallProviderDetails"] = details
    if caller is not None:
        call["customer"] = {"number": caller}
    return json.loads(json.dumps(body))


def _audited(db, tenant_id: int, action: str) -> list[AuditLog]:
    return list(db.exec(select(AuditLog).where(AuditLog.tenant_id == tenant_id, AuditLog.action == action)).all())


def test_a_call_forwarded_from_the_saved_line_during_the_check_confirms_the_forwarding(db):
    owner, number = _business(db)
    reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    out = reach.start_check(db, principal=owner)
    assert out.check_until is not None and out.forwarding_confirmed_at is None

    send(db, _status_update(number, details=None, call_id="call-plain"))
    send(db, _status_update(number, details={"ForwardedFrom": "+33699999999"}, call_id="call-other-line"))
    db.refresh(number)
    assert number.forwarding_confirmed_at is None, "only a call forwarded from the saved line confirms it"

    send(db, _status_update(number, details={"ForwardedFrom": "+33612345678"}, call_id="call-forwarded"))
    db.refresh(number)
    assert number.forwarding_confirmed_at is not None
    assert number.forwarding_check_until is None, "the confirmation closes the check"
    out = reach.get_reach(db, principal=owner)
    assert out.forwarding_confirmed_at == number.forwarding_confirmed_at and out.check_until is None
    [started] = _audited(db, number.tenant_id, "forwarding_check_started")
    [confirmed] = _audited(db, number.tenant_id, "forwarding_confirmed")
    assert started.user_id == owner.user_id
    assert confirmed.detail == {"phone_number_id": number.id, "forwarded_from": "+33612345678"}


def test_a_spoofed_forwarded_from_outside_a_check_confirms_nothing(db):
    owner, number = _business(db)
    reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    # Anyone calling the AVA number can claim it was forwarded from the owner's line: no check is open.
    send(db, _status_update(number, details={"ForwardedFrom": "+33612345678"}, call_id="call-spoofed"))
    db.refresh(number)
    assert number.forwarding_confirmed_at is None
    assert _audited(db, number.tenant_id, "forwarding_confirmed") == []

    # A check that has ended is no check.
    started = reach.start_check(db, principal=owner, now=utcnow() - reach.CHECK_WINDOW - timedelta(seconds=1))
    assert started.check_until is None, "an ended check is not shown as open"
    send(db, _status_update(number, details={"ForwardedFrom": "+33612345678"}, call_id="call-late"))
    db.refresh(number)
    assert number.forwarding_confirmed_at is None


def test_during_the_check_a_call_forwarded_from_another_organisations_line_confirms_nothing(db):
    owner_a, number_a = _business(db)
    reach.set_forwarded_from(db, principal=owner_a, text="06 12 34 56 78")
    owner_b, number_b = _business(db, e164="+33176340001")
    reach.set_forwarded_from(db, principal=owner_b, text="06 99 99 99 99")
    reach.start_check(db, principal=owner_a)

    # B's line forwarded to A's number, and A's line "forwarded" to B's number (no check open at B): nothing.
    send(db, _status_update(number_a, details={"ForwardedFrom": "+33699999999"}, call_id="call-b-line-to-a"))
    send(db, _status_update(number_b, details={"ForwardedFrom": "+33612345678"}, call_id="call-a-line-to-b"))
    db.refresh(number_a)
    db.refresh(number_b)
    assert number_a.forwarding_confirmed_at is None and number_b.forwarding_confirmed_at is None
    assert number_a.forwarding_check_until is not None, "A's check is still open"


def test_the_saved_line_calling_directly_is_not_a_forwarded_call_and_each_check_confirms_once(db):
    owner, number = _business(db)
    reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    reach.start_check(db, principal=owner)
    assert not reach.note_forwarded_call(
        db, phone_number_id=number.id, forwarded_from="+33612345678", caller="06 12 34 56 78"
    ), "the caller is the declared line itself"
    assert reach.note_forwarded_call(
        db, phone_number_id=number.id, forwarded_from="06 12 34 56 78", caller="+33655555555"
    )
    assert not reach.note_forwarded_call(
        db, phone_number_id=number.id, forwarded_from="+33612345678", caller="+33655555555"
    ), "the check confirmed once and closed"
    db.commit()
    assert len(_audited(db, number.tenant_id, "forwarding_confirmed")) == 1


def test_a_check_needs_a_writer_and_a_saved_line_and_a_new_line_closes_it(db):
    owner, number = _business(db)
    with pytest.raises(Invalid) as missing:
        reach.start_check(db, principal=owner)
    assert missing.value.code == "forwarded_line_missing"
    reach.set_forwarded_from(db, principal=owner, text="06 12 34 56 78")
    viewer = principal_for(db, role="viewer", tenant=db.get(Tenant, number.tenant_id))
    with pytest.raises(Forbidden):
        reach.start_check(db, principal=viewer)
    assert reach.start_check(db, principal=owner).check_until is not None
    assert reach.set_forwarded_from(db, principal=owner, text="06 99 99 99 99").check_until is None


def test_reading_the_forwarded_line_of_a_vapi_call():
    assert reach.forwarded_from_of_vapi_call({"phoneCallProviderDetails": {"ForwardedFrom": "+33612345678"}}) == (
        "+33612345678"
    )
    assert reach.forwarded_from_of_vapi_call({"transport": {"forwardedFrom": "+14155550100"}}) == "+14155550100"
    assert reach.forwarded_from_of_vapi_call({"phoneCallProviderDetails": "x", "customer": {}}) is None


# --- AVA's number prices ----------------------------------------------------------------------------------------


def test_number_prices_are_in_the_country_currency_and_the_reader_language():
    from decimal import Decimal

    from ava_app.services import number_prices

    assert number_prices.monthly_price("FR", provider_price=Decimal("2.00"), provider_unit="USD") == (
        Decimal("2.50"),
        "EUR",
    )
    # A country without a listed price shows the provider's price, in the provider's currency.
    assert number_prices.monthly_price("JP", provider_price=Decimal("4.5"), provider_unit="usd") == (
        Decimal("4.5"),
        "USD",
    )
    assert number_prices.price_text(Decimal("2.50"), "EUR", "fr") == "2,50\xa0€"
    assert number_prices.price_text(Decimal("1.50"), "USD", "en") == "$1.50"
    assert number_prices.price_text(None, None, "en") == ""
