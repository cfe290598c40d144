"""First-run seed for sandbox mode: a demo organisation, its owner, and a month of its calls made the real way.

Run by ./scripts/run after migrations and before the server starts (``python -m ava_app.seed``). Does nothing outside
sandbox mode; once the demo organisation has its calls every later start only prints the login.

The organisation is made as an owner makes one: signup (clinic industry, Paris time), the wizard's steps, a Paris
number bought from the Twilio emulator and imported into the Vapi emulator, onboarding completed, so the preset
assistant is on the emulator and the number routed to AVA's webhook. Then the owner tells the assistant what no
preset can guess, through the same services as the assistant page: the business profile (address, access, services
in euros, bookings taken as messages) and every preset answer "to review" filled in or confirmed, so the demo's calls
answer from facts.

Its calls are the emulator's simulated calls (bookings, questions, complaints, wrong numbers, messages, hang-ups)
placed over the last 30 days at a clinic's busy hours and played from the past: each one posts Vapi's webhooks to
AVA's own route, which stores every event raw, ingests the call and its conversation, and runs the post-call job
(local summary, topics, sentiment) - the code path of a production call. No server listens yet, so everything runs in
this process: the Vapi client and the emulator's webhooks reach the apps through an ASGI transport, and the job queue
runs each job as it is enqueued (huey immediate mode, in memory).

Choices made for the demo owner and number, and why:

- Notifications are the daily digest: a month of calls must not become hundreds of summary emails in the dev
  outbox, and the digest is a real setting an owner picks (one email a morning, to a ``.localhost`` address).
- Outside business hours the AI answers anyway: AVA decides open or closed when a call's webhook arrives, which for a
  replayed call is now, so the default voicemail greeting would depend on the hour the seed happens to run.
- The AVA number is French (a Paris 01 number), as a French clinic's would be: Vapi gives free numbers in the US
  only, so it is bought at Twilio and imported into Vapi, the path a French owner takes in the wizard. Both are
  emulators here, nothing is paid; the Twilio emulator keeps the number in the data dir, where the server's
  emulator finds it afterwards.

Calls with the same words share one recording file (real speech when espeak-ng and sox are installed, tones
otherwise). An interrupted first run is resumed: the calls are planned from the organisation's creation time and the
end-of-call reports already stored say how many were played.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import distinct, func, true
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.routing import Mount

from ava_app import routes
from ava_app.db import session_scope
from ava_app.demo_data import start_times
from ava_app.models import Call, Membership, PhoneNumber, Tenant, User, WebhookEvent, as_utc, utcnow
from ava_app.private_files import kept_secret
from ava_app.services import assistants, knowledge, onboarding, phone_numbers
from ava_app.services.accounts import signup
from ava_app.services.assistants import AssistantUpdate
from ava_app.services.billing.plans import all_plans
from ava_app.services.business_hours import business_hours_status
from ava_app.services.phone_numbers import NumberChoice, NumberConfig
from ava_app.services.principal import Principal
from ava_app.settings import get_settings

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@ava.localhost"
DEMO_ORGANISATION = "Bright Smile Dental (demo)"
DEMO_INDUSTRY = "clinic"
# An English-speaking clinic in Paris: French time, country and euros, English assistant (the presets' language).
DEMO_TIMEZONE = "Europe/Paris"
DEMO_COUNTRY = "FR"
DEMO_LANGUAGE = "en"
# Vapi's free numbers are American only (docs/contracts/vapi.md): the clinic's Paris number (area "1", the 01
# numbers) is bought at Twilio and imported into Vapi. Its own line, where urgent callers are put through, is French
# too.
DEMO_AREA_CODE = "1"
# The first Paris number the Twilio emulator offers (its offer is deterministic), as the docs and E2E tests name it.
DEMO_NUMBER = "+33199000011"
DEMO_CALLS = 300
DEMO_DAYS = 30
# How long ago the demo organisation was made: half a monthly period more than the days of calls.
DEMO_AGE_DAYS = 45
DEMO_FORWARDING_NUMBER = "+33199000199"
# What the owner types in the business profile (assistant page, knowledge tab, "Your business").
DEMO_ADDRESS = "24 rue du Faubourg Saint-Antoine, 75012 Paris"
DEMO_ACCESS = (
    "Second floor, with a lift, three minutes' walk from Bastille metro (lines 1, 5 and 8). There is no parking at "
    "the clinic: the nearest public car park is on boulevard Richard-Lenoir, and street parking is metered."
)
# (name, price in euros, minutes)
DEMO_SERVICES = (
    ("First consultation", "30", "30"),
    ("Scale and polish", "60", "45"),
    ("Emergency appointment", "50", "30"),
    ("Teeth whitening", "390", "90"),
)
DEMO_BOOKING_POLICY = (
    "New patients are welcome. Please give us 24 hours' notice to move or cancel an appointment; a missed "
    "appointment may be charged."
)
# Follow-ups older than this are mostly done already (this share of them), as in a clinic that works its list.
FOLLOW_UP_AGE = timedelta(days=2)
FOLLOW_UPS_DONE = 0.9
PLAN_SEED = 7
# Calls played at once: the webhooks of one overlap the speech synthesis of another.
CONCURRENCY = 2
# (intent, weight) while the clinic is open, and once it is closed (then mostly messages).
OPEN_MIX = (
    ("booking", 34),
    ("question", 26),
    ("hang_up", 10),
    ("voicemail", 9),
    ("wrong_number", 8),
    ("complaint", 7),
    ("transfer", 6),
)
CLOSED_MIX = (("voicemail", 45), ("booking", 20), ("question", 15), ("hang_up", 12), ("wrong_number", 8))
# Patients who call again and again, the most frequent first; they make about half of the calls, callers heard once
# the other half. Numbers are from the ranges French regulation keeps for fiction (01 99 00 xx xx, 06 39 98 xx xx), so
# a demo call never shows a real person's number.
REGULAR_SHARE = 0.45
REGULAR_CALLERS = (
    ("Camille Martin", "+33639980101"),
    ("Lucas Bernard", "+33639980102"),
    ("Léa Dubois", "+33199000103"),
    ("Hugo Moreau", "+33639980104"),
    ("Chloé Laurent", "+33639980105"),
    ("Nathan Petit", "+33199000106"),
    ("Emma Roux", "+33639980107"),
    ("Omar Haddad", "+33639980108"),
    ("Inès Garcia", "+33639980109"),
    ("Thomas Girard", "+33199000110"),
    ("Sarah Cohen", "+33639980111"),
    ("Louis Fournier", "+33639980112"),
)


@dataclass(frozen=True)
class DemoCall:
    """One call of the demo month: when it was answered, what the caller wants, and who calls."""

    started_at: datetime
    intent: str
    caller_number: str
    caller_name: str | None = None


@dataclass(frozen=True)
class SeedResult:
    """What ``seed_demo_calls`` did."""

    added: int
    total: int
    seconds: float
    skipped_because: str | None = None


def seed_demo(session: Session, *, password: str) -> bool:
    """Create the demo owner and organisation (no calls, nothing sent to a provider); False when they exist."""
    if _demo_tenant(session) is not None:
        return False
    result = signup(
        session,
        name="Demo Owner",
        email=DEMO_EMAIL,
        password=password,
        organisation_name=DEMO_ORGANISATION,
        industry=DEMO_INDUSTRY,
        locale=DEMO_LANGUAGE,
        timezone=DEMO_TIMEZONE,
        country=DEMO_COUNTRY,
    )
    tenant = session.get(Tenant, result.tenant_id)
    tenant.is_demo = True
    # A business that has used AVA for a while, on the cheapest paid plan: its calls (the last DEMO_DAYS days) fall
    # in a billing period already under way, so the Usage page shows minutes, a projection and the quota line.
    tenant.created_at = utcnow() - timedelta(days=DEMO_AGE_DAYS)
    paid = [plan for plan in all_plans() if not plan.is_trial]
    if paid:
        tenant.plan = min(paid, key=lambda plan: plan.monthly_price).code
    user = session.get(User, result.user_id)
    user.email_verified_at = utcnow()
    membership = session.exec(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.user_id == user.id)
    ).one()
    membership.notify_mode = "digest"
    session.add_all([tenant, user, membership])
    session.commit()
    return True


def plan_demo_calls(
    *, count: int, days: int, now: datetime, zone: ZoneInfo, business_hours: dict, seed: int = PLAN_SEED
) -> list[DemoCall]:
    """``count`` calls over the ``days`` days before ``now``, oldest first: busy weekday hours, a realistic mix.

    The same arguments give the same plan (an interrupted seed resumes it).
    """
    rng = random.Random(seed)
    # Ten minutes of margin: the last call must have ended before ``now``.
    moments = start_times(rng, count=count, days=days, now=now - timedelta(minutes=10), zone=zone)
    regular_weights = [1 / (rank + 1) ** 0.5 for rank in range(len(REGULAR_CALLERS))]
    plan = []
    for moment in moments:
        is_open = business_hours_status(business_hours=business_hours, holidays=[], timezone=zone.key, at=moment)
        mix = OPEN_MIX if is_open.is_open else CLOSED_MIX
        intent = rng.choices([name for name, _ in mix], [weight for _, weight in mix])[0]
        if rng.random() < REGULAR_SHARE:
            name, number = rng.choices(REGULAR_CALLERS, regular_weights)[0]
        else:
            # Someone new: the caller ID shows a number only, and the scenario gives the caller a name.
            name, number = None, rng.choice(("+3363998", "+3319900")) + f"{rng.randrange(1000, 10000):04d}"
        plan.append(DemoCall(started_at=moment, intent=intent, caller_number=number, caller_name=name))
    return plan


def seed_demo_calls(
    *, count: int = DEMO_CALLS, days: int = DEMO_DAYS, use_speech: bool = True, concurrency: int = CONCURRENCY
) -> SeedResult:
    """Set up the demo organisation's assistant and number and play its month of calls; resumes a partial run.

    Needs the Vapi emulator (no ``AVA_VAPI_API_KEY``) and the local summaries (no ``AVA_OPENAI_API_KEY``): the seed
    never calls a real provider. A demo organisation made by an older seed (calls, but no webhook behind them) is
    left as it is.
    """
    began = time.perf_counter()
    settings = get_settings()
    if not settings.vapi_sandbox:
        return SeedResult(0, 0, 0.0, "a Vapi key is set, and demo calls are only made with the Vapi emulator")
    if not settings.openai_sandbox:
        return SeedResult(0, 0, 0.0, "an OpenAI key is set, and demo calls must not spend it")
    with session_scope() as session:
        tenant = _demo_tenant(session)
        if tenant is None:
            return SeedResult(0, 0, 0.0, "there is no demo organisation")
        played = _reports_stored(session, tenant_id=tenant.id)
        if played == 0 and _has_calls(session, tenant_id=tenant.id):
            return SeedResult(0, 0, 0.0, "the demo organisation has calls from an older seed (remove data/ to redo it)")
        # A demo seeded before the business profile existed still gets it (and its answers reviewed), calls or not.
        if played >= count and _knows_its_business(session, tenant_id=tenant.id):
            return SeedResult(0, played, 0.0)
    with _pipeline_in_process(use_speech=use_speech) as emulator:
        with session_scope() as session:
            tenant = _demo_tenant(session)
            number = _set_up_demo_lines(session, tenant=tenant)
            zone = ZoneInfo(tenant.timezone)
            # Up to when the demo was seeded (its creation, dated DEMO_AGE_DAYS back): an interrupted seed resumes
            # the same plan.
            seeded_at = as_utc(tenant.created_at) + timedelta(days=DEMO_AGE_DAYS)
            plan = plan_demo_calls(
                count=count, days=days, now=seeded_at, zone=zone, business_hours=number.business_hours
            )[played:]
            number_id = number.provider_number_id
        if plan:
            asyncio.run(_play(emulator, plan=plan, number_id=number_id, concurrency=concurrency))
            _finish_pending_jobs()
    with session_scope() as session:
        if plan:
            _work_through_old_follow_ups(session, tenant_id=tenant.id)
        total = _reports_stored(session, tenant_id=tenant.id)
    return SeedResult(added=total - played, total=total, seconds=time.perf_counter() - began)


def _work_through_old_follow_ups(session: Session, *, tenant_id: int) -> None:
    """Like a real owner, the demo one has dealt with most follow-ups older than two days (a day after each call)."""
    rng = random.Random(PLAN_SEED)
    cutoff = utcnow() - FOLLOW_UP_AGE
    rows = session.exec(
        select(Call).where(
            Call.tenant_id == tenant_id,
            Call.action_needed == true(),
            col(Call.action_done_at).is_(None),
            col(Call.started_at) < cutoff,
        )
    ).all()
    for call in rows:
        if rng.random() < FOLLOW_UPS_DONE:
            call.action_done_at = as_utc(call.started_at) + timedelta(days=1)
            session.add(call)
    session.commit()


# --- the organisation's lines ---------------------------------------------------------------------------------


def _set_up_demo_lines(session: Session, *, tenant: Tenant) -> PhoneNumber:
    """The wizard, as the owner would go through it: industry, a free number, personalise, finish; then the assistant
    page's knowledge tab. Returns the number.

    Steps already done are not repeated.
    """
    principal = _owner(session, tenant=tenant)
    if tenant.onboarding_completed_at is None:
        onboarding.set_step(session, principal=principal, step=3, industry=DEMO_INDUSTRY, locale=tenant.locale)
        if _demo_number(session, tenant_id=tenant.id) is None:
            offer = phone_numbers.search_numbers(
                session, principal=principal, country=DEMO_COUNTRY, area_code=DEMO_AREA_CODE
            )
            if not offer:
                raise RuntimeError("the Twilio emulator offers no Paris number for the demo")
            wanted = next((item for item in offer if item.phone_number == DEMO_NUMBER), offer[0])
            choice = NumberChoice(
                kind="twilio", country=DEMO_COUNTRY, phone_number=wanted.phone_number, label="Main line"
            )
            created = phone_numbers.provision_number(session, principal=principal, choice=choice)
            # Urgent callers are put through to the clinic's own line (a number kept for fiction).
            config = NumberConfig(after_hours_action="ai", forwarding_number=DEMO_FORWARDING_NUMBER)
            phone_numbers.configure_number(session, principal=principal, number_id=created.id, config=config)
        _fill_in_the_business_profile(session, principal=principal)
        onboarding.set_step(session, principal=principal, step=5)
        onboarding.complete_onboarding(session, principal=principal)
    # Outside the wizard's block too: a demo made before the profile existed gets it on its next start.
    _fill_in_the_business_profile(session, principal=principal)
    _review_the_preset_answers(session, principal=principal)
    number = _demo_number(session, tenant_id=tenant.id)
    if number is None or number.sync_status != "synced":
        raise RuntimeError("the demo number did not reach the Vapi emulator")
    return number


def _owner(session: Session, *, tenant: Tenant) -> Principal:
    owner = session.exec(
        select(Membership).where(Membership.tenant_id == tenant.id, Membership.role == "admin").order_by(Membership.id)
    ).first()
    return Principal(user_id=owner.user_id, tenant_id=tenant.id, role="admin")


# --- what the assistant knows ---------------------------------------------------------------------------------


def _fill_in_the_business_profile(session: Session, *, principal: Principal) -> None:
    """The personalise step's business details: address, access, services in euros, bookings taken as messages.

    Saved only while the profile is empty, so a second run (or an owner's later edit) is left alone.
    """
    assistant = assistants.get_assistant(session, principal=principal)
    if _profile_filled(assistant.business_profile):
        return
    profile = knowledge.BusinessProfileIn(
        address=DEMO_ADDRESS,
        access=DEMO_ACCESS,
        services=[
            knowledge.ServiceIn(name=name, price=price, duration=minutes) for name, price, minutes in DEMO_SERVICES
        ],
        booking_mode="message",
        booking_policy=DEMO_BOOKING_POLICY,
    )
    assistants.update_assistant(session, principal=principal, changes=AssistantUpdate(business_profile=profile))


def _review_the_preset_answers(session: Session, *, principal: Principal) -> None:
    """The knowledge tab, worked through: each answer still "to review" is filled in with the clinic's facts
    (``demo_answers``) or, when the preset's words already fit, confirmed as it stands.

    Reviewed answers are not touched, so a second run changes nothing. A preset answer with a part to fill in that
    the demo has no fact for stays to review (and the seed's tests fail on it).
    """
    tenant = session.get(Tenant, principal.tenant_id)
    answers = demo_answers(currency=tenant.currency, country=tenant.country)
    assistant = assistants.get_assistant(session, principal=principal)
    for index, entry in enumerate(assistant.knowledge_base):
        if not knowledge.is_unconfirmed(entry.model_dump()):
            continue
        if entry.question in answers:
            assistants.edit_faq(
                session, principal=principal, index=index, question=entry.question, answer=answers[entry.question]
            )
        elif not knowledge.PLACEHOLDER.search(entry.answer):
            assistants.confirm_faq(session, principal=principal, index=index)
        else:
            log.warning("the demo clinic has no answer for the preset question %r", entry.question)


def demo_answers(*, currency: str, country: str | None) -> dict[str, str]:
    """The clinic's own answers to the preset questions whose words do not fit it, by question.

    The preset guesses a clinic that books by phone and sends emergencies to 911; this one takes a message for the
    team to confirm, is in Paris (15 or 112), and states the fee, address and insurance the preset left to fill in.
    """
    first_visit = next(price for name, price, _ in DEMO_SERVICES if name == "First consultation")
    fee = knowledge.format_price(first_visit, currency=currency, language=DEMO_LANGUAGE, country=country)
    return {
        "Are you accepting new patients?": "Yes, we welcome new patients. I can take your name, your number and the "
        "day you would like, and the team will call you back to book your first visit; please bring your ID, your "
        "carte Vitale or insurance details, and any recent X-rays.",
        "How do I cancel or move an appointment?": "Tell me your name, your appointment and when you would prefer, "
        "and the team will call you back to confirm. We ask for at least 24 hours' notice; a missed appointment may "
        "be charged.",
        "Do you take my insurance?": "We work with the French national health insurance (carte Vitale) and most "
        "mutuelles, and give an itemised invoice for international insurers. Give me the name of your insurer and "
        "I'll ask the team to confirm before your visit.",
        "What should I do in a dental or medical emergency?": "If it is life-threatening, call 15 or 112 now. For "
        "urgent pain or swelling, we keep same-day emergency slots: I can take your details so the team calls you "
        "back within the hour, or put you through to the front desk.",
        "How much does a first consultation cost?": f"A first consultation costs {fee}; the team can give you a "
        "quote for any treatment at the visit.",
        "Where are you and is there parking?": f"We are at {DEMO_ADDRESS}. {DEMO_ACCESS} Please arrive ten minutes "
        "early for your first visit.",
    }


def _profile_filled(profile: dict | None) -> bool:
    profile = profile or {}
    return any(profile.get(key) for key in ("address", "access", "services", "booking_policy"))


def _knows_its_business(session: Session, *, tenant_id: int) -> bool:
    """The demo assistant has its business profile and nothing left to review (what the seed's last steps do)."""
    assistant = assistants.find_assistant(session, tenant_id=tenant_id)
    return (
        assistant is not None
        and _profile_filled(assistant.business_profile)
        and not any(knowledge.is_unconfirmed(entry) for entry in assistant.knowledge_base or [])
    )


def _demo_number(session: Session, *, tenant_id: int) -> PhoneNumber | None:
    return session.exec(
        select(PhoneNumber)
        .where(
            PhoneNumber.tenant_id == tenant_id,
            col(PhoneNumber.released_at).is_(None),
            col(PhoneNumber.provider_number_id).is_not(None),
        )
        .order_by(col(PhoneNumber.id))
        .execution_options(populate_existing=True)
    ).first()


# --- playing the calls ----------------------------------------------------------------------------------------


async def _play(emulator: Starlette, *, plan: list[DemoCall], number_id: str, concurrency: int) -> None:
    from ava_app.sandbox.vapi.call_runner import simulate_call

    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(call: DemoCall) -> None:
        async with gate:
            await simulate_call(
                emulator,
                intent=call.intent,
                phone_number_id=number_id,
                customer={"number": call.caller_number} | ({"name": call.caller_name} if call.caller_name else {}),
                started_at=call.started_at,
                reuse_recordings=True,
            )

    await asyncio.gather(*(one(call) for call in plan))


@contextlib.contextmanager
def _pipeline_in_process(*, use_speech: bool) -> Iterator[Starlette]:
    """AVA's API app and the Vapi and Twilio emulators wired to each other in this process; yields the Vapi one.

    The sandbox Vapi client (onboarding's services) and the emulator's webhooks both go through an ASGI transport,
    the Twilio client (buying the demo's number) reaches the Twilio emulator in this process too, and jobs run as
    soon as they are enqueued. Everything is put back afterwards.
    """
    from ava_app import task_queue
    from ava_app.api.app import create_api
    from ava_app.sandbox.twilio.app import create_twilio_emulator
    from ava_app.sandbox.vapi.app import create_vapi_emulator

    api = create_api()
    emulator = create_vapi_emulator(
        webhook_transport=httpx.ASGITransport(app=api), auto_simulate=False, use_speech=use_speech
    )
    vapi = Starlette(routes=[Mount(routes.SANDBOX_VAPI, app=emulator)])
    # The same store as the server's Twilio emulator (api.app mounts it on this file), so the number bought here is
    # still owned when the server starts.
    twilio = create_twilio_emulator(db_path=get_settings().data_dir / "sandbox_twilio.db")
    immediate = task_queue.huey.immediate
    task_queue.huey.immediate = True
    try:
        with (
            _vapi_client_reaching(vapi),
            _twilio_client_reaching(Starlette(routes=[Mount(routes.SANDBOX_TWILIO, twilio)])),
        ):
            yield emulator
    finally:
        task_queue.huey.immediate = immediate


@contextlib.contextmanager
def _vapi_client_reaching(app: Starlette) -> Iterator[None]:
    """Make every sandbox Vapi client send its requests to ``app`` instead of the network, for the seed's duration.

    The client itself (paths, retries, error mapping, breaker) is unchanged; only its transport is, because the
    emulator it would reach is served by the app server, which has not started yet.
    """
    from ava_app.services.providers.vapi import VapiClient

    original = VapiClient.__dict__["from_settings"]

    def from_settings(cls, *, settings=None, **options):
        options.setdefault("transport", httpx.ASGITransport(app=app))
        return original.__func__(cls, settings=settings, **options)

    VapiClient.from_settings = classmethod(from_settings)
    try:
        yield
    finally:
        VapiClient.from_settings = original


@contextlib.contextmanager
def _twilio_client_reaching(app: Starlette) -> Iterator[None]:
    """Make the sandbox Twilio client send its requests to ``app`` (the Twilio emulator) for the seed's duration.

    The Twilio SDK is synchronous (``requests``), so its HTTP client is swapped for one that hands each request to
    Starlette's in-process client; the SDK's paths, auth and error handling are unchanged.
    """
    from starlette.testclient import TestClient
    from twilio.http.response import Response

    from ava_app.services.providers import twilio

    original = twilio._HttpClient
    client = TestClient(app, raise_server_exceptions=True)

    class InProcess(original):  # type: ignore[misc, valid-type]
        def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, **_options):
            answer = client.request(method, url, params=params, data=data, headers=headers, auth=auth)
            return Response(answer.status_code, answer.text, answer.headers)

    twilio._HttpClient = InProcess  # type: ignore[misc]
    try:
        yield
    finally:
        twilio._HttpClient = original  # type: ignore[misc]
        client.close()


def _finish_pending_jobs() -> None:
    """Run whatever post-call work a failed job left pending (immediate mode keeps retries in memory, unrun)."""
    from ava_app.services import post_call
    from ava_app.services.ingest.tasks import sweep_pipeline_once

    sweep_pipeline_once(event_grace=timedelta(0), now=utcnow() + post_call.STALE_AFTER * 2)


# --- small pieces ---------------------------------------------------------------------------------------------


def _demo_tenant(session: Session) -> Tenant | None:
    return session.exec(select(Tenant).where(Tenant.is_demo).order_by(col(Tenant.id))).first()


def _reports_stored(session: Session, *, tenant_id: int) -> int:
    """Calls of the tenant whose end-of-call report AVA stored (kept when a call is deleted from the UI)."""
    return session.exec(
        select(func.count(distinct(WebhookEvent.provider_call_id))).where(
            WebhookEvent.tenant_id == tenant_id, WebhookEvent.event_type == "end-of-call-report"
        )
    ).one()


def _has_calls(session: Session, *, tenant_id: int) -> bool:
    return session.exec(select(Call.id).where(Call.tenant_id == tenant_id).limit(1)).first() is not None


def _demo_password(data_dir: Path) -> str:
    """The demo password, generated once and kept beside the sandbox database (never in prod)."""
    return kept_secret(data_dir / "demo_password", make=lambda: "demo-" + secrets.token_urlsafe(9))


def main(argv: list[str] | None = None) -> None:
    """Seed the demo organisation (dev deployment with Vapi in sandbox mode only) and print its login."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=DEMO_CALLS, help="how many demo calls the month holds")
    parser.add_argument("--tones", action="store_true", help="tone recordings instead of speech (faster)")
    args = parser.parse_args(argv)
    settings = get_settings()
    # The demo is made on the Vapi emulator and its login is printed: never in prod, never on a real Vapi account.
    if settings.env != "dev" or not settings.vapi_sandbox:
        return
    password = _demo_password(settings.data_dir)
    with session_scope() as session:
        created = seed_demo(session, password=password)
    try:
        result = seed_demo_calls(count=args.calls, use_speech=not args.tones)
    except Exception as exc:
        # Demo data is not worth a server that does not start: say what went wrong and carry on.
        log.exception("demo calls not seeded")
        result = SeedResult(0, 0, 0.0, f"the seed failed ({type(exc).__name__}: {exc}); it is tried again next start")
    if result.added:
        print(
            f"  played {result.added} demo calls of the last {DEMO_DAYS} days through the sandbox pipeline"
            f" in {result.seconds:.0f} s"
        )
    elif result.skipped_because:
        print(f"  no demo calls: {result.skipped_because}")
    print("Demo organisation " + ("created" if created else "ready") + " (sandbox mode only):")
    print(f"  log in at {settings.public_url}/login as {DEMO_EMAIL} / {password}")


if __name__ == "__main__":
    main()
