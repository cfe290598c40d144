"""Phone numbers against the Vapi and Twilio emulators: free US numbers, Twilio purchase + import, the tenant's own
Twilio numbers, hours validation, routing pushed to Vapi, release."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlmodel import select

from ava_app.models import PhoneNumber, ProviderCredential, Tenant, utcnow
from ava_app.services import assistants, credentials, phone_numbers
from ava_app.services.business_hours import TimeRangeIn
from ava_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from ava_app.services.phone_numbers import NumberChoice, NumberConfig
from ava_app.services.providers import twilio
from ava_app.services.providers.sandbox_keys import SANDBOX_ACCOUNT_SID
from tests.factories import make_phone_number
from tests.unit.test_assistants import TENANT_TWILIO_SID, TENANT_TWILIO_TOKEN, principal_for, providers

__all__ = ["providers"]


def _free(db, owner, area_code: str = "415", **fields):
    return phone_numbers.provision_number(
        db, principal=owner, choice=NumberChoice(kind="vapi_free", area_code=area_code, **fields)
    )


def _owned_at_twilio(**creds) -> list[str]:
    return [item["phone_number"] for item in asyncio.run(twilio.list_incoming_numbers(**creds))]


# --- US: free Vapi numbers --------------------------------------------------------------------------------------


def test_us_search_offers_a_free_vapi_number_then_priced_twilio_numbers(db, providers):
    owner = principal_for(db)

    offer = phone_numbers.search_numbers(db, principal=owner, country="us", area_code="415")

    assert offer[0].kind == "vapi_free" and offer[0].free and offer[0].monthly_price == 0
    assert offer[0].phone_number is None and offer[0].display == "Free US number in area code 415"
    paid = offer[1:]
    assert paid and all(item.kind == "twilio" and not item.free for item in paid)
    # AVA's own price list (services/number_prices.py), not the provider's cost.
    assert all(item.monthly_price == Decimal("1.50") and item.price_unit == "USD" for item in paid)
    assert all(item.phone_number.startswith("+1415") for item in paid)
    # A "contains" search cannot be honoured by Vapi's free numbers: Twilio only.
    filtered = phone_numbers.search_numbers(db, principal=owner, country="US", area_code="415", contains="0142")
    assert {item.kind for item in filtered} == {"twilio"}
    with pytest.raises(Invalid):
        phone_numbers.search_numbers(db, principal=owner, country="US", area_code="15")


def test_free_number_is_created_at_vapi_and_routed_to_the_assistant(db, providers):
    owner = principal_for(db, name="Bright Smile")
    assistant = assistants.get_or_create_assistant(db, principal=owner)
    assistants.retry_sync(db, principal=owner)
    db.expire_all()
    provider_assistant_id = assistants.get_or_create_assistant(db, principal=owner).provider_assistant_id

    number = _free(db, owner, label="Front desk")

    assert number.provider == "vapi" and number.free and number.country == "US"
    assert number.e164.startswith("+141555501") and number.status == "active"
    assert number.assistant_id == assistant.id and number.assistant_name == "Ava"
    assert number.sync_status == "synced" and number.hours_summary == "Open 24/7 (no business hours set)"
    row = db.get(PhoneNumber, number.id)
    remote = providers.vapi_get(f"/phone-number/{row.provider_number_id}").json()
    assert remote["provider"] == "vapi" and remote["number"] == number.e164 and remote["name"] == "Front desk"
    # No hours: the number points straight at the assistant, with AVA's webhook as server.
    assert remote["assistantId"] == provider_assistant_id
    assert remote["server"]["url"] == providers.base_url + "/api/v1/webhooks/vapi"


def test_free_numbers_stop_after_five(db, providers):
    owner = principal_for(db)
    for _ in range(5):
        _free(db, owner)
    assert [item.kind for item in phone_numbers.search_numbers(db, principal=owner, country="US", area_code="415")][
        0
    ] == "twilio"
    with pytest.raises(Conflict) as caught:
        _free(db, owner)
    assert caught.value.code == "free_numbers_exhausted"
    with pytest.raises(Invalid):
        _free(db, owner, country="FR")


def test_only_admins_provision_and_viewers_cannot_search(db, providers):
    owner = principal_for(db)
    tenant = db.get(Tenant, owner.tenant_id)
    user = principal_for(db, role="user", tenant=tenant)
    viewer = principal_for(db, role="viewer", tenant=tenant)
    with pytest.raises(Forbidden):
        _free(db, user)
    with pytest.raises(Forbidden):
        phone_numbers.search_numbers(db, principal=viewer, country="US", area_code="415")
    assert phone_numbers.list_numbers(db, principal=viewer) == []


# --- other countries: bought at Twilio, imported into Vapi ------------------------------------------------------


@pytest.mark.parametrize(("country", "price"), [("GB", Decimal("1.50")), ("FR", Decimal("2.50"))])
def test_number_abroad_is_bought_at_twilio_then_imported_into_vapi(db, providers, country, price):
    owner = principal_for(db, name="Maison Dupont", industry="hotel")
    offer = phone_numbers.search_numbers(db, principal=owner, country=country)
    assert offer and all(item.kind == "twilio" and item.country == country for item in offer)
    wanted = offer[0]

    number = phone_numbers.provision_number(
        db, principal=owner, choice=NumberChoice(kind="twilio", country=country, phone_number=wanted.phone_number)
    )

    assert (number.provider, number.country, number.e164) == ("twilio", country, wanted.phone_number)
    assert number.monthly_price == price and not number.free
    assert number.status == "active" and number.sync_status == "synced"
    assert number.hours_summary == "Mon-Sun 07:00 to 22:00", "a number in Europe reads 24-hour times"
    row = db.get(PhoneNumber, number.id)
    assert row.twilio_sid.startswith("PN") and row.twilio_account_sid == SANDBOX_ACCOUNT_SID
    assert wanted.phone_number in _owned_at_twilio()
    remote = providers.vapi_get(f"/phone-number/{row.provider_number_id}").json()
    assert remote["provider"] == "twilio" and remote["twilioAccountSid"] == SANDBOX_ACCOUNT_SID
    # Hours are set (hotel preset), so Vapi asks AVA for every call instead of using a fixed assistant.
    assert remote.get("assistantId") is None
    assert remote["server"]["url"].endswith("/api/v1/webhooks/vapi")
    with pytest.raises(Conflict) as caught:
        phone_numbers.provision_number(
            db, principal=owner, choice=NumberChoice(kind="twilio", country=country, phone_number=wanted.phone_number)
        )
    assert caught.value.code == "number_in_use"


def test_bought_number_survives_a_vapi_outage_and_the_job_imports_it_later(db, providers, jobs):
    owner = principal_for(db)
    wanted = phone_numbers.search_numbers(db, principal=owner, country="GB")[0]
    providers.down.add("vapi")

    number = phone_numbers.provision_number(
        db, principal=owner, choice=NumberChoice(kind="twilio", country="GB", phone_number=wanted.phone_number)
    )

    assert number.sync_status == "failed" and number.status == "pending"
    assert wanted.phone_number in _owned_at_twilio()
    providers.down.clear()
    synced = phone_numbers.sync_number(db, tenant_id=owner.tenant_id, number_id=number.id)
    assert synced.sync_status == "synced" and synced.status == "active"


# --- the tenant's own Twilio account ----------------------------------------------------------------------------


def test_import_refuses_a_wrong_token_then_imports_with_the_right_one(db, providers):
    owner = principal_for(db)
    tenant_creds = {"account_sid": TENANT_TWILIO_SID, "auth_token": TENANT_TWILIO_TOKEN}
    bought = asyncio.run(twilio.purchase_number(phone_number="+14155550142", **tenant_creds))
    asyncio.run(twilio.purchase_number(phone_number="+14155550143", **tenant_creds))

    with pytest.raises(Invalid) as caught:
        phone_numbers.import_twilio_numbers(
            db, principal=owner, account_sid=TENANT_TWILIO_SID, auth_token="0" * 32, numbers=["+14155550142"]
        )
    assert caught.value.code == "twilio_credentials_rejected"
    assert "Check the Account SID and Auth Token" in caught.value.message
    assert credentials.get_credential(db, tenant_id=owner.tenant_id, provider="twilio") is None

    account = phone_numbers.verify_twilio_credentials(account_sid=TENANT_TWILIO_SID, auth_token=TENANT_TWILIO_TOKEN)
    assert account.sid == TENANT_TWILIO_SID and account.status == "active"
    listed = phone_numbers.list_twilio_numbers(db, principal=owner, **tenant_creds)
    assert [(item.phone_number, item.in_ava) for item in listed] == [("+14155550142", False), ("+14155550143", False)]

    result = phone_numbers.import_twilio_numbers(
        db, principal=owner, numbers=["+1 415 555 0142", "+14155550199"], **tenant_creds
    )

    assert [number.e164 for number in result.imported] == ["+14155550142"]
    assert [(skip.phone_number, skip.reason) for skip in result.skipped] == [
        ("+14155550199", "This number is not in this Twilio account.")
    ]
    imported = db.get(PhoneNumber, result.imported[0].id)
    assert (imported.twilio_sid, imported.twilio_account_sid) == (bought["sid"], TENANT_TWILIO_SID)
    assert imported.sync_status == "synced" and imported.country == "US"
    remote = providers.vapi_get(f"/phone-number/{imported.provider_number_id}").json()
    assert remote["twilioAccountSid"] == TENANT_TWILIO_SID and "twilioAuthToken" not in remote
    # Stored encrypted: readable through the service, never in clear in the table.
    assert credentials.get_credential(db, tenant_id=owner.tenant_id, provider="twilio") == tenant_creds
    row = db.exec(select(ProviderCredential).where(ProviderCredential.tenant_id == owner.tenant_id)).one()
    assert TENANT_TWILIO_TOKEN not in row.secret_encrypted
    assert phone_numbers.list_twilio_numbers(db, principal=owner, **tenant_creds)[0].in_ava is True
    again = phone_numbers.import_twilio_numbers(db, principal=owner, numbers=["+14155550142"], **tenant_creds)
    assert again.imported == [] and again.skipped[0].reason == "This number is already connected in AVA."


def test_verify_needs_both_fields(db, providers):
    with pytest.raises(Invalid) as caught:
        phone_numbers.verify_twilio_credentials(account_sid=TENANT_TWILIO_SID, auth_token=" ")
    assert caught.value.details["fields"] == {"auth_token": "Required"}


# --- configuration ----------------------------------------------------------------------------------------------


def _configure(db, owner, number_id, **config):
    return phone_numbers.configure_number(db, principal=owner, number_id=number_id, config=NumberConfig(**config))


@pytest.mark.parametrize(
    ("hours", "field", "message"),
    [
        ({"mon": [{"open": "9:00", "close": "12:00"}]}, "business_hours.mon.0", "Opening time '9:00' is not a time"),
        ({"mon": [{"open": "09:00", "close": "25:00"}]}, "business_hours.mon.0", "Closing time '25:00'"),
        (
            {"tue": [{"open": "14:00", "close": "13:00"}]},
            "business_hours.tue.0",
            "Opens at 14:00 but closes at 13:00: the closing time must be later.",
        ),
        (
            {"wed": [{"open": "09:00", "close": "13:00"}, {"open": "12:30", "close": "18:00"}]},
            "business_hours.wed.1",
            "This range overlaps range 1 of the same day.",
        ),
        ({"funday": [{"open": "09:00", "close": "13:00"}]}, "business_hours.funday", "Unknown day"),
        ({"mon": [], "sun": []}, "business_hours", "Open at least one day"),
    ],
)
def test_business_hours_are_validated(db, hours, field, message):
    owner = principal_for(db)
    number = make_phone_number(db, tenant=db.get(Tenant, owner.tenant_id))
    with pytest.raises(Invalid) as caught:
        _configure(db, owner, number.id, business_hours=hours)
    assert caught.value.details["fields"][field].startswith(message)


def test_other_settings_are_validated(db):
    owner = principal_for(db)
    other = principal_for(db)
    theirs = assistants.get_or_create_assistant(db, principal=other)
    number = make_phone_number(db, tenant=db.get(Tenant, owner.tenant_id), e164="+14155550100")
    with pytest.raises(Invalid) as caught:
        _configure(
            db,
            owner,
            number.id,
            holidays=["2025-12-25", "Christmas"],
            after_hours_action="forward",
            forwarding_number="12",
            assistant_id=theirs.id,
            voicemail_message="x" * 501,
        )
    assert caught.value.details["fields"] == {
        "holidays.1": "'Christmas' is not a date like 2025-12-25.",
        "forwarding_number": "Enter a phone number, e.g. (201) 555-0123.",
        "assistant_id": "This assistant does not exist.",
        "voicemail_message": "The voicemail message can be at most 500 characters.",
    }
    with pytest.raises(Invalid) as caught:
        _configure(db, owner, number.id, after_hours_action="forward")
    assert caught.value.details["fields"] == {
        "forwarding_number": "Add a forwarding number to forward calls after hours."
    }
    with pytest.raises(Invalid) as caught:
        _configure(db, owner, number.id, forwarding_number="+1 415 555 0100")
    assert caught.value.details["fields"]["forwarding_number"] == "Calls cannot be forwarded to this same number."


def test_configuration_is_saved_then_pushed_to_vapi(db, providers, jobs):
    owner = principal_for(db)
    assistants.get_or_create_assistant(db, principal=owner)
    number = _free(db, owner)

    configured = _configure(
        db,
        owner,
        number.id,
        business_hours={
            "monday": [TimeRangeIn(open="14:00", close="18:00"), TimeRangeIn(open="09:00", close="12:30")],
            "tue": [TimeRangeIn(open="09:00", close="12:30"), TimeRangeIn(open="14:00", close="18:00")],
            "sat": [TimeRangeIn(open="10:00", close="24:00")],
        },
        holidays=["2025-12-25", "2025-01-01", "2025-12-25"],
        after_hours_action="forward",
        forwarding_number="+33 6 12 34 56 78",
        voicemail_message="Leave us a message.",
        label="Main line",
    )

    assert configured.sync_status == "pending"
    assert configured.business_hours["mon"] == [
        {"open": "09:00", "close": "12:30"},
        {"open": "14:00", "close": "18:00"},
    ]
    assert configured.business_hours["sun"] == [] and configured.holidays == ["2025-01-01", "2025-12-25"]
    assert configured.hours_summary == (
        "Mon-Tue 9 AM to 12:30 PM, 2 PM to 6 PM · Wed-Fri closed · Sat 10 AM to midnight · Sun closed"
        " · closed on 2 holidays"
    )
    db.expire_all()
    listed = phone_numbers.list_numbers(db, principal=owner)
    assert [(n.id, n.sync_status, n.forwarding_number) for n in listed] == [(number.id, "synced", "+33612345678")]
    remote = providers.vapi_get(f"/phone-number/{db.get(PhoneNumber, number.id).provider_number_id}").json()
    assert remote["assistantId"] is None
    assert remote["fallbackDestination"] == {
        "type": "number",
        "number": "+33612345678",
        "message": "Please hold while I connect you.",
    }
    assert remote["name"] == "Main line"

    # Clearing hours routes the number straight to the assistant again.
    _configure(db, owner, number.id, business_hours={}, holidays=[], after_hours_action="voicemail")
    remote = providers.vapi_get(f"/phone-number/{db.get(PhoneNumber, number.id).provider_number_id}").json()
    db.expire_all()
    assert remote["assistantId"] == assistants.get_or_create_assistant(db, principal=owner).provider_assistant_id


def test_configuration_while_vapi_is_down_is_kept_and_marked_failed(db, providers, jobs):
    owner = principal_for(db)
    number = _free(db, owner)
    providers.down.add("vapi")
    _configure(db, owner, number.id, voicemail_message="Back soon.")
    db.expire_all()
    row = db.get(PhoneNumber, number.id)
    assert row.voicemail_message == "Back soon." and row.sync_status == "failed"
    assert row.sync_error == "The voice provider cannot be reached right now; AVA will retry."


def test_numbers_of_other_tenants_and_roles(db):
    owner = principal_for(db)
    other = principal_for(db)
    theirs = make_phone_number(db, tenant=db.get(Tenant, other.tenant_id))
    viewer = principal_for(db, role="viewer", tenant=db.get(Tenant, owner.tenant_id))
    mine = make_phone_number(db, tenant=db.get(Tenant, owner.tenant_id))
    with pytest.raises(NotFound):
        _configure(db, owner, theirs.id, label="Mine now")
    with pytest.raises(NotFound):
        phone_numbers.release_number(db, principal=owner, number_id=theirs.id)
    with pytest.raises(Forbidden):
        _configure(db, viewer, mine.id, label="Viewer edit")
    assert [n.id for n in phone_numbers.list_numbers(db, principal=viewer)] == [mine.id]


def test_retry_sync_is_refused_to_viewers_and_other_tenants_by_the_service(db):
    owner = principal_for(db)
    other = principal_for(db)
    viewer = principal_for(db, role="viewer", tenant=db.get(Tenant, owner.tenant_id))
    mine = make_phone_number(db, tenant=db.get(Tenant, owner.tenant_id))
    with pytest.raises(Forbidden):
        phone_numbers.retry_sync(db, principal=viewer, number_id=mine.id)
    with pytest.raises(NotFound):
        phone_numbers.retry_sync(db, principal=other, number_id=mine.id)


# --- release ----------------------------------------------------------------------------------------------------


def test_release_of_a_bought_number_frees_it_at_vapi_and_twilio(db, providers):
    owner = principal_for(db)
    wanted = phone_numbers.search_numbers(db, principal=owner, country="FR")[0]
    number = phone_numbers.provision_number(
        db, principal=owner, choice=NumberChoice(kind="twilio", country="FR", phone_number=wanted.phone_number)
    )
    provider_id = db.get(PhoneNumber, number.id).provider_number_id
    user = principal_for(db, role="user", tenant=db.get(Tenant, owner.tenant_id))
    with pytest.raises(Forbidden):
        phone_numbers.release_number(db, principal=user, number_id=number.id)

    released = phone_numbers.release_number(db, principal=owner, number_id=number.id)

    assert released.status == "released" and released.released_at is not None
    assert providers.vapi_get(f"/phone-number/{provider_id}").status_code == 404
    assert wanted.phone_number not in _owned_at_twilio()
    assert phone_numbers.list_numbers(db, principal=owner) == []
    assert [n.id for n in phone_numbers.list_numbers(db, principal=owner, include_released=True)] == [number.id]
    assert phone_numbers.release_number(db, principal=owner, number_id=number.id).status == "released"
    with pytest.raises(Conflict):
        _configure(db, owner, number.id, label="Again")


def test_release_of_an_imported_number_leaves_it_with_its_owner_at_twilio(db, providers):
    owner = principal_for(db)
    tenant_creds = {"account_sid": TENANT_TWILIO_SID, "auth_token": TENANT_TWILIO_TOKEN}
    asyncio.run(twilio.purchase_number(phone_number="+14155550150", **tenant_creds))
    imported = phone_numbers.import_twilio_numbers(db, principal=owner, numbers=["+14155550150"], **tenant_creds)
    phone_numbers.release_number(db, principal=owner, number_id=imported.imported[0].id)
    assert _owned_at_twilio(**tenant_creds) == ["+14155550150"]


def test_a_new_forwarding_number_is_pushed_to_the_assistant_transfer_tool(db, providers, jobs):
    owner = principal_for(db, name="Bright Smile", industry="clinic")
    number = phone_numbers.provision_number(db, principal=owner, choice=NumberChoice(kind="vapi_free", area_code="415"))
    assistant = assistants.retry_sync(db, principal=owner)

    def transfer_destinations() -> list[str]:
        remote = providers.vapi_get(f"/assistant/{assistant.provider_assistant_id}").json()
        tools = [tool for tool in remote["model"]["tools"] if tool["type"] == "transferCall"]
        return [d["number"] for tool in tools for d in tool["destinations"]]

    assert transfer_destinations() == []
    phone_numbers.configure_number(
        db, principal=owner, number_id=number.id, config=NumberConfig(forwarding_number="+33 6 12 34 56 78")
    )
    db.expire_all()

    assert transfer_destinations() == ["+33612345678"]
    assert assistants.get_assistant(db, principal=owner).sync_status == "synced"


# --- a number whose old Vapi record is still there ----------------------------------------------------------------


def _bought_then_row_for(db, providers, *, release_first: bool):
    """Organisation A buys a French number (imported into Vapi); then organisation B gets an AVA row for the same
    number, as after buying it again. With ``release_first``, A's row was released without Vapi hearing of it."""
    first = principal_for(db, name="Salon A")
    wanted = phone_numbers.search_numbers(db, principal=first, country="FR")[0]
    bought = phone_numbers.provision_number(
        db, principal=first, choice=NumberChoice(kind="twilio", country="FR", phone_number=wanted.phone_number)
    )
    old = db.get(PhoneNumber, bought.id)
    if release_first:
        old.released_at, old.status = utcnow(), "released"
        db.add(old)
        db.commit()
    second = principal_for(db, name="Salon B")
    tenant = db.get(Tenant, second.tenant_id)
    assistant = assistants.get_or_create_assistant(db, principal=second)
    row = make_phone_number(
        db,
        tenant=tenant,
        e164=old.e164,
        country="FR",
        provider="twilio",
        twilio_sid=old.twilio_sid,
        twilio_account_sid=SANDBOX_ACCOUNT_SID,
        assistant_id=assistant.id,
        status="pending",
    )
    return old, second, row


