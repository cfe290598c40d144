"""Operator commands for a deployment: ``python -m ava_app.manage <command>``.

- ``platform-admin grant EMAIL`` / ``platform-admin revoke EMAIL``: who operates the deployment (dead-letter list,
  dev pages in a shared sandbox). Not a tenant role, and never granted from the web app.
"""

from __future__ import annotations

import argparse
import sys

from ava_app.db import session_scope
from ava_app.services import accounts, audit


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ava_app.manage", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("platform-admin", help="grant or revoke platform admin")
    admin.add_argument("action", choices=("grant", "revoke"))
    admin.add_argument("email")
    args = parser.parse_args(argv)
    if args.command == "platform-admin":
        if not set_platform_admin(email=args.email, granted=args.action == "grant"):
            print(f"No user with the email {args.email}.", file=sys.stderr)
            return 1
        print(f"{args.email}: platform admin {'granted' if args.action == 'grant' else 'revoked'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
