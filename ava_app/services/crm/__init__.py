"""The provider-neutral side of CRM syncing: what AVA sends a CRM about a call, and what a CRM client must do.

A CRM module (``crm/hubspot.py`` today; Pipedrive or Salesforce later, one module each) provides a ``CrmClient``:
upsert a contact by phone (and email), log a call on it, add a follow-up task, add a meeting for a booking, and
find a record it made earlier by AVA's reference (so a retried job adopts it instead of making a second one). The
sync (``crm/sync.py``) drives any client the same way and stores the remote ids it gets back.

Errors every client raises: ``CrmAuthRevoked`` (the CRM refuses the connection's token: the connection is marked
broken), ``CrmRateLimited`` (429 with the seconds to wait), ``ProviderUnavailable`` (timeout, 5xx: retried) and
``CrmRejected`` (any other 4xx: retrying cannot help, the call is marked failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ava_app.services.errors import ProviderError, ProviderUnavailable


class CrmAuthRevoked(ProviderError):
    """The CRM no longer accepts AVA's access (app uninstalled, token deleted). Reconnect it in settings."""

    status_code = 409
    code = "crm_auth_revoked"


class CrmRateLimited(ProviderUnavailable):
    """The CRM asked AVA to slow down; ``retry_after`` says for how many seconds."""

    code = "crm_rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after=retry_after)
        self.retry_after = retry_after


class CrmRejected(ProviderError):
    """The CRM refused the request for good (a 4xx other than 401 and 429)."""

    code = "crm_rejected"


@dataclass(frozen=True)
class CallForCrm:
    """One summarised call as a CRM receives it (plain values; no AVA model)."""

    call_id: int
    reference: str  # AVA's own reference of the call ("AVA-123"), unique per installation, used for look-ups
    caller_phone: str | None  # E.164
    caller_email: str | None
    caller_name: str | None
    business_phone: str | None
    started_at: datetime
    duration_seconds: int
    outcome: str
    summary: str
    link: str  # the call in AVA
    action_needed: bool
    action_text: str


@dataclass(frozen=True)
class BookingForCrm:
    """One booking as a CRM meeting."""

    booking_id: int
    reference: str
    caller_phone: str | None
    caller_email: str | None
    caller_name: str | None
    title: str
    start: datetime
    end: datetime
    link: str
    cancelled: bool


@dataclass(frozen=True)
class AccountInfo:
    """The CRM account a token opens, as the settings page names it."""

    account_id: str
    label: str


class CrmClient(Protocol):
    """What a CRM module provides; each method returns the CRM's id of the record. A call or task with no
    ``contact_id`` (a withheld number, no email) is logged on no contact."""

    async def account(self) -> AccountInfo: ...

    async def upsert_contact(self, *, phone: str | None, email: str | None, name: str | None) -> str: ...

    async def find_logged_call(self, *, call: CallForCrm) -> str | None: ...

    async def log_call(self, *, contact_id: str | None, call: CallForCrm) -> str: ...

    async def find_task(self, *, call: CallForCrm) -> str | None: ...

    async def create_task(self, *, contact_id: str | None, call: CallForCrm) -> str: ...

    async def find_meeting(self, *, booking: BookingForCrm) -> str | None: ...

    async def create_meeting(self, *, contact_id: str | None, booking: BookingForCrm) -> str: ...

    async def update_meeting(self, *, meeting_id: str, booking: BookingForCrm) -> None: ...
