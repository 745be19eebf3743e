"""The keys every task has, and the types property models use. Pure: no I/O.

A task type is a pydantic model deriving from :class:`TaskBase`; its fields are the task's
properties (camelCase in YAML). Plugins add behaviour (``headway.plugins.base``); the flow
language only needs the models.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WrapValidator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from headway.durations import parse_duration

T = TypeVar("T")

TEMPLATE_MARKERS = ("{{", "{%")


def is_template(value: object) -> bool:
    return isinstance(value, str) and any(m in value for m in TEMPLATE_MARKERS)


def _require_template(value: str) -> str:
    if not is_template(value):
        raise PydanticCustomError("not_expression", "not an expression")
    return value


def _json_container(value: Any) -> Any:
    """A rendered expression that produced a JSON list or map arrives as text: parse it."""
    if isinstance(value, str) and not is_template(value):
        text = value.strip()
        if text[:1] in ("[", "{"):
            try:
                return json.loads(text)
            except ValueError:
                return value
    return value


# A template string, rendered at run time ("{{ inputs.n }}").
TemplateStr = Annotated[str, AfterValidator(_require_template)]


def _duration(value: Any) -> Any:
    if isinstance(value, str) and not is_template(value):
        return parse_duration(value)
    return value


# An ISO-8601 duration (PT30S); a timedelta in Python.
Duration = Annotated[timedelta, BeforeValidator(_duration)]

# A property that may be given as an expression, rendered and then validated as T at run time.
Dynamic = Annotated[
    Union[T, TemplateStr],  # noqa: UP007  (a TypeVar alias needs Union here)
    Field(union_mode="left_to_right"),
    BeforeValidator(_json_container),
]

MODEL_CONFIG = ConfigDict(
    extra="forbid",
    # Kestra (Jackson) reads `key: 2024` into a text property as "2024"; so do we.
    coerce_numbers_to_str=True,
    alias_generator=to_camel,
    validate_by_alias=True,
    validate_by_name=False,
    serialize_by_alias=True,
)

ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


class Model(BaseModel):
    """Base of every model of the language: camelCase keys, unknown keys rejected."""

    model_config = MODEL_CONFIG


class Retry(Model):
    """How a failed TaskRun is tried again (Kestra's constant / exponential / random)."""

    type: Literal["constant", "exponential", "random"]
    interval: Duration | None = None
    max_attempts: int | None = Field(
        None, ge=1, validation_alias=AliasChoices("maxAttempts", "maxAttempt")
    )
    max_duration: Duration | None = None
    warning_on_retry: bool = False
    behavior: Literal["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"] = "RETRY_FAILED_TASK"
    # exponential
    max_interval: Duration | None = None
    delay_factor: float | None = None
    # random
    min_interval: Duration | None = None


class WorkerGroup(Model):
    key: str
    fallback: Literal["FAIL", "WAIT", "CANCEL"] | None = None


class TaskCache(Model):
    enabled: bool = False
    ttl: Duration | None = None


LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


class TaskBase(Model):
    """The keys every task has. Subclasses add their properties and set ``type_name``."""

    # Canonical short name (``log``) and Kestra's class names accepted for it.
    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=ID_PATTERN)
    type: str
    description: str | None = None
    retry: Retry | None = None
    timeout: Dynamic[Duration] | None = None
    disabled: bool = False
    allow_failure: bool = False
    allow_warning: bool = False
    run_if: Dynamic[bool] | None = None
    log_level: LogLevel | None = None
    log_to_file: bool = False
    worker_group: WorkerGroup | None = None
    task_cache: TaskCache | None = None

    def child_task_lists(self) -> list[list[TaskBase]]:
        """Every list of nested tasks (flowable tasks override this)."""
        return []

    def all_tasks(self) -> list[TaskBase]:
        """This task and every task nested under it, depth first."""
        out: list[TaskBase] = [self]
        for tasks in self.child_task_lists():
            for task in tasks:
                out.extend(task.all_tasks())
        return out


def _validate_task(value: Any, handler: Any, info: ValidationInfo) -> Any:
    """Validate a nested task with the model of its ``type``, found in the validation
    context's ``task_types`` (a :class:`headway.flows.registry.TaskTypes`)."""
    if isinstance(value, TaskBase):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("task_type", "expected a task (a mapping with id and type)")
    types = (info.context or {}).get("task_types")
    if types is None:
        raise PydanticCustomError("task_type", "no task types to validate against")
    type_name = value.get("type")
    if not isinstance(type_name, str):
        raise PydanticCustomError("task_type", "a task needs a 'type'")
    cls = types.resolve(type_name)
    if cls is None:
        raise PydanticCustomError(
            "unknown_task_type", "{message}", {"message": types.unknown_message(type_name)}
        )
    return cls.model_validate(value, context=info.context)


# A nested task, validated with the model of its own type.
Task = Annotated[TaskBase, WrapValidator(_validate_task)]


class TaskTypes:
    """What the language needs to know of the registered task types (implemented by
    ``headway.plugins.registry.Registry``)."""

    def resolve(self, type_name: str) -> type[TaskBase] | None:
        raise NotImplementedError

    def unknown_message(self, type_name: str) -> str:
        raise NotImplementedError

    def types(self) -> dict[str, type[TaskBase]]:
        """Canonical name -> model, for the JSON Schema."""
        raise NotImplementedError
