"""/usage: minutes used against the plan in the billing period, what they cost, and the calls never billed; and
/admin/usage, every organisation's revenue, provider cost and margin for the platform's operators.

Every figure comes from ``billing.usage``; the state keeps ready-to-show strings and one small plotly figure as a
plain dict (built like the dashboard's, see ``state/dashboard.py``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import reflex as rx

from ava_app import routes
from ava_app.i18n import translate
from ava_app.models import DB_INT_MAX
from ava_app.services import operators, regional
from ava_app.services.billing import usage
from ava_app.services.billing.plans import all_plans
from ava_app.services.errors import DomainError
from ava_app.state.auth import AuthState
from ava_app.state.billing import shown_plan_name
from ava_app.state.call_display import day_label, share_text
from ava_app.state.dashboard import EMPTY_FIGURE, MAX_TICKS, _base_layout, _sparse_ticks

USED_COLOR = "#3e63dd"
INCLUDED_COLOR = "#e5484d"


def _money(minor: int | None, currency: str, lang: str) -> str:
    if minor is None:
        return "—"
    return regional.format_money(Decimal(minor) / 100, currency, lang)


def minutes_figure(days: list[usage.DayMinutes], included: int, lang: str, last_day: date | None = None) -> dict:
    """Cumulative minutes per day so far (a filled line) and the plan's included minutes (a dashed line across the
    whole period, up to ``last_day``), so the quota line shows from the first day on."""
    shown = [day.day for day in days]
    while last_day is not None and shown and shown[-1] < last_day:
        shown.append(shown[-1] + timedelta(days=1))
    labels = [day_label(day, lang) for day in shown]
    unit = translate("usage.minutes_unit", lang)
    used_name = translate("usage.chart_used", lang)
    included_name = translate("usage.chart_included", lang)
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": labels,
            "y": [day.cumulative for day in days] + [None] * (len(labels) - len(days)),
            "name": used_name,
            "line": {"color": USED_COLOR, "width": 2},
            "marker": {"size": 5},
            "fill": "tozeroy",
            "fillcolor": "rgba(62,99,221,0.15)",
            "hovertemplate": f"%{{x}} · {used_name}: %{{y}} {unit}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": labels,
            "y": [included] * len(labels),
            "name": included_name,
            "line": {"color": INCLUDED_COLOR, "width": 2, "dash": "dash"},
            "hovertemplate": f"{included_name}: %{{y}} {unit}<extra></extra>",
        },
    ]
    top = max([included, *(day.cumulative for day in days)])
    layout = {"showlegend": True, **_base_layout(height=280, lang=lang, top=top)}
    _sparse_ticks(layout, labels, every=max(1, -(-len(labels) // MAX_TICKS)), two_lines=True)
    return {"data": data, "layout": layout}


def _period_days(found: usage.Usage) -> tuple[date, date]:
    zone = regional.zone(found.timezone)
    return found.period.start.astimezone(zone).date(), (found.period.end - timedelta(seconds=1)).astimezone(zone).date()


def _not_billed_link(reason: str, first: date, last: date) -> str:
    """The calls list narrowed to the period and, where the list has the filter, to the reason."""
    query: dict[str, str | int] = {"date_from": first.isoformat(), "date_to": last.isoformat()}
    if reason == "test":
        query["call_type"] = "web,test"
    elif reason == "blocked":
        query["outcome"] = "blocked"
    elif reason == "short":
        query["max_duration"] = 14
    return routes.with_query(routes.CALLS, **query)


def usage_view(found: usage.Usage, lang: str, country: str | None = None) -> dict:
    """The Usage page's strings (the figure is built apart)."""
    currency = found.currency
    first, last = _period_days(found)
    dates = {
        "start": regional.format_day(first, language=lang, country=country, with_year=True),
        "end": regional.format_day(last, language=lang, country=country, with_year=True),
    }
    share = found.used_share
    over = found.minutes_used - found.included_minutes
    not_billed = [
        {
            "reason": reason,
            "label": translate(f"usage.reason.{reason}", lang),
            "count": found.not_billed.get(reason, 0),
            "href": _not_billed_link(reason, first, last),
        }
        for reason in usage.NOT_BILLED_REASONS
        if found.not_billed.get(reason, 0)
    ]
    return {
        "minutes_text": translate("usage.minutes_of", lang, used=found.minutes_used, included=found.included_minutes),
        "percent": min(100, round(share * 100)),
        "percent_text": translate("usage.percent_used", lang, percent=share_text(share, lang)),
        "over_text": translate("usage.over_by", lang, minutes=over) if over > 0 else "",
        "bar_color": "red" if share >= 0.95 else ("amber" if share >= 0.8 else "blue"),
        "period_text": translate(
            "usage.period_trial" if found.period.kind == "trial" else "usage.period_monthly", lang, **dates
        ),
        "plan_text": translate(
            "usage.plan_line",
            lang,
            plan=found.plan.name,
            included=found.included_minutes,
            extra=_money(found.plan.extra_minute_price, currency, lang),
        ),
        "projected_text": translate("usage.projected_value", lang, minutes=found.projected_minutes),
        "projected_hint": translate(
            "usage.projected_hint", lang, cost=_money(found.projected_cost_minor, currency, lang)
        ),
        "cost_text": _money(found.cost_minor, currency, lang),
        "per_call": _money(found.cost_per(found.billed_calls), currency, lang),
        "per_booking": _money(found.cost_per(found.bookings), currency, lang),
        "per_lead": _money(found.cost_per(found.leads), currency, lang),
        "calls_text": translate("usage.count_calls", lang, count=found.billed_calls),
        "bookings_text": translate("usage.count_bookings", lang, count=found.bookings),
        "leads_text": translate("usage.count_leads", lang, count=found.leads),
        "not_billed": not_billed,
        "is_empty": found.minutes_used == 0 and found.billed_calls == 0 and not found.not_billed,
    }


