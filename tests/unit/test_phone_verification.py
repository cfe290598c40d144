"""The SMS-login number: saved only once the code texted to it comes back, one confirmed owner per number, login codes
only to confirmed numbers, and caps on the SMS AVA sends (per number, account, IP and country calling code)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from limits import parse
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from ava_app.i18n import translate_error
from ava_app.models import AuditLog, OneTimeToken, User, utcnow
from ava_app.services import accounts, phone_input, phones, rate_limits, sms_limits
from ava_app.services.errors import Conflict, Invalid, RateLimited, Unauthorized
from ava_app.services.principal import Principal
from tests.factories import make_tenant, make_user
from tests.unit.test_accounts import FakeSmsVerifier

OWNER_PHONE = "+33612345678"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


@pytest.fixture()
def sms() -> FakeSmsVerifier:
    return FakeSmsVerifier()


def _person(db, email: str, **fields) -> Principal:
    user = make_user(db, tenant=make_tenant(db), email=email, **fields)
    return Principal(user_id=user.id, tenant_id=None, role=None)


def _confirm(db, principal: Principal, phone: str, sms: FakeSmsVerifier, ip: str = "") -> accounts.MeOut:
    accounts.send_phone_code(db, principal=principal, phone=phone, verifier=sms, ip=ip)
    return accounts.confirm_phone(db, principal=principal, phone=phone, code="123456", verifier=sms, ip=ip)


def _user(db, principal: Principal) -> User:
    db.expire_all()
    return db.get(User, principal.user_id)


# --- a new number needs the code texted to it -------------------------------------------------------------------


def test_changing_the_phone_needs_the_code_texted_to_it(db, sms):
    me = _person(db, "me@example.com")
    with pytest.raises(Invalid) as refused:
        accounts.update_profile(db, principal=me, phone="+33 6 12 34 56 78")
    assert refused.value.details["fields"]["phone"] == accounts.PHONE_UNCONFIRMED_MESSAGE
    assert _user(db, me).phone is None

    with pytest.raises(Invalid):
        accounts.send_phone_code(db, principal=me, phone="06 12", verifier=sms)
    assert accounts.send_phone_code(db, principal=me, phone="+33 6 12 34 56 78", verifier=sms) == OWNER_PHONE
    assert sms.sent == [OWNER_PHONE]
    assert _user(db, me).phone is None, "nothing is saved before the code comes back"
    with pytest.raises(Invalid) as wrong:
        accounts.confirm_phone(db, principal=me, phone=OWNER_PHONE, code="000000", verifier=sms)
    assert "code" in wrong.value.details["fields"]
    assert _user(db, me).phone is None

    confirmed = accounts.confirm_phone(db, principal=me, phone=OWNER_PHONE, code="123456", verifier=sms)
    assert (confirmed.phone, confirmed.phone_verified) == (OWNER_PHONE, True)
    assert _user(db, me).phone_verified_at is not None
    assert db.exec(select(AuditLog.action).where(AuditLog.user_id == me.user_id)).all() == ["phone_verified"]
    with pytest.raises(Invalid):
        accounts.confirm_phone(db, principal=me, phone=OWNER_PHONE, code="123456", verifier=sms)


def test_a_code_confirms_only_the_number_and_account_it_was_sent_for(db, sms):
    me = _person(db, "me@example.com")
    other = _person(db, "other@example.com")
    accounts.send_phone_code(db, principal=me, phone=OWNER_PHONE, verifier=sms)
    # Another account, or another number, cannot use the code the first account asked for.
    with pytest.raises(Invalid):
        accounts.confirm_phone(db, principal=other, phone=OWNER_PHONE, code="123456", verifier=sms)
    with pytest.raises(Invalid):
        accounts.confirm_phone(db, principal=me, phone="+33699999999", code="123456", verifier=sms)
    # A login code request for the number is another purpose: it does not confirm anything.
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone=OWNER_PHONE, code="123456", verifier=sms)
    assert _user(db, other).phone is None and _user(db, me).phone is None


def test_a_confirmation_code_dies_after_five_wrong_attempts_and_ten_minutes(db, sms):
    me = _person(db, "me@example.com")
    accounts.send_phone_code(db, principal=me, phone=OWNER_PHONE, verifier=sms)
    for _ in range(5):
        with pytest.raises(Invalid):
            accounts.confirm_phone(db, principal=me, phone=OWNER_PHONE, code="000000", verifier=sms)
    with pytest.raises(Invalid):
        accounts.confirm_phone(db, principal=me, phone=OWNER_PHONE, code="123456", verifier=sms)

    rate_limits.reset_rate_limits()
    accounts.send_phone_code(db, principal=me, phone=OWNER_PHONE, verifier=sms)
    row = db.exec(
        select(OneTimeToken).where(OneTimeToken.purpose == "verify_phone", OneTimeToken.used_at.is_(None))
    ).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    with pytest.raises(Invalid):
        accounts.confirm_phone(db, principal=me, phone=OWNER_PHONE, code="123456", verifier=sms)
    assert _user(db, me).phone is None


def test_removing_the_number_stops_its_login_codes(db, sms):
    me = _person(db, "me@example.com")
    _confirm(db, me, OWNER_PHONE, sms)
    accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms)
    accounts.update_profile(db, principal=me, phone="")
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone=OWNER_PHONE, code="123456", verifier=sms)
    sent = len(sms.sent)
    accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms)
    assert len(sms.sent) == sent


# --- one confirmed owner per number -----------------------------------------------------------------------------


def test_a_second_account_cannot_claim_a_confirmed_number(db, sms):
    owner = _person(db, "owner@example.com")
    _confirm(db, owner, OWNER_PHONE, sms)
    intruder = _person(db, "intruder@example.com")
    with pytest.raises(Invalid):
        accounts.update_profile(db, principal=intruder, phone=OWNER_PHONE)
    # Even someone who receives the number's SMS (a recycled line, a shared phone) cannot move it silently.
    accounts.send_phone_code(db, principal=intruder, phone=OWNER_PHONE, verifier=sms)
    with pytest.raises(Conflict) as taken:
        accounts.confirm_phone(db, principal=intruder, phone=OWNER_PHONE, code="123456", verifier=sms)
    assert taken.value.code == "phone_taken"
    assert _user(db, intruder).phone is None
    assert (_user(db, owner).phone, _user(db, owner).phone_verified_at is not None) == (OWNER_PHONE, True)


def test_the_database_keeps_one_confirmed_owner_per_number(db):
    make_user(db, email="first@example.com", phone=OWNER_PHONE, phone_verified_at=utcnow())
    # Unconfirmed copies (rows from before confirmation existed) are allowed, and count for nothing.
    make_user(db, email="typed@example.com", phone=OWNER_PHONE)
    make_user(db, email="typed-too@example.com", phone=OWNER_PHONE)
    with pytest.raises(IntegrityError):
        make_user(db, email="second@example.com", phone=OWNER_PHONE, phone_verified_at=utcnow())
    db.rollback()


def test_an_unconfirmed_claim_does_not_stop_the_owners_login_codes(db, sms):
    owner = _person(db, "owner@example.com")
    _confirm(db, owner, OWNER_PHONE, sms)
    # The attacker holds the number unconfirmed (an old row) and has asked for a confirmation code too.
    _person(db, "legacy@example.com", phone=OWNER_PHONE)
    intruder = _person(db, "intruder@example.com")
    accounts.send_phone_code(db, principal=intruder, phone=OWNER_PHONE, verifier=sms)
    sent = len(sms.sent)

    accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms)
    assert len(sms.sent) == sent + 1, "the owner's login code still goes out"
    result = accounts.login_with_sms_code(db, phone=OWNER_PHONE, code="123456", verifier=sms)
    assert result.user_id == owner.user_id


def test_login_codes_go_only_to_confirmed_numbers(db, sms):
    make_user(db, tenant=make_tenant(db), email="typed@example.com", phone=OWNER_PHONE)
    accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms)
    assert sms.sent == []
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone=OWNER_PHONE, code="123456", verifier=sms)


def test_a_login_code_sent_before_the_number_moved_no_longer_logs_in(db, sms):
    me = _person(db, "me@example.com")
    _confirm(db, me, OWNER_PHONE, sms)
    accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms)
    _confirm(db, me, "+33611111111", sms)
    with pytest.raises(Unauthorized):
        accounts.login_with_sms_code(db, phone=OWNER_PHONE, code="123456", verifier=sms)


# --- caps -------------------------------------------------------------------------------------------------------


def test_twelve_sms_to_four_numbers_from_one_account_are_refused_by_the_account_cap(db, sms):
    """The reported abuse: one account changing its number between sends got 12 SMS to 4 numbers in seconds."""
    attacker = _person(db, "attacker@example.com")
    refused: list[RateLimited] = []
    for number in ("+33611111111", "+33622222222", "+33633333333", "+33644444444"):
        with pytest.raises(Invalid):
            accounts.update_profile(db, principal=attacker, phone=number)
        for _ in range(3):
            accounts.send_sms_code(db, phone=number, verifier=sms)
    assert sms.sent == [], "login codes never go to a number nobody confirmed"

    rate_limits.reset_rate_limits()
    for index, number in enumerate(("+33611111111", "+33622222222", "+33633333333", "+33644444444")):
        for _ in range(3):
            try:
                accounts.send_phone_code(db, principal=attacker, phone=number, verifier=sms, ip=f"203.0.113.{index}")
            except RateLimited as error:
                refused.append(error)
    assert len(sms.sent) == 5 and len(refused) == 7
    assert {error.code for error in refused} == {"sms_limit_account"}
    assert all(3000 < error.details["retry_after"] <= 3600 for error in refused)
    assert refused[0].message == "You asked for too many codes. Try again in 60 min."
    assert translate_error(refused[0], "fr") == "Vous avez demandé trop de codes. Réessayez dans 60 min."


def test_the_ip_cap_counts_login_codes_and_confirmations_of_every_account(db, sms):
    ip = "198.51.100.7"
    for index in range(3):
        person = _person(db, f"person{index}@example.com")
        for step in range(3):
            accounts.send_phone_code(db, principal=person, phone=f"+336{index}{step}000000", verifier=sms, ip=ip)
    accounts.send_sms_code(db, phone="+15550001111", verifier=sms, ip=ip)
    with pytest.raises(RateLimited) as refused:
        accounts.send_sms_code(db, phone="+15550002222", verifier=sms, ip=ip)
    assert refused.value.code == "sms_limit_network"
    assert translate_error(refused.value, "fr").startswith("Trop de codes ont été demandés depuis votre réseau.")
    accounts.send_sms_code(db, phone="+15550002222", verifier=sms, ip="198.51.100.8")


def test_a_number_gets_three_codes_per_quarter_hour_whoever_asks(db, sms):
    owner = _person(db, "owner@example.com")
    _confirm(db, owner, OWNER_PHONE, sms, ip="198.51.100.1")
    for index in range(2):
        accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms, ip=f"198.51.100.{index + 2}")
    stranger = _person(db, "stranger@example.com")
    with pytest.raises(RateLimited) as refused:
        accounts.send_phone_code(db, principal=stranger, phone=OWNER_PHONE, verifier=sms, ip="198.51.100.9")
    assert refused.value.code == "sms_limit_number"
    assert refused.value.message.startswith("Too many codes were sent to this number. Try again in ")
    assert len(sms.sent) == 3


def test_the_country_cap_holds_for_the_whole_deployment_and_counts_only_sms_sent(db, sms, monkeypatch):
    monkeypatch.setitem(rate_limits.RULES, "sms_country", parse("3/hour"))
    for index in range(3):
        person = _person(db, f"person{index}@example.com")
        number, ip = f"+3361000000{index}", f"203.0.113.{index}"
        accounts.send_phone_code(db, principal=person, phone=number, verifier=sms, ip=ip)
    # Once the cap is reached every +33 request is refused, from any account or IP, known number or not.
    late = _person(db, "late@example.com")
    with pytest.raises(RateLimited) as refused:
        accounts.send_phone_code(db, principal=late, phone="+33610000009", verifier=sms, ip="203.0.113.50")
    assert refused.value.code == "sms_limit_country" and refused.value.details["prefix"] == "+33"
    assert refused.value.message.startswith("Too many codes are going to numbers starting with +33 right now.")
    assert "numéros en +33" in translate_error(refused.value, "fr")
    with pytest.raises(RateLimited):
        accounts.send_sms_code(db, phone="+33610000008", verifier=sms, ip="203.0.113.51")
    # Other countries are not affected.
    accounts.send_phone_code(db, principal=late, phone="+12025550123", verifier=sms, ip="203.0.113.50")
    assert len(sms.sent) == 4


def test_login_requests_for_unknown_numbers_do_not_use_up_the_country_cap(db, sms, monkeypatch):
    monkeypatch.setitem(rate_limits.RULES, "sms_country", parse("2/hour"))
    for index in range(6):
        accounts.send_sms_code(db, phone=f"+3362000000{index}", verifier=sms, ip=f"203.0.113.{index}")
    assert sms.sent == []
    owner = _person(db, "owner@example.com")
    _confirm(db, owner, OWNER_PHONE, sms, ip="198.51.100.1")
    accounts.send_sms_code(db, phone=OWNER_PHONE, verifier=sms, ip="198.51.100.2")
    assert sms.sent == [OWNER_PHONE, OWNER_PHONE]


def test_phone_numbers_are_checked_and_their_country_read_with_phonenumbers():
    assert phone_input.read("0033 6 12 34 56 78", None) == OWNER_PHONE
    assert phones.display(OWNER_PHONE, "US") == "+33 6 12 34 56 78"
    assert sms_limits.country_prefix("+12025550123") == "+1"
    assert sms_limits.country_prefix("+4915112345678") == "+49"
    for bad in ("0612", "+33 6", "+999 1234567", "+1 800 FLOWERS"):
        with pytest.raises(Invalid):
            phone_input.read(bad, "FR")
    assert [sms_limits.wait_text(s) for s in (5, 60, 61, 900, 7199, 86400)] == [
        "1 min",
        "1 min",
        "2 min",
        "15 min",
        "2 h",
        "24 h",
    ]


def test_an_ipv6_subscriber_counts_as_one_network_for_the_ip_cap():
    assert sms_limits.network_of("2001:db8:1:2::1") == sms_limits.network_of("2001:db8:1:2:ffff::9")
    assert sms_limits.network_of("2001:db8:1:2::1") != sms_limits.network_of("2001:db8:1:3::1")
    assert sms_limits.network_of("203.0.113.9") == "203.0.113.9"
    assert sms_limits.network_of("::ffff:203.0.113.9") == "203.0.113.9"
