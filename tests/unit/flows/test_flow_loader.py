"""Loading flows: models validated, every problem at its file:line:column, saying what was
expected."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from headway.errors import FlowInvalidError
from headway.flows.loader import parse_flow
from headway.plugins.registry import Registry

from .conftest import If, Log, Parse, Problems, Sequential

SEEDS = Path(__file__).parent / "seed_flows"

HEAD = "id: hello\nnamespace: company.team\n"


def only(problems: Sequence[object]) -> str:
    assert len(problems) == 1, problems
    return str(problems[0])


def test_a_valid_flow_parses(parse: Parse) -> None:
    flow = parse(
        HEAD
        + "description: hi\n"
        + "tasks:\n"
        + "  - id: hello\n"
        + "    type: io.kestra.plugin.core.log.Log\n"
        + "    message: Hello {{ inputs.name }}\n"
        + "  - id: branch\n"
        + "    type: io.kestra.core.tasks.flows.If\n"
        + "    condition: '{{ true }}'\n"
        + "    then:\n"
        + "      - id: inner\n"
        + "        type: log\n"
        + "        message: 42\n"
    )
    assert flow.uid == "company.team.hello"
    first, branch = flow.tasks
    assert isinstance(first, Log)
    assert isinstance(branch, If)
    assert [t.id for t in flow.all_tasks()] == ["hello", "branch", "inner"]
    inner = flow.find_task("inner")
    assert isinstance(inner, Log)
    assert inner.message == "42"  # a number where text is expected is read as text


def test_labels_as_map_and_as_list(parse: Parse) -> None:
    tasks = "tasks:\n  - id: a\n    type: log\n    message: m\n"
    as_map = parse(HEAD + "labels:\n  team: ops\n  tier: 1\n" + tasks)
    as_list = parse(
        HEAD + "labels:\n  - key: team\n    value: ops\n  - key: tier\n    value: 1\n" + tasks
    )
    assert as_map.labels == as_list.labels == {"team": "ops", "tier": "1"}


def test_unknown_task_type_is_reported_at_its_type_value(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n"
        + "  - id: first\n"
        + "    type: log\n"
        + "    message: hi\n"
        + "  - id: second\n"
        + "    type: lgo\n"
    )
    assert only(problems(source)) == (
        "flow.yaml:8:11: unknown task type 'lgo'; did you mean 'log'? (at tasks[1].type)"
    )


def test_unknown_type_nested_in_a_flowable(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n"
        + "  - id: branch\n"
        + "    type: if\n"
        + "    condition: x\n"
        + "    then:\n"
        + "      - id: inner\n"
        + "        type: io.kestra.plugin.core.log.Lgo\n"
    )
    text = only(problems(source))
    assert text.startswith("flow.yaml:9:15: unknown task type 'io.kestra.plugin.core.log.Lgo'")
    assert "did you mean 'io.kestra.plugin.core.log.Log'" in text


def test_unknown_key_lists_the_keys_of_the_task_type(problems: Problems) -> None:
    source = HEAD + "tasks:\n  - id: a\n    type: log\n    messsage: hi\n"
    found = problems(source)
    assert [str(p) for p in found] == [
        "flow.yaml:4:5: missing required key 'message' for task type 'log' (at tasks[0].message)",
        "flow.yaml:6:5: unknown key 'messsage' for task type 'log'; did you mean 'message'? "
        "(expected one of: message, level, id, type, description, retry, timeout, disabled, "
        "allowFailure, allowWarning, runIf, logLevel, logToFile, workerGroup, taskCache) "
        "(at tasks[0].messsage)",
    ]


def test_unknown_flow_key(problems: Problems) -> None:
    source = HEAD + "tsks:\n  - id: a\n"
    messages = [p.message for p in problems(source)]
    assert messages[0] == "missing required key 'tasks'"
    assert messages[1].startswith("unknown key 'tsks'; did you mean 'tasks'? (expected one of: id,")


def test_missing_keys_are_named(problems: Problems) -> None:
    messages = [p.message for p in problems("tasks:\n  - id: a\n    type: log\n    message: m\n")]
    assert messages == ["missing required key 'id'", "missing required key 'namespace'"]


def test_retry_type_says_what_was_expected(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n"
        + "  - id: a\n    type: log\n    message: m\n"
        + "  - id: b\n    type: log\n    message: m\n"
        + "  - id: c\n    type: log\n    message: m\n"
        + "    retry:\n      type: linear\n      maxAttempt: 3\n"
    )
    assert only(problems(source)) == (
        "flow.yaml:14:13: expected one of 'constant', 'exponential', 'random', got 'linear' "
        "(at tasks[2].retry.type)"
    )


def test_bad_values_say_what_was_expected(problems: Problems) -> None:
    source = (
        HEAD
        + "disabled: maybe\n"
        + "tasks:\n"
        + "  - id: a\n    type: log\n    message: m\n    timeout: soon\n    level: LOUD\n"
    )
    assert [str(p) for p in problems(source)] == [
        "flow.yaml:3:11: expected true or false, got 'maybe' (at disabled)",
        "flow.yaml:8:14: 'soon' is not an ISO-8601 duration (expected e.g. PT30S, PT1H, P1D) "
        "(at tasks[0].timeout)",
        "flow.yaml:9:12: expected one of 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', got 'LOUD' "
        "(at tasks[0].level)",
    ]


def test_dynamic_properties_accept_expressions(parse: Parse) -> None:
    flow = parse(
        HEAD + "tasks:\n  - id: a\n    type: log\n    message: m\n    timeout: '{{ vars.t }}'\n"
    )
    assert flow.tasks[0].timeout == "{{ vars.t }}"


def test_invalid_ids(problems: Problems) -> None:
    source = "id: my flow\nnamespace: Company\ntasks:\n  - id: a b\n    type: log\n    message: m\n"
    messages = [p.message for p in problems(source)]
    assert messages == [
        "invalid id 'my flow': an id is letters, digits, '_' and '-', starting with a letter "
        "or digit",
        "invalid namespace 'Company': a namespace is lowercase letters, digits, '.', '_' and '-'",
        "invalid id 'a b': an id is letters, digits, '_' and '-', starting with a letter or digit",
    ]


def test_a_flow_needs_tasks(problems: Problems) -> None:
    assert only(problems(HEAD + "tasks: []\n")) == (
        "flow.yaml:3:8: a flow needs at least one task (at tasks)"
    )


def test_a_flow_is_a_mapping(problems: Problems) -> None:
    assert only(problems("- id: a\n")) == (
        "flow.yaml:1:1: a flow is a mapping with at least 'id', 'namespace' and 'tasks'"
    )


def test_yaml_syntax_errors_come_first_and_alone(problems: Problems) -> None:
    text = only(problems(HEAD + "tasks:\n  - id: a\n     type: log\n"))
    assert text.startswith("flow.yaml:5:10: bad indentation of a mapping entry")


def test_every_problem_is_reported_at_once(problems: Problems) -> None:
    source = (
        HEAD
        + "labels:\n  system.username: me\n"
        + "tasks:\n"
        + "  - id: a\n    type: nope\n"
        + "  - id: a\n    type: log\n    message: m\n    retry:\n      type: linear\n"
    )
    found = problems(source)
    assert [p.location.line for p in found] == [4, 7, 8, 12]
    assert "reserved" in found[0].message
    assert "unknown task type 'nope'" in found[1].message
    assert "duplicate task id 'a'" in found[2].message
    assert "'linear'" in found[3].message


def test_switch_without_cases_is_its_model_s_job(problems: Problems) -> None:
    source = HEAD + "tasks:\n  - id: s\n    type: switch\n    value: x\n    cases: {}\n"
    text = only(problems(source))
    assert text.startswith("flow.yaml:7:12: ")
    assert "at least 1 item" in text


def test_dag_cycles_and_unknown_dependencies(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n"
        + "  - id: dag\n"
        + "    type: dag\n"
        + "    tasks:\n"
        + "      - task: {id: a, type: log, message: m}\n"
        + "        dependsOn: [c]\n"
        + "      - task: {id: b, type: log, message: m}\n"
        + "        dependsOn: [a, zz]\n"
        + "      - task: {id: c, type: log, message: m}\n"
        + "        dependsOn: [b]\n"
    )
    assert only(problems(source)) == (
        "flow.yaml:4:5: task 'b' depends on 'zz', which is not a task of this Dag; "
        "tasks depend on each other in a cycle: a -> c -> b -> a (at tasks[0])"
    )


def test_problems_inside_dag_entries_have_their_path(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n"
        + "  - id: dag\n"
        + "    type: dag\n"
        + "    tasks:\n"
        + "      - task:\n"
        + "          id: a\n"
        + "          type: log\n"
        + "          mesage: m\n"
    )
    found = problems(source)
    assert found[1].location.path == ("tasks", 0, "tasks", 0, "task", "mesage")
    assert (found[1].location.line, found[1].location.column) == (10, 11)
    assert "did you mean 'message'" in found[1].message


def test_problems_name_the_file_given(registry: Registry) -> None:
    with pytest.raises(FlowInvalidError) as info:
        parse_flow(HEAD + "tasks: []\n", file="flows/a.yaml", task_types=registry)
    assert str(info.value).startswith("flows/a.yaml:3:8: ")


@pytest.mark.parametrize("name", ["analyze-errors", "backup-pipeline", "generate-images"])
def test_seed_flows_parse(parse: Parse, name: str) -> None:
    flow = parse((SEEDS / f"{name}.yaml").read_text())
    assert flow.id == name
    assert len(flow.all_tasks()) >= 3


def test_seed_flow_details(parse: Parse) -> None:
    flow = parse((SEEDS / "analyze-errors.yaml").read_text())
    assert [i.id for i in flow.inputs] == ["service", "timerange"]
    assert flow.inputs[1].defaults == "1h"
    notify = flow.find_task("notify-if-critical")
    assert isinstance(notify, If)
    assert [t.id for t in notify.then] == ["alert"]
    images = parse((SEEDS / "generate-images.yaml").read_text())
    assert images.inputs[0].type == "ARRAY"
    assert [t.id for t in images.all_tasks()] == ["generate", "run-comfyui", "notify"]


def test_a_registry_without_the_type_rejects_it() -> None:
    registry = Registry([Log, Sequential])
    with pytest.raises(FlowInvalidError) as info:
        parse_flow((SEEDS / "backup-pipeline.yaml").read_text(), task_types=registry)
    assert len(info.value.problems) == 3
    assert info.value.problems[0].location.line == 6


def test_bounds_and_lengths_say_what_was_expected(problems: Problems) -> None:
    source = (
        HEAD + "concurrency:\n  limit: 0\ntasks:\n  - id: s\n    type: sequential\n    tasks: []\n"
    )
    assert [p.message for p in problems(source)] == [
        "must be >= 1, got 0",
        "expected at least 1 item, got 0",
    ]
