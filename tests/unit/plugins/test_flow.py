from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from headway.plugins.core.flow import Sleep

if TYPE_CHECKING:
    from conftest import FakeRunContext, TaskFactory


async def test_sleep_waits_for_its_duration(ctx: FakeRunContext, make: TaskFactory) -> None:
    task = make(Sleep, duration="PT0.05S")
    assert task.duration == timedelta(milliseconds=50)
    started = time.monotonic()
    assert await task.run(ctx) is None
    assert time.monotonic() - started >= 0.045


def test_sleep_accepts_an_expression_at_load_time(make: TaskFactory) -> None:
    assert make(Sleep, duration="{{ inputs.wait }}").duration == "{{ inputs.wait }}"


@pytest.mark.parametrize("bad", ["5 seconds", "-PT1S"])
def test_sleep_rejects_a_bad_duration(make: TaskFactory, bad: str) -> None:
    with pytest.raises(ValidationError, match="duration"):
        make(Sleep, duration=bad)


def test_sleep_requires_a_duration(make: TaskFactory) -> None:
    with pytest.raises(ValidationError, match="duration"):
        make(Sleep)
