"""pluginDefaults and taskDefaults: applied before validation, to nested plugins too."""

from __future__ import annotations

from headway.flows.defaults import merge

from .conftest import If, Log, Parse, Problems, ShellCommands

HEAD = "id: hello\nnamespace: company.team\n"


def log_levels(parse: Parse, defaults: str, tasks: str) -> dict[str, str]:
    flow = parse(HEAD + defaults + "tasks:\n" + tasks)
    return {t.id: t.level for t in flow.all_tasks() if isinstance(t, Log)}


PLAIN = "  - id: plain\n    type: log\n    message: m\n"
WARN = "  - id: warn\n    type: log\n    message: m\n    level: WARN\n"


def test_defaults_fill_missing_keys(parse: Parse) -> None:
    defaults = "pluginDefaults:\n  - type: log\n    values:\n      level: DEBUG\n"
    assert log_levels(parse, defaults, PLAIN + WARN) == {"plain": "DEBUG", "warn": "WARN"}


def test_forced_defaults_override(parse: Parse) -> None:
    defaults = "pluginDefaults:\n  - type: log\n    forced: true\n    values:\n      level: ERROR\n"
    assert log_levels(parse, defaults, PLAIN + WARN) == {"plain": "ERROR", "warn": "ERROR"}


def test_a_default_matches_every_name_of_its_type(parse: Parse) -> None:
    defaults = (
        "pluginDefaults:\n  - type: io.kestra.core.tasks.log.Log\n    values:\n      level: DEBUG\n"
    )
    tasks = PLAIN + "  - id: full\n    type: io.kestra.plugin.core.log.Log\n    message: m\n"
    assert log_levels(parse, defaults, tasks) == {"plain": "DEBUG", "full": "DEBUG"}


def test_a_default_type_may_be_a_prefix(parse: Parse) -> None:
    defaults = (
        "pluginDefaults:\n"
        "  - type: io.kestra.plugin.scripts\n"
        "    values:\n"
        "      containerImage: ubuntu:24.04\n"
    )
    flow = parse(
        HEAD + defaults + "tasks:\n  - id: sh\n    type: shell.commands\n    commands: [ls]\n"
    )
    task = flow.tasks[0]
    assert isinstance(task, ShellCommands)
    assert task.container_image == "ubuntu:24.04"


def test_defaults_reach_nested_tasks(parse: Parse) -> None:
    defaults = "pluginDefaults:\n  - type: log\n    values:\n      level: TRACE\n"
    tasks = (
        "  - id: branch\n    type: if\n    condition: x\n    then:\n"
        "      - id: inner\n        type: log\n        message: m\n"
        "      - id: deeper\n        type: sequential\n        tasks:\n"
        "          - id: deepest\n            type: log\n            message: m\n"
    )
    flow = parse(HEAD + defaults + "tasks:\n" + tasks)
    assert isinstance(flow.tasks[0], If)
    assert log_levels(parse, defaults, tasks) == {"inner": "TRACE", "deepest": "TRACE"}


def test_maps_merge_and_lists_gain_missing_items(parse: Parse) -> None:
    defaults = (
        "pluginDefaults:\n"
        "  - type: shell.commands\n"
        "    values:\n"
        "      env: {A: default, B: default}\n"
        "      beforeCommands: [set -e, cd /tmp]\n"
    )
    tasks = (
        "  - id: sh\n    type: shell.commands\n    commands: [ls]\n"
        "    env: {B: task}\n    beforeCommands: [cd /tmp, echo]\n"
    )
    task = parse(HEAD + defaults + "tasks:\n" + tasks).tasks[0]
    assert isinstance(task, ShellCommands)
    assert task.env == {"A": "default", "B": "task"}
    assert task.before_commands == ["set -e", "cd /tmp", "echo"]


def test_the_first_matching_default_wins(parse: Parse) -> None:
    defaults = (
        "pluginDefaults:\n"
        "  - type: log\n    values: {level: DEBUG}\n"
        "  - type: io.kestra\n    values: {level: ERROR}\n"
        "  - type: log\n    forced: true\n    values: {description: first}\n"
        "  - type: log\n    forced: true\n    values: {description: second}\n"
    )
    flow = parse(HEAD + defaults + "tasks:\n" + PLAIN)
    assert flow.tasks[0].description == "first"
    assert log_levels(parse, defaults, PLAIN) == {"plain": "DEBUG"}


def test_legacy_task_defaults(parse: Parse) -> None:
    defaults = "taskDefaults:\n  - type: log\n    values:\n      level: WARN\n"
    assert log_levels(parse, defaults, PLAIN) == {"plain": "WARN"}


def test_defaults_reach_triggers(parse: Parse) -> None:
    defaults = (
        "pluginDefaults:\n"
        "  - type: io.kestra.plugin.core.trigger.Schedule\n"
        "    values: {timezone: Europe/Paris}\n"
    )
    triggers = (
        "triggers:\n  - id: daily\n    type: io.kestra.plugin.core.trigger.Schedule\n"
        "    cron: '@daily'\n"
    )
    flow = parse(HEAD + defaults + triggers + "tasks:\n" + PLAIN)
    assert getattr(flow.triggers[0], "timezone", None) == "Europe/Paris"


def test_unknown_keys_of_a_known_type_are_reported_where_written(problems: Problems) -> None:
    defaults = "pluginDefaults:\n  - type: log\n    values:\n      levle: DEBUG\n"
    found = problems(HEAD + defaults + "tasks:\n" + PLAIN)
    assert len(found) == 1
    assert str(found[0]).startswith(
        "flow.yaml:6:7: unknown key 'levle' for task type 'log' (expected one of: message, level,"
    )


def test_unknown_keys_from_a_prefix_default_name_their_origin(problems: Problems) -> None:
    defaults = "pluginDefaults:\n  - type: io.kestra.plugin.core\n    values:\n      colour: red\n"
    found = problems(HEAD + defaults + "tasks:\n" + PLAIN)
    assert len(found) == 1
    assert found[0].location.line == 8
    assert found[0].message.startswith("unknown key 'colour' for task type 'log'")
    assert found[0].message.endswith("(set by pluginDefaults)")


def test_malformed_defaults_are_reported(problems: Problems) -> None:
    found = problems(HEAD + "pluginDefaults:\n  - values: {level: DEBUG}\n" + "tasks:\n" + PLAIN)
    assert [str(p) for p in found] == [
        "flow.yaml:4:5: missing required key 'type' (at pluginDefaults[0].type)"
    ]


def test_merge() -> None:
    assert merge({"a": 1, "m": {"x": 1}}, {"m": {"y": 2}, "b": None}) == {
        "a": 1,
        "m": {"x": 1, "y": 2},
        "b": None,
    }
    assert merge({"a": 1}, {"a": None}) == {"a": 1}
    assert merge([1, 2], [2, 3]) == [1, 2, 3]
    assert merge("a", "b") == "b"
