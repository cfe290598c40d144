"""/admin/organisations/[id]: one organisation as the platform's support sees it, read-only (``operators.support_view``
checks the caller and audits the look)."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from ava_app.i18n import translate
from ava_app.models import DB_INT_MAX
from ava_app.services import operators, phones
from ava_app.services.billing.plans import plan_for
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState
from ava_app.state.billing import shown_plan_name
from ava_app.state.call_display import duration_text, outcome_label
from ava_app.state.usage import STATUS_COLORS


def _utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


class SupportState(AuthState):
    """The organisation in the URL, as plain rows; nothing here changes it."""

    org: dict[str, str] = {}
    members: list[dict[str, str]] = []
    numbers: list[dict[str, str]] = []
    recent_calls: list[dict[str, str]] = []
    support_loaded: bool = False
    support_refused: str = ""

    @rx.event
    async def load_support(self):
        """On-load: read the organisation (platform admins only; anyone else reads why not)."""
        self.support_loaded, self.support_refused = False, ""
        self.org, self.members, self.numbers, self.recent_calls = {}, [], [], []
        raw = str(self.router.page.params.get("id", ""))
        tenant_id = int(raw) if raw.isdigit() and len(raw) < 12 else 0
        if not 0 < tenant_id <= DB_INT_MAX:
            tenant_id = 0  # no organisation has it: "not found", rather than a database error

        def refused(error: DomainError):
            if error.code not in ("platform_admin_only", "user_required", "not_found"):
                return self._fail(error)
            self.support_refused = self._error_text(error)
            return None

        call = await self._call_async(
            lambda session, principal: operators.support_view(session, principal=principal, tenant_id=tenant_id),
            on_error=refused,
        )
        self.support_loaded = True
        if call.refused:
            return call.event
        view: operators.SupportView = call.value
        lang = self.lang or "en"
        self.org = {
            "name": view.name,
            "status": translate(f"admin_usage.status.{view.status}", lang),
            "color": STATUS_COLORS.get(view.status, "gray"),
            "reason": view.suspended_reason,
            "plan": shown_plan_name(plan_for(view.plan_code), lang),
            "region": f"{view.country} · {view.timezone} · {view.locale}",
            "created": _utc(view.created_at),
            "calls": translate("support.calls_total", lang, count=view.calls_total),
        }
        self.members = [{"email": email, "role": translate(f"role.{role}", lang)} for email, role in view.members]
        self.numbers = [
            {"number": phones.display(e164, view.country), "status": status} for e164, status in view.numbers
        ]
        self.recent_calls = [
            {
                "when": _utc(item.started_at),
                "outcome": outcome_label(item.outcome or "other", lang),
                "duration": duration_text(item.duration_seconds),
                "summary": item.summary_status,
                "email": item.email_status,
            }
            for item in view.calls
        ]
        return None
