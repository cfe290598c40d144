"""Import from the business's website: one page, fetched through the outbound guard, read for what a receptionist
needs (phone, email, address, opening hours, questions and answers).

Nothing found is saved here: ``read_website`` gives findings, the owner accepts them one by one, and
``accepted_entries`` turns the accepted ones into knowledge-base entries (the address goes to the business profile).
Opening hours AVA can read ("Mon–Fri 9:00–18:00", "Lundi au vendredi 9h-18h", "9am-5pm") are not an answer but a
proposed week (``proposed_week``), which the owner confirms as the business hours or not; hours it cannot read stay
an answer, flagged to review.

Sources, best first: schema.org JSON-LD (``LocalBusiness`` and its kinds, ``FAQPage``), schema.org microdata, then the
page's own HTML (``tel:``/``mailto:`` links, ``<address>``, ``<details>``, ``<dl>`` and headings phrased as questions).
The fetch is http(s) only, 2 MB and 10 seconds at most, three redirects, and in production public addresses only
(``outbound_guard``), so a tenant cannot use it to reach AVA's own network.
"""

from __future__ import annotations

import asyncio
import json
import re
import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

import httpx
from babel.dates import get_day_names
from pydantic import BaseModel
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node
from sqlmodel import Session

from ava_app.models import Tenant
from ava_app.services import phones
from ava_app.services.async_bridge import run_coroutine_sync
from ava_app.services.business_hours import WEEKDAY_KEYS, TimeRangeIn, validate_business_hours
from ava_app.services.errors import DomainError, Invalid
from ava_app.services.outbound_guard import OutboundPolicy, OutboundRefused, check_url, guarded_transport
from ava_app.services.principal import Principal
from ava_app.settings import get_settings

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
MAX_URL_CHARS = 2000
MAX_FAQS, MAX_CONTACTS, MAX_HOURS = 20, 5, 14
# Elements of one kind looked at, and JSON-LD objects read: each element's text spans all it contains, so a page of
# thousands of nested <details> would otherwise cost thousands of whole-page reads (minutes of CPU).
MAX_NODES, MAX_LD_OBJECTS, MAX_DEPTH = 100, 2000, 256
HTML_TYPES = ("text/html", "application/xhtml+xml")
QUESTION_MAX, ANSWER_MAX = 500, 2000
MAX_TEXT_CHARS, MAX_TEXT_NODES = 2 * (QUESTION_MAX + ANSWER_MAX), 2000

URL_MISSING = "Enter the address of your website."
URL_INVALID = "This is not a web address. Write it like https://www.example.com."
SITE_UNREACHABLE = "The website could not be reached. Check the address and try again."
SITE_ERROR = "The website answered with an error. Check the address and try again."
NOT_HTML = "This address is not a web page."
TOO_LARGE = "This page is too large to read (over 2 MB)."
NOTHING_FOUND = "Nothing AVA can use was found on this page."


class SiteUnavailable(DomainError):
    """The page could not be read (unreachable, an error status, not HTML, too large)."""

    status_code = 502
    code = "website_unavailable"


class Finding(BaseModel):
    """One thing found on the page, for the owner to accept or not.

    ``kind``: phone, email, address, hours or faq. ``value`` is the phone, email, address or hours line; a faq has
    ``question`` and ``answer``.
    """

    kind: str
    value: str = ""
    question: str = ""
    answer: str = ""


class SiteFindings(BaseModel):
    url: str
    items: list[Finding]


def website_policy() -> OutboundPolicy:
    """http(s) on the usual ports and public addresses in production; any port and local pages in development."""
    production = get_settings().env == "prod"
    return OutboundPolicy(
        name="website",
        schemes=frozenset({"http", "https"}),
        ports=frozenset({80, 443}) if production else None,
        allow_private=not production,
    )


