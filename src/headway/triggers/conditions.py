"""Conditions that filter what a trigger fires: on the date (DayWeek, DayWeekInMonth,
Weekend, TimeBetween, DateTimeBetween), on an expression, and, for Flow triggers, on the
execution that ended (ExecutionStatus, ExecutionFlow, ExecutionNamespace, ExecutionLabels,
ExecutionOutputs), combined with Not and Or. MultipleCondition waits for several of them
within a time window (see :mod:`headway.triggers.windows`). Pure: rendering is given."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    ValidationInfo,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)

from headway.execution import parse_iso
from headway.flows.tasks import ID_PATTERN, Model
from headway.state import State
from headway.triggers.types import TypeTable
from headway.triggers.windows import TimeWindow, legacy_window

DEFAULT_DATE = "{{ trigger.date }}"
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


class ConditionError(ValueError):
    """A condition that cannot be evaluated (a date that is not a date...)."""


@dataclass(frozen=True)
class ExecutionFacts:
    """What conditions may know of the execution a Flow trigger reacts to."""

    id: str
    namespace: str
    flow_id: str
    state: State
    tenant: str = "main"
    labels: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConditionContext:
    """What a condition is evaluated against: the time, the trigger's variables, a function
    rendering a template against them (typed: ``{{ x > 1 }}`` gives a bool), and for Flow
    triggers the execution that ended."""

    now: datetime
    variables: Mapping[str, Any]
    render: Callable[[str], Any]
    execution: ExecutionFacts | None = None

    def date(self, template: str) -> datetime:
        """The date a date condition looks at: ``trigger.date`` by default, now if the
        trigger has no date (a Flow or Webhook trigger)."""
        trigger = self.variables.get("trigger")
        if template == DEFAULT_DATE and not (isinstance(trigger, Mapping) and "date" in trigger):
            return self.now
        value = self.render(template)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            return parse_iso(str(value))
        except ValueError:
            raise ConditionError(f"'{template}' gave {value!r}, not a date") from None


class ConditionBase(Model):
    """The keys every condition has. Subclasses set ``type_name`` and implement ``test``."""

    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    # Conditions on the ended execution apply to Flow triggers only.
    on_execution: ClassVar[bool] = False

    type: str
    id: str | None = None

    def test(self, ctx: ConditionContext) -> bool:
        raise NotImplementedError(type(self).__name__)


def kestra_names(name: str) -> tuple[str, ...]:
    """Kestra's current and legacy class names of condition ``name``."""
    return (
        f"io.kestra.plugin.core.condition.{name}",
        f"io.kestra.plugin.core.condition.{name}Condition",
        f"io.kestra.core.models.conditions.types.{name}Condition",
    )


class DayWeek(ConditionBase):
    type_name = "condition.day-week"
    aliases = kestra_names("DayWeek")
    date: str = DEFAULT_DATE
    day_of_week: DayOfWeek

    def test(self, ctx: ConditionContext) -> bool:
        return DAYS[ctx.date(self.date).weekday()] == self.day_of_week


class DayWeekInMonth(ConditionBase):
    type_name = "condition.day-week-in-month"
    aliases = kestra_names("DayWeekInMonth")
    date: str = DEFAULT_DATE
    day_of_week: DayOfWeek
    day_in_month: Literal["FIRST", "SECOND", "THIRD", "FOURTH", "LAST"]

    def test(self, ctx: ConditionContext) -> bool:
        day = ctx.date(self.date)
        if DAYS[day.weekday()] != self.day_of_week:
            return False
        if self.day_in_month == "LAST":
            return (day.day + 7) > _days_in_month(day)
        return (day.day - 1) // 7 == ("FIRST", "SECOND", "THIRD", "FOURTH").index(self.day_in_month)


def _days_in_month(day: datetime) -> int:
    return calendar.monthrange(day.year, day.month)[1]


class Weekend(ConditionBase):
    type_name = "condition.weekend"
    aliases = kestra_names("Weekend")
    date: str = DEFAULT_DATE

    def test(self, ctx: ConditionContext) -> bool:
        return ctx.date(self.date).weekday() >= 5


