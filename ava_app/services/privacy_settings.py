"""A business's privacy choices: whether AVA takes personal data out of what callers say, and which kinds.

Until an admin chooses, redaction follows the kind of business: on for clinics and law firms (health and legal
details), off for the others. The ingest path asks ``redactor_for`` for each event it stores text of: one read of the
tenant row by its key, so a change applies to the very next event in every process (no cache to go stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy
from sqlmodel import Session, col

from ava_app.db import on_commit
from ava_app.models import Tenant
from ava_app.services import audit
from ava_app.services.errors import NotFound
from ava_app.services.principal import Principal
from ava_app.services.redaction import RedactionRules, redact, redact_data
from ava_app.task_queue import enqueue

REDACTING_KINDS = frozenset({"clinic", "law_firm"})
# Keys of a stored provider payload whose values are identifiers, links or AVA's own numbers, never caller speech.
PAYLOAD_KEYS_KEPT = frozenset(
    {
        "id",
        "callId",
        "orgId",
        "assistantId",
        "phoneNumberId",
        "squadId",
        "toolCallId",
        "type",
        "role",
        "status",
        "transcriptType",
        "timestamp",
        "createdAt",
        "updatedAt",
        "startedAt",
        "endedAt",
        "endedReason",
        "recordingUrl",
        "stereoRecordingUrl",
        "url",
        "number",
        "twilioPhoneNumber",
        "serverUrl",
    }
)


@dataclass(frozen=True)
class PrivacyOut:
    redact_pii: bool
    follows_business_kind: bool
    emails: bool
    other_phones: bool
    birth_dates: bool


@dataclass(frozen=True)
class Redactor:
    """Redaction bound to one business's rules, language and country."""

    rules: RedactionRules
    language: str
    country: str

    @property
    def active(self) -> bool:
        return self.rules.enabled

    def text(self, value: str, *, caller_phone: str | None = None) -> str:
        return redact(value, rules=self.rules, language=self.language, country=self.country, caller_phone=caller_phone)

    def data(self, value: Any, *, caller_phone: str | None = None) -> Any:
        return redact_data(
            value,
            rules=self.rules,
            language=self.language,
            country=self.country,
            caller_phone=caller_phone,
            keep=_kept_key,
        )


OFF = Redactor(rules=RedactionRules(), language="en", country="US")
# The last answer of ``redactor_for`` on a session, with the transaction it was read in.
_SESSION_KEY = "ava_redactor"


def rules_of(tenant: Tenant) -> RedactionRules:
    enabled = tenant.redact_pii if tenant.redact_pii is not None else (tenant.industry or "") in REDACTING_KINDS
    return RedactionRules(
        enabled=enabled,
        emails=tenant.redact_emails,
        other_phones=tenant.redact_other_phones,
        birth_dates=tenant.redact_birth_dates,
    )


def redactor_for(session: Session, *, tenant_id: int | None) -> Redactor:
    """The business's redactor (``OFF`` for an unknown tenant); read once per transaction of ``session``."""
    if tenant_id is None:
        return OFF
    transaction = session.get_transaction()
    kept = session.info.get(_SESSION_KEY)
    if kept is not None and kept[0] is transaction and kept[1] == tenant_id:
        return kept[2]
    redactor = _read_redactor(session, tenant_id)
    session.info[_SESSION_KEY] = (transaction, tenant_id, redactor)
    return redactor


def _read_redactor(session: Session, tenant_id: int) -> Redactor:
    # SQLAlchemy's own select: SQLModel's is typed for at most four columns.
    row = session.execute(
        sqlalchemy.select(
            col(Tenant.redact_pii),
            col(Tenant.industry),
            col(Tenant.redact_emails),
            col(Tenant.redact_other_phones),
            col(Tenant.redact_birth_dates),
            col(Tenant.locale),
            col(Tenant.country),
        ).where(col(Tenant.id) == tenant_id)
    ).first()
    if row is None:
        return OFF
    pii, industry, emails, phones, births, locale, country = row
    tenant = Tenant(
        name="",
        redact_pii=pii,
        industry=industry,
        redact_emails=emails,
        redact_other_phones=phones,
        redact_birth_dates=births,
    )
    return Redactor(rules=rules_of(tenant), language=locale or "en", country=country or "US")


def privacy_settings(session: Session, *, principal: Principal) -> PrivacyOut:
    """The organisation's redaction choices; any member may read them."""
    return _out(_tenant(session, principal.require_member()))


def save_privacy_settings(
    session: Session, *, principal: Principal, redact_pii: bool, emails: bool, other_phones: bool, birth_dates: bool
) -> PrivacyOut:
    """Admins choose redaction and its optional kinds; the change is audited and applies to calls from now on, and
    a stricter choice to what is already stored (a job)."""
    tenant_id = principal.require_admin()
    tenant = _tenant(session, tenant_id)
    before = _out(tenant)
    tenant.redact_pii = redact_pii
    tenant.redact_emails, tenant.redact_other_phones, tenant.redact_birth_dates = emails, other_phones, birth_dates
    session.add(tenant)
    after = _out(tenant)
    if (before.redact_pii, before.emails, before.other_phones, before.birth_dates) != (
        after.redact_pii,
        after.emails,
        after.other_phones,
        after.birth_dates,
    ):
        audit.record(
            session,
            action="privacy_redaction_changed",
            tenant_id=tenant_id,
            user_id=principal.user_id,
            detail={
                "redact_pii": redact_pii,
                "emails": emails,
                "other_phones": other_phones,
                "birth_dates": birth_dates,
            },
        )
    if _stricter(before, after):
        # What the business already stored gets the new rules too (``redaction_backfill``), after this commit.
        on_commit(session, lambda: enqueue("redact_stored_job", tenant_id))
    session.commit()
    return after


def _stricter(before: PrivacyOut, after: PrivacyOut) -> bool:
    """Whether the change takes out something that was kept before."""
    if not after.redact_pii:
        return False
    if not before.redact_pii:
        return True
    return (
        (after.emails and not before.emails)
        or (after.other_phones and not before.other_phones)
        or (after.birth_dates and not before.birth_dates)
    )


def _kept_key(key: str) -> bool:
    return key in PAYLOAD_KEYS_KEPT or key.endswith(("Id", "Url", "Sid", "At"))


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Organisation not found.")
    return tenant


def _out(tenant: Tenant) -> PrivacyOut:
    rules = rules_of(tenant)
    return PrivacyOut(
        redact_pii=rules.enabled,
        follows_business_kind=tenant.redact_pii is None,
        emails=rules.emails,
        other_phones=rules.other_phones,
        birth_dates=rules.birth_dates,
    )
