"""Integers no id column can hold are a 422 on every route that takes one, never a 500.

SQLite cannot bind 2**63 and beyond; PostgreSQL's INTEGER stops at 2**31 - 1 (``DB_INT_MAX``).
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from ava_app.api.app import create_api
from ava_app.models import DB_INT_MAX
from ava_app.services import accounts, rate_limits

# The webhooks take no integer from a path or query; their bodies are covered by the payload hardening tests.
TOO_BIG = (DB_INT_MAX + 1, 2**63, 10**30)
# Placeholders for the other path parameters of a route, so only the integer under test is out of range.
OTHER_PATH_VALUES = {"fmt": "json", "provider": "openai", "industry": "clinic"}


@pytest.fixture()
async def client(engine):
    rate_limits.reset_rate_limits()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as http:
        yield http
    rate_limits.reset_rate_limits()


@pytest.fixture()
def token(db) -> str:
    """An admin of a throwaway organisation."""
    result = accounts.signup(
        db, name="Bounds Owner", email="owner@bounds.example", password="tulip-garage-42", organisation_name="Bounds"
    )
    return result.access_token


def integer_parameters(spec: dict) -> list[tuple[str, str, dict, dict]]:
    """(method, path, parameter, the other path parameters) for every integer path or query parameter of /api/v1."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                schema = parameter.get("schema", {})
                types = {schema.get("type")} | {option.get("type") for option in schema.get("anyOf", [])}
                if "integer" in types and parameter["in"] in ("path", "query"):
                    others = {p["name"]: p for p in parameters if p["in"] == "path" and p is not parameter}
                    found.append((method.upper(), path, parameter, others))
    return found


def request_for(path: str, parameter: dict, others: dict, value: int) -> tuple[str, dict]:
    values = {name: OTHER_PATH_VALUES.get(name, 1) for name in others}
    if parameter["in"] == "path":
        values[parameter["name"]] = value
        return path.format(**values), {}
    return path.format(**values), {parameter["name"]: str(value)}


async def test_every_integer_parameter_is_bounded_in_the_schema(client):
    spec = (await client.get("/api/openapi.json")).json()
    found = integer_parameters(spec)
    assert len(found) >= 15, found
    unbounded = []
    for method, path, parameter, _ in found:
        schema = parameter["schema"]
        integers = [option for option in (schema, *schema.get("anyOf", [])) if option.get("type") == "integer"]
        if not all(option.get("maximum", DB_INT_MAX + 1) <= DB_INT_MAX for option in integers):
            unbounded.append((method, path, parameter["name"]))
    assert unbounded == []


async def test_out_of_range_integers_are_422_on_every_route(client, token):
    spec = (await client.get("/api/openapi.json")).json()
    headers = {"Authorization": f"Bearer {token}"}
    tried = []
    for method, path, parameter, others in integer_parameters(spec):
        for value in TOO_BIG:
            url, query = request_for(path, parameter, others, value)
            response = await client.request(method, url, params=query, headers=headers)
            tried.append((method, path, parameter["name"], value, response.status_code))
            assert response.status_code == 422, (method, url, query, response.status_code, response.text[:200])
    assert len(tried) >= 45


async def test_the_largest_bindable_integer_is_answered_without_a_server_error(client, token):
    spec = (await client.get("/api/openapi.json")).json()
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, parameter, others in integer_parameters(spec):
        if parameter["name"] in ("limit", "offset", "min_duration", "max_duration"):
            continue  # a page size or offset that large is refused or simply empty; ids are what this is about
        url, query = request_for(path, parameter, others, DB_INT_MAX)
        response = await client.request(method, url, params=query, headers=headers)
        assert response.status_code < 500, (method, url, query, response.status_code, response.text[:200])


def cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "forged"),
    [
        ("date", cursor("date", "desc", "2026-01-01T00:00:00+00:00", 2**63)),
        ("date", cursor("date", "desc", "2026-01-01T00:00:00+00:00", 10**30)),
        ("date", cursor("date", "desc", "2026-01-01T00:00:00+00:00", True)),
        ("date", cursor("date", "desc", "2026-01-01T00:00:00+00:00", 2**31)),
        ("duration", cursor("duration", "desc", 2**64, 5)),
        ("duration", cursor("duration", "desc", 2**31, 5)),
        ("duration", cursor("duration", "desc", -(2**64), 5)),
        ("duration", cursor("duration", "desc", "NaN", 5)),
        ("duration", cursor("duration", "desc", "1e400", 5)),
    ],
)
async def test_a_cursor_with_numbers_the_database_cannot_bind_is_422(client, token, sort, forged):
    response = await client.get(
        "/api/v1/calls",
        params={"sort": sort, "cursor": forged},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["fields"] == {"cursor": "invalid"}


async def test_out_of_range_ids_in_the_calls_filters_are_field_errors(client, token):
    headers = {"Authorization": f"Bearer {token}"}
    for params in ({"ids": f"1,{2**63}"}, {"ids": f"{2**31}"}, {"ids": str(10**30)}, {"ids": "0"}):
        for url in ("/api/v1/calls", "/api/v1/calls/export"):
            response = await client.get(url, params=params, headers=headers)
            assert response.status_code == 422, (url, params, response.text)
            assert "ids" in response.json()["fields"]
