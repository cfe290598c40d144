"""/api/v1/ava-profiles: the organisation's assistant, its FAQ, version history and provider sync."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import AssistantReadDep, AssistantWriteDep
from ava_app.api.deps import RowId, SessionDep
from ava_app.services import assistants
from ava_app.services.assistants import AssistantOut, AssistantUpdate, VersionOut

router = APIRouter(prefix="/ava-profiles", tags=["assistants"])


class FaqImportIn(BaseModel):
    text: str = Field(max_length=100_000)
    replace: bool = False


@router.get("")
def get_profile(principal: AssistantReadDep, session: SessionDep) -> AssistantOut:
    """The organisation's assistant (created from its industry preset on a writer's first visit)."""
    return assistants.get_or_create_assistant(session, principal=principal)


@router.post("")
def save_profile(body: AssistantUpdate, principal: AssistantWriteDep, session: SessionDep) -> AssistantOut:
    """Save changes (only the fields sent); the previous state becomes a version and the sync to Vapi is queued."""
    return assistants.update_assistant(session, principal=principal, changes=body)


@router.post("/faq/import")
def import_faq(body: FaqImportIn, principal: AssistantWriteDep, session: SessionDep) -> AssistantOut:
    """Add the questions found in pasted text ("Q: … A: …" blocks or "question? answer" lines)."""
    return assistants.import_faq(session, principal=principal, text=body.text, replace=body.replace)


@router.get("/versions")
def list_versions(principal: AssistantReadDep, session: SessionDep) -> list[VersionOut]:
    """Earlier versions of the assistant, newest first."""
    return assistants.list_versions(session, principal=principal)


@router.post("/versions/{version}/restore")
def restore_version(version: RowId, principal: AssistantWriteDep, session: SessionDep) -> AssistantOut:
    """Make an earlier version current again (the replaced state is kept as a version too)."""
    return assistants.restore_version(session, principal=principal, version=version)


@router.post("/sync")
def sync(principal: AssistantWriteDep, session: SessionDep) -> AssistantOut:
    """Push the assistant to Vapi now; the answer says whether it is synced or why not."""
    return assistants.retry_sync(session, principal=principal)
