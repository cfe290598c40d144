"""Email templates: every kind renders in French and English, with the link as a button and as text, escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ava_app.services.messaging.templates import KINDS, format_duration, format_time, normalize_locale, render

LINK = "https://app.example.com/t/abc123?x=1&y=2"

CONTEXT = {
    "verify_email": {"link": LINK, "name": "Marie"},
    "magic_link": {"link": LINK},
    "password_reset": {"link": LINK},
    "team_invite": {"link": LINK, "inviter_name": "Paul", "tenant_name": "Garage Dupont", "role": "admin"},
    "call_summary": {
        "link": LINK,
        "caller": "+33 6 12 34 56 78",
        "started_at": datetime(2025, 3, 12, 13, 5, tzinfo=UTC),
        "duration_seconds": 125,
        "summary": "Wants an appointment on Friday.",
        "action_needed": "Call back to confirm",
        "tenant_name": "Garage Dupont",
        "timezone": "Europe/Paris",
    },
}

SUBJECTS = {
    ("verify_email", "en"): "Confirm your email address",
    ("verify_email", "fr"): "Confirmez votre adresse e-mail",
    ("magic_link", "en"): "Your AVA sign-in link",
    ("magic_link", "fr"): "Votre lien de connexion AVA",
    ("password_reset", "en"): "Reset your AVA password",
    ("password_reset", "fr"): "Réinitialisez votre mot de passe AVA",
    ("team_invite", "en"): "You are invited to join a team on AVA",
    ("team_invite", "fr"): "Vous êtes invité à rejoindre une équipe sur AVA",
    ("call_summary", "en"): "Action needed: call from +33 6 12 34 56 78",
    ("call_summary", "fr"): "Action requise : appel de +33 6 12 34 56 78",
}


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_with_the_link_as_button_and_text(kind, locale):
    email = render(kind, locale=locale, **CONTEXT[kind])

    assert email.subject == SUBJECTS[(kind, locale)]
    assert LINK in email.text
    assert email.html.count('href="https://app.example.com/t/abc123?x=1&amp;y=2"') == 2
    assert f'<html lang="{locale}">' in email.html
    assert "style=" in email.html and "<style" not in email.html  # inline styles only: clients drop <style>


def test_copy_is_actually_translated():
    en = render("magic_link", locale="en", link=LINK)
    fr = render("magic_link", locale="fr", link=LINK)

    assert "Sign in to AVA" in en.text and "Me connecter à AVA" in fr.text
    assert "15 minutes" in en.text and "15 minutes" in fr.text


def test_call_summary_has_every_detail_in_the_tenant_timezone():
    fr = render("call_summary", locale="fr", **CONTEXT["call_summary"])
    en = render("call_summary", locale="en", **CONTEXT["call_summary"])

    for expected in ("+33 6 12 34 56 78", "12 mars 2025 à 14:05", "2 min 05 s", "Wants an appointment on Friday."):
        assert expected in fr.text and expected in fr.html
    assert "Action requise : Call back to confirm" in fr.text
    assert "Mar 12, 2025, 2:05 PM" in en.text
    assert "Action needed: Call back to confirm" in en.text
    assert "recording" in en.text.lower() and "attach" not in en.text.lower()


def test_call_summary_without_action_or_caller():
    context = {**CONTEXT["call_summary"], "action_needed": "", "caller": "", "summary": ""}
    email = render("call_summary", locale="en", **context)

    assert email.subject == "New call from Unknown number"
    assert "Action needed" not in email.text and "Action needed" not in email.html
    assert "No summary available." in email.text


def test_values_are_escaped_in_html_and_kept_out_of_headers():
    email = render(
        "team_invite",
        locale="en",
        link=LINK,
        inviter_name="<script>alert(1)</script>",
        tenant_name="Evil\r\nBcc: victim@example.com",
    )

    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "\n" not in email.subject and "\r" not in email.subject


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_invite_subject_carries_no_name_an_inviter_typed(locale):
    # Organisation and inviter names are attacker-chosen text: a Subject such as "Your account is suspended"
    # would look like AVA's own words in the inbox. They stay in the body, escaped, on one line.
    email = render(
        "team_invite",
        locale=locale,
        link=LINK,
        inviter_name="AVA Security <b>Team</b>",
        tenant_name="Your account is suspended\n\nhttps://evil.example/login",
    )

    assert email.subject == SUBJECTS[("team_invite", locale)]
    for typed in ("Security", "suspended", "evil.example"):
        assert typed not in email.subject
    assert "Your account is suspended https://evil.example/login" in email.text
    assert "AVA Security &lt;b&gt;Team&lt;/b&gt;" in email.html and "<b>Team</b>" not in email.html
    assert "<title>" + email.subject + "</title>" in email.html


def test_multiline_summary_keeps_its_line_breaks_in_html():
    context = {**CONTEXT["call_summary"], "summary": "First line\nSecond line"}
    assert "First line<br>Second line" in render("call_summary", locale="en", **context).html


@pytest.mark.parametrize(
    ("kind", "context", "message"),
    [
        ("welcome", {"link": LINK}, "Unknown email kind"),
        ("magic_link", {}, "link"),
        ("team_invite", {"link": LINK, "tenant_name": "X"}, "inviter_name"),
        ("magic_link", {"link": "javascript:alert(1)"}, "http"),
    ],
)
def test_bad_input_is_a_clear_programming_error(kind, context, message):
    with pytest.raises(ValueError, match=message):
        render(kind, locale="en", **context)


@pytest.mark.parametrize(
    ("locale", "expected"), [("fr", "fr"), ("fr_FR", "fr"), ("fr-CA", "fr"), ("es", "en"), ("", "en")]
)
def test_locale_falls_back_to_english(locale, expected):
    assert normalize_locale(locale) == expected


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (45, "45 s"), (125, "2 min 05 s"), (3720, "1 h 02 min")])
def test_format_duration(seconds, text):
    assert format_duration(seconds, locale="en") == text


def test_format_time_treats_naive_as_utc_and_survives_a_bad_zone():
    moment = datetime(2025, 1, 2, 23, 30)
    assert format_time(moment, locale="en", timezone="America/New_York") == "Jan 2, 2025, 6:30 PM"
    assert format_time(moment, locale="fr", timezone="Nowhere/Land") == "2 janv. 2025 à 23:30"


def test_a_bookings_names_are_escaped_and_kept_on_one_line_in_the_summary():
    booking = {
        "service": '<img src=x onerror="alert(1)">\nClick here: https://evil.example',
        "when": "Mar 12, 2025, 2:05\u202fPM",
        "staff": "Sam",
        "price": "",
        "state": "cancelled",
        "link": "https://app.example.com/bookings?booking=7",
        "notes": "never shown",
    }
    email = render("call_summary", locale="en", **CONTEXT["call_summary"], bookings=[booking, {**booking, "link": "x"}])
    assert '<img src=x onerror="alert(1)">' not in email.html and "&lt;img src=x" in email.html
    assert 'Service: <img src=x onerror="alert(1)"> Click here: https://evil.example\n' in email.text
    assert "When: Mar 12, 2025, 2:05\u202fPM\nWith: Sam\nStatus: Cancelled\n" in email.text
    assert "Price" not in email.text and "never shown" not in email.text + email.html
    # A link that is not an absolute http(s) URL is left out rather than written.
    assert email.text.count("See it on the Bookings page") == 1 and email.html.count("bookings?booking=7") == 1
