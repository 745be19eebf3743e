"""Conditions on dates, expressions and ended executions; time windows of preconditions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from headway import expressions
from headway.state import State
from headway.triggers.conditions import (
    Condition,
    ConditionContext,
    ConditionError,
    ExecutionFacts,
)
from headway.triggers.preconditions import Preconditions
from headway.triggers.windows import TimeWindow, record

SATURDAY = datetime(2024, 5, 4, 10, 30, tzinfo=UTC)
CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)
EXECUTION = ExecutionFacts(
    id="e1",
    namespace="company.team.etl",
    flow_id="extract",
    state=State.SUCCESS,
    labels={"env": "prod", "team": "data"},
    outputs={"rows": 12},
)


def ctx(
    variables: Mapping[str, Any] | None = None, execution: ExecutionFacts | None = None
) -> ConditionContext:
    values = dict(variables or {})
    return ConditionContext(
        SATURDAY, values, lambda t: expressions.render_typed(t, values), execution
    )


def holds(condition: dict[str, Any], context: ConditionContext) -> bool:
    result: bool = CONDITION.validate_python(condition).test(context)
    return result


def core(name: str) -> str:
    return f"io.kestra.plugin.core.condition.{name}"


def test_date_conditions_read_trigger_date_or_now() -> None:
    monday = ctx({"trigger": {"date": "2024-05-06T08:00:00Z"}})
    assert holds({"type": core("DayWeek"), "dayOfWeek": "MONDAY"}, monday)
    assert not holds({"type": core("Weekend")}, monday)
    assert holds({"type": core("Weekend")}, ctx())  # no trigger.date: now, a Saturday
    first_monday = {"type": core("DayWeekInMonth"), "dayOfWeek": "MONDAY", "dayInMonth": "FIRST"}
    assert holds(first_monday, monday)
    last = {"type": core("DayWeekInMonth"), "dayOfWeek": "FRIDAY", "dayInMonth": "LAST"}
    assert holds(last, ctx({"trigger": {"date": "2024-05-31T08:00:00Z"}}))
    assert not holds(last, ctx({"trigger": {"date": "2024-05-24T08:00:00Z"}}))


def test_time_and_date_time_between() -> None:
    between = {"type": core("TimeBetween"), "after": "10:00:00", "before": "11:00:00"}
    assert holds(between, ctx())
    assert not holds({**between, "after": "12:31:00+02:00"}, ctx())  # 10:30Z is 12:30+02
    assert holds({**between, "after": "12:29:00+02:00", "before": None}, ctx())
    window = {
        "type": "io.kestra.core.models.conditions.types.DateTimeBetweenCondition",
        "after": "2024-05-01T00:00:00Z",
        "before": "2024-05-05T00:00:00Z",
    }
    assert holds(window, ctx())
    assert not holds({**window, "before": "2024-05-04T00:00:00Z"}, ctx())


def test_expression_conditions() -> None:
    expr = {"type": core("Expression"), "expression": "{{ trigger.body.level == 'high' }}"}
    assert holds(expr, ctx({"trigger": {"body": {"level": "high"}}}))
    assert not holds(expr, ctx({"trigger": {"body": {"level": "low"}}}))


def test_execution_conditions() -> None:
    facts = ctx({"trigger": {"outputs": {"rows": 12}}}, EXECUTION)
    assert holds({"type": core("ExecutionStatus"), "in": ["SUCCESS", "WARNING"]}, facts)
    assert not holds({"type": core("ExecutionStatus"), "notIn": ["SUCCESS"]}, facts)
    flow = {"type": core("ExecutionFlow"), "namespace": "company.team.etl", "flowId": "extract"}
    assert holds(flow, facts)
    assert not holds({**flow, "flowId": "load"}, facts)
    namespace = {"type": core("ExecutionNamespace"), "namespace": "company.team"}
    assert not holds(namespace, facts)
    assert holds({**namespace, "comparison": "PREFIX"}, facts)
    assert holds({**namespace, "prefix": True}, facts)
    assert holds({**namespace, "namespace": ".etl", "comparison": "SUFFIX"}, facts)
    labels = {"type": core("ExecutionLabels"), "labels": [{"key": "env", "value": "prod"}]}
    assert holds(labels, facts)
    assert not holds({**labels, "labels": {"env": "dev"}}, facts)
    outputs = {"type": core("ExecutionOutputs"), "expression": "{{ trigger.outputs.rows > 10 }}"}
    assert holds(outputs, facts)
    with pytest.raises(ConditionError, match="Flow triggers only"):
        holds(flow, ctx())


def test_not_and_or() -> None:
    weekend = {"type": core("Weekend")}
    monday = {"type": core("DayWeek"), "dayOfWeek": "MONDAY"}
    assert holds({"type": core("Or"), "conditions": [monday, weekend]}, ctx())
    assert not holds({"type": core("Not"), "conditions": [monday, weekend]}, ctx())
    assert holds({"type": core("Not"), "conditions": [monday]}, ctx())


def test_a_duration_window_is_aligned_on_midnight_and_resets_when_it_ends() -> None:
    window = TimeWindow.model_validate({"window": "PT6H", "windowAdvance": "PT1H"})
    start, end = window.bounds(SATURDAY) or (None, None)
    assert (start, end) == (SATURDAY.replace(hour=7, minute=0), SATURDAY.replace(hour=13, minute=0))
    fired, state = record(None, window, ["a", "b"], ["a"], SATURDAY)
    assert not fired and set(state["results"]) == {"a"}
    fired, state = record(state, window, ["a", "b"], ["b"], SATURDAY + timedelta(hours=1))
    assert fired and state["results"] == {}  # resetOnSuccess
    fired, state = record(None, window, ["a", "b"], ["a"], SATURDAY)
    later = SATURDAY + timedelta(hours=3)  # the next window: 'a' no longer counts
    fired, state = record(state, window, ["a", "b"], ["b"], later)
    assert not fired and set(state["results"]) == {"b"}


def test_sliding_and_daily_windows() -> None:
    sliding = TimeWindow.model_validate({"type": "SLIDING_WINDOW", "window": "PT1H"})
    _, state = record(None, sliding, ["a", "b"], ["a"], SATURDAY)
    fired, _ = record(state, sliding, ["a", "b"], ["b"], SATURDAY + timedelta(minutes=59))
    assert fired
    fired, _ = record(state, sliding, ["a", "b"], ["b"], SATURDAY + timedelta(minutes=61))
    assert not fired
    deadline = TimeWindow.model_validate({"type": "DAILY_TIME_DEADLINE", "deadline": "09:00:00"})
    assert deadline.bounds(SATURDAY) is None  # 10:30, after the deadline
    daily = TimeWindow.model_validate(
        {"type": "DAILY_TIME_WINDOW", "startTime": "10:00:00", "endTime": "11:00:00"}
    )
    assert daily.bounds(SATURDAY) == (
        SATURDAY.replace(minute=0),
        SATURDAY.replace(hour=11, minute=0),
    )
    kept, state = record(None, daily, ["a"], ["a"], SATURDAY.replace(hour=12))
    assert not kept and state == {}


def test_preconditions_name_their_flows_and_filters() -> None:
    pre = Preconditions.model_validate(
        {
            "flows": [
                {"namespace": "company.team.etl", "flowId": "extract", "states": ["SUCCESS"]}
            ],
            "where": [
                {
                    "id": "prod",
                    "filters": [
                        {"field": "NAMESPACE", "type": "STARTS_WITH", "value": "company"},
                        {"field": "STATE", "type": "IN", "values": ["SUCCESS", "WARNING"]},
                    ],
                },
                {
                    "id": "other",
                    "filters": [{"field": "FLOW_ID", "type": "EQUAL_TO", "value": "x"}],
                },
            ],
        }
    )
    assert pre.names() == ["company.team.etl.extract", "prod", "other"]
    assert pre.met_by(EXECUTION, ctx(execution=EXECUTION)) == ["company.team.etl.extract", "prod"]
