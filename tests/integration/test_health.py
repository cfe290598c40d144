"""/healthz reports the database, and the API documents itself."""

import httpx

from ava_app.api.app import create_api


async def test_healthz_ok_and_docs(engine):
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
        docs = await client.get("/api/docs")
        assert docs.status_code == 200
        assert "/healthz" in (await client.get("/api/openapi.json")).json()["paths"]


async def test_healthz_503_when_database_unreachable(engine, monkeypatch):
    from ava_app.db import get_engine

    get_engine.cache_clear()
    monkeypatch.setenv("AVA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    from ava_app.settings import get_settings

    get_settings.cache_clear()
    transport = httpx.ASGITransport(app=create_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
