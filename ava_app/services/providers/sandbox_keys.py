"""The emulators' keys: random per installation, generated once and kept 0600 in the data folder.

The sandbox clients send them and the emulators accept them; every process of an installation reads the same file,
so they agree. They never reach a browser: states and pages resolve "the sandbox account" on the server.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ava_app.private_files import kept_secret
from ava_app.settings import Settings, get_settings

KEYS_FILE = "sandbox_keys.json"

# The sandbox account used when neither the tenant nor the platform configured Twilio. Its SID is an identifier (Twilio
# puts it in every webhook); its auth token is random per installation (below), never a constant.
SANDBOX_ACCOUNT_SID = "AC" + "5a4db0c0" * 4
SANDBOX_VERIFY_SERVICE_SID = "VA" + "5a4db0c0" * 4


@dataclass(frozen=True)
class SandboxKeys:
    """The Vapi emulator's private and public keys and the Twilio emulator's sandbox account token."""

    vapi_api_key: str
    vapi_public_key: str
    twilio_auth_token: str


def _generate() -> str:
    keys = SandboxKeys(
        vapi_api_key="sk_sandbox_" + secrets.token_hex(20),
        vapi_public_key="pk_sandbox_" + secrets.token_hex(20),
        # Twilio auth tokens are 32 hex characters.
        twilio_auth_token=secrets.token_hex(16),
    )
    return json.dumps(asdict(keys))


@lru_cache(maxsize=8)
def _keys_in(data_dir: Path) -> SandboxKeys:
    return SandboxKeys(**json.loads(kept_secret(data_dir / KEYS_FILE, make=_generate)))


def sandbox_keys(settings: Settings | None = None) -> SandboxKeys:
    """This installation's emulator keys (created on first use)."""
    return _keys_in(Path((settings or get_settings()).data_dir).resolve())


def sandbox_keys_in(data_dir: Path | str) -> SandboxKeys:
    """The emulator keys of the installation whose data folder is ``data_dir`` (tests reading a live server's)."""
    return _keys_in(Path(data_dir).resolve())


CALENDAR_KEYS_FILE = "sandbox_calendar_keys.json"


@dataclass(frozen=True)
class SandboxOAuthClient:
    """The OAuth client AVA is registered as on one calendar emulator (Google or Microsoft)."""

    client_id: str
    client_secret: str


def _generate_calendar_clients() -> str:
    # Shaped like the real ones: a Google client id ends in .apps.googleusercontent.com, a Microsoft one is a GUID.
    return json.dumps(
        {
            "google": {
                "client_id": f"{secrets.randbelow(10**12):012d}-{secrets.token_hex(16)}.apps.googleusercontent.com",
                "client_secret": "GOCSPX-" + secrets.token_urlsafe(21),
            },
            "microsoft": {
                "client_id": str(uuid.uuid4()),
                "client_secret": secrets.token_urlsafe(30),
            },
        }
    )


@lru_cache(maxsize=8)
def _calendar_clients_in(data_dir: Path) -> dict[str, SandboxOAuthClient]:
    raw = json.loads(kept_secret(data_dir / CALENDAR_KEYS_FILE, make=_generate_calendar_clients))
    return {provider: SandboxOAuthClient(**values) for provider, values in raw.items()}


def sandbox_oauth_client(provider: str, settings: Settings | None = None) -> SandboxOAuthClient:
    """This installation's OAuth client on the ``google`` or ``microsoft`` calendar emulator (created on first use).

    Kept in a file of its own, so installations whose ``sandbox_keys.json`` predates the calendars keep it as is.
    """
    return _calendar_clients_in(Path((settings or get_settings()).data_dir).resolve())[provider]