def _time(text: str | None, what: str) -> time | None:
    if text is None:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a time (expected e.g. 14:00:00)") from None


class TimeBetween(ConditionBase):
    """The time of day of ``date`` is after ``after`` and before ``before`` (either may be
    left out); a time with an offset (``14:00:00+02:00``) compares in that offset."""

    type_name = "condition.time-between"
    aliases = kestra_names("TimeBetween")
    date: str = DEFAULT_DATE
    after: str | None = None
    before: str | None = None

    @field_validator("after", "before")
    @classmethod
    def _is_time(cls, value: str | None) -> str | None:
        _time(value, "the time")
        return value

    def test(self, ctx: ConditionContext) -> bool:
        moment = ctx.date(self.date)
        for bound, later in ((self.after, True), (self.before, False)):
            limit = _time(bound, "the time")
            if limit is None:
                continue
            local = moment.astimezone(limit.tzinfo) if limit.tzinfo else moment
            clock = local.time().replace(tzinfo=None)
            edge = limit.replace(tzinfo=None)
            if (later and clock < edge) or (not later and clock > edge):
                return False
        return True


class DateTimeBetween(ConditionBase):
    type_name = "condition.date-time-between"
    aliases = kestra_names("DateTimeBetween")
    date: str = DEFAULT_DATE
    after: datetime | None = None
    before: datetime | None = None

    def test(self, ctx: ConditionContext) -> bool:
        moment = ctx.date(self.date)
        after = _aware(self.after)
        before = _aware(self.before)
        return (after is None or moment >= after) and (before is None or moment <= before)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Expression(ConditionBase):
    type_name = "condition.expression"
    aliases = kestra_names("Expression")
    expression: str

    def test(self, ctx: ConditionContext) -> bool:
        return _truthy(ctx.render(self.expression))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


class ExecutionStatus(ConditionBase):
    type_name = "condition.execution-status"
    aliases = kestra_names("ExecutionStatus")
    on_execution = True
    in_: list[State] = Field(default_factory=list, alias="in")
    not_in: list[State] = Field(default_factory=list)

    def test(self, ctx: ConditionContext) -> bool:
        ex = _execution(ctx)
        return (not self.in_ or ex.state in self.in_) and ex.state not in self.not_in


def _execution(ctx: ConditionContext) -> ExecutionFacts:
    if ctx.execution is None:
        raise ConditionError("this condition applies to Flow triggers only")
    return ctx.execution


class ExecutionFlow(ConditionBase):
    type_name = "condition.execution-flow"
    aliases = kestra_names("ExecutionFlow")
    on_execution = True
    namespace: str
    flow_id: str

    def test(self, ctx: ConditionContext) -> bool:
        ex = _execution(ctx)
        return ex.namespace == self.namespace and ex.flow_id == self.flow_id


class ExecutionNamespace(ConditionBase):
    type_name = "condition.execution-namespace"
    aliases = kestra_names("ExecutionNamespace")
    on_execution = True
    namespace: str
    comparison: Literal["EQUALS", "PREFIX", "SUFFIX"] | None = None
    prefix: bool = False

    def test(self, ctx: ConditionContext) -> bool:
        ns = _execution(ctx).namespace
        comparison = self.comparison or ("PREFIX" if self.prefix else "EQUALS")
        if comparison == "PREFIX":
            return ns.startswith(self.namespace)
        if comparison == "SUFFIX":
            return ns.endswith(self.namespace)
        return ns == self.namespace


