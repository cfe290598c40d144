"""Operator commands for a deployment: ``python -m ava_app.manage <command>``.

- ``platform-admin grant EMAIL`` / ``platform-admin revoke EMAIL``: who operates the deployment (dead-letter list,
  dev pages in a shared sandbox). Not a tenant role, and never granted from the web app.
- ``rotate-secret-key``: after setting a new ``AVA_SECRET_KEY`` with the old one in ``AVA_SECRET_KEY_PREVIOUS``,
  re-encrypt every stored credential and webhook secret under the new key; once it reports nothing unreadable, the
  old key can be removed from ``AVA_SECRET_KEY_PREVIOUS``.
"""

from __future__ import annotations

import argparse
import sys

from ava_app.db import session_scope
from ava_app.services import accounts, audit, credentials
from ava_app.settings import get_settings


def set_platform_admin(*, email: str, granted: bool) -> bool:
    """Grant or revoke platform admin for the user with ``email``; False when there is no such user."""
    with session_scope() as session:
        user = accounts.find_user_by_email(session, email=email)
        if user is None:
            return False
        user.is_platform_admin = granted
        session.add(user)
        action = "platform_admin_granted" if granted else "platform_admin_revoked"
        audit.record(session, action=action, tenant_id=None, user_id=user.id)
        session.commit()
    return True


def rotate_secret_key() -> int:
    """Re-encrypt every stored secret under the current key and say what happened; 1 when some stay unreadable."""
    with session_scope() as session:
        report = credentials.reencrypt_stored_secrets(session)
    print(f"Re-encrypted {report.reencrypted} stored secret(s) under the current AVA_SECRET_KEY.")
    if report.recovered:
        print(f"Stored {report.recovered} webhook secret(s) that were only derived from the key until now.")
    if report.unreadable:
        print(
            "No known key opens these (their organisations must enter them again): " + "; ".join(report.unreadable),
            file=sys.stderr,
        )
        return 1
    if get_settings().previous_secret_keys:
        print("AVA_SECRET_KEY_PREVIOUS can now be removed.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ava_app.manage", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("platform-admin", help="grant or revoke platform admin")
    admin.add_argument("action", choices=("grant", "revoke"))
    admin.add_argument("email")
    commands.add_parser("rotate-secret-key", help="re-encrypt stored secrets under the current AVA_SECRET_KEY")
    args = parser.parse_args(argv)
    if args.command == "rotate-secret-key":
        return rotate_secret_key()
    if args.command == "platform-admin":
        if not set_platform_admin(email=args.email, granted=args.action == "grant"):
            print(f"No user with the email {args.email}.", file=sys.stderr)
            return 1
        print(f"{args.email}: platform admin {'granted' if args.action == 'grant' else 'revoked'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
