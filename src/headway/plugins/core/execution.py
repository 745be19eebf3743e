"""Tasks that act on their execution: Fail ends it in failure, Labels adds labels to it."""

from __future__ import annotations

import json
from typing import Any

from pydantic import field_validator

from headway.errors import TaskFailure
from headway.expressions.values import truthy
from headway.flows.tasks import Dynamic, Model, is_template
from headway.plugins.base import Outputs, RunContext, RunnableTask

SYSTEM_LABEL_PREFIX = "system."


class Fail(RunnableTask):
    """Fail the task (and so the execution), always or only when ``condition`` is true.

    The condition is rendered and coerced to a boolean: ``0``, ``-0``, ``''`` and ``false``
    are false, every other value is true. A retry policy on this task applies, as in Kestra:
    each attempt evaluates the condition again.
    """

    type_name = "fail"
    aliases = ("io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail")

    condition: str | bool | int | float | None = None
    error_message: str = "Task failure"

    async def run(self, ctx: RunContext) -> Outputs | None:
        if self.condition is not None and not truthy(self.condition):
            return None
        raise TaskFailure(self.error_message, retryable=True)


class Label(Model):
    """One label, as ``{key, value}``."""

    key: str
    value: Any


def _label_text(key: str, value: Any) -> str:
    if value is None:
        raise ValueError(f"label '{key}' has no value")
    if isinstance(value, str):
        return value
    return json.dumps(value)


def label_map(labels: dict[str, Any] | list[Label]) -> dict[str, str]:
    """Labels given as a map or as a list of ``{key, value}``, as a map of strings."""
    if isinstance(labels, list):
        return {label.key: _label_text(label.key, label.value) for label in labels}
    return {key: _label_text(key, value) for key, value in labels.items()}


def check_label_key(key: str) -> None:
    if not key.strip():
        raise ValueError("a label key must not be empty")
    if key.startswith(SYSTEM_LABEL_PREFIX):
        raise ValueError(
            f"label '{key}': labels starting with '{SYSTEM_LABEL_PREFIX}' are reserved "
            "and cannot be set by a task"
        )


class Labels(RunnableTask):
    """Add labels to the current execution, or replace the values of existing ones.

    Give a map (``labelKey: value``) or a list of ``{key, value}``, or an expression that
    renders to either. Values become strings; keys starting with ``system.`` are rejected.
    """

    type_name = "labels"
    aliases = (
        "io.kestra.plugin.core.execution.Labels",
        "io.kestra.core.tasks.executions.Labels",
    )

    labels: Dynamic[dict[str, Any] | list[Label]]

    @field_validator("labels")
    @classmethod
    def _as_map(cls, value: dict[str, Any] | list[Label] | str) -> dict[str, str] | str:
        if isinstance(value, str):
            return value
        labels = label_map(value)
        for key in labels:
            if not is_template(key):
                check_label_key(key)
        return labels

    async def run(self, ctx: RunContext) -> Outputs | None:
        if isinstance(self.labels, str):
            raise TaskFailure(
                f"labels did not render to a map or a list of {{key, value}}: {self.labels!r}",
                retryable=False,
            )
        labels = label_map(self.labels)
        for key in labels:
            try:
                check_label_key(key)
            except ValueError as exc:
                raise TaskFailure(str(exc), retryable=False) from exc
        ctx.set_labels(labels)
        return None
