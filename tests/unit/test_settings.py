"""Settings: defaults for a fresh machine, sandbox detection, and a clear message for each bad value."""

import pytest

from ava_app.settings import ConfigError, load_settings


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    names = (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ENV",
        "ALLOW_SANDBOX",
        "VAPI_API_KEY",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "SMTP_HOST",
        "PORT",
        "PUBLIC_URL",
    )
    for name in (f"AVA_{name}" for name in names):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AVA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AVA_ENV", "dev")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return tmp_path


def test_dev_defaults_sqlite_and_a_kept_secret(clean_env):
    first = load_settings()
    assert first.database_url == f"sqlite:///{clean_env / 'ava.db'}"
    assert first.sandbox and first.vapi_sandbox and first.smtp_sandbox
    assert len(first.secret_key) >= 32
    assert load_settings().secret_key == first.secret_key


def test_public_url_follows_the_port_unless_set(clean_env, monkeypatch):
    assert load_settings().public_url == "http://localhost:3000"
    monkeypatch.setenv("AVA_PORT", "3300")
    assert load_settings().public_url == "http://localhost:3300"
    monkeypatch.setenv("AVA_PUBLIC_URL", "https://ava.example.com/")
    assert load_settings().public_url == "https://ava.example.com"


def test_keys_turn_sandbox_off(clean_env, monkeypatch):
    monkeypatch.setenv("AVA_VAPI_API_KEY", "key")
    assert not load_settings().vapi_sandbox


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AVA_SMTP_PORT", "not-a-port"),
        ("AVA_DATABASE_URL", "mysql://x"),
        ("AVA_REDIS_URL", "http://localhost"),
        ("AVA_PUBLIC_URL", "localhost:3000"),
        ("AVA_VAPI_BASE_URL", ""),
        ("AVA_ENV", "staging"),
        ("AVA_SMTP_TLS", "maybe"),
        ("AVA_PROVIDER_COST_RATES", "EUR"),
        ("AVA_PROVIDER_COST_RATES", "EUR=0"),
        ("AVA_PROVIDER_COST_RATES", "EURO=0.9"),
        ("AVA_PROVIDER_COST_RATES", "EUR=lots"),
    ],
)
def test_bad_value_names_the_variable(clean_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


@pytest.mark.parametrize("secret", ["", "changeme", "short-but-real"])
def test_prod_refuses_placeholder_secret(clean_env, monkeypatch, secret):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="AVA_SECRET_KEY"):
        load_settings()


PROD = {
    "AVA_SECRET_KEY": "p" * 48,
    "AVA_VAPI_API_KEY": "vapi-live-key",
    "AVA_VAPI_WEBHOOK_SECRET": "w" * 40,
    "AVA_TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "AVA_TWILIO_AUTH_TOKEN": "t" * 32,
    "AVA_SMTP_HOST": "smtp.example.com",
}


def test_a_forgotten_ava_env_means_prod(clean_env, monkeypatch):
    monkeypatch.delenv("AVA_ENV")
    with pytest.raises(ConfigError, match="AVA_SECRET_KEY"):
        load_settings()
    for name, value in PROD.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.env == "prod" and not settings.emulators_served and not settings.sandbox


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (("AVA_VAPI_API_KEY",), ["Vapi needs AVA_VAPI_API_KEY"]),
        (("AVA_TWILIO_AUTH_TOKEN",), ["Twilio needs AVA_TWILIO_AUTH_TOKEN"]),
        (
            ("AVA_TWILIO_ACCOUNT_SID", "AVA_TWILIO_AUTH_TOKEN", "AVA_SMTP_HOST"),
            ["Twilio needs AVA_TWILIO_ACCOUNT_SID, AVA_TWILIO_AUTH_TOKEN", "mail needs AVA_SMTP_HOST"],
        ),
    ],
)
def test_prod_refuses_to_start_with_a_sandbox_provider_and_names_what_is_missing(clean_env, monkeypatch, unset, named):
    monkeypatch.setenv("AVA_ENV", "prod")
    for name, value in PROD.items():
        monkeypatch.setenv(name, "" if name in unset else value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert "AVA_ENV=prod never serves the sandbox emulators" in message and "AVA_ALLOW_SANDBOX=true" in message
    for part in named:
        assert part in message


def test_prod_with_allow_sandbox_starts_but_serves_no_emulator(clean_env, monkeypatch):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_SECRET_KEY", PROD["AVA_SECRET_KEY"])
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")
    settings = load_settings()
    assert settings.vapi_sandbox and settings.twilio_sandbox and not settings.emulators_served


def test_dev_secret_key_is_private(clean_env):
    load_settings()
    assert (clean_env / "secret_key").stat().st_mode & 0o777 == 0o600
