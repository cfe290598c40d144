"""/api/v1/admin: the platform operators' routes (``Principal.is_platform_admin``), starting with webhook dead letters.

Being an organisation's admin gives no access here: every route answers 403 to anyone but a platform admin, checked by
the service on each call.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query, status

from ava_app.api.auth_deps import UserDep
from ava_app.api.deps import RowId, SessionDep
from ava_app.models import DB_INT_MAX
from ava_app.services import dead_letters
from ava_app.services.dead_letters import DeadLetter, DeadLetterPage
from ava_app.services.ingest.tasks import reapply_webhook_event

router = APIRouter(tags=["admin"])


def enqueue_reapply(event_id: int) -> None:
    """Enqueue the job that applies a failed webhook event again."""
    reapply_webhook_event(event_id)


async def get_enqueue_reapply() -> Callable[[int], None]:
    """How a retried dead letter reaches its job (FastAPI dependency; tests may override it)."""
    return enqueue_reapply


@router.get("/admin/dead-letters", response_model=DeadLetterPage)
def list_dead_letters(
    principal: UserDep,
    session: SessionDep,
    before_id: int | None = Query(None, ge=1, le=DB_INT_MAX, description="next_before_id of the previous page."),
    limit: int = Query(50, ge=1, le=dead_letters.MAX_PAGE),
) -> DeadLetterPage:
    """Webhook events of every organisation whose apply failed, newest first (platform admins only)."""
    return dead_letters.list_dead_letters(session, principal=principal, before_id=before_id, limit=limit)


@router.post("/admin/dead-letters/{event_id}/retry", response_model=DeadLetter, status_code=status.HTTP_202_ACCEPTED)
def retry_dead_letter(
    principal: UserDep,
    session: SessionDep,
    event_id: RowId,
    enqueue: Callable[[int], None] = Depends(get_enqueue_reapply),
) -> DeadLetter:
    """Send one failed webhook event back to the job queue to be applied again (platform admins only).

    202 with the event as it was; 404 when it is not a dead letter (applied meanwhile, or gone).
    """
    return dead_letters.retry_dead_letter(session, principal=principal, event_id=event_id, enqueue=enqueue)
