"""A Flow trigger's ``preconditions``: upstream flows (``flows``) and execution filters
(``where``) that must each be met within a time window before the trigger fires."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from headway.flows.tasks import ID_PATTERN, Model
from headway.state import State
from headway.triggers.conditions import ConditionContext, ExecutionFacts, label_map
from headway.triggers.windows import TimeWindow

FilterField = Literal["FLOW_ID", "NAMESPACE", "STATE", "EXPRESSION"]
FilterType = Literal[
    "EQUAL_TO", "NOT_EQUAL_TO", "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH", "CONTAINS",
    "REGEX", "IS_TRUE", "IS_FALSE", "IS_NULL", "IS_NOT_NULL",
]  # fmt: skip


class UpstreamFlow(Model):
    namespace: str
    flow_id: str
    # Empty: any state the trigger's ``states`` lets through.
    states: list[State] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)

    _as_map = field_validator("labels", mode="before")(classmethod(lambda cls, v: label_map(v)))

    @property
    def name(self) -> str:
        return f"{self.namespace}.{self.flow_id}"

    def matches(self, ex: ExecutionFacts) -> bool:
        return (
            ex.namespace == self.namespace
            and ex.flow_id == self.flow_id
            and (not self.states or ex.state in self.states)
            and all(ex.labels.get(k) == v for k, v in self.labels.items())
        )


class FilterRule(Model):
    field: FilterField
    type: FilterType
    value: Any = None
    values: list[Any] | None = None

    def matches(self, ex: ExecutionFacts, ctx: ConditionContext) -> bool:
        if self.field == "EXPRESSION":
            actual: Any = ctx.render(str(self.value))
            if self.type in ("IS_TRUE", "IS_FALSE", "EQUAL_TO", "NOT_EQUAL_TO"):
                truth = actual is True or str(actual).strip().lower() == "true"
                return truth if self.type in ("IS_TRUE", "EQUAL_TO") else not truth
        else:
            actual = {"FLOW_ID": ex.flow_id, "NAMESPACE": ex.namespace, "STATE": ex.state.value}[
                self.field
            ]
        return _compare(self.type, actual, self.value, self.values)


def _compare(kind: str, actual: Any, value: Any, values: list[Any] | None) -> bool:
    text = "" if actual is None else str(actual)
    options = [str(v) for v in (values if values is not None else [value])]
    checks = {
        "EQUAL_TO": lambda: text == str(value),
        "NOT_EQUAL_TO": lambda: text != str(value),
        "IN": lambda: text in options,
        "NOT_IN": lambda: text not in options,
        "STARTS_WITH": lambda: text.startswith(str(value)),
        "ENDS_WITH": lambda: text.endswith(str(value)),
        "CONTAINS": lambda: str(value) in text,
        "REGEX": lambda: re.fullmatch(str(value), text) is not None,
        "IS_TRUE": lambda: text.lower() == "true",
        "IS_FALSE": lambda: text.lower() == "false",
        "IS_NULL": lambda: actual is None,
        "IS_NOT_NULL": lambda: actual is not None,
    }
    return checks[kind]()


class Where(Model):
    id: str = Field(pattern=ID_PATTERN)
    operand: Literal["AND", "OR"] = "AND"
    filters: list[FilterRule] = Field(min_length=1)

    def matches(self, ex: ExecutionFacts, ctx: ConditionContext) -> bool:
        found = (rule.matches(ex, ctx) for rule in self.filters)
        return all(found) if self.operand == "AND" else any(found)


class Preconditions(Model):
    id: str | None = None
    flows: list[UpstreamFlow] = Field(default_factory=list)
    where: list[Where] = Field(default_factory=list)
    time_window: TimeWindow = Field(default_factory=TimeWindow)
    reset_on_success: bool = True

    def names(self) -> list[str]:
        return [f.name for f in self.flows] + [w.id for w in self.where]

    def met_by(self, ex: ExecutionFacts, ctx: ConditionContext) -> list[str]:
        """The names of the preconditions this execution meets."""
        met = [f.name for f in self.flows if f.matches(ex)]
        return met + [w.id for w in self.where if w.matches(ex, ctx)]
