"""The flow: its keys as pydantic models. Pure: no I/O, nothing from the engine."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator

from headway.flows.inputs import Input
from headway.flows.tasks import ID_PATTERN, Model, Retry, Task, TaskBase
from headway.triggers.model import Trigger


def _label_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


# Labels: a map, or Kestra's list of {key, value}.
Labels = Annotated[
    dict[str, str],
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": "string"}},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                        "required": ["key", "value"],
                        "additionalProperties": False,
                    },
                },
            ]
        }
    ),
]


class Concurrency(Model):
    limit: int = Field(ge=1)
    behavior: Literal["QUEUE", "CANCEL", "FAIL"] = "QUEUE"


class FlowOutput(Model):
    id: str = Field(pattern=ID_PATTERN)
    type: str = "STRING"
    value: Any
    description: str | None = None
    required: bool = True
    display_name: str | None = None


class PluginDefault(Model):
    type: str
    values: dict[str, Any]
    forced: bool = False


class SLA(Model):
    id: str
    type: Literal["MAX_DURATION", "EXECUTION_ASSERTION"]
    behavior: Literal["FAIL", "CANCEL", "NONE"] = "FAIL"
    duration: str | None = None
    assert_: str | None = Field(None, alias="assert")
    labels: Any = None


class Flow(Model):
    """A flow definition, identified by namespace + id, versioned by revision."""

    id: str = Field(pattern=ID_PATTERN)
    namespace: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    revision: int | None = None
    description: str | None = None
    labels: Labels = Field(default_factory=dict)
    inputs: list[Input] = Field(default_factory=list)
    variables: dict[str, Any] = Field(default_factory=dict)
    tasks: list[Task] = Field(min_length=1)
    errors: list[Task] = Field(default_factory=list)
    finally_: list[Task] = Field(default_factory=list, alias="finally")
    after_execution: list[Task] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    concurrency: Concurrency | None = None
    outputs: list[FlowOutput] = Field(default_factory=list)
    retry: Retry | None = None
    sla: list[SLA] = Field(default_factory=list)
    plugin_defaults: list[PluginDefault] = Field(default_factory=list)
    task_defaults: list[PluginDefault] = Field(default_factory=list)
    disabled: bool = False
    deleted: bool = False
    tenant_id: str | None = None

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_as_map(cls, value: Any) -> Any:
        """Labels may be a map or Kestra's list of ``{key, value}``; values are text."""
        if isinstance(value, list):
            out: dict[str, Any] = {}
            for item in value:
                if not isinstance(item, dict) or set(item) != {"key", "value"}:
                    raise ValueError("labels as a list take items {key: ..., value: ...}")
                out[str(item["key"])] = item["value"]
            value = out
        if isinstance(value, dict):
            return {k: _label_text(v) for k, v in value.items()}
        return value

    def all_tasks(self) -> list[TaskBase]:
        """Every task of the flow, nested ones included, depth first."""
        out: list[TaskBase] = []
        for task in [*self.tasks, *self.errors, *self.finally_, *self.after_execution]:
            out.extend(task.all_tasks())
        return out

    def find_task(self, task_id: str) -> TaskBase:
        for task in self.all_tasks():
            if task.id == task_id:
                return task
        raise KeyError(task_id)

    @property
    def uid(self) -> str:
        return f"{self.namespace}.{self.id}"
