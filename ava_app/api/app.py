"""The HTTP API served by the same backend as the UI: /api/v1 (OpenAPI at /api/docs), health, metrics, emulators."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ava_app import routes
from ava_app.api import (
    admin,
    analytics,
    assistants,
    auth,
    block_caller,
    browser_session,
    business,
    calendar_connections,
    calls,
    crm,
    downloads,
    health,
    integrations,
    notifications,
    onboarding,
    phone_numbers,
    sign_in_providers,
    stripe_webhooks,
    team,
    twilio_webhooks,
    webhook_endpoints,
    webhooks,
)
from ava_app.api.openapi_scopes import install_scope_docs
from ava_app.observability.edge import EdgeMiddleware
from ava_app.observability.logs import configure_logging
from ava_app.observability.tracing import configure_tracing, fastapi_telemetry
from ava_app.private_files import private_dir
from ava_app.services.errors import DomainError
from ava_app.settings import get_settings

# Feature routers, each an APIRouter in its own module, served under /api/v1.
V1_ROUTERS: list = [
    webhooks.router,
    twilio_webhooks.router,
    stripe_webhooks.router,
    auth.router,
    browser_session.router,
    team.router,
    integrations.router,
    calendar_connections.router,
    sign_in_providers.router,
    crm.router,
    business.router,
    notifications.router,
    calls.router,
    analytics.router,
    onboarding.router,
    assistants.router,
    phone_numbers.router,
    downloads.router,
    block_caller.router,
    webhook_endpoints.router,
    admin.router,
]


def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    # Registered for DomainError only; Starlette types every handler with the base Exception.
    assert isinstance(exc, DomainError)
    headers = {}
    retry_after = exc.details.get("retry_after")
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    body = {"error": exc.code, "message": exc.message}
    if "fields" in exc.details:
        body["fields"] = exc.details["fields"]
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def create_api() -> FastAPI:
    """Build the FastAPI app; Reflex mounts it through ``api_transformer``.

    Also sets up the process's log output (text or JSON, each line with its request id) and, when configured, its
    traces: the app is built once per web process, before it serves anything.
    """
    settings = get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    configure_tracing(endpoint=settings.otel_endpoint, service_name=settings.otel_service_name)
    api = FastAPI(
        telemetry=fastapi_telemetry(),
        title="AVA API",
        version="1.0",
        docs_url=routes.API_DOCS,
        openapi_url=routes.API_OPENAPI,
        redoc_url=None,
    )
    api.add_exception_handler(DomainError, _domain_error)
    # Outermost of AVA's middleware: Reflex mounts its own routes inside this app, so they are counted too.
    api.add_middleware(EdgeMiddleware)
    api.include_router(health.router)
    for router in V1_ROUTERS:
        api.include_router(router, prefix=routes.API_V1)
    _mount_sandbox_emulators(api)
    install_scope_docs(api)
    return api


def _mount_sandbox_emulators(api: FastAPI) -> None:
    """In a dev deployment the emulators of the providers with no key are served at /sandbox/<provider>.

    Never in prod (not even with ``AVA_ALLOW_SANDBOX``): an emulator accepts this installation's sandbox keys and
    signs webhooks, so it has no place on a public server.
    """
    settings = get_settings()
    if not settings.emulators_served:
        return
    private_dir(settings.data_dir)  # the emulators keep their state and recordings there
    vapi = None
    if settings.vapi_sandbox:
        from ava_app.sandbox.vapi.app import create_vapi_emulator

        vapi = create_vapi_emulator()
        api.mount(routes.SANDBOX_VAPI, vapi)
    if settings.twilio_sandbox:
        from ava_app.sandbox.twilio.app import create_twilio_emulator, deliver_code_to_outbox, handset_reader

        emulator = create_twilio_emulator(
            db_path=settings.data_dir / "sandbox_twilio.db", deliver_code=deliver_code_to_outbox
        )
        api.mount(routes.SANDBOX_TWILIO, emulator)
        if vapi is not None:
            # A simulated caller reads the codes AVA sends them off the emulated phone network.
            vapi.state.sandbox.handset = handset_reader(emulator)
    _mount_calendar_emulators(api)
    _mount_hubspot_emulator(api)
    if settings.stripe_sandbox:
        _mount_stripe_emulator(api)


def _mount_hubspot_emulator(api: FastAPI) -> None:
    """The HubSpot emulator (dev only, without a HubSpot app configured), knowing the sandbox app and AVA's callback."""
    from ava_app.sandbox.hubspot import hubspot_emulator
    from ava_app.services.crm.hubspot import sandbox_app

    settings = get_settings()
    if settings.hubspot_client_id and settings.hubspot_client_secret:
        return
    emulator = hubspot_emulator()
    client_id, client_secret = sandbox_app(settings)
    for origin in settings.allowed_origins:
        emulator.register(
            client_id=client_id, client_secret=client_secret, redirect_uri=origin + routes.CRM_HUBSPOT_CALLBACK
        )
    api.mount(routes.SANDBOX_HUBSPOT, emulator.app())


def _mount_stripe_emulator(api: FastAPI) -> None:
    """The Stripe emulator (dev only, without a Stripe key), with a monthly price for each paid plan."""
    from ava_app.sandbox.stripe import stripe_emulator

    api.mount(routes.SANDBOX_STRIPE, stripe_emulator().app())


def _mount_calendar_emulators(api: FastAPI) -> None:
    """The Google and Microsoft emulators (dev only, for the providers without an OAuth client configured).

    Each knows this installation's sandbox OAuth client and AVA's callbacks (calendar and sign-in) as its registered
    redirect URIs, and signs id_tokens with this installation's key.
    """
    from ava_app.sandbox.calendars import google_emulator, microsoft_emulator
    from ava_app.sandbox.calendars.identity import installation_signing_key
    from ava_app.services.providers.sandbox_keys import sandbox_oauth_client

    settings = get_settings()
    mounts = (
        ("google", settings.google_sandbox, routes.SANDBOX_GOOGLE, google_emulator),
        ("microsoft", settings.microsoft_sandbox, routes.SANDBOX_MICROSOFT, microsoft_emulator),
    )
    for provider, sandboxed, prefix, emulator_of in mounts:
        if not sandboxed:
            continue
        emulator = emulator_of()
        client = sandbox_oauth_client(provider, settings)
        for origin in settings.allowed_origins:
            for callback in (routes.calendar_callback(provider), routes.sign_in_callback(provider)):
                emulator.oauth.register(
                    client_id=client.client_id, client_secret=client.client_secret, redirect_uri=origin + callback
                )
        # Sign-in: id_tokens signed with this installation's key, issued by the emulator at AVA's public address.
        emulator.oauth.signing_key = installation_signing_key(settings.data_dir)
        emulator.oauth.issuer = settings.public_url + prefix + ("/{tenantid}/v2.0" if provider == "microsoft" else "")
        api.mount(prefix, emulator.app())
