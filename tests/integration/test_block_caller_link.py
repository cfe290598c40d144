"""/api/v1/block-caller: a summary email's "Block this caller" link, through the ASGI app.

Opening the link only shows a confirmation (mail scanners fetch links); the button posts the token back, and only a
genuine, unexpired link of its purpose, for a member who may still write in its organisation, blocks anyone.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from sqlmodel import select

from ava_app.api.app import create_api
from ava_app.models import BlockedCaller, Membership, utcnow
from ava_app.services import call_blocking, download_links
from ava_app.services.principal import Principal
from tests.factories import make_call, make_tenant, make_user

CALLER = "+33612345678"


@pytest.fixture()
async def client(engine):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api()), base_url="http://testserver") as c:
        yield c


@pytest.fixture()
def business(db):
    tenant = make_tenant(db, name="Salon Léa", country="FR", locale="fr")
    owner = make_user(db, tenant=tenant, role="user", email="lea@example.com")
    call = make_call(db, tenant=tenant, caller_number=CALLER)
    return tenant, owner, call


def blocked(db, tenant) -> list[str]:
    db.expire_all()
    return list(db.exec(select(BlockedCaller.value).where(BlockedCaller.tenant_id == tenant.id)).all())


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def test_opening_the_link_only_asks_and_the_button_blocks(client, db, business):
    tenant, owner, call = business
    link = call_blocking.block_link_for(db, call=call, address="LEA@example.com")
    assert urlsplit(link).path == "/api/v1/block-caller"
    token = token_of(link)
    for _ in range(3):  # a scanner, a preview, the owner
        page = await client.get("/api/v1/block-caller", params={"token": token})
        assert page.status_code == 200 and "Bloquer cet appelant" in page.text and "06 12 34 56 78" in page.text
        assert 'method="post"' in page.text and "script" not in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
    assert blocked(db, tenant) == []
    done = await client.post("/api/v1/block-caller", data={"token": token})
    assert done.status_code == 200 and "Appelant bloqué" in done.text
    assert blocked(db, tenant) == [CALLER]
    again = await client.get("/api/v1/block-caller", params={"token": token})
    assert "déjà bloqué" in again.text and 'method="post"' not in again.text


async def test_tampered_expired_or_other_purpose_links_are_refused(client, db, business):
    tenant, owner, call = business
    good = call_blocking.block_link_token(tenant_id=tenant.id, call_id=call.id, user_id=owner.id)
    head, payload, signature = good.split(".")
    expired = call_blocking.block_link_token(
        tenant_id=tenant.id, call_id=call.id, user_id=owner.id, now=utcnow() - timedelta(days=8)
    )
    other_call = make_call(db, tenant=tenant, caller_number="+33698765432")
    # The same claims signed with the download links' key, and a genuine download link: neither is a block link.
    forged = jwt.encode(jwt.decode(good, options={"verify_signature": False}), b"x" * 32, algorithm="HS256")
    download = download_links.issue_link_token(
        principal=Principal(user_id=owner.id, tenant_id=tenant.id, role="user", session_id=1),
        kind="call",
        resource={"call_id": call.id},
        ttl=timedelta(minutes=5),
    )
    resigned = jwt.encode(
        {**jwt.decode(good, options={"verify_signature": False}), "cid": other_call.id}, b"k" * 32, algorithm="HS256"
    )
    for token in (
        f"{head}.{payload}.{signature[:-2]}AA",
        f"{head}.{payload[:-2]}xx.{signature}",
        expired,
        forged,
        download,
        resigned,
        "",
        "not-a-token",
    ):
        shown = await client.get("/api/v1/block-caller", params={"token": token})
        done = await client.post("/api/v1/block-caller", data={"token": token})
        assert shown.status_code in (401, 422) and done.status_code in (401, 422), token
        if token:
            assert shown.status_code == 401 and "expiré" not in shown.text  # no business, so AVA's default language
    assert blocked(db, tenant) == []


async def test_a_member_who_lost_write_access_cannot_use_the_link(client, db, business):
    tenant, owner, call = business
    token = call_blocking.block_link_token(tenant_id=tenant.id, call_id=call.id, user_id=owner.id)
    membership = db.exec(select(Membership).where(Membership.user_id == owner.id)).one()
    membership.role = "viewer"
    db.add(membership)
    db.commit()
    assert (await client.post("/api/v1/block-caller", data={"token": token})).status_code == 401
    db.delete(membership)
    db.commit()
    assert (await client.get("/api/v1/block-caller", params={"token": token})).status_code == 401
    assert blocked(db, tenant) == []


def test_only_members_who_may_block_get_a_link(db, business):
    tenant, _owner, call = business
    make_user(db, tenant=tenant, role="viewer", email="viewer@example.com")
    other = make_tenant(db, name="Other")
    make_user(db, tenant=other, role="admin", email="stranger@example.com")
    assert call_blocking.block_link_for(db, call=call, address="lea@example.com")
    assert call_blocking.block_link_for(db, call=call, address="viewer@example.com") == ""
    assert call_blocking.block_link_for(db, call=call, address="stranger@example.com") == ""
    assert call_blocking.block_link_for(db, call=call, address="nobody@example.com") == ""
    withheld = make_call(db, tenant=tenant, caller_number=None)
    assert call_blocking.block_link_for(db, call=withheld, address="lea@example.com") == ""
