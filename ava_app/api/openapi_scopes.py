"""The OpenAPI document says, for each operation, which API key scope it needs or that it is for people only.

FastAPI already lists the bearer scheme and each operation's security requirement with its scopes (the ``Security``
scopes of ``api.auth_deps``); this adds the same as words in each operation's description, an ``x-api-key-scopes``
field, and the list of scopes on the scheme, where the interactive docs show them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from ava_app.services.api_keys import SCOPES

SCOPES_FIELD = "x-api-key-scopes"


def _scope_note(scopes: list[str]) -> str:
    if scopes:
        return "**API key scope:** " + ", ".join(f"`{scope}`" for scope in scopes) + "."
    return "**People only:** API keys are refused here (403 `user_required`)."


def _document_scopes(schema: dict[str, Any]) -> None:
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or not operation.get("security"):
                continue
            needs = [need for requirement in operation["security"] for need in requirement.values()]
            scopes = sorted({scope for need in needs for scope in need})
            operation[SCOPES_FIELD] = scopes
            description = operation.get("description", "")
            operation["description"] = f"{description}\n\n{_scope_note(scopes)}".strip()
    listing = "\n".join(f"- `{scope}`: {meaning}" for scope, meaning in SCOPES.items())
    for scheme in schema.get("components", {}).get("securitySchemes", {}).values():
        if scheme.get("scheme") == "bearer":
            scheme["description"] = (
                f"{scheme.get('description', '')}\n\nAn API key reaches only the routes of its scopes (403 "
                f"`insufficient_scope` otherwise), until it expires or is revoked (401), at a limited rate per key "
                f"(429 with `Retry-After`). Scopes:\n{listing}"
            ).strip()


def install_scope_docs(api: FastAPI) -> None:
    """Make ``api.openapi()`` document the scopes (built once, like FastAPI's own document)."""
    build: Callable[[], dict[str, Any]] = api.openapi
    documented: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if not documented:
            _document_scopes(schema)
            documented.append(True)
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
