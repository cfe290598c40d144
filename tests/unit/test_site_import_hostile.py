"""Website import against a hostile page: a site the tenant controls must not stall or exhaust the server.

A slow site is cut off after the import's time budget in total (not per read), a compressed body is read only up to
the size cap (a gzip bomb is not inflated in memory), and a page built to make the parser slow (thousands of nested
elements, a huge JSON-LD list) is read in bounded time.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib

import pytest
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ava_app.services import site_import
from ava_app.services.site_import import SiteUnavailable
from tests.servers import serve_app


def _gzip_of_zeros(size: int) -> bytes:
    """A gzip stream of ``size`` zero bytes, built without holding them in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, packer.flush()])


BOMB = _gzip_of_zeros(60 * 1024 * 1024)  # about 60 kB on the wire, 60 MB inflated
DOUBLE_BOMB = gzip.compress(_gzip_of_zeros(400 * 1024 * 1024), 9)  # a few kB, 400 MB after two inflations


def _app() -> Starlette:
    async def drip(request):
        async def body():
            yield b"<html><body>"
            for _ in range(40):  # 20 s in all: far past the budget, never idle long enough for a read timeout
                await asyncio.sleep(0.5)
                yield b"<p>.</p>"

        return StreamingResponse(body(), media_type="text/html")

    async def bomb(request):
        return Response(BOMB, media_type="text/html", headers={"Content-Encoding": "gzip"})

    async def double_bomb(request):
        return Response(DOUBLE_BOMB, media_type="text/html", headers={"Content-Encoding": "gzip, gzip"})

    async def small_gzip(request):
        page = b'<html><body><a href="mailto:hello@salon.example">Write</a></body></html>'
        return Response(gzip.compress(page), media_type="text/html", headers={"Content-Encoding": "gzip"})

    routes = [("/drip", drip), ("/bomb", bomb), ("/double", double_bomb), ("/small", small_gzip)]
    return Starlette(routes=[Route(path, handler) for path, handler in routes])


@pytest.fixture(scope="module")
def site():
    with serve_app(_app()) as base_url:
        yield base_url


def _fetch(url: str) -> tuple[str, str]:
    return asyncio.run(site_import.fetch_page(url))


def test_a_site_that_drips_bytes_is_cut_off_after_the_budget_in_total(site, monkeypatch):
    monkeypatch.setattr(site_import, "TIMEOUT_SECONDS", 2.0)
    started = time.monotonic()
    with pytest.raises(SiteUnavailable) as refused:
        _fetch(f"{site}/drip")
    assert time.monotonic() - started < 6
    assert refused.value.message == site_import.SITE_UNREACHABLE


@pytest.mark.parametrize("path", ["/bomb", "/double"])
def test_a_compressed_bomb_is_refused_without_inflating_it(site, path):
    tracemalloc.start()
    try:
        with pytest.raises(SiteUnavailable):
            _fetch(site + path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"{peak // (1024 * 1024)} MB held while reading a {path} page"


def test_a_normal_compressed_page_is_still_read(site):
    final_url, html = _fetch(f"{site}/small")
    assert final_url == f"{site}/small" and "hello@salon.example" in html


@pytest.mark.parametrize(
    "chunk",
    [
        "<details><summary>Open?</summary>yes ",
        "<address>1 rue ",
        '<div itemprop="address">1 rue ',
        "<div><h2>Open?</h2><div>yes ",
        "<dl><dt>Open?</dt><dd>yes ",
    ],
)
def test_thousands_of_nested_elements_are_read_in_bounded_time(chunk):
    html = chunk * 60_000  # about 2 MB, the most a page may be
    started = time.monotonic()
    site_import.extract(html)
    assert time.monotonic() - started < 5


def test_a_huge_json_ld_list_is_read_in_bounded_time():
    html = '<script type="application/ld+json">[' + ",".join(["{}"] * 300_000) + "]</script>"
    started = time.monotonic()
    assert site_import.extract(html) == []
    assert time.monotonic() - started < 3


def test_json_ld_nested_too_deep_is_skipped_not_a_crash():
    html = (
        '<script type="application/ld+json">' + "[" * 5000 + '</script><a href="mailto:hello@salon.example">Write</a>'
    )
    assert [item.value for item in site_import.extract(html)] == ["hello@salon.example"]


def test_a_page_with_an_inline_drawing_and_unclosed_paragraphs_is_still_read():
    drawing = "<svg>" + '<path d="M0 0"/>' * 400 + "</svg>"
    items = "<ul>" + "<li>item" * 400 + "</ul>" + "<p>text" * 400
    html = f'<div><div>{drawing}{items}<a href="mailto:hello@salon.example">Write</a></div></div>'
    assert [item.value for item in site_import.extract(html)] == ["hello@salon.example"]


@pytest.mark.parametrize(
    "chunk",
    [
        "<div/>",  # in HTML "/>" does not close a <div>
        "<svg><div/>",  # <div> leaves the drawing
        "<svg/><x/>",  # a self-closed drawing is no drawing to be inside
        "<svg></p><x/>",  # </p> leaves the drawing too
        "<div></x>",  # an end tag for nothing open closes nothing
        '<div title="<">',
    ],
)
def test_nesting_hidden_from_the_depth_count_is_still_counted(chunk):
    assert site_import._too_deep(chunk * (site_import.MAX_DEPTH + 1))
    assert not site_import._too_deep(chunk * 20 + "<a href='mailto:hello@salon.example'>Write</a>")


def test_an_address_httpx_cannot_read_is_a_clear_error_not_a_crash():
    with pytest.raises(SiteUnavailable) as refused:
        _fetch("http://0177.0.0.1/")  # octal: urlsplit takes it, httpx refuses it
    assert refused.value.message == site_import.SITE_UNREACHABLE
