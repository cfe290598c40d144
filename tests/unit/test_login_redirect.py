"""Where a login lands: only a page of AVA itself, whatever the ``next`` parameter says."""

import pytest

from ava_app.state.auth import local_page


@pytest.mark.parametrize("target", ["/dashboard", "/invite?token=abc-123", "/calls/42", "/settings/profile#phone"])
def test_pages_of_ava_are_kept(target):
    assert local_page(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",  # what Reflex hands over for ?next=/%09/evil.example: the browser drops the tab
        "/\n/evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " /dashboard",
        "",
        "dashboard",
    ],
)
def test_anything_that_could_leave_the_site_is_refused(target):
    assert local_page(target) == ""
