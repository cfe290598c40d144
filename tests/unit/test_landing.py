"""The landing page at /: a visitor without a session stays there, in either language, with the two ways in."""

from __future__ import annotations

import importlib

import pytest
import reflex as rx
from reflex.istate.data import HeaderData, PageData, ReflexURL, RouterData

from ava_app import routes
from ava_app.i18n import CATALOGUES
from ava_app.i18n.features import landing as landing_strings
from ava_app.services import browser_sessions
from ava_app.state.auth import AuthState


@pytest.fixture(scope="module", autouse=True)
def reflex_app():
    """The app module registers every page and state."""
    importlib.import_module("ava_app.ava_app")


def visitor_on(path: str, cookie: str = "", lang: str = "en") -> AuthState:
    """A fresh AuthState on ``path``, for a browser sending ``cookie`` that chose ``lang`` ("" on a first visit)."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(AuthState.get_full_name().split(".")[1:])
    state.lang = lang
    state.router = RouterData(
        headers=HeaderData(cookie=cookie),
        _page=PageData(host="http://testserver", path=path, raw_path=path),
        url=ReflexURL(f"http://testserver{path}"),
        route_id=path,
    )
    return state


@pytest.mark.parametrize("path", [routes.INDEX, routes.LOGIN, routes.SIGNUP])
def test_a_visitor_without_a_session_stays_on_public_pages(engine, path):
    state = visitor_on(path)
    state.tenant_name = "left over from an old session"
    assert AuthState.event_handlers["redirect_if_logged_in"].fn(state) is None
    assert state.tenant_name == ""


@pytest.mark.parametrize("path", [routes.INDEX, routes.LOGIN, routes.SIGNUP])
def test_a_first_visit_asks_the_browser_its_language_in_the_guards_own_event(engine, path):
    answer = AuthState.event_handlers["redirect_if_logged_in"].fn(visitor_on(path, lang=""))
    assert isinstance(answer, rx.event.EventSpec)
    assert "navigator.language" in str(answer.args)


def test_an_ended_session_on_the_landing_page_is_not_sent_to_login(engine):
    state = visitor_on(routes.INDEX, cookie=f"{browser_sessions.COOKIE_NAME}=no-such-session")
    assert AuthState.event_handlers["redirect_if_logged_in"].fn(state) is None


def test_landing_strings_exist_in_both_languages_and_make_no_numeric_claim():
    assert set(landing_strings.EN) == set(landing_strings.FR)
    for lang in ("en", "fr"):
        for key in landing_strings.EN:
            assert CATALOGUES[lang][key].strip()
    # The only figure the page states is the setup time the wizard is built for: no customer counts, no rates.
    for text in (*landing_strings.EN.values(), *landing_strings.FR.values()):
        assert not any(char.isdigit() for char in text), text
        assert "%" not in text
