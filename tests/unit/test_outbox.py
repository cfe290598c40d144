"""The dev outbox shows only what no real provider delivered, nothing at all in a prod deployment, and live links."""

import re

from sqlmodel import col, select

from ava_app.models import Outbox
from ava_app.services import accounts, rate_limits
from ava_app.services.messaging.outbox import list_messages, queue_message, sandbox_channels
from ava_app.settings import Settings

SECRET = "k" * 48


def settings(**values) -> Settings:
    return Settings(secret_key=SECRET, **values)


def test_dev_with_no_provider_shows_mail_and_sms():
    assert sandbox_channels(settings(env="dev")) == ("email", "sms")


def test_a_real_mail_server_takes_email_out_of_the_outbox():
    assert sandbox_channels(settings(env="dev", smtp_host="smtp.example.com")) == ("sms",)


def test_real_twilio_takes_sms_out_of_the_outbox():
    dev = settings(env="dev", twilio_account_sid="AC" + "1" * 32, twilio_auth_token="t" * 32)
    assert sandbox_channels(dev) == ("email",)


def test_prod_has_no_outbox_even_with_a_provider_in_sandbox():
    # A prod deployment with real mail but no platform Twilio account is still "sandbox" for SMS: no outbox for it.
    prod = settings(env="prod", allow_sandbox=True, smtp_host="smtp.example.com")
    assert sandbox_channels(prod) == ()


def test_listing_keeps_to_the_channels_asked(db):
    queue_message(db, channel="email", to="owner@example.com", subject="Your sign-in link", body_text="link")
    queue_message(db, channel="sms", to="+15550100", body_text="code 123456")

    assert [m["channel"] for m in list_messages(db, channels=("sms",))] == ["sms"]
    assert {m["channel"] for m in list_messages(db, channels=("email", "sms"))} == {"email", "sms"}
    assert list_messages(db, channels=()) == []


# --- one-time links: sealed in the database, clickable in the dev outbox ---------------------------------------


def _magic_link_row(db) -> Outbox:
    accounts.signup(db, name="Owner", email="owner@example.com", password="tulip-garage-42", organisation_name="G")
    accounts.send_magic_link(db, email="owner@example.com")
    return db.exec(select(Outbox).order_by(col(Outbox.id).desc())).first()


def test_dev_outbox_shows_a_live_link_that_the_stored_bodies_do_not_hold(db, smtp_env, jobs):
    rate_limits.reset_rate_limits()
    row = _magic_link_row(db)
    db.refresh(row)

    assert row.status == "sent" and row.sealed_links, "sent in sandbox, the seal stays for the dev outbox"
    assert "token=" not in row.body_text and "token=" not in row.body_html
    [listed] = [m for m in list_messages(db, channels=("email",)) if m["id"] == row.id]
    token = re.search(r"/verify\?token=([\w-]+)", listed["body_text"]).group(1)
    assert f'href="http://testserver/verify?token={token}"' in listed["body_html"]
    assert token not in row.body_text + row.body_html + row.sealed_links

    assert accounts.login_with_magic_link(db, token=token).access_token


def test_a_prod_deployment_without_mail_drops_the_seal_once_sent(db, smtp_env, jobs, monkeypatch):
    from ava_app.settings import get_settings

    rate_limits.reset_rate_limits()
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")  # prod without a mail provider must say so
    monkeypatch.setenv("AVA_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    row = _magic_link_row(db)
    db.refresh(row)

    assert (row.status, row.sealed_links) == ("sent", None)
    placeholder = re.search(r"http://testserver/verify\?sealed=\w+", row.body_text).group(0)
    assert f'href="{placeholder}"' in row.body_html
