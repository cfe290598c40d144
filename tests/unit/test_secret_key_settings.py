"""Settings of the server keys: AVA_SECRET_KEY_PREVIOUS for rotation, and the platform webhook secret in prod."""

import pytest

from ava_app.settings import ConfigError, load_settings
from tests.unit.test_settings import clean_env

__all__ = ["clean_env"]

KEY = "current-server-key-" + "c" * 32


def test_previous_keys_are_a_comma_separated_list_without_the_current_one(clean_env, monkeypatch):
    monkeypatch.setenv("AVA_SECRET_KEY", KEY)
    assert load_settings().previous_secret_keys == []
    monkeypatch.setenv("AVA_SECRET_KEY_PREVIOUS", f" older-key-1 ,{KEY},, older-key-2,older-key-1")
    assert load_settings().previous_secret_keys == ["older-key-1", "older-key-2"]


@pytest.mark.parametrize("webhook_secret", ["", "changeme", "too-short-1234"])
def test_prod_on_a_real_vapi_account_requires_its_own_platform_webhook_secret(clean_env, monkeypatch, webhook_secret):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")  # Twilio and mail are not what this test is about
    monkeypatch.setenv("AVA_SECRET_KEY", KEY)
    monkeypatch.setenv("AVA_VAPI_API_KEY", "a-real-vapi-key")
    monkeypatch.setenv("AVA_VAPI_WEBHOOK_SECRET", webhook_secret)
    with pytest.raises(ConfigError, match="AVA_VAPI_WEBHOOK_SECRET"):
        load_settings()


def test_the_platform_webhook_secret_is_kept_when_set_and_derived_only_without_a_real_vapi_account(
    clean_env, monkeypatch
):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")  # Twilio and mail are not what this test is about
    monkeypatch.setenv("AVA_SECRET_KEY", KEY)
    monkeypatch.delenv("AVA_VAPI_WEBHOOK_SECRET", raising=False)
    derived = load_settings().vapi_webhook_secret
    assert derived.startswith("whsec_"), "no real Vapi account: nothing to break, derived as in dev"
    monkeypatch.setenv("AVA_VAPI_API_KEY", "a-real-vapi-key")
    monkeypatch.setenv("AVA_VAPI_WEBHOOK_SECRET", "w" * 40)
    assert load_settings().vapi_webhook_secret == "w" * 40
    # Rotating AVA_SECRET_KEY leaves the set one alone (a derived one would change and cut off every call).
    monkeypatch.setenv("AVA_SECRET_KEY", "another-server-key-" + "a" * 32)
    assert load_settings().vapi_webhook_secret == "w" * 40