def label_map(value: Any) -> Any:
    """Labels as a map: Kestra also writes them as a list of ``{key, value}``."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, dict) or set(item) != {"key", "value"}:
                raise ValueError("labels as a list take items {key: ..., value: ...}")
            out[str(item["key"])] = item["value"]
        value = out
    if isinstance(value, dict):
        return {str(k): _text(v) for k, v in value.items()}
    return value


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


class ExecutionLabels(ConditionBase):
    type_name = "condition.execution-labels"
    aliases = kestra_names("ExecutionLabels")
    on_execution = True
    labels: dict[str, str]

    _as_map = field_validator("labels", mode="before")(classmethod(lambda cls, v: label_map(v)))

    def test(self, ctx: ConditionContext) -> bool:
        have = _execution(ctx).labels
        return all(have.get(k) == v for k, v in self.labels.items())


class ExecutionOutputs(ConditionBase):
    """An expression on the ended execution's outputs (``{{ trigger.outputs.x == 1 }}``);
    false when it has none."""

    type_name = "condition.execution-outputs"
    aliases = kestra_names("ExecutionOutputs")
    on_execution = True
    expression: str

    def test(self, ctx: ConditionContext) -> bool:
        if not _execution(ctx).outputs:
            return False
        return _truthy(ctx.render(self.expression))


class Not(ConditionBase):
    """True when none of its conditions is."""

    type_name = "condition.not"
    aliases = kestra_names("Not")
    conditions: list[Condition] = Field(min_length=1)

    def test(self, ctx: ConditionContext) -> bool:
        return not any(c.test(ctx) for c in self.conditions)


class Or(ConditionBase):
    type_name = "condition.or"
    aliases = kestra_names("Or")
    conditions: list[Condition] = Field(min_length=1)

    def test(self, ctx: ConditionContext) -> bool:
        return any(c.test(ctx) for c in self.conditions)


class MultipleCondition(ConditionBase):
    """Fires when each of its named conditions was met by some execution within a time
    window (Kestra's deprecated form of a Flow trigger's ``preconditions``)."""

    type_name = "condition.multiple"
    aliases = (
        "io.kestra.plugin.core.condition.MultipleCondition",
        "io.kestra.core.models.conditions.types.MultipleCondition",
    )
    on_execution = True
    id: str = Field(pattern=ID_PATTERN)
    conditions: dict[str, Condition] = Field(min_length=1)
    time_window: TimeWindow | None = None
    sla: TimeWindow | None = None
    window: str | None = None
    window_advance: str | None = None
    reset_on_success: bool = True

    @model_validator(mode="after")
    def _window_is_valid(self) -> MultipleCondition:
        self.effective_window()
        return self

    def effective_window(self) -> TimeWindow:
        if self.time_window is not None:
            return self.time_window
        if self.sla is not None:
            return self.sla
        return legacy_window(self.window, self.window_advance)

    def test(self, ctx: ConditionContext) -> bool:
        raise ConditionError("MultipleCondition is evaluated with its window, by the scheduler")


CONDITION_TYPES: TypeTable[ConditionBase] = TypeTable(
    "condition",
    [
        DayWeek, DayWeekInMonth, Weekend, TimeBetween, DateTimeBetween, Expression,
        ExecutionStatus, ExecutionFlow, ExecutionNamespace, ExecutionLabels, ExecutionOutputs,
        Not, Or, MultipleCondition,
    ],
)  # fmt: skip


def _validate_condition(value: Any, handler: Any, info: ValidationInfo) -> ConditionBase:
    return CONDITION_TYPES.validate(value, info, "a condition")


# A condition, validated with the model of its own type.
Condition = Annotated[
    ConditionBase,
    WrapValidator(_validate_condition),
    WithJsonSchema(CONDITION_TYPES.json_schema("A condition")),
]

Not.model_rebuild()
Or.model_rebuild()
MultipleCondition.model_rebuild()


def simple_and_windows(
    conditions: list[ConditionBase],
) -> tuple[list[ConditionBase], list[MultipleCondition]]:
    """The conditions tested on their own, and the MultipleConditions (with a window)."""
    simple = [c for c in conditions if not isinstance(c, MultipleCondition)]
    return simple, [c for c in conditions if isinstance(c, MultipleCondition)]


def all_true(conditions: list[ConditionBase], ctx: ConditionContext) -> bool:
    return all(c.test(ctx) for c in conditions)