class UsageState(AuthState):
    """The organisation's usage in its billing period; every member reads it (the service checks membership)."""

    usage_loaded: bool = False
    usage_failed: bool = False
    usage: dict = {}
    not_billed: list[dict] = []
    usage_figure: dict = EMPTY_FIGURE

    @rx.event
    async def load_usage(self):
        """On-load: read the period's usage in a worker thread."""
        self.usage_failed = False
        call = await self._call_async(lambda session, principal: usage.usage_for(session, principal=principal))
        if call.refused:
            self.usage_failed = True
            self.usage_loaded = True
            return call.event
        lang = self.lang or "en"
        found: usage.Usage = call.value
        view = usage_view(found, lang, self.business_country or None)
        self.not_billed = view.pop("not_billed")
        self.usage = view
        self.usage_figure = minutes_figure(found.days, found.included_minutes, lang, _period_days(found)[1])
        self.usage_loaded = True
        return None


STATUS_COLORS = {
    "suspended": "red",
    "payment_failed": "red",
    "trial_ended": "amber",
    "trial": "blue",
    "active": "green",
}
NEEDS_ATTENTION = frozenset({"suspended", "payment_failed", "trial_ended"})


def _margin_row(row: usage.TenantMargin, lang: str) -> dict:
    return {
        "id": row.tenant_id,
        "name": row.name,
        "href": routes.admin_organisation(row.tenant_id),
        "plan_code": row.plan_code,
        "minutes": f"{row.minutes_used} / {row.included_minutes}",
        "revenue": _money(row.revenue_minor, row.currency, lang),
        "cost": regional.format_money(row.provider_cost, usage.PROVIDER_CURRENCY, lang),
        "margin": (
            ("≈ " if row.margin_approximate else "") + regional.format_money(row.margin, row.currency, lang)
            if row.margin is not None
            else "—"
        ),
        "status": row.status,
        "status_text": translate(f"admin_usage.status.{row.status}", lang),
        "status_color": STATUS_COLORS.get(row.status, "gray"),
        "suspended": row.status == "suspended",
        "reason": row.suspended_reason,
        "attention": row.status in NEEDS_ATTENTION,
        "last_call": (
            row.last_call_at.strftime("%Y-%m-%d %H:%M UTC")
            if row.last_call_at
            else translate("admin_usage.never", lang)
        ),
    }


