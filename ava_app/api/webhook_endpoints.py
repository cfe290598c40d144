"""/api/v1/webhook-endpoints: the organisation's outgoing webhook endpoints and their deliveries (scope
``webhooks:manage``).

The same service as /settings/webhooks: members (and keys) list, admins (and keys with the scope) add, remove and
send a test event. The organisation is always the caller's; another organisation's endpoint answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from ava_app.api.auth_deps import WebhooksAdminDep, WebhooksReadDep
from ava_app.api.deps import RowId, SessionDep
from ava_app.services import webhooks_out
from ava_app.services.webhooks_out import DeliveryOut, EndpointCreated, EndpointOut

router = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"])


class EndpointIn(BaseModel):
    url: str = Field(max_length=webhooks_out.MAX_URL_CHARS, description="An https URL on the public internet.")
    description: str = Field(default="", max_length=200)
    event_types: list[str] = Field(max_length=20, description=", ".join(webhooks_out.EVENT_TYPES))


@router.get("")
def list_endpoints(principal: WebhooksReadDep, session: SessionDep) -> list[EndpointOut]:
    """The organisation's endpoints (never their secrets)."""
    return webhooks_out.list_endpoints(session, principal=principal)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_endpoint(body: EndpointIn, principal: WebhooksAdminDep, session: SessionDep) -> EndpointCreated:
    """Add an endpoint; its ``whsec_`` signing secret is in this response only."""
    return webhooks_out.create_endpoint(
        session, principal=principal, url=body.url, description=body.description, event_types=body.event_types
    )


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_endpoint(endpoint_id: RowId, principal: WebhooksAdminDep, session: SessionDep) -> Response:
    """Remove an endpoint and its delivery log."""
    webhooks_out.delete_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/test", status_code=status.HTTP_202_ACCEPTED)
def send_test_event(endpoint_id: RowId, principal: WebhooksAdminDep, session: SessionDep) -> DeliveryOut:
    """Queue a ``test.ping`` event for the endpoint."""
    return webhooks_out.send_test_event(session, principal=principal, endpoint_id=endpoint_id)


@router.get("/{endpoint_id}/deliveries")
def list_deliveries(endpoint_id: RowId, principal: WebhooksReadDep, session: SessionDep) -> list[DeliveryOut]:
    """The endpoint's latest deliveries, each with its attempts."""
    return webhooks_out.list_deliveries(session, principal=principal, endpoint_id=endpoint_id)
