"""Browser test calls through Vapi's web SDK: what the page needs to start one, when one is possible.

The browser talks to Vapi itself (``POST /call/web`` with the organisation's *public* key, then a WebRTC room), so
nothing here touches the network: AVA hands out the public key, the API base URL and the assistant's Vapi id. The call
then reaches AVA like any other, through the webhooks, and is stored as a call of type "web".
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from ava_app.services import assistants, credentials
from ava_app.services.principal import Principal
from ava_app.settings import get_settings


class WebCallSetup(BaseModel):
    """What the browser SDK is started with; the public key is meant for browsers (it can only start web calls)."""

    public_key: str
    api_base_url: str
    assistant_id: str


def web_call_setup(session: Session, *, principal: Principal) -> WebCallSetup | None:
    """The web call settings for the caller's assistant, or None when a browser call cannot happen.

    An organisation on its own Vapi account uses its own public key (saved with its Vapi key; the platform's cannot
    see its assistants); the others use the platform's. None in sandbox mode (the emulator has no audio room to
    join), without a public key, or before the assistant is on Vapi.
    """
    tenant_id = principal.require_writer()
    settings = get_settings()
    own = credentials.get_credential(session, tenant_id=tenant_id, provider="vapi")
    if own is not None:
        public_key = str(own.get("public_key") or "")  # their account, their public key (optional field)
    elif settings.vapi_sandbox:
        return None
    else:
        public_key = settings.vapi_public_key
    assistant = assistants.find_assistant(session, tenant_id=tenant_id)
    if not public_key or assistant is None or not assistant.provider_assistant_id:
        return None
    return WebCallSetup(
        public_key=public_key,
        api_base_url=settings.vapi_base_url.rstrip("/"),
        assistant_id=assistant.provider_assistant_id,
    )
