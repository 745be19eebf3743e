"""Every core task: registered, resolvable by each alias, strict about its keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from headway.flows.tasks import TaskBase
from headway.plugins.core import PLUGINS
from headway.plugins.core.debug import Return
from headway.plugins.core.execution import Fail, Labels
from headway.plugins.core.flow import Sleep
from headway.plugins.core.kv import KVDelete, KVGet, KVSet
from headway.plugins.core.log import Echo, Log
from headway.plugins.core.outputs import OutputValues
from headway.plugins.core.trigger import Toggle
from headway.plugins.registry import Registry

if TYPE_CHECKING:
    from conftest import TaskFactory

# The minimal properties of each task, as a Kestra flow writes them.
MINIMAL: dict[type[TaskBase], dict[str, Any]] = {
    Log: {"message": "hello"},
    Echo: {"format": "hello"},
    Return: {"format": "{{ inputs.x }}"},
    OutputValues: {"values": {"a": 1}},
    Fail: {"errorMessage": "stop"},
    Labels: {"labels": {"team": "ops"}},
    Sleep: {"duration": "PT1S"},
    KVSet: {"key": "k", "value": "v", "kvType": "STRING"},
    KVGet: {"key": "k", "errorOnMissing": True},
    KVDelete: {"key": "k"},
    Toggle: {"trigger": "schedule", "enabled": True},
}

EXPECTED_NAMES = {
    "log": {"io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"},
    "echo": {"io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo"},
    "return": {"io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return"},
    "output.values": {
        "io.kestra.plugin.core.output.OutputValues",
        "io.kestra.core.tasks.outputs.OutputValues",
    },
    "fail": {"io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail"},
    "labels": {
        "io.kestra.plugin.core.execution.Labels",
        "io.kestra.core.tasks.executions.Labels",
    },
    "sleep": {"io.kestra.plugin.core.flow.Sleep", "io.kestra.core.tasks.flows.Sleep"},
    "kv.set": {"io.kestra.plugin.core.kv.Set"},
    "kv.get": {"io.kestra.plugin.core.kv.Get"},
    "kv.delete": {"io.kestra.plugin.core.kv.Delete"},
    "trigger.toggle": {
        "io.kestra.plugin.core.trigger.Toggle",
        "io.kestra.core.tasks.trigger.Toggle",
    },
}


def test_every_plugin_has_minimal_properties_here() -> None:
    assert set(MINIMAL) == set(PLUGINS)


def test_names_and_aliases() -> None:
    assert {cls.type_name: set(cls.aliases) for cls in PLUGINS} == EXPECTED_NAMES


def test_registry_registers_without_conflict_and_resolves_every_alias() -> None:
    registry = Registry(PLUGINS)
    assert set(registry.types()) == set(EXPECTED_NAMES)
    for cls in PLUGINS:
        for name in (cls.type_name, *cls.aliases):
            assert registry.resolve(name) is cls


@pytest.mark.parametrize(
    ("cls", "type_name"),
    [(cls, name) for cls in PLUGINS for name in (cls.type_name, *cls.aliases)],
)
def test_validates_from_a_kestra_dict_with_each_name(
    make: TaskFactory, cls: type[TaskBase], type_name: str
) -> None:
    task = make(cls, type_name, **MINIMAL[cls], description="d", allowFailure=True)
    assert isinstance(task, cls)
    assert task.type == type_name
    assert task.allow_failure is True


@pytest.mark.parametrize("cls", PLUGINS)
def test_rejects_an_unknown_key(make: TaskFactory, cls: type[TaskBase]) -> None:
    with pytest.raises(ValidationError, match="notAProperty"):
        make(cls, **MINIMAL[cls], notAProperty=1)


@pytest.mark.parametrize("cls", PLUGINS)
def test_rejects_snake_case_keys(make: TaskFactory, cls: type[TaskBase]) -> None:
    with pytest.raises(ValidationError, match="allow_failure"):
        make(cls, **MINIMAL[cls], allow_failure=True)


@pytest.mark.parametrize("cls", PLUGINS)
def test_json_schema_describes_the_task(cls: type[TaskBase]) -> None:
    schema = cls.model_json_schema()
    assert schema["description"].startswith((cls.__doc__ or "?").strip().splitlines()[0])
    own = set(cls.model_fields) - set(TaskBase.model_fields) - {"unrendered"}
    assert own, "a core task has properties of its own"
    assert all("_" not in schema_key for schema_key in schema["properties"])