def normalise_url(text: str) -> str:
    """The owner's typed address as a URL (``example.com`` -> ``https://example.com``); Invalid when it is not one."""
    url = (text or "").strip()
    if not url:
        raise Invalid(URL_MISSING, fields={"url": URL_MISSING})
    if len(url) > MAX_URL_CHARS or any(char.isspace() for char in url):
        raise Invalid(URL_INVALID, fields={"url": URL_INVALID})
    if "://" not in url:
        url = "https://" + url
    if not re.match(r"^https?://[^/?#]+\.[^/?#]+|^https?://(localhost|\[?[0-9a-f:.]+\]?)(:\d+)?([/?#]|$)", url, re.I):
        raise Invalid(URL_INVALID, fields={"url": URL_INVALID})
    return url


async def fetch_page(url: str) -> tuple[str, str]:
    """(final URL, HTML) of ``url``; OutboundRefused for a refused address, SiteUnavailable when unreadable."""
    policy = website_policy()
    check_url(url, policy)

    async def check_hop(request: httpx.Request) -> None:
        check_url(str(request.url), policy)  # every redirect too (the guarded transport checks its address)

    client = httpx.AsyncClient(
        transport=guarded_transport(policy),
        timeout=httpx.Timeout(TIMEOUT_SECONDS),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        event_hooks={"request": [check_hop]},
        headers={"User-Agent": "AVA-website-import/1.0", "Accept": "text/html,application/xhtml+xml"},
    )
    try:
        # The budget is for the whole import: httpx's timeout is per read, so a site sending a byte every few
        # seconds would otherwise hold the import (and its worker thread) for as long as it likes.
        async with asyncio.timeout(TIMEOUT_SECONDS), client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise SiteUnavailable(SITE_ERROR)
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind and kind not in HTML_TYPES:
                raise SiteUnavailable(NOT_HTML)
            body = await _read_capped(response)
            return str(response.url), body.decode(response.encoding or "utf-8", errors="replace")
    except OutboundRefused:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, TimeoutError):
        raise SiteUnavailable(SITE_UNREACHABLE) from None


async def _read_capped(response: httpx.Response) -> bytes:
    """The body, inflated by AVA itself up to ``MAX_BYTES``: httpx would inflate each read whole (a 64 kB gzip
    read is 64 MB of zeros, and "gzip, gzip" multiplies that again) before any size could be checked."""
    coding = response.headers.get("content-encoding", "").strip().lower()
    if coding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise SiteUnavailable(NOT_HTML)  # stacked or unknown codings: no web page needs them
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32) if coding not in ("", "identity") else None
    body, received = bytearray(), 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, MAX_BYTES + 1 - len(body))
            except zlib.error:
                raise SiteUnavailable(SITE_UNREACHABLE) from None
        body += chunk
        if len(body) > MAX_BYTES or received > MAX_BYTES:
            raise SiteUnavailable(TOO_LARGE)
    return bytes(body)


def read_website(session: Session, *, principal: Principal, url: str) -> SiteFindings:
    """What the business's page says that the assistant can use; nothing is saved. Blocks on the network: state
    handlers run it off the event loop."""
    tenant_id = principal.require_writer()
    target = normalise_url(url)
    tenant = session.get(Tenant, tenant_id)
    final_url, html = run_coroutine_sync(fetch_page(target))
    items = extract(html, country=tenant.country if tenant else None, language=tenant.locale if tenant else None)
    if not items:
        raise SiteUnavailable(NOTHING_FOUND, code="website_nothing_found")
    return SiteFindings(url=final_url, items=items)


# --- reading the page ------------------------------------------------------------------------------------------


def extract(html: str, *, country: str | None = None, language: str | None = None) -> list[Finding]:
    """Phones, emails, addresses, opening hours and questions with answers found in ``html``, without duplicates;
    phones written for ``country``, weekdays in ``language``."""
    if _too_deep(html or ""):
        return []
    tree = HTMLParser(html or "")
    found: list[Finding] = []
    day_names = _day_names(language)
    for node in _json_ld(tree):
        found += _from_schema(node, day_names)
    found += _from_microdata(tree)
    found += _from_html(tree)
    return _dedupe(found, country=country)