def test_a_number_bought_again_takes_over_its_stale_vapi_record(db, providers):
    old, second, row = _bought_then_row_for(db, providers, release_first=True)
    before = providers.vapi_get(f"/phone-number/{old.provider_number_id}").json()

    synced = phone_numbers.sync_number(db, tenant_id=second.tenant_id, number_id=row.id)

    # The import was refused ("already exists"); the record nobody in AVA stands on is now B's, routed to B.
    assert synced.sync_status == "synced" and synced.status == "active"
    db.refresh(row)
    assert row.provider_number_id == old.provider_number_id
    after = providers.vapi_get(f"/phone-number/{row.provider_number_id}").json()
    assert after["updatedAt"] != before["updatedAt"], "pushed again with B's routing"
    stored = providers.vapi_stored("phone-number", row.provider_number_id)
    assert stored["server"] == assistants.webhook_server(db, tenant_id=second.tenant_id)
    assert len([item for item in providers.vapi_get("/phone-number").json() if item["number"] == old.e164]) == 1


def test_a_vapi_record_a_live_number_uses_is_never_taken_over(db, providers):
    old, second, row = _bought_then_row_for(db, providers, release_first=False)
    before = providers.vapi_get(f"/phone-number/{old.provider_number_id}").json()

    refused = phone_numbers.sync_number(db, tenant_id=second.tenant_id, number_id=row.id)

    assert refused.sync_status == "failed" and "already exists" in (db.get(PhoneNumber, row.id).sync_error or "")
    assert db.get(PhoneNumber, row.id).provider_number_id is None
    assert providers.vapi_get(f"/phone-number/{old.provider_number_id}").json() == before


def test_the_stale_record_is_found_past_the_first_page(db, providers, monkeypatch):
    old, second, row = _bought_then_row_for(db, providers, release_first=True)
    # Newer numbers of other businesses come first in Vapi's list: with one record a page, the stale one is third.
    _free(db, principal_for(db, name="Plumber C"))
    _free(db, principal_for(db, name="Plumber D"), area_code="212")
    monkeypatch.setattr(phone_numbers, "STALE_RECORD_PAGE_SIZE", 1)

    synced = phone_numbers.sync_number(db, tenant_id=second.tenant_id, number_id=row.id)

    assert synced.sync_status == "synced"
    assert db.get(PhoneNumber, row.id).provider_number_id == old.provider_number_id
