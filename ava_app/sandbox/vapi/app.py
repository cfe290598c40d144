"""A local Vapi: an ASGI app speaking Vapi's REST contract, with simulated calls that post real webhooks.

AVA mounts it at ``/sandbox/vapi`` in sandbox mode; the real ``VapiClient`` talks to it over HTTP. Same paths, Bearer
auth, JSON shapes, status codes and NestJS error bodies as api.vapi.ai (``docs/contracts/vapi.md``). State lives in
the emulator's own SQLite file. Extra routes: ``POST /sandbox/simulate-call``, ``GET /recording/{file}``.
Keys: every route takes an org's private key except ``POST /call/web``, which takes its public key (as Vapi does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ava_app import routes
from ava_app.private_files import private_dir
from ava_app.sandbox.vapi import contract
from ava_app.sandbox.vapi.call_runner import new_call, simulate_call, start_simulated_call
from ava_app.sandbox.vapi.contract import VapiHttpError, bad_request, new_id, now_iso
from ava_app.sandbox.vapi.runtime import VapiSandbox
from ava_app.sandbox.vapi.scenarios import INTENTS
from ava_app.sandbox.vapi.store import SandboxStore
from ava_app.services.providers.sandbox_keys import sandbox_keys
from ava_app.settings import get_settings

__all__ = ["create_vapi_emulator", "simulate_call"]

FREE_NUMBERS_PER_ORG = 5
DEFAULT_AREA_CODE = "415"
_RECORDING_NAME = re.compile(r"^[0-9a-f-]{36}-mono\.wav$")
REDACTED = "[hidden by the AVA sandbox]"
_SIMULATE_FIELDS = frozenset(
    {"assistantId", "phoneNumberId", "callId", "intent", "speed", "customer", "wait", "forwardedFrom", "details"}
)


def create_vapi_emulator(
    *,
    db_path: Path | str | None = None,
    api_keys: Iterable[str] | None = None,
    public_keys: Mapping[str, str] | None = None,
    public_base_url: str | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
    auto_simulate: bool = True,
    default_intent: str = "question",
    call_speed: float = 1.0,
    use_speech: bool = True,
) -> Starlette:
    """Build the emulator app.

    ``db_path`` defaults to ``<data_dir>/sandbox_vapi.db``; ``api_keys`` (private keys) to this installation's sandbox
    key, the one the client sends; ``public_keys`` (public key -> the private key of its org) to its public key;
    ``public_base_url``
    (where the emulator is reachable, for recording URLs) to ``<public_url>/sandbox/vapi``.
    ``auto_simulate`` plays calls created by ``POST /call`` and ``POST /call/web`` with ``default_intent`` at
    ``call_speed``. ``webhook_transport`` routes webhooks in-process (tests). ``app.state.sandbox`` is the runtime.
    """
    if db_path is None or public_base_url is None:
        settings = get_settings()
        db_path = db_path or settings.data_dir / "sandbox_vapi.db"
        public_base_url = public_base_url or settings.public_url + routes.SANDBOX_VAPI
    db_path = Path(db_path)
    if api_keys is None or public_keys is None:
        keys = sandbox_keys()
        api_keys = api_keys or {keys.vapi_api_key}
        public_keys = public_keys if public_keys is not None else {keys.vapi_public_key: keys.vapi_api_key}
    sandbox = VapiSandbox(
        store=SandboxStore(db_path),
        api_keys=frozenset(api_keys),
        public_keys=dict(public_keys),
        public_base_url=public_base_url.rstrip("/"),
        recordings_dir=private_dir(db_path.parent / f"{db_path.stem}_recordings"),
        webhook_transport=webhook_transport,
        auto_simulate=auto_simulate,
        default_intent=default_intent,
        call_speed=call_speed,
        use_speech=use_speech,
    )
    app = Starlette(
        routes=_routes(),
        exception_handlers={VapiHttpError: _vapi_error, HTTPException: _http_error},
    )
    app.state.sandbox = sandbox
    return app


def _routes() -> list[Route]:
    return [
        Route("/assistant", create_assistant, methods=["POST"]),
        Route("/assistant", list_assistants, methods=["GET"]),
        Route("/assistant/{id}", get_object, methods=["GET"]),
        Route("/assistant/{id}", update_assistant, methods=["PATCH"]),
        Route("/assistant/{id}", delete_object, methods=["DELETE"]),
        Route("/phone-number", create_phone_number, methods=["POST"]),
        Route("/phone-number", list_phone_numbers, methods=["GET"]),
        Route("/phone-number/{id}", get_object, methods=["GET"]),
        Route("/phone-number/{id}", update_phone_number, methods=["PATCH"]),
        Route("/phone-number/{id}", delete_object, methods=["DELETE"]),
        Route("/call/web", create_web_call, methods=["POST"]),
        Route("/call", create_call, methods=["POST"]),
        Route("/call", list_calls, methods=["GET"]),
        Route("/call/{id}", get_object, methods=["GET"]),
        Route("/call/{id}", update_call, methods=["PATCH"]),
        Route("/call/{id}", delete_object, methods=["DELETE"]),
        Route("/sandbox/simulate-call", simulate_call_route, methods=["POST"]),
        Route("/recording/{name}", recording, methods=["GET"]),
        Route("/web-call/{id}", web_call_page, methods=["GET"]),
    ]


# --- plumbing -----------------------------------------------------------------------------------------------


def _sandbox(request: Request) -> VapiSandbox:
    return request.app.state.sandbox


def _org(request: Request, *, public: bool = False) -> str:
    """The org behind the request's key; a scripted outage answers first, whoever calls."""
    sandbox = _sandbox(request)
    failure = sandbox.injected_failure()
    if failure is not None:
        raise failure
    return sandbox.org_for(request.headers.get("authorization"), public=public)


