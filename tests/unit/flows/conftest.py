"""Small task types standing in for the real plugins, and a registry of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

import pytest
from pydantic import ConfigDict, Field, model_validator

from headway.errors import FlowInvalidError, Problem
from headway.flows.graph import check_dag
from headway.flows.loader import parse_flow
from headway.flows.model import Flow
from headway.flows.tasks import Dynamic, Model, Task, TaskBase
from headway.plugins.registry import Registry


class Log(TaskBase):
    type_name: ClassVar[str] = "log"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.log.Log",
        "io.kestra.core.tasks.log.Log",
    )
    message: Dynamic[str]
    level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = "INFO"


class Sequential(TaskBase):
    type_name: ClassVar[str] = "sequential"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Sequential",)
    tasks: list[Task] = Field(min_length=1)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks]


class If(TaskBase):
    type_name: ClassVar[str] = "if"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.flow.If",
        "io.kestra.core.tasks.flows.If",
    )
    condition: str
    then: list[Task] = Field(min_length=1)
    else_: list[Task] = Field(default_factory=list, alias="else")

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.then, self.else_]


class Switch(TaskBase):
    type_name: ClassVar[str] = "switch"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Switch",)
    value: str
    cases: dict[str, list[Task]] = Field(min_length=1)
    defaults: list[Task] = Field(default_factory=list)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [*self.cases.values(), self.defaults]


class DagTask(Model):
    task: Task
    depends_on: list[str] = Field(default_factory=list)


class Dag(TaskBase):
    type_name: ClassVar[str] = "dag"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Dag",)
    tasks: list[DagTask] = Field(min_length=1)

    @model_validator(mode="after")
    def _acyclic(self) -> Dag:
        problems = check_dag([(e.task.id, e.depends_on) for e in self.tasks])
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [[entry.task for entry in self.tasks]]


class Subflow(TaskBase):
    type_name: ClassVar[str] = "subflow"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Subflow",)
    namespace: str
    flow_id: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    wait: bool = True


class EachParallel(TaskBase):
    type_name: ClassVar[str] = "each.parallel"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.core.tasks.flows.EachParallel",)
    value: Any
    tasks: list[Task] = Field(min_length=1)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks]


class ShellCommands(TaskBase):
    type_name: ClassVar[str] = "shell.commands"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.shell.Commands",)
    commands: list[str] = Field(min_length=1)
    before_commands: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    container_image: str | None = None
    task_runner: dict[str, Any] | None = None


class PythonScript(TaskBase):
    """A stand-in whose own keys are not modelled: anything is accepted."""

    model_config = ConfigDict(extra="allow")
    type_name: ClassVar[str] = "python.script"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.python.Script",)


def stand_in(class_name: str) -> type[TaskBase]:
    """A permissive task type for a plugin of another package (Loki, OpenAI, Slack, S3)."""
    short = class_name.rsplit(".", 2)
    return type(
        short[-1],
        (TaskBase,),
        {
            "model_config": ConfigDict(extra="allow"),
            "type_name": ".".join(short[-2:]).lower(),
            "aliases": (class_name,),
        },
    )


EXTERNAL = (
    "io.kestra.plugin.loki.Query",
    "io.kestra.plugin.openai.ChatCompletion",
    "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
    "io.kestra.plugin.aws.s3.Upload",
)

TASK_CLASSES: tuple[type[TaskBase], ...] = (
    Log,
    Sequential,
    If,
    Switch,
    Dag,
    Subflow,
    EachParallel,
    ShellCommands,
    PythonScript,
)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry([*TASK_CLASSES, *(stand_in(name) for name in EXTERNAL)])


Parse = Callable[[str], Flow]
Problems = Callable[[str], list[Problem]]


@pytest.fixture
def parse(registry: Registry) -> Parse:
    """Parse a flow's YAML as ``flow.yaml``."""

    def run(source: str) -> Flow:
        return parse_flow(source, file="flow.yaml", task_types=registry)

    return run


@pytest.fixture
def problems(registry: Registry) -> Problems:
    """The problems of an invalid flow's YAML (fails the test if the flow is valid)."""

    def run(source: str) -> list[Problem]:
        with pytest.raises(FlowInvalidError) as info:
            parse_flow(source, file="flow.yaml", task_types=registry)
        return info.value.problems

    return run
