"""When a failed attempt is tried again: Kestra's constant, exponential and random policies."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from headway.flows.tasks import Retry

_DEFAULT_INTERVAL = timedelta(seconds=1)


def retry_delay(
    policy: Retry, attempts_done: int, first_start: datetime, now: datetime
) -> timedelta | None:
    """The wait before the next attempt, or None when the policy is exhausted.

    ``attempts_done`` counts the attempts made so far (1 after the first failure).
    """
    if policy.max_attempts is not None and attempts_done >= policy.max_attempts:
        return None
    interval = policy.interval or _DEFAULT_INTERVAL
    if policy.type == "constant":
        delay = interval
    elif policy.type == "exponential":
        factor = policy.delay_factor or 2.0
        delay = interval * (factor ** (attempts_done - 1))
        if policy.max_interval is not None:
            delay = min(delay, policy.max_interval)
    else:
        low = policy.min_interval or timedelta(0)
        high = policy.max_interval or interval
        if high < low:
            low, high = high, low
        delay = low + (high - low) * random.random()
    if policy.max_duration is not None and (now + delay) - first_start > policy.max_duration:
        return None
    if policy.max_attempts is None and policy.max_duration is None:
        return None
    return delay