def _kind(request: Request) -> str:
    """The resource a path is about: ``assistant``, ``phone-number`` or ``call``."""
    return request.url.path.rstrip("/").split("/")[-2 if "id" in request.path_params else -1]


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_request([f"Unexpected token in JSON at position {getattr(exc, 'pos', 0)}"]) from None
    return contract.require_object(body)


async def _owned(request: Request, kind: str) -> dict[str, Any]:
    org = _org(request)
    obj = await _sandbox(request).db(_sandbox(request).store.get, kind, request.path_params["id"], org_id=org)
    if obj is None:
        raise VapiHttpError(404, f"{kind.replace('-', ' ').capitalize()} not found")
    return obj


def _new(org: str, fields: dict[str, Any], *, object_id: str | None = None) -> dict[str, Any]:
    now = now_iso()
    return {"id": object_id or new_id(), "orgId": org, **fields, "createdAt": now, "updatedAt": now}


async def _require_assistant(request: Request, org: str, assistant_id: Any) -> None:
    if assistant_id is None:
        return
    found = await _sandbox(request).db(_sandbox(request).store.get, "assistant", str(assistant_id), org_id=org)
    if found is None:
        raise bad_request([f"Couldn't Find Assistant. `assistantId` {assistant_id} Not Found."])


def _shown(obj: Any) -> Any:
    """What the emulator answers with: stored objects with the webhook secrets they carry blanked out.

    Assistants, tools and numbers keep AVA's webhook secret in ``server.headers`` so simulated calls sign their
    webhooks; a reader of the REST API (anyone holding the sandbox key) must not learn it from there.
    """
    if isinstance(obj, list):
        return [_shown(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    shown = {key: _shown(value) for key, value in obj.items()}
    for key in ("server", "serverUrlSecret"):
        if key not in shown:
            continue
        if key == "serverUrlSecret":
            shown[key] = REDACTED
        elif isinstance(shown[key], dict):
            server = dict(shown[key])
            if isinstance(server.get("headers"), dict):
                server["headers"] = {name: REDACTED for name in server["headers"]}
            if "secret" in server:
                server["secret"] = REDACTED
            shown[key] = server
    return shown


def _answer(obj: Any, *, status_code: int = 200) -> JSONResponse:
    return JSONResponse(_shown(obj), status_code=status_code)


def _vapi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VapiHttpError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    # NestJS answers unknown routes with "Cannot METHOD /path" in the same error shape.
    status = getattr(exc, "status_code", 500)
    message = f"Cannot {request.method} {request.url.path}" if status in (404, 405) else str(exc)
    return JSONResponse(
        VapiHttpError(404 if status == 405 else status, message).body(), status_code=404 if status == 405 else status
    )


def _list_query(request: Request, *, extra: frozenset[str] = frozenset()) -> dict[str, Any]:
    params = request.query_params
    problems = [
        f"property {key} should not exist"
        for key in params
        if key not in contract.LIST_FILTERS and key not in extra and key != "limit"
    ]
    limit = 100
    if "limit" in params:
        try:
            limit = int(float(params["limit"]))
        except ValueError:
            problems.append("limit must be a number conforming to the specified constraints")
        else:
            if not 0 <= limit <= 1000:
                problems.append("limit must not be greater than 1000")
    if problems:
        raise bad_request(problems)
    filters = {
        contract.LIST_FILTERS[key]: contract.normalise_timestamp(value)
        for key, value in params.items()
        if key in contract.LIST_FILTERS
    }
    equals = {key: params[key] for key in extra if key in params}
    return {"limit": limit, "time_filters": filters, "equals": equals}


# --- shared handlers -----------------------------------------------------------------------------------------


async def get_object(request: Request) -> JSONResponse:
    """GET /<kind>/{id}."""
    return _answer(await _owned(request, _kind(request)))


async def delete_object(request: Request) -> JSONResponse:
    """DELETE /<kind>/{id}: returns the deleted object, as Vapi does."""
    kind = _kind(request)
    obj = await _owned(request, kind)
    await _sandbox(request).db(_sandbox(request).store.delete, kind, obj["id"])
    return _answer(obj)


async def _list(request: Request, kind: str, *, extra: frozenset[str] = frozenset()) -> JSONResponse:
    org = _org(request)
    query = _list_query(request, extra=extra)
    items = await _sandbox(request).db(_sandbox(request).store.list, kind, org_id=org, **query)
    return _answer(items)


async def _patch(request: Request, kind: str, existing: dict[str, Any], changes: dict[str, Any]) -> JSONResponse:
    # Shallow merge: each top-level key sent replaces the stored one whole.
    updated = {**existing, **changes, "updatedAt": now_iso()}
    await _sandbox(request).db(_sandbox(request).store.save, kind, updated)
    return _answer(updated)


# --- assistants ----------------------------------------------------------------------------------------------


async def create_assistant(request: Request) -> JSONResponse:
    """POST /assistant (CreateAssistantDTO) -> 201 Assistant."""
    org = _org(request)
    body = await _body(request)
    contract.check_assistant(body)
    assistant = _new(org, body)
    await _sandbox(request).db(_sandbox(request).store.insert, "assistant", assistant)
    return _answer(assistant, status_code=201)


async def list_assistants(request: Request) -> JSONResponse:
    """GET /assistant -> bare array, newest first."""
    return await _list(request, "assistant")


async def update_assistant(request: Request) -> JSONResponse:
    """PATCH /assistant/{id} (UpdateAssistantDTO)."""
    existing = await _owned(request, "assistant")
    body = await _body(request)
    contract.check_assistant(body)
    return await _patch(request, "assistant", existing, body)


# --- phone numbers -------------------------------------------------------------------------------------------


async def create_phone_number(request: Request) -> JSONResponse:
    """POST /phone-number: import a Twilio number or take a free Vapi number (US, at most 5 per org)."""
    org = _org(request)
    body = await _body(request)
    contract.check_phone_number_create(body)
    await _require_assistant(request, org, body.get("assistantId"))
    sandbox = _sandbox(request)
    public = {k: v for k, v in body.items() if k not in contract.SECRET_FIELDS}
    if body["provider"] == "twilio":
        existing = await sandbox.db(sandbox.store.list, "phone-number", org_id=org, equals={"number": body["number"]})
        if existing:
            raise bad_request([f"Number {body['number']} already exists in this org."])
        number = _new(org, {**public, "status": "active", "smsEnabled": body.get("smsEnabled", True)})
        await sandbox.db(sandbox.store.insert, "phone-number", number)
        return _answer(number, status_code=201)
    if body.get("sipUri"):
        number = _new(org, {**public, "status": "active"})
        await sandbox.db(sandbox.store.insert, "phone-number", number)
        return _answer(number, status_code=201)
    area_code = body.get("numberDesiredAreaCode") or DEFAULT_AREA_CODE
    number = _new(org, {**public, "numberDesiredAreaCode": area_code, "status": "active"})
    allocated = await sandbox.db(
        sandbox.store.allocate_vapi_number, number, area_code=area_code, per_org_limit=FREE_NUMBERS_PER_ORG
    )
    if isinstance(allocated, str):
        raise bad_request([allocated])
    return _answer(allocated, status_code=201)


async def list_phone_numbers(request: Request) -> JSONResponse:
    """GET /phone-number -> bare array, newest first."""
    return await _list(request, "phone-number")


async def update_phone_number(request: Request) -> JSONResponse:
    """PATCH /phone-number/{id}: routing (assistantId, fallbackDestination, server), name..."""
    existing = await _owned(request, "phone-number")
    body = await _body(request)
    contract.check_phone_number_update(body, provider=existing["provider"])
    await _require_assistant(request, existing["orgId"], body.get("assistantId"))
    changes = {k: v for k, v in body.items() if k not in contract.SECRET_FIELDS}
    return await _patch(request, "phone-number", existing, changes)


# --- calls ---------------------------------------------------------------------------------------------------


async def create_call(request: Request) -> JSONResponse:
    """POST /call: an outbound phone call -> 201 Call (queued); it then plays as a simulated call."""
    org = _org(request)
    body = await _body(request)
    contract.check_call_create(body)
    if body.get("phoneNumber") and not body.get("phoneNumberId"):
        raise bad_request(["a transient phoneNumber is not available in the AVA sandbox; use phoneNumberId"])
    sandbox = _sandbox(request)
    number = await sandbox.db(sandbox.store.get, "phone-number", str(body["phoneNumberId"]), org_id=org)
    if number is None:
        raise bad_request(["Couldn't Get Phone Number. `phoneNumberId` Not Found."])
    await _require_assistant(request, org, body.get("assistantId"))
    return await _start_call(request, org, body, call_type="outboundPhoneCall", number=number)


async def create_web_call(request: Request) -> JSONResponse:
    """POST /call/web (public key) -> 201 Call with ``webCallUrl`` (no audio offline: the call is simulated)."""
    org = _org(request, public=True)
    body = await _body(request)
    contract.check_web_call_create(body)
    await _require_assistant(request, org, body.get("assistantId"))
    return await _start_call(request, org, body, call_type="webCall", number=None)


async def _start_call(
    request: Request, org: str, body: dict[str, Any], *, call_type: str, number: dict[str, Any] | None
) -> JSONResponse:
    sandbox = _sandbox(request)
    extra: dict[str, Any] = {k: body[k] for k in ("name", "assistant", "assistantOverrides") if k in body}
    call = new_call(
        org_id=org,
        call_type=call_type,
        number=number,
        assistant_id=body.get("assistantId"),
        customer=body.get("customer"),
        public_base_url=sandbox.public_base_url,
        extra=extra,
    )
    await sandbox.db(sandbox.store.insert, "call", call)
    if sandbox.auto_simulate:
        await start_simulated_call(
            sandbox, intent=sandbox.default_intent, call_id=call["id"], speed=sandbox.call_speed, org_id=org
        )
    return _answer(call, status_code=201)


async def list_calls(request: Request) -> JSONResponse:
    """GET /call (also filtered by id, assistantId, phoneNumberId) -> bare array."""
    return await _list(request, "call", extra=frozenset({"id", "assistantId", "phoneNumberId"}))


async def update_call(request: Request) -> JSONResponse:
    """PATCH /call/{id}: only ``name`` can change."""
    existing = await _owned(request, "call")
    body = await _body(request)
    contract.check_call_update(body)
    return await _patch(request, "call", existing, body)


# --- sandbox-only routes -------------------------------------------------------------------------------------


async def simulate_call_route(request: Request) -> JSONResponse:
    """POST /sandbox/simulate-call {assistantId|phoneNumberId|callId, intent, speed?, customer?, wait?,
    forwardedFrom?, details?} -> 201 Call (``forwardedFrom``: an inbound call forwarded to the number from that line;
    ``details``: what the scripted caller knows, as ``scenarios.build_scenario`` reads it)."""
    org = _org(request)
    body = await _body(request)
    problems = contract.unknown_properties(body, _SIMULATE_FIELDS)
    if body.get("intent") not in INTENTS:
        problems.append(f"intent must be one of the following values: {', '.join(INTENTS)}")
    if not any(body.get(key) for key in ("assistantId", "phoneNumberId", "callId")):
        problems.append("Need one of `assistantId`, `phoneNumberId` or `callId`.")
    speed = body.get("speed", 1.0)
    if not isinstance(speed, int | float) or isinstance(speed, bool) or speed < 0:
        problems.append("speed must be a number >= 0 (1 = real time, 0 = no pauses)")
    forwarded_from = body.get("forwardedFrom")
    if forwarded_from is not None and (not isinstance(forwarded_from, str) or not body.get("phoneNumberId")):
        problems.append("forwardedFrom must be a phone number string, with phoneNumberId")
    details = body.get("details")
    if details is not None and not isinstance(details, dict):
        problems.append("details must be an object")
    if problems:
        raise bad_request(problems)
    try:
        call = await start_simulated_call(
            _sandbox(request),
            intent=body["intent"],
            assistant_id=body.get("assistantId"),
            phone_number_id=body.get("phoneNumberId"),
            call_id=body.get("callId"),
            speed=float(speed),
            customer=body.get("customer"),
            org_id=org,
            wait=bool(body.get("wait")),
            forwarded_from=forwarded_from,
            details=details,
        )
    except LookupError as exc:
        raise VapiHttpError(404, str(exc)) from None
    return _answer(call, status_code=201)


async def recording(request: Request) -> Response:
    """GET /recording/{callId}-mono.wav: the simulated call's audio (public, like Vapi's storage URLs)."""
    name = request.path_params["name"]
    path = _sandbox(request).recordings_dir / name
    if not _RECORDING_NAME.match(name) or not path.is_file():
        raise VapiHttpError(404, "Recording not found")
    return FileResponse(path, media_type="audio/wav")


async def web_call_page(request: Request) -> HTMLResponse:
    """Where ``webCallUrl`` points: there is no audio room offline, so say what happens instead."""
    return HTMLResponse(
        "<!doctype html><title>AVA sandbox web call</title><p>This is a sandbox web call. There is no live audio "
        "offline: the call is simulated and its transcript arrives through the webhooks.</p>"
    )
