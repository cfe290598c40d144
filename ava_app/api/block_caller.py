"""/api/v1/block-caller: the "Block this caller" link of a call's summary email.

``GET ?token=`` only shows a confirmation page: mail scanners and link previews fetch every link in a message, and
none of them may block a caller. The button on that page posts the same token (``POST``), whose signature, expiry,
purpose, organisation and member are checked again (``services.call_blocking.read_block_link``) before blocking.
The pages are plain HTML from this route (no app shell, no login needed): the link is the proof.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Form, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from ava_app import routes
from ava_app.db import get_engine
from ava_app.i18n import translate
from ava_app.services import call_blocking
from ava_app.services.errors import Unauthorized

router = APIRouter(prefix=routes.BLOCK_CALLER_LINK, tags=["calls"])
TOKEN = Query(max_length=4000, description="The signed token of a summary email's block link.")
# A page with no script, no outside resource, and a form that may only post back here.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(lang: str, *, title: str, body: str, form: str = "", status_code: int = 200) -> HTMLResponse:
    page = (
        f'<!DOCTYPE html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f3f4f6;margin:0;"
        "padding:32px 16px;color:#111827}"
        "main{max-width:480px;margin:0 auto;background:#fff;border-radius:8px;padding:32px}"
        "h1{font-size:22px;margin:0 0 16px}p{font-size:15px;line-height:22px}"
        "button{font-size:15px;font-weight:600;padding:12px 24px;border:0;border-radius:6px;background:#dc2626;"
        "color:#fff;cursor:pointer}@media (prefers-color-scheme:dark){body{background:#111113;color:#edeef0}"
        "main{background:#18191b}}</style></head>"
        f"<body><main><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>{form}</main></body></html>"
    )
    return HTMLResponse(page, status_code=status_code, headers=HEADERS)


def _refused(lang: str = "en") -> HTMLResponse:
    return _page(
        lang,
        title=translate("block.link.invalid_title", lang),
        body=translate("block.link.invalid", lang),
        status_code=401,
    )


def _read(token: str) -> call_blocking.BlockLinkGrant:
    with Session(get_engine(), expire_on_commit=False) as session:
        return call_blocking.read_block_link(session, token=token)


def _block(token: str) -> call_blocking.BlockLinkGrant:
    with Session(get_engine(), expire_on_commit=False) as session:
        return call_blocking.block_from_link(session, token=token)


@router.get("", summary="Confirm blocking a call's caller (from a summary email)", response_class=HTMLResponse)
async def confirm_block(token: str = TOKEN) -> HTMLResponse:
    """The confirmation page: who would be blocked, and a button that posts the token back. Blocks nothing."""
    try:
        grant = await run_in_threadpool(_read, token)
    except Unauthorized:
        return _refused()
    lang = grant.language
    if grant.already_blocked:
        body = translate("block.link.already", lang, caller=grant.caller_display, business=grant.tenant_name)
        return _page(lang, title=translate("block.link.done_title", lang), body=body)
    form = (
        f'<form method="post" action="{html.escape(routes.api(routes.BLOCK_CALLER_LINK))}">'
        f'<input type="hidden" name="token" value="{html.escape(token, quote=True)}">'
        f'<button type="submit">{html.escape(translate("block.link.button", lang))}</button></form>'
    )
    body = translate("block.link.confirm", lang, caller=grant.caller_display, business=grant.tenant_name)
    return _page(lang, title=translate("block.link.title", lang), body=body, form=form)


@router.post("", summary="Block a call's caller (the confirmation page's button)", response_class=HTMLResponse)
async def block(token: str = Form(max_length=4000)) -> HTMLResponse:
    """Check the link again, then add the call's caller to its organisation's block list."""
    try:
        grant = await run_in_threadpool(_block, token)
    except Unauthorized:
        return _refused()
    lang = grant.language
    body = translate("block.link.done", lang, caller=grant.caller_display, business=grant.tenant_name)
    return _page(lang, title=translate("block.link.done_title", lang), body=body)
