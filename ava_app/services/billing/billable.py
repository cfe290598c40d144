"""Which calls an owner pays for, and how many minutes each counts.

Never billable: the owner's own test calls (from the browser or the test-call button), blocked callers, calls marked
spam (by the summary's rule or by the owner), and hang-ups: any call shorter than ``MIN_BILLABLE_SECONDS``. A billable
call counts its duration rounded up to the whole minute, the way the owner reads it on the call's page.
"""

from __future__ import annotations

import math

from ava_app.models import Call

MIN_BILLABLE_SECONDS = 15
NOT_BILLED_CALL_TYPES = frozenset({"web", "test"})


def not_billed_reason(call: Call) -> str | None:
    """Why this call is not billed ("test", "blocked", "spam", "short"), or None when it is billable."""
    if call.call_type in NOT_BILLED_CALL_TYPES:
        return "test"
    if call.outcome == "blocked":
        return "blocked"
    if call.spam:
        return "spam"
    if (call.duration_seconds or 0) < MIN_BILLABLE_SECONDS:
        return "short"
    return None


def billable_minutes(call: Call) -> int:
    """The minutes this call counts toward the plan: 0 when it is not billed, else its duration rounded up."""
    if not_billed_reason(call) is not None:
        return 0
    return math.ceil((call.duration_seconds or 0) / 60)
