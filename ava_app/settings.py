"""AVA's configuration: one Settings object read from the environment (prefix ``AVA_``) and ``.env``."""

from __future__ import annotations

import hashlib
import hmac
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ava_app.private_files import kept_secret

PROJECT_DIR = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "changethis", "secret", "dev", "test", "placeholder"}


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    """Every knob AVA has. No provider key means that provider runs in sandbox mode against its emulator."""

    model_config = SettingsConfigDict(env_prefix="AVA_", env_file=".env", extra="ignore")

    # prod unless told otherwise: a forgotten variable must not serve the emulators or the dev outbox to anyone.
    env: Literal["dev", "prod"] = "prod"
    # prod with a provider missing starts only when this says so; that provider's emulator is still never served.
    allow_sandbox: bool = False
    data_dir: Path = PROJECT_DIR / "data"
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    # Keys AVA_SECRET_KEY replaced, comma-separated: stored secrets encrypted under them stay readable (MultiFernet)
    # until ``python -m ava_app.manage rotate-secret-key`` has re-encrypted them under the current key.
    secret_key_previous: str = ""
    public_url: str = ""  # default: http://localhost:<port>
    port: int = Field(default=3000, ge=1, le=65535)
    embedded_worker: bool = True
    # Accounts created per hour from one IP address (a shop's shared connection may need more; tests use more).
    signups_per_ip_hour: int = Field(default=10, ge=1, le=10_000)
    # Requests each API key may make per minute (counted in the shared rate-limit store; 429 beyond).
    api_key_requests_per_minute: int = Field(default=120, ge=1, le=100_000)

    vapi_api_key: str = ""
    vapi_public_key: str = ""
    vapi_base_url: str = "https://api.vapi.ai"
    vapi_webhook_secret: str = ""

    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_verify_service_sid: str = ""

    # Calendar connections (OAuth clients registered with Google Cloud / Microsoft Entra). Without a client id the
    # provider runs against its emulator in dev, and is not offered in prod.
    google_client_id: str = ""
    google_client_secret: str = ""
    google_accounts_url: str = "https://accounts.google.com"
    google_oauth_url: str = "https://oauth2.googleapis.com"
    google_calendar_url: str = "https://www.googleapis.com/calendar/v3"
    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""
    # "common": work, school and personal Microsoft accounts; a directory id limits sign-in to one organisation.
    microsoft_tenant: str = "common"
    microsoft_login_url: str = "https://login.microsoftonline.com"
    microsoft_graph_url: str = "https://graph.microsoft.com/v1.0"

    # HubSpot (an app registered in a HubSpot developer account). Without a client id HubSpot's OAuth runs against
    # its emulator in dev; a private-app token can be pasted whatever the mode.
    hubspot_client_id: str = ""
    hubspot_client_secret: str = ""
    hubspot_app_url: str = "https://app.hubspot.com"
    hubspot_api_url: str = "https://api.hubapi.com"
    # Billing (Stripe). Without a secret key Stripe runs against its emulator (dev only; in prod billing is not
    # offered). The webhook signing secret is the endpoint's ``whsec_...``; derived in dev and sandbox.
    stripe_api_key: str = ""
    stripe_base_url: str = "https://api.stripe.com"
    stripe_webhook_secret: str = ""
    # The Billing meter's event name that call minutes are reported under.
    stripe_meter_event: str = "ava_call_minutes"
    # After a failed payment: days the business keeps full service, then what its calls get.
    billing_grace_days: int = Field(default=7, ge=0, le=60)
    billing_after_grace: Literal["messages_only", "pause"] = "messages_only"
    # How many days before the grace period ends the admins are told what will happen.
    billing_grace_notice_days: int = Field(default=2, ge=0, le=30)
    # The operators' exchange rates from the providers' US dollars to the plans' currencies ("EUR=0.92,GBP=0.79"), for
    # the margins page only (marked approximate); without a rate, a plan in another currency shows no margin.
    provider_cost_rates: Annotated[dict[str, Decimal], NoDecode] = {}
    # When a free trial ends without a plan: what its calls get, and how many days before the admins are told.
    billing_after_trial: Literal["messages_only", "pause"] = "messages_only"
    billing_trial_notice_days: int = Field(default=3, ge=0, le=13)

    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "AVA <no-reply@ava.localhost>"
    smtp_tls: Literal["none", "starttls", "ssl"] = "starttls"

    # Where call recordings may be fetched from (https, port 443, public addresses only): Vapi's storage and Twilio's
    # API. An entry ".example.com" allows its sub-domains. Comma-separated in the environment.
    recording_hosts: Annotated[list[str], NoDecode] = ["storage.vapi.ai", "api.twilio.com"]
    recordings_dir: Path | None = None  # default: <data_dir>/recordings

    # Observability. /metrics answers only with ``Authorization: Bearer <token>`` (404 while unset); several tokens,
    # comma-separated, are all accepted, so a new one can be rolled out to the scrapers before the old one goes.
    metrics_token: str = ""
    # Where the web processes and job workers of one deployment share their metrics (prometheus-client's
    # multiprocess mode); unset: each process counts for itself, right for a single process.
    metrics_dir: Path | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # OpenTelemetry traces (HTTP request -> job -> provider call), off while unset: the base URL of an OTLP/HTTP
    # collector (spans are posted to <endpoint>/v1/traces), and the service name they carry.
    otel_endpoint: str = ""
    otel_service_name: str = "ava"

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str) -> str:
        if any(_placeholder(token) for token in _comma_list(value)):
            raise ValueError("each token must be a random value of 32+ characters (or unset to turn /metrics off)")
        return value

    @field_validator("otel_endpoint")
    @classmethod
    def _otel_endpoint(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("must be the http(s):// base URL of an OTLP/HTTP collector, e.g. http://collector:4318")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value

    @field_validator(
        "public_url",
        "vapi_base_url",
        "google_accounts_url",
        "google_oauth_url",
        "google_calendar_url",
        "stripe_base_url",
        "microsoft_login_url",
        "microsoft_graph_url",
        "hubspot_app_url",
        "hubspot_api_url",
    )
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.field_name == "public_url":
            return value  # filled from the port below
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("provider_cost_rates", mode="before")
    @classmethod
    def _rates(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        rates: dict[str, Decimal] = {}
        for part in (piece.strip() for piece in value.split(",")):
            if not part:
                continue
            currency, _, rate = part.partition("=")
            currency = currency.strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValueError(f"{part!r}: expected CURRENCY=RATE, such as EUR=0.92")
            try:
                amount = Decimal(rate.strip())
            except InvalidOperation:
                raise ValueError(f"{part!r}: the rate is not a number") from None
            if not amount.is_finite() or amount <= 0:
                raise ValueError(f"{part!r}: the rate must be above 0")
            rates[currency] = amount
        return rates

    @field_validator("recording_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list):
            hosts = [str(part).strip().lower() for part in value if str(part).strip()]
            for host in hosts:
                if not re.fullmatch(r"\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", host):
                    raise ValueError(f"{host!r} is not a host name (no scheme, port or path)")
            return hosts
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'ava.db'}"
        if not self.public_url:
            self.public_url = f"http://localhost:{self.port}"
        if self.recordings_dir is None:
            self.recordings_dir = self.data_dir / "recordings"
        if self.env == "prod":
            if _placeholder(self.secret_key):
                raise ValueError("AVA_SECRET_KEY must be set to a random value of 32+ characters when AVA_ENV=prod")
            missing = self.missing_provider_variables()
            if missing and not self.allow_sandbox:
                raise ValueError(
                    "AVA_ENV=prod never serves the sandbox emulators, and these providers have no credentials: "
                    + "; ".join(f"{provider} needs {', '.join(names)}" for provider, names in missing.items())
                    + ". Set them, or set AVA_ENV=dev for a local sandbox, or AVA_ALLOW_SANDBOX=true to start "
                    "without those providers (their features then fail as unavailable)"
                )
        elif not self.secret_key:
            self.secret_key = _dev_secret_key(self.data_dir)
        if self.env == "prod" and self.vapi_api_key and _placeholder(self.vapi_webhook_secret):
            # A derived one would change with AVA_SECRET_KEY: rotating the key would silently cut off every call.
            raise ValueError(
                "AVA_VAPI_WEBHOOK_SECRET must be set to a random value of 32+ characters when AVA_ENV=prod "
                "and AVA_VAPI_API_KEY is set"
            )
        if self.env == "prod" and self.stripe_api_key and _placeholder(self.stripe_webhook_secret):
            raise ValueError("AVA_STRIPE_WEBHOOK_SECRET must be set when AVA_ENV=prod and AVA_STRIPE_API_KEY is set")
        if not self.stripe_webhook_secret:
            digest = hmac.new(self.secret_key.encode(), b"ava-stripe-webhook-secret", hashlib.sha256).hexdigest()
            self.stripe_webhook_secret = "whsec_" + digest[:40]
        if not self.vapi_webhook_secret:
            # Derived (dev and sandbox), so every process of a deployment agrees on it without one more variable.
            digest = hmac.new(self.secret_key.encode(), b"ava-vapi-webhook-secret", hashlib.sha256).hexdigest()
            self.vapi_webhook_secret = "whsec_" + digest[:40]
        return self

    def missing_provider_variables(self) -> dict[str, list[str]]:
        """Each provider in sandbox mode with the variables that would make it real (OpenAI has a local fallback)."""
        missing: dict[str, list[str]] = {}
        if self.vapi_sandbox:
            missing["Vapi"] = ["AVA_VAPI_API_KEY"]
        if self.twilio_sandbox:
            names = {"AVA_TWILIO_ACCOUNT_SID": self.twilio_account_sid, "AVA_TWILIO_AUTH_TOKEN": self.twilio_auth_token}
            missing["Twilio"] = [name for name, value in names.items() if not value]
        if self.smtp_sandbox:
            missing["mail"] = ["AVA_SMTP_HOST"]
        return missing

    @property
    def emulators_served(self) -> bool:
        """The local provider emulators (/sandbox/...) and the dev outbox exist in a dev deployment only."""
        return self.env == "dev"

    @property
    def previous_secret_keys(self) -> list[str]:
        """The keys listed in AVA_SECRET_KEY_PREVIOUS, newest first as written, the current key left out."""
        keys = [key.strip() for key in self.secret_key_previous.split(",")]
        return [key for key in dict.fromkeys(keys) if key and key != self.secret_key]

    @property
    def metrics_tokens(self) -> list[str]:
        """The tokens /metrics accepts (AVA_METRICS_TOKEN, comma-separated); empty: /metrics is off."""
        return _comma_list(self.metrics_token)

    @property
    def vapi_sandbox(self) -> bool:
        return not self.vapi_api_key

    @property
    def twilio_sandbox(self) -> bool:
        return not (self.twilio_account_sid and self.twilio_auth_token)

    @property
    def google_sandbox(self) -> bool:
        """Google Calendar runs against its emulator (dev only: in prod an unset client means "not offered")."""
        return not (self.google_client_id and self.google_client_secret)

    @property
    def microsoft_sandbox(self) -> bool:
        """Microsoft 365 calendars run against their emulator (dev only, as above)."""
        return not (self.microsoft_client_id and self.microsoft_client_secret)

    @property
    def stripe_sandbox(self) -> bool:
        """Stripe runs against its emulator (dev only: in prod an unset key means billing is not offered)."""
        return not self.stripe_api_key

    @property
    def openai_sandbox(self) -> bool:
        return not self.openai_api_key

    @property
    def smtp_sandbox(self) -> bool:
        return not self.smtp_host

    @property
    def sandbox(self) -> bool:
        """True when any provider runs against its local emulator (demo data and /dev/outbox are on)."""
        return self.vapi_sandbox or self.twilio_sandbox or self.smtp_sandbox

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def allowed_origins(self) -> list[str]:
        """Origins a browser may call AVA from (CORS, and the websocket's Origin check): AVA's own address.

        In development the same server is also reached as localhost and 127.0.0.1, so both spellings are allowed.
        """
        origins = [self.public_url]
        if self.env == "dev":
            for local, other in (("://localhost", "://127.0.0.1"), ("://127.0.0.1", "://localhost")):
                if local in self.public_url:
                    origins.append(self.public_url.replace(local, other))
        return origins


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _placeholder(secret: str) -> bool:
    return secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 32


def _dev_secret_key(data_dir: Path) -> str:
    """Generate the development secret once and keep it 0600 in the data dir, so sessions survive restarts."""
    return kept_secret(data_dir / "secret_key")


def load_settings() -> Settings:
    """Build Settings from the environment, turning validation errors into one message per variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            name = f"AVA_{field.upper()}" if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if name else message)
        raise ConfigError("Invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