# Elements that never hold others, and those the parser closes itself when the next one starts (an unclosed <p> or
# <li> of an old page does not nest).
_VOID = frozenset(
    str.split("area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr")
)
_AUTO_CLOSED = frozenset(
    str.split("body caption colgroup dd dt head html li optgroup option p rb rp rt rtc tbody td tfoot th thead tr")
)
# Inside <svg>/<math> "<path/>" closes itself; these HTML tags end the drawing, and these elements hold HTML again.
_FOREIGN = ("svg", "math")
_BREAKOUT = frozenset(
    str.split(
        "b big blockquote body br center code dd div dl dt em embed font h1 h2 h3 h4 h5 h6 head hr i img li listing"
        " menu meta nobr ol p pre ruby s small span strike strong sub sup table tt u ul var"
    )
)
_INTEGRATION = frozenset(str.split("foreignobject desc title mi mo mn ms mtext annotation-xml"))
_TAG_NAME = re.compile(r"/?([a-zA-Z][^\s/>]*)")


def _too_deep(html: str) -> bool:
    """True when elements nest deeper than ``MAX_DEPTH`` (real pages stay well under a hundred).

    The HTML parser looks through every open element at each new one, so 2 MB of nested elements cost it minutes:
    such a page is not parsed at all. One pass over the tags, erring towards "deeper": a tag inside an attribute or a
    script counts, an end tag closes only an element it names, "<x/>" closes itself only inside a drawing.
    """
    stack: list[str] = []
    marks: list[tuple[int, bool]] = []  # (place in stack, is a drawing) of each <svg>/<math> and HTML holder in one
    position = 0
    while (start := html.find("<", position)) >= 0 and (end := html.find(">", start + 1)) >= 0:
        position = end + 1
        match = _TAG_NAME.match(html, start + 1, end)
        if match is None:
            continue
        name, closing, self_closed = match.group(1).lower(), html[start + 1] == "/", html[end - 1] == "/"
        drawing = marks[-1][0] if marks and marks[-1][1] else None
        cut = None
        if drawing is not None and (name in _BREAKOUT if not closing else name in ("p", "br")):
            cut, drawing = drawing, None  # the parser leaves the drawing
        elif closing and name in stack:
            cut = len(stack) - 1 - stack[::-1].index(name)
        if cut is not None:
            del stack[cut:]
            while marks and marks[-1][0] >= cut:
                marks.pop()
        if closing or name in _VOID or name in _AUTO_CLOSED:
            continue
        if self_closed and (drawing is not None or name in _FOREIGN):
            continue
        stack.append(name)
        if name in _FOREIGN or (drawing is not None and name in _INTEGRATION):
            marks.append((len(stack) - 1, name in _FOREIGN))
        if len(stack) > MAX_DEPTH:
            return True
    return False