def _tenant_id(value: object) -> int | None:
    """An organisation id the browser sent, when the database can bind it."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        return None
    found = int(value)
    return found if 1 <= found <= DB_INT_MAX else None


class AdminUsageState(AuthState):
    """The operators' console: every organisation's status, plan, revenue, provider cost and margin, with suspend,
    resume and plan changes (platform admins only; the services check on every event)."""

    margins: list[dict] = []
    margins_loaded: bool = False
    margins_refused: str = ""
    attention_only: bool = False
    plan_options: list[list[str]] = []
    acting_on: int = 0
    suspend_open: bool = False
    suspend_id: int = 0
    suspend_name: str = ""
    suspend_reason: str = ""
    suspend_error: str = ""

    @rx.var
    def shown_margins(self) -> list[dict]:
        """The table's rows: all of them, or those needing attention."""
        return [row for row in self.margins if row["attention"]] if self.attention_only else self.margins

    def _refused(self, error: DomainError):
        if error.code not in ("platform_admin_only", "user_required"):
            return self._fail(error)
        self.margins_refused, self.margins = self._error_text(error), []
        return None

    @rx.event
    async def load_margins(self):
        """On-load: the organisations in their current periods, or why the caller may not see them."""
        self.margins_loaded = False
        call = await self._call_async(
            lambda session, principal: usage.platform_margins(session, principal=principal), on_error=self._refused
        )
        self.margins_loaded = True
        if call.refused:
            return call.event
        lang = self.lang or "en"
        self.margins_refused = ""
        self.margins = [_margin_row(row, lang) for row in call.value]
        self.plan_options = [[plan.code, shown_plan_name(plan, lang)] for plan in all_plans()]
        return None

    @rx.event
    def set_attention_only(self, value: str | list[str]):
        """The filter: "attention" shows only suspended organisations, failed payments and ended trials."""
        self.attention_only = value == "attention"

    def _name_of(self, tenant_id: int) -> str:
        return next((row["name"] for row in self.margins if row["id"] == tenant_id), "")

    @rx.event
    def open_suspend(self, tenant_id: int):
        """Ask for the reason before suspending (the dialog)."""
        found = _tenant_id(tenant_id)
        if found is None:
            return
        self.suspend_id, self.suspend_name = found, self._name_of(found)
        self.suspend_reason, self.suspend_error, self.suspend_open = "", "", True

    @rx.event
    def set_suspend_open(self, value: bool):
        self.suspend_open = bool(value)

    @rx.event
    def set_suspend_reason(self, value: str):
        self.suspend_reason = str(value)[:400]
        self.suspend_error = ""

    @rx.event
    async def confirm_suspend(self):
        """Suspend the organisation in the dialog; its row and status change in place."""
        tenant_id, reason = self.suspend_id, self.suspend_reason
        if not tenant_id:
            return None
        lang = self.lang or "en"

        def invalid(error: DomainError):
            if error.code in ("reason_required", "reason_too_long"):
                self.suspend_error = self._error_text(error)
                return None
            return self._fail(error)

        call = await self._call_async(
            lambda s, p: operators.suspend(s, principal=p, tenant_id=tenant_id, reason=reason), on_error=invalid
        )
        if call.refused:
            return call.event
        self.suspend_open = False
        await self._reload()
        return rx.toast.success(translate("admin_usage.suspended", lang, name=self._name_of(tenant_id)))

    @rx.event
    async def resume(self, tenant_id: int):
        """Lift an organisation's suspension."""
        found = _tenant_id(tenant_id)
        if found is None:
            return None
        self.acting_on = found
        call = await self._call_async(lambda s, p: operators.resume(s, principal=p, tenant_id=found))
        self.acting_on = 0
        if call.refused:
            return call.event
        await self._reload()
        return rx.toast.success(translate("admin_usage.resumed", self.lang or "en", name=self._name_of(found)))

    @rx.event
    async def change_plan(self, tenant_id: int, plan_code: str):
        """Put an organisation that does not pay through Stripe on another plan."""
        found = _tenant_id(tenant_id)
        if found is None or not isinstance(plan_code, str):
            return None
        self.acting_on = found
        call = await self._call_async(
            lambda s, p: operators.set_plan(s, principal=p, tenant_id=found, plan_code=plan_code)
        )
        self.acting_on = 0
        if call.refused:
            await self._reload()
            return call.event
        await self._reload()
        plan = next((name for code, name in self.plan_options if code == plan_code), plan_code)
        return rx.toast.success(
            translate("admin_usage.plan_changed", self.lang or "en", name=self._name_of(found), plan=plan)
        )

    async def _reload(self) -> None:
        call = await self._call_async(
            lambda session, principal: usage.platform_margins(session, principal=principal), on_error=self._refused
        )
        if not call.refused:
            self.margins = [_margin_row(row, self.lang or "en") for row in call.value]
