"""The dev outbox shows only what no real provider delivered, and nothing at all in a prod deployment."""

from ava_app.services.outbox import list_messages, queue_message, sandbox_channels
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