def _text(value: Any) -> str:
    """Plain text of a value that may hold HTML, with whitespace collapsed."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return _text(value.get("text") or value.get("name") or "")
    raw = str(value)
    if "<" in raw:
        raw = HTMLParser(raw).text(separator=" ")
    return re.sub(r"\s+", " ", raw).strip()


def _node_text(node: Node | None) -> str:
    """The element's text, whitespace collapsed, read only as far as a finding can use (``MAX_TEXT_CHARS``) and
    through at most ``MAX_TEXT_NODES`` nodes: the whole text of an element wrapping the rest of a 2 MB page, once
    per element, is what made nested pages slow."""
    if node is None:
        return ""
    parts: list[str] = []
    size = 0
    for visited, child in enumerate(node.traverse(include_text=True)):
        if visited >= MAX_TEXT_NODES or size > MAX_TEXT_CHARS:
            break
        if child.tag == "-text":
            text = child.text_content or ""
            parts.append(text)
            size += len(text)
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _json_ld(tree: HTMLParser) -> Iterator[dict]:
    """Every object of the page's JSON-LD blocks (``@graph`` and nested lists flattened)."""
    budget = MAX_LD_OBJECTS
    for script in _css(tree, 'script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text() or "null")
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            continue
        stack = deque([data])
        while stack and budget > 0:
            budget -= 1
            item = stack.popleft()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
                yield item


def _types(node: dict) -> set[str]:
    kinds = node.get("@type") or []
    return {str(kind).rsplit("/", 1)[-1] for kind in (kinds if isinstance(kinds, list) else [kinds])}


def _address(value: Any) -> str:
    if isinstance(value, list):
        return _address(value[0]) if value else ""
    if isinstance(value, dict):
        street = _text(value.get("streetAddress"))
        town = " ".join(_text(value.get(key)) for key in ("postalCode", "addressLocality") if value.get(key))
        country = value.get("addressCountry")
        country_text = _text(country.get("name") if isinstance(country, dict) else country)
        return ", ".join(part for part in (street, town, country_text) if part)
    return _text(value)


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _day_names(language: str | None) -> dict[str, str]:
    """schema.org's English weekday names -> the business's language (``Tuesday`` -> ``mardi``)."""
    lang = (language or "en").split("-")[0].split("_")[0].lower()
    try:
        names = get_day_names("wide", locale=lang)
    except (ValueError, LookupError):
        names = get_day_names("wide", locale="en")
    return {day: str(names[index]) for index, day in enumerate(_DAYS)}


def _hours_lines(node: dict, day_names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    simple = node.get("openingHours")
    for line in simple if isinstance(simple, list) else [simple] if simple else []:
        lines.append(_text(line))
    specs = node.get("openingHoursSpecification") or []
    for spec in specs if isinstance(specs, list) else [specs]:
        if not isinstance(spec, dict):
            continue
        days = spec.get("dayOfWeek") or []
        names = [str(day).rsplit("/", 1)[-1] for day in (days if isinstance(days, list) else [days])]
        names = [name for name in names if name in _DAYS] or names
        opens, closes = _text(spec.get("opens"))[:5], _text(spec.get("closes"))[:5]
        if names and opens and closes:
            shown = [day_names.get(name, name) for name in names]
            span = f"{shown[0]}–{shown[-1]}" if _is_run(names) and len(names) > 2 else ", ".join(shown)
            lines.append(f"{span} {opens}–{closes}")
    return [line for line in lines if line]


def _is_run(names: list[str]) -> bool:
    """Consecutive weekdays (Monday, Tuesday, Wednesday…), written as a span."""
    if not all(name in _DAYS for name in names):
        return False
    indexes = [_DAYS.index(name) for name in names]
    return indexes == list(range(indexes[0], indexes[0] + len(indexes)))


def _from_schema(node: dict, day_names: dict[str, str]) -> list[Finding]:
    found: list[Finding] = []
    kinds = _types(node)
    if "Question" in kinds:
        question, answer = _text(node.get("name")), _text(node.get("acceptedAnswer") or node.get("suggestedAnswer"))
        if question and answer:
            found.append(Finding(kind="faq", question=question, answer=answer))
        return found
    if kinds & {"FAQPage", "QAPage"}:
        entities = node.get("mainEntity") or []
        for entity in entities if isinstance(entities, list) else [entities]:
            if isinstance(entity, dict):
                found += _from_schema({"@type": "Question", **entity}, day_names)
        return found
    for phone in node.get("telephone") or [] if isinstance(node.get("telephone"), list) else [node.get("telephone")]:
        if phone:
            found.append(Finding(kind="phone", value=_text(phone)))
    email = _text(node.get("email"))
    if email:
        found.append(Finding(kind="email", value=email.removeprefix("mailto:")))
    address = _address(node.get("address"))
    if address and not kinds & {"PostalAddress"}:
        found.append(Finding(kind="address", value=address))
    found += [Finding(kind="hours", value=line) for line in _hours_lines(node, day_names)]
    return found


def _css(scope: HTMLParser | Node, selector: str) -> list[Node]:
    """The first ``MAX_NODES`` elements matching ``selector`` (findings are capped far below that anyway)."""
    return scope.css(selector)[:MAX_NODES]


def _prop(scope: Node, name: str) -> list[Node]:
    return _css(scope, f'[itemprop="{name}"]')


def _prop_value(node: Node) -> str:
    return _text(node.attributes.get("content") or node.attributes.get("href") or _node_text(node))


def _from_microdata(tree: HTMLParser) -> list[Finding]:
    found: list[Finding] = []
    for question in _css(tree, '[itemtype$="schema.org/Question"]'):
        name = next(iter(_prop(question, "name")), None)
        answer = next(iter(_css(question, '[itemprop="acceptedAnswer"] [itemprop="text"]')), None)
        if name is not None and answer is not None:
            found.append(Finding(kind="faq", question=_node_text(name), answer=_node_text(answer)))
    for node in _css(tree, '[itemprop="telephone"]'):
        found.append(Finding(kind="phone", value=_prop_value(node).removeprefix("tel:")))
    for node in _css(tree, '[itemprop="email"]'):
        found.append(Finding(kind="email", value=_prop_value(node).removeprefix("mailto:")))
    for node in _css(tree, '[itemprop="address"]'):
        found.append(Finding(kind="address", value=_node_text(node)))
    for node in _css(tree, '[itemprop="openingHours"]'):
        found.append(Finding(kind="hours", value=_prop_value(node)))
    return found


def _from_html(tree: HTMLParser) -> list[Finding]:
    found: list[Finding] = []
    for link in _css(tree, 'a[href^="tel:"]'):
        found.append(Finding(kind="phone", value=(link.attributes.get("href") or "")[4:]))
    for link in _css(tree, 'a[href^="mailto:"]'):
        found.append(Finding(kind="email", value=(link.attributes.get("href") or "")[7:].split("?")[0]))
    for node in _css(tree, "address"):
        if not node.css("[itemprop]"):
            found.append(Finding(kind="address", value=_node_text(node)))
    for details in _css(tree, "details"):
        summary = details.css_first("summary")
        question = _node_text(summary)
        answer = _node_text(details)[len(question) :].strip()
        if question.endswith("?") and answer:
            found.append(Finding(kind="faq", question=question, answer=answer))
    for term in _css(tree, "dt"):
        definition = term.next
        while definition is not None and definition.tag not in ("dd", "dt"):
            definition = definition.next
        if definition is not None and definition.tag == "dd" and _node_text(term).endswith("?"):
            found.append(Finding(kind="faq", question=_node_text(term), answer=_node_text(definition)))
    for heading in _css(tree, "h2, h3, h4"):
        question = _node_text(heading)
        if not question.endswith("?") or heading.css_first("[itemprop]") is not None:
            continue
        answer_parts: list[str] = []
        sibling = heading.next
        while sibling is not None and sibling.tag not in ("h1", "h2", "h3", "h4", "h5", "h6"):
            if sibling.tag in ("p", "ul", "ol", "div"):
                answer_parts.append(_node_text(sibling))
            sibling = sibling.next
        answer = " ".join(part for part in answer_parts if part)
        if answer:
            found.append(Finding(kind="faq", question=question, answer=answer))
    return found


def _dedupe(found: list[Finding], *, country: str | None) -> list[Finding]:
    """Each thing once, in the order found, tidied and capped (a page listing 500 questions gives the first 20)."""
    limits = {"phone": MAX_CONTACTS, "email": MAX_CONTACTS, "address": 3, "hours": MAX_HOURS, "faq": MAX_FAQS}
    seen: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    items: list[Finding] = []
    for item in found:
        if item.kind == "faq":
            item = Finding(kind="faq", question=item.question[:QUESTION_MAX], answer=item.answer[:ANSWER_MAX])
            key = item.question.lower()
        else:
            value = item.value.strip()[:300]
            if item.kind == "phone":
                e164 = phones.parse(value, country)
                if e164 is None:
                    continue
                value, key = phones.display(e164, country), e164
            elif item.kind == "email":
                if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
                    continue
                key = value.lower()
            else:
                key = re.sub(r"\W+", " ", value.lower()).strip()
            if not value:
                continue
            item = Finding(kind=item.kind, value=value)
        if (item.kind, key) in seen or counts.get(item.kind, 0) >= limits[item.kind]:
            continue
        seen.add((item.kind, key))
        counts[item.kind] = counts.get(item.kind, 0) + 1
        items.append(item)
    return items


# --- what the owner accepted -----------------------------------------------------------------------------------

_CONTACT = {
    "en": ("How can I reach you by phone or email?", "Phone: {phones}.", "Email: {emails}."),
    "fr": ("Comment vous joindre par téléphone ou par e-mail ?", "Téléphone : {phones}.", "E-mail : {emails}."),
}
_HOURS = {"en": "What are your opening hours?", "fr": "Quels sont vos horaires d'ouverture ?"}


def accepted_entries(
    items: list[Finding], *, language: str | None, propose_hours: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """(address, knowledge-base entries) from the findings the owner accepted, in the assistant's language.

    The first accepted address goes to the business profile; phones and emails become one "how to reach you"
    entry, each question one entry. With ``propose_hours``, hours ``proposed_week`` can read are left out (they are
    proposed as the business hours instead); other hours become one "opening hours" entry flagged to review, since
    AVA could not check what it would tell callers.
    """
    lang = "fr" if (language or "").lower().startswith("fr") else "en"
    address = next((item.value for item in items if item.kind == "address"), "")
    entries: list[dict[str, Any]] = []
    phone_list = [item.value for item in items if item.kind == "phone"]
    email_list = [item.value for item in items if item.kind == "email"]
    if phone_list or email_list:
        question, phone_text, email_text = _CONTACT[lang]
        parts = [phone_text.format(phones=", ".join(phone_list))] if phone_list else []
        parts += [email_text.format(emails=", ".join(email_list))] if email_list else []
        entries.append({"question": question, "answer": " ".join(parts)})
    hours = [item.value for item in items if item.kind == "hours"]
    if hours and (not propose_hours or proposed_week(hours) is None):
        entries.append({"question": _HOURS[lang], "answer": "; ".join(hours) + ".", "review": True})
    entries += [{"question": item.question, "answer": item.answer} for item in items if item.kind == "faq"]
    return address, entries


# --- opening hours as a week ------------------------------------------------------------------------------------

# Weekday words in English and French, full, short and schema.org's two letters, -> 0 (Monday) .. 6.
_DAY_WORDS = {
    word: index
    for index, words in enumerate(
        (
            "monday mon mo lundi lun",
            "tuesday tues tue tu mardi mar",
            "wednesday wed we mercredi mer",
            "thursday thurs thur thu th jeudi jeu",
            "friday fri fr vendredi ven",
            "saturday sat sa samedi sam",
            "sunday sun su dimanche dim",
        )
    )
    for word in words.split()
}
_TIME = r"(\d{{1,2}})(?:\s*[:.h]\s*(\d{{2}})?)?\s*(am|pm)?"
_RANGE = _TIME.format() + r"\s*-\s*" + _TIME.format()
_DAY = r"\b(?:" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True)) + r")\b\.?"
_HOURS_TOKEN = re.compile(
    rf"(?P<range>{_RANGE})"
    rf"|(?P<days>{_DAY}(?:\s*-\s*{_DAY})?)"
    r"|(?P<closed>\b(?:closed|ferm[ée]e?s?)\b)"
    r"|(?P<daily>\b(?:daily|every\s+day|7\s*days(?:\s+a\s+week)?|tous\s+les\s+jours|7\s*j\s*/\s*7)\b)"
)
# What may stand between the parts of an hours line AVA reads; any other word and the line is not read.
_HOURS_FILLER = re.compile(
    r"\b(?:open|opening|hours|hrs|from|and|on|the|de|du|le|les|et|horaires?|ouvert|ouverte|ouverts|"
    r"d'ouverture|ouverture)\b|[\s,;:/&+()·|.\-]"
)


def _hours_text(line: str) -> str:
    """An hours line lowered, with dashes, "to"/"au"/"à" and a.m./p.m. written one way, noon and midnight as times."""
    text = line.lower().replace("\u202f", " ").replace("\xa0", " ")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", text)
    text = re.sub(r"\b(?:noon|midi)\b", "12:00", text)
    text = re.sub(r"\b(?:midnight|minuit)\b", "00:00", text)
    return re.sub(r"\s(?:to|through|thru|till|until|au|à|jusqu'à)\s", " - ", f" {text} ").strip()


def _minutes(hours: str, minutes: str | None, half: str | None) -> int | None:
    hour, minute = int(hours), int(minutes or 0)
    if minute > 59 or hour > 24 or (half and not 1 <= hour <= 12):
        return None
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    return hour * 60 + minute


def _time_range(match: re.Match[str]) -> tuple[int, int] | None:
    """(opens, closes) in minutes of the day from "9-5pm", "9h-18h", "09:00-19:00"; None when it is not a range."""
    h1, m1, a1, h2, m2, a2 = match.group(2, 3, 4, 5, 6, 7)
    if a2 and not a1:
        # "9-5pm" is 9 AM; "1-5pm" is 1 PM.
        a1 = a2 if (_minutes(h1, m1, a2) or 0) < (_minutes(h2, m2, a2) or 0) else "am"
    opens, closes = _minutes(h1, m1, a1), _minutes(h2, m2, a2)
    if opens is None or closes is None:
        return None
    if not a1 and not a2 and closes <= opens and closes < 12 * 60 and opens < 12 * 60:
        closes += 12 * 60  # "9-5": nine to five
    if closes == 0:
        closes = 24 * 60
    return (opens, closes) if opens < closes <= 24 * 60 else None


def _day_span(text: str) -> list[int]:
    """The weekdays of "mon", "lundi-vendredi", "Sa-Su" (a span wraps past Sunday: "fri-mon")."""
    words = [
        _DAY_WORDS[word.rstrip(".")] for word in re.findall(r"[a-zà-ÿ]+\.?", text) if word.rstrip(".") in _DAY_WORDS
    ]
    if len(words) == 1:
        return words
    first, last = words[0], words[-1]
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def _read_hours_line(line: str, week: dict[int, list[tuple[int, int]]], told: set[int]) -> bool:
    """Add one line's ranges to ``week`` and the days it names to ``told``; False when the line is not read whole."""
    text = _hours_text(line)
    pending: list[int] = []  # days named since the last time range
    current: list[int] = []  # the days the last range went to ("9-12, 14-18" gives both to them)
    closing = False  # "closed" came before the days it closes ("fermé le dimanche")
    read_any = False
    position = 0
    for match in _HOURS_TOKEN.finditer(text):
        if _HOURS_FILLER.sub("", text[position : match.start()]):
            return False
        position = match.end()
        if match.group("days") or match.group("daily"):
            days = _day_span(match.group("days")) if match.group("days") else list(range(7))
            if closing:
                told.update(days)
                closing = False
            else:
                pending += days
        elif match.group("closed"):
            if pending:
                told.update(pending)
                pending, current = [], []
            else:
                closing = True
        else:
            span = _time_range(match)
            if span is None:
                return False
            targets = pending or current or list(range(7))  # times alone are every day's
            for day in targets:
                week[day].append(span)
            told.update(targets)
            pending, current, read_any = [], targets, True
    if _HOURS_FILLER.sub("", text[position:]) or pending or closing:
        return False
    return read_any or bool(told)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def proposed_week(lines: list[str]) -> dict[str, list[dict[str, str]]] | None:
    """The week the hours lines describe, as business hours are stored (``{"mon": [{"open": "09:00", "close":
    "18:00"}], ...}``, every day present, days the lines do not name closed); None unless every line is read whole
    and the week is valid hours.

    Read: English and French day names (full, short, schema.org's two letters), spans ("Mon–Fri", "du lundi au
    vendredi"), lists ("Mon, Wed"), "daily"/"tous les jours", "closed"/"fermé", times as "9:00", "9h", "9h30",
    "9am", "5 p.m.", "noon"/"midi", and ranges "9-12, 14-18" or "9 to 5". Times with no day are every day's. A line
    with any other word ("by appointment", "except holidays") is not read, so nothing is guessed.
    """
    week: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    told: set[int] = set()
    if not lines or not all(_read_hours_line(line, week, told) for line in lines[:MAX_HOURS]):
        return None
    if not any(week.values()):
        return None
    ranges = {
        WEEKDAY_KEYS[day]: [TimeRangeIn(open=_hhmm(opens), close=_hhmm(closes)) for opens, closes in sorted(spans)]
        for day, spans in week.items()
    }
    problems: dict[str, str] = {}
    stored = validate_business_hours(ranges, problems)
    return None if problems else stored
