"""Website import: one page read through the outbound guard, its findings, and the refusals (SSRF, errors).

The page is served by the test on 127.0.0.1; development allows local pages (as the SMTP tests do), production
refuses them before any byte is sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ava_app.services import site_import
from ava_app.services.errors import Forbidden, Invalid
from ava_app.services.outbound_guard import OutboundRefused
from ava_app.services.principal import Principal
from ava_app.services.site_import import Finding, SiteUnavailable
from ava_app.settings import get_settings
from tests.factories import make_tenant, make_user
from tests.servers import serve_app

PAGE = (Path(__file__).resolve().parent.parent / "fixtures" / "websites" / "salon.html").read_text()


def _app() -> Starlette:
    async def page(request):
        return HTMLResponse(PAGE)

    async def empty(request):
        return HTMLResponse("<html><body><h1>Welcome</h1><p>Nothing here.</p></body></html>")

    async def pdf(request):
        return Response(b"%PDF-1.4", media_type="application/pdf")

    async def huge(request):
        return HTMLResponse("<p>" + "x" * (site_import.MAX_BYTES + 10) + "</p>")

    async def missing(request):
        return PlainTextResponse("gone", status_code=404)

    async def moved(request):
        return RedirectResponse("/salon", status_code=302)

    routes = [("/salon", page), ("/empty", empty), ("/brochure", pdf), ("/huge", huge), ("/old", moved)]
    return Starlette(routes=[Route(path, handler) for path, handler in routes] + [Route("/missing", missing)])


@pytest.fixture(scope="module")
def site():
    with serve_app(_app()) as base_url:
        yield base_url


@pytest.fixture()
def production(monkeypatch):
    monkeypatch.setenv("AVA_ENV", "prod")
    monkeypatch.setenv("AVA_ALLOW_SANDBOX", "true")  # the providers are not what these tests are about
    monkeypatch.setenv("AVA_SECRET_KEY", "k" * 48)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def owner_of(db, **tenant_fields) -> Principal:
    tenant = make_tenant(db, **tenant_fields)
    user = make_user(db, tenant=tenant, role="admin")
    return Principal(user_id=user.id, tenant_id=tenant.id, role="admin")


def test_the_fixture_page_gives_contacts_hours_and_questions():
    items = site_import.extract(PAGE, country="FR", language="fr")
    assert [item for item in items if item.kind != "faq"] == [
        Finding(kind="phone", value="04 78 12 34 56"),
        Finding(kind="email", value="bonjour@salon-lumiere.example"),
        Finding(kind="address", value="12 rue de la République, 69002 Lyon, FR"),
        Finding(kind="hours", value="mardi–vendredi 09:00–19:00"),
        Finding(kind="hours", value="samedi 09:00–17:00"),
    ]
    questions = {item.question: item.answer for item in items if item.kind == "faq"}
    assert questions == {
        # JSON-LD FAQPage (its HTML answer read as text), then <details>, <dl> and a heading phrased as a question.
        "Faut-il prendre rendez-vous ?": "Oui, de préférence. Nous gardons deux créneaux sans rendez-vous le samedi "
        "matin.",
        "Acceptez-vous la carte bancaire ?": "Oui, carte bancaire et espèces.",
        "Faites-vous les coupes enfants ?": "Oui, jusqu'à 12 ans.",
        "Proposez-vous des cartes cadeaux ?": "Oui, en vente au salon.",
        "Où se garer ?": "Le parking Céléstins est à deux minutes à pied.",
    }


def test_accepted_findings_become_an_address_and_entries():
    items = site_import.extract(PAGE, country="FR", language="fr")
    chosen = [items[0], items[2], items[3], items[5]]
    address, entries = site_import.accepted_entries(chosen, language="fr")
    assert address == "12 rue de la République, 69002 Lyon, FR"
    # The page's hours are readable: they are proposed as the business hours, not kept as an answer.
    assert entries == [
        {"question": "Comment vous joindre par téléphone ou par e-mail ?", "answer": "Téléphone : 04 78 12 34 56."},
        {"question": items[5].question, "answer": items[5].answer},
    ]
    # Where no hours can be proposed (no number to put them on), they stay an answer, to review.
    _, entries = site_import.accepted_entries(chosen, language="fr", propose_hours=False)
    assert entries[1] == {
        "question": "Quels sont vos horaires d'ouverture ?",
        "answer": "mardi–vendredi 09:00–19:00.",
        "review": True,
    }


def test_reading_a_local_page_in_development(db, site):
    owner = owner_of(db, country="FR", locale="fr")
    found = site_import.read_website(db, principal=owner, url=f"{site}/old")
    assert found.url == f"{site}/salon"  # the redirect was followed (and checked)
    assert Finding(kind="address", value="12 rue de la République, 69002 Lyon, FR") in found.items
    assert sum(item.kind == "faq" for item in found.items) == 5


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", site_import.SITE_ERROR),
        ("/brochure", site_import.NOT_HTML),
        ("/huge", site_import.TOO_LARGE),
        ("/empty", site_import.NOTHING_FOUND),
    ],
)
def test_pages_that_cannot_be_used_say_why(db, site, path, message):
    with pytest.raises(SiteUnavailable) as refused:
        site_import.read_website(db, principal=owner_of(db), url=site + path)
    assert refused.value.message == message


def test_an_unreachable_site_is_a_clear_error(db):
    from tests.mail import closed_port

    with pytest.raises(SiteUnavailable) as refused:
        site_import.read_website(db, principal=owner_of(db), url=f"http://127.0.0.1:{closed_port()}/")
    assert refused.value.message == site_import.SITE_UNREACHABLE


@pytest.mark.parametrize(
    "url",
    ["", "not a url", "ftp://example.com/page", "file:///etc/passwd", "javascript:alert(1)", "https://", "x" * 2001],
)
def test_only_web_addresses_are_accepted(db, url):
    with pytest.raises(Invalid) as refused:
        site_import.read_website(db, principal=owner_of(db), url=url)
    assert set(refused.value.details["fields"]) == {"url"}


def test_a_bare_domain_is_read_over_https():
    assert site_import.normalise_url(" example.com/contact ") == "https://example.com/contact"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1/", "outbound_private"),
        ("http://169.254.169.254/latest/meta-data/", "outbound_private"),
        ("http://[::1]/", "outbound_private"),
        ("http://localhost/", "outbound_private"),
        ("http://10.0.0.8/admin", "outbound_private"),
        ("http://127.0.0.1:8080/", "outbound_port"),
    ],
)
def test_production_refuses_private_addresses_before_sending_anything(db, production, url, code):
    with pytest.raises(OutboundRefused) as refused:
        site_import.read_website(db, principal=owner_of(db), url=url)
    assert refused.value.code == code


def test_production_refuses_the_test_page_itself(db, production, site):
    with pytest.raises(OutboundRefused):
        site_import.read_website(db, principal=owner_of(db), url=f"{site}/salon")


def test_only_writers_import(db, site):
    tenant = make_tenant(db)
    viewer = make_user(db, tenant=tenant, role="viewer")
    with pytest.raises(Forbidden):
        site_import.read_website(
            db, principal=Principal(user_id=viewer.id, tenant_id=tenant.id, role="viewer"), url=f"{site}/salon"
        )
