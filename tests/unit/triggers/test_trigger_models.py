"""Triggers as a flow declares them: Kestra's type names and aliases, and invalid triggers
reported at their file, line and column."""

from __future__ import annotations

from datetime import timedelta

import pytest

from headway.errors import FlowInvalidError
from headway.flows.loader import parse_flow
from headway.flows.model import Flow
from headway.plugins.registry import default_registry
from headway.triggers.conditions import ExecutionStatus, MultipleCondition, Weekend
from headway.triggers.model import FlowTrigger, HttpTrigger, Schedule, ScheduleOnDates, Webhook

HEAD = """id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
"""


def parse(triggers: str) -> Flow:
    return parse_flow(HEAD + triggers, file="flow.yaml", task_types=default_registry())


def problems(triggers: str) -> list[str]:
    with pytest.raises(FlowInvalidError) as caught:
        parse(triggers)
    return [str(p) for p in caught.value.problems]


def test_every_trigger_type_by_its_kestra_names() -> None:
    flow = parse(
        """
  - id: a
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * 1-5"
    timezone: Europe/Paris
    recoverMissedSchedules: LAST
    lateMaximumDelay: PT1H
    allowConcurrent: true
    conditions:
      - type: io.kestra.plugin.core.condition.Weekend
  - id: b
    type: io.kestra.core.models.triggers.types.Schedule
    cron: "@hourly"
  - id: c
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    dates: [2025-01-01T00:00:00Z]
  - id: d
    type: io.kestra.plugin.core.trigger.Flow
    states: [SUCCESS]
    conditions:
      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
        in: [SUCCESS]
      - id: both
        type: io.kestra.plugin.core.condition.MultipleCondition
        window: PT12H
        conditions:
          a: {type: io.kestra.plugin.core.condition.ExecutionFlow, namespace: n, flowId: a}
  - id: e
    type: io.kestra.core.models.triggers.types.Webhook
    key: "{{ secret('KEY') }}"
  - id: f
    type: io.kestra.plugin.core.http.Trigger
    uri: https://example.com
    interval: PT30S
    stopAfter: [SUCCESS]
"""
    )
    a, b, c, d, e, f = flow.triggers
    assert isinstance(a, Schedule) and a.recover_missed_schedules == "LAST"
    assert a.late_maximum_delay == timedelta(hours=1) and a.allow_concurrent
    assert isinstance(a.conditions[0], Weekend)
    assert isinstance(b, Schedule) and b.parsed().expression == "@hourly"
    assert isinstance(c, ScheduleOnDates) and len(c.dates) == 1
    assert isinstance(d, FlowTrigger)
    assert isinstance(d.conditions[0], ExecutionStatus)
    multiple = d.conditions[1]
    assert isinstance(multiple, MultipleCondition)
    assert multiple.effective_window().window == timedelta(hours=12)
    assert isinstance(e, Webhook) and isinstance(f, HttpTrigger)
    assert f.interval == timedelta(seconds=30)


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        (
            "  - id: a\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '61 * * * *'\n",
            "flow.yaml:10:11: invalid cron expression '61 * * * *'",
        ),
        (
            "  - id: a\n    type: schedule\n    cron: '* * *'\n",
            "flow.yaml:10:11: invalid cron expression '* * *': expected 5 fields, "
            "or 6 with seconds, got 3",
        ),
        (
            "  - id: a\n    type: schedule\n    cron: '@often'\n",
            "flow.yaml:10:11: invalid cron expression '@often': unknown nickname",
        ),
        (
            "  - id: a\n    type: schedule\n    cron: '@daily'\n    timezone: Mars/Olympus\n",
            "flow.yaml:11:15: unknown time zone 'Mars/Olympus'",
        ),
        (
            "  - id: a\n    type: io.kestra.plugin.core.trigger.Shedule\n",
            "flow.yaml:8:5: unknown trigger type 'io.kestra.plugin.core.trigger.Shedule'; "
            "did you mean 'io.kestra.plugin.core.trigger.Schedule'",
        ),
        (
            "  - id: a\n    type: schedule\n",
            "flow.yaml:8:5: missing required key 'cron'",
        ),
        (
            "  - id: a\n    type: schedule\n    cron: '@daily'\n    recoverMissedSchedules: SOME\n",
            "flow.yaml:11:29: expected one of 'ALL', 'LAST', 'NONE', got 'SOME'",
        ),
        (
            "  - id: a\n    type: webhook\n    key: k\n    conditions:\n"
            "      - type: io.kestra.plugin.core.condition.DayWeek\n        dayOfWeek: FUNDAY\n",
            "flow.yaml:13:20: expected one of 'MONDAY'",
        ),
        (
            "  - id: a\n    type: flow\n    preconditions:\n      timeWindow:\n"
            "        type: DAILY_TIME_DEADLINE\n",
            "flow.yaml:12:9: a DAILY_TIME_DEADLINE window needs a 'deadline'",
        ),
        (
            "  - id: a\n    type: http.trigger\n    uri: http://x\n    interval: often\n",
            "flow.yaml:11:15: 'often' is not an ISO-8601 duration",
        ),
        (
            "  - id: a\n    type: webhook\n    key: k\n    stopAfter: [DONE]\n",
            "flow.yaml:11:17: Input should be 'CREATED', 'QUEUED'",
        ),
    ],
)
def test_invalid_triggers_are_reported_where_written(trigger: str, expected: str) -> None:
    found = problems(trigger)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found[0]


def test_unknown_trigger_keys_are_reported() -> None:
    [found] = problems("  - id: a\n    type: webhook\n    key: k\n    keys: x\n")
    assert found.startswith("flow.yaml:11:5: unknown key 'keys'")


def test_six_fields_are_seconds_first() -> None:
    flow = parse(
        "  - id: a\n    type: schedule\n    cron: '*/10 * * * * *'\n    withSeconds: true\n"
    )
    trigger = flow.triggers[0]
    assert isinstance(trigger, Schedule) and trigger.parsed().seconds


def test_the_seed_flows_triggers_parse() -> None:
    flow = parse(
        "  - id: daily\n    type: io.kestra.core.models.triggers.types.Schedule\n"
        "    cron: '0 3 * * *'\n"
        "  - id: webhook\n    type: io.kestra.core.models.triggers.types.Webhook\n"
        "    key: \"{{ secret('WEBHOOK_KEY') }}\"\n"
    )
    assert [t.id for t in flow.triggers] == ["daily", "webhook"]
