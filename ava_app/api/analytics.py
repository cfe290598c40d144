"""/api/v1/analytics: the dashboard figures of the caller's organisation."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from ava_app.api.auth_deps import require_member
from ava_app.api.deps import get_session
from ava_app.services import analytics
from ava_app.services.analytics import DashboardSummary
from ava_app.services.principal import Principal

router = APIRouter(tags=["analytics"])


@router.get("/analytics/summary", response_model=DashboardSummary)
def dashboard_summary(
    period: Literal["today", "week", "month"] = Query("today"),
    principal: Principal = Depends(require_member),
    session: Session = Depends(get_session),
) -> DashboardSummary:
    """Calls today/this week/this month, outcomes, cost, charts, topics, last and live calls, in local time."""
    return analytics.dashboard_summary(session, principal=principal, period=period)
