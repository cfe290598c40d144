"""First-run seed for sandbox mode: a demo organisation and its owner, whose login is printed at each start.

Run by ./scripts/run after migrations (``python -m ava_app.seed``). Does nothing outside sandbox mode or when the
demo organisation already exists, so every start after the first stays fast.

The demo organisation gets a month of realistic calls from the bulk generator (``services.demo_data``), so the
dashboard and the calls pages have something to show on first login.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlmodel import Session, select

from ava_app.db import session_scope
from ava_app.models import Tenant, User, utcnow
from ava_app.services.accounts import signup
from ava_app.services.demo_data import generate_calls
from ava_app.settings import get_settings

DEMO_EMAIL = "demo@ava.localhost"
DEMO_ORGANISATION = "Bright Smile Dental (demo)"
DEMO_CALLS = 600
DEMO_DAYS = 30


def seed_demo(session: Session, *, password: str) -> bool:
    """Create the demo owner and organisation; False when they already exist."""
    if session.exec(select(Tenant).where(Tenant.is_demo)).first() is not None:
        return False
    result = signup(
        session,
        name="Demo Owner",
        email=DEMO_EMAIL,
        password=password,
        organisation_name=DEMO_ORGANISATION,
        industry="dental",
    )
    tenant = session.get(Tenant, result.tenant_id)
    tenant.is_demo = True
    tenant.timezone = "Europe/Paris"
    user = session.get(User, result.user_id)
    user.email_verified_at = utcnow()
    session.add(tenant)
    session.add(user)
    session.commit()
    return True


def seed_demo_calls(session: Session, *, count: int = DEMO_CALLS) -> int:
    """A month of calls for the demo organisation, with their conversations; returns how many were added."""
    tenant = session.exec(select(Tenant).where(Tenant.is_demo)).first()
    if tenant is None:
        return 0
    return generate_calls(session, tenant_id=tenant.id, count=count, days=DEMO_DAYS, seed=7, with_messages=True)


def _demo_password(data_dir: Path) -> str:
    """The demo password, generated once and kept beside the sandbox database (never in prod)."""
    path = data_dir / "demo_password"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("demo-" + secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    settings = get_settings()
    if not settings.sandbox:
        return
    password = _demo_password(settings.data_dir)
    with session_scope() as session:
        created = seed_demo(session, password=password)
        if created:
            print(f"  added {seed_demo_calls(session)} demo calls over the last {DEMO_DAYS} days")
    print("Demo organisation " + ("created" if created else "ready") + " (sandbox mode only):")
    print(f"  log in at {settings.public_url}/login as {DEMO_EMAIL} / {password}")


if __name__ == "__main__":
    main()
