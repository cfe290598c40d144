"""One-time links over real SMTP: the recipient gets a live link, the database keeps none.

For each account email (magic link, password reset, email verification, team invite) a live aiosmtpd server receives
the message; then everything the database holds is searched for the token, and whatever link the stored bodies carry
is tried where the real one would work: it is refused, while the emailed one still works.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import SQLModel, col, select

from ava_app.models import Outbox
from ava_app.services import accounts, rate_limits, team
from ava_app.services.errors import DomainError
from tests.integration.test_smtp_delivery import Mailbox, smtp_server
from tests.mail import closed_port, reload, run_scheduled

OWNER = "owner@example.com"
PASSWORD = "tulip-garage-42"


@pytest.fixture(autouse=True)
def _fresh_limits(engine):
    rate_limits.reset_rate_limits()
    yield
    rate_limits.reset_rate_limits()


@dataclass(frozen=True)
class Flow:
    path: str
    send: Callable  # (db, signup result) -> address the email goes to
    use: Callable  # (db, token) -> anything; raises when the token is refused


def _invite(db, owner) -> str:
    principal = accounts.authenticate(db, access_token=owner.access_token)
    team.invite_member(db, principal=principal, email="new@example.com", role="user")
    return "new@example.com"


def _send_magic(db, owner) -> str:
    accounts.send_magic_link(db, email=OWNER)
    return OWNER


def _send_reset(db, owner) -> str:
    accounts.forgot_password(db, email=OWNER)
    return OWNER


FLOWS = {
    "magic_link": Flow("/verify", _send_magic, lambda db, token: accounts.login_with_magic_link(db, token=token)),
    "password_reset": Flow(
        "/reset-password",
        _send_reset,
        lambda db, token: accounts.reset_password(db, token=token, new_password="another-garden-77"),
    ),
    "verify_email": Flow("/verify-email", lambda db, owner: OWNER, lambda db, t: accounts.verify_email(db, token=t)),
    "team_invite": Flow(
        "/invite",
        _invite,
        lambda db, token: team.accept_invite_with_signup(db, token=token, name="New", password="tulip-garden-77"),
    ),
}


def _signup(db):
    return accounts.signup(db, name="Owner", email=OWNER, password=PASSWORD, organisation_name="Bright Garage")


def _emailed_token(mailbox: Mailbox, *, to: str, path: str) -> str:
    for item in reversed(mailbox.received):
        if item.rcpt_tos == [to]:
            text = item.message.get_body(("plain",)).get_content()
            html = item.message.get_body(("html",)).get_content()
            found = re.search(rf"{re.escape(path)}\?token=([\w-]+)", text)
            if found:
                assert f'{path}?token={found.group(1)}"' in html, "the button carries the live link too"
                return found.group(1)
    raise AssertionError(f"no {path} link emailed to {to}")


def _everything_stored(db) -> str:
    """The whole database as text: what a copy of it would give away."""
    db.expire_all()
    dump = []
    for table in SQLModel.metadata.sorted_tables:
        for row in db.connection().execute(table.select()):
            dump.extend(str(value) for value in row)
    bind = db.get_bind()
    if bind.dialect.name == "sqlite":
        # The file itself, free pages and write-ahead log included.
        path = Path(bind.url.database)
        for part in (path, path.with_name(path.name + "-wal")):
            if part.exists():
                dump.append(part.read_bytes().decode("latin-1"))
    return "\n".join(dump)


def _stored_link_values(row: Outbox, path: str) -> list[str]:
    """Every query value of a ``path`` link in the stored bodies: what someone holding the database would try."""
    bodies = row.body_text + (row.body_html or "")
    return re.findall(rf"{re.escape(path)}\?\w+=([\w-]+)", bodies)


@pytest.mark.parametrize("kind", list(FLOWS))
def test_sent_one_time_links_are_live_in_the_mail_and_dead_in_the_database(db, smtp_env, jobs, kind):
    flow = FLOWS[kind]
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        smtp_env(host="127.0.0.1", port=port, tls="none")
        owner = _signup(db)
        to = flow.send(db, owner)
    token = _emailed_token(mailbox, to=to, path=flow.path)

    row = db.exec(select(Outbox).where(Outbox.to == to).order_by(col(Outbox.id).desc())).first()
    row = reload(db, row.id)
    assert (row.status, row.sealed_links) == ("sent", None)
    assert token not in _everything_stored(db)
    stored = _stored_link_values(row, flow.path)
    assert stored, "the stored bodies still show where the link went"
    for value in stored:
        with pytest.raises(DomainError):
            flow.use(db, value)

    flow.use(db, token)  # the emailed link works: the refusals above are not a broken flow


def test_a_link_waiting_for_the_mail_server_is_kept_sealed_then_delivered(db, smtp_env, jobs):
    port = closed_port()
    smtp_env(host="127.0.0.1", port=port, tls="none")
    _signup(db)
    accounts.send_magic_link(db, email=OWNER)
    row = db.exec(select(Outbox).order_by(col(Outbox.id).desc())).first()
    row = reload(db, row.id)
    assert (row.status, row.attempts) == ("queued", 1) and row.sealed_links

    stored = _everything_stored(db)
    assert "token=" not in stored

    mailbox = Mailbox()
    with smtp_server(mailbox, port=port):
        run_scheduled(jobs)
    token = _emailed_token(mailbox, to=OWNER, path="/verify")
    assert token not in stored
    assert token not in _everything_stored(db)
    assert reload(db, row.id).sealed_links is None
    assert accounts.login_with_magic_link(db, token=token).access_token
