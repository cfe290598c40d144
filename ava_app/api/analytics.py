"""/api/v1/analytics: the dashboard figures of the caller's organisation."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from ava_app.api.auth_deps import CallsReadDep
from ava_app.api.deps import SessionDep
from ava_app.services import analytics
from ava_app.services.analytics import DashboardSummary

router = APIRouter(tags=["analytics"])


@router.get("/analytics/summary", response_model=DashboardSummary)
def dashboard_summary(
    principal: CallsReadDep,
    session: SessionDep,
    period: Literal["today", "week", "month"] = Query("today"),
) -> DashboardSummary:
    """Calls today/this week/this month, outcomes, charts, topics, last and live calls, in local time (no provider
    cost: what the providers charge AVA is not the owner's cost)."""
    return analytics.dashboard_summary(session, principal=principal, period=period)
