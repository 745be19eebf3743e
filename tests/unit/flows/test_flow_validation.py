"""What Kestra rejects beyond the shape of keys: duplicates, reserved ids and labels, input
dependencies, input defaults and validators, flows calling themselves."""

from __future__ import annotations

from typing import ClassVar

from headway.flows.validation import Finding, validate_flow

from .conftest import Parse, Problems, Subflow

HEAD = "id: hello\nnamespace: company.team\n"


def log(task_id: str, indent: int = 2) -> str:
    pad = " " * indent
    return f"{pad}- id: {task_id}\n{pad}  type: log\n{pad}  message: m\n"


def messages(problems: Problems, source: str) -> list[str]:
    return [str(p) for p in problems(source)]


def test_duplicate_task_ids_across_sections(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n" + log("a") + log("b")
        + "errors:\n" + log("a")
        + "finally:\n" + log("b")
        + "afterExecution:\n" + log("a")
    )  # fmt: skip
    assert messages(problems, source) == [
        "flow.yaml:11:9: duplicate task id 'a' (first at tasks[0]) (at errors[0].id)",
        "flow.yaml:15:9: duplicate task id 'b' (first at tasks[1]) (at finally[0].id)",
        "flow.yaml:19:9: duplicate task id 'a' (first at tasks[0]) (at afterExecution[0].id)",
    ]


def test_duplicate_task_ids_in_nested_tasks(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n"
        + "  - id: s\n    type: switch\n    value: x\n    cases:\n"
        + "      A:\n" + log("s", 8)
        + "      B:\n" + log("inner", 8)
        + "    defaults:\n" + log("inner", 6)
    )  # fmt: skip
    assert messages(problems, source) == [
        "flow.yaml:9:15: duplicate task id 's' (first at tasks[0]) (at tasks[0].cases.A[0].id)",
        "flow.yaml:17:13: duplicate task id 'inner' (first at tasks[0].cases.B[0]) "
        "(at tasks[0].defaults[0].id)",
    ]


def test_duplicate_ids_in_a_dag(problems: Problems) -> None:
    source = (
        HEAD
        + "tasks:\n  - id: dag\n    type: dag\n    tasks:\n"
        + "      - task: {id: x, type: log, message: m}\n"
        + "      - task: {id: x, type: log, message: m}\n"
    )
    assert messages(problems, source) == [
        "flow.yaml:8:20: duplicate task id 'x' (first at tasks[0].tasks[0].task) "
        "(at tasks[0].tasks[1].task.id)"
    ]


def test_duplicate_input_trigger_and_output_ids(problems: Problems) -> None:
    source = (
        HEAD
        + "inputs:\n  - {id: n, type: INT}\n  - {id: n, type: STRING}\n"
        + "triggers:\n  - {id: t, type: schedule, cron: '@daily'}\n"
        + "  - {id: t, type: webhook, key: k}\n"
        + "outputs:\n  - {id: o, value: 1}\n  - {id: o, value: 2}\n"
        + "tasks:\n"
        + log("a")
    )
    assert [p.message for p in problems(source)] == [
        "duplicate input id 'n' (first at inputs[0])",
        "duplicate trigger id 't' (first at triggers[0])",
        "duplicate output id 'o' (first at outputs[0])",
    ]


def test_system_labels_are_reserved(problems: Problems) -> None:
    as_map = HEAD + "labels:\n  system.correlationId: x\n  system.readOnly: 'true'\n"
    found = problems(as_map + "tasks:\n" + log("a"))
    assert [str(p) for p in found] == [
        "flow.yaml:4:3: label 'system.correlationId' is reserved: labels starting with 'system.' "
        "are set by Headway itself (a flow may only set system.readOnly) "
        "(at labels.system.correlationId)"
    ]
    as_list = HEAD + "labels:\n  - key: team\n    value: x\n  - key: system.app\n    value: y\n"
    (problem,) = problems(as_list + "tasks:\n" + log("a"))
    assert (problem.location.line, problem.location.column) == (6, 10)
    assert problem.message.startswith("label 'system.app' is reserved")


def test_read_only_label_is_allowed(parse: Parse) -> None:
    flow = parse(HEAD + "labels:\n  system.readOnly: true\ntasks:\n" + log("a"))
    assert flow.labels == {"system.readOnly": "true"}


def test_reserved_flow_ids(problems: Problems) -> None:
    found = problems("id: executions\nnamespace: a\ntasks:\n" + log("a"))
    assert [p.message for p in found] == [
        "flow id 'executions' is reserved (pause, resume, force-run, change-status, kill, "
        "executions, search, source, disable, enable)"
    ]


def test_a_flow_cannot_call_itself(problems: Problems, parse: Parse) -> None:
    call = "  - id: again\n    type: subflow\n    namespace: {ns}\n    flowId: hello\n"
    found = problems(HEAD + "tasks:\n" + call.format(ns="company.team"))
    assert [str(p) for p in found] == [
        "flow.yaml:4:5: task 'again' runs its own flow company.team.hello as a subflow: "
        "a flow cannot call itself (at tasks[0])"
    ]
    assert parse(HEAD + "tasks:\n" + call.format(ns="company.other")).tasks


def test_types_that_declare_they_call_subflows() -> None:
    class ForEachItem(Subflow):
        type_name: ClassVar[str] = "foreach.item"
        calls_subflow: ClassVar[bool] = True

    from headway.flows.model import Flow

    flow = Flow.model_construct(id="hello", namespace="company.team", inputs=[], tasks=[])
    task = ForEachItem.model_validate(
        {"id": "each", "type": "foreach.item", "namespace": "company.team", "flowId": "hello"}
    )
    flow.tasks = [task]
    flow.errors, flow.finally_, flow.after_execution = [], [], []
    assert [f.path for f in validate_flow(flow)] == [("tasks", 0)]


def test_input_dependencies(problems: Problems) -> None:
    source = (
        HEAD
        + "inputs:\n"
        + "  - id: a\n    type: STRING\n    dependsOn:\n      inputs: [c]\n"
        + "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [a, nope]\n"
        + "  - id: c\n    type: STRING\n    dependsOn:\n      inputs: [b]\n"
        + "tasks:\n"
        + log("a")
    )
    assert messages(problems, source) == [
        "flow.yaml:6:5: inputs depend on each other in a cycle: a -> c -> b -> a "
        "(at inputs[0].dependsOn)",
        "flow.yaml:11:19: input 'b' depends on unknown input 'nope' "
        "(at inputs[1].dependsOn.inputs[1])",
    ]


def test_input_defaults_must_fit_their_type(problems: Problems) -> None:
    source = (
        HEAD
        + "inputs:\n"
        + "  - id: n\n    type: INT\n    defaults: abc\n"
        + "  - id: when\n    type: DATETIME\n    defaults: '2024-13-01'\n"
        + "  - id: env\n    type: SELECT\n    values: [dev, prod]\n    defaults: test\n"
        + "  - id: age\n    type: INT\n    min: 18\n    defaults: 12\n"
        + "  - id: later\n    type: DATETIME\n    defaults: '{{ now() }}'\n"
        + "tasks:\n"
        + log("a")
    )
    assert messages(problems, source) == [
        "flow.yaml:6:15: invalid defaults: 'abc' is not an INT (a whole number, e.g. 42) "
        "(at inputs[0].defaults)",
        "flow.yaml:9:15: invalid defaults: '2024-13-01' is not a DATETIME "
        "(ISO-8601, e.g. 2024-01-31T10:00:00Z) (at inputs[1].defaults)",
        "flow.yaml:13:15: invalid defaults: must be one of 'dev', 'prod', got 'test' "
        "(at inputs[2].defaults)",
        "flow.yaml:17:15: invalid defaults: must be >= 18, got 12 (at inputs[3].defaults)",
    ]


def test_input_defaults_are_checked_even_when_the_flow_has_other_problems(
    problems: Problems,
) -> None:
    source = HEAD + "inputs:\n  - id: n\n    type: INT\n    defaults: x\ntasks: []\n"
    assert [p.location.line for p in problems(source)] == [6, 7]


def test_bad_input_validators(problems: Problems) -> None:
    source = (
        HEAD
        + "inputs:\n"
        + "  - {id: s, type: STRING, validator: '^(a$'}\n"
        + "  - {id: i, type: INT, min: 10, max: 5}\n"
        + "  - {id: d, type: DATE, after: '2024-05-01', before: '2024-04-01'}\n"
        + "  - {id: t, type: TIME, after: '25:00'}\n"
        + "  - {id: p, type: DURATION, min: PT1H, max: PT1M}\n"
        + "  - {id: f, type: FILE, acceptedExtensions: [csv]}\n"
        + "  - {id: a, type: ARRAY, itemType: ARRAY}\n"
        + "  - {id: sel, type: SELECT}\n"
        + "  - {id: m, type: MULTISELECT, values: [a], options: [b]}\n"
        + "  - {id: x, type: STRING, defaults: a, prefill: b}\n"
        + "  - {id: e, type: ENUM}\n"
        + "  - {id: q, type: string}\n"
        + "tasks:\n"
        + log("a")
    )
    found = problems(source)
    assert [(p.location.line, p.message) for p in found] == [
        (4, "invalid regular expression '^(a$': missing ), unterminated subpattern at position 1"),
        (5, "max 5 is less than min 10"),
        (6, "before 2024-04-01 is earlier than after 2024-05-01"),
        (7, "'25:00' is not a TIME (ISO-8601 without offset, e.g. 10:15:30)"),
        (8, "max PT1M is less than min PT1H"),
        (9, "an extension starts with a dot (e.g. '.csv'), got 'csv'"),
        (
            10,
            "expected one of 'STRING', 'INT', 'FLOAT', 'BOOLEAN', 'BOOL', 'DATETIME', 'DATE', "
            "'TIME', 'DURATION', 'JSON', 'YAML', 'URI', 'EMAIL', 'SECRET', 'FILE', 'ENUM', "
            "'SELECT', got 'ARRAY'",
        ),
        (11, "a SELECT input needs 'values' or 'expression'"),
        (12, "a MULTISELECT input takes 'values' or 'options', not both"),
        (13, "'defaults' and 'prefill' cannot both be set"),
        (14, "missing required key 'values'"),
        (
            15,
            "unknown input type 'string'; did you mean 'STRING'? (expected one of STRING, INT, "
            "FLOAT, BOOLEAN, BOOL, DATETIME, DATE, TIME, DURATION, JSON, YAML, URI, EMAIL, FILE, "
            "SECRET, ARRAY, SELECT, MULTISELECT, ENUM)",
        ),
    ]
    assert found[1].location.path == ("inputs", 1, "max")
    assert found[0].location.column == 38


def test_input_without_type(problems: Problems) -> None:
    found = problems(HEAD + "inputs:\n  - id: n\ntasks:\n" + log("a"))
    assert [str(p) for p in found] == ["flow.yaml:4:5: an input needs a 'type' (at inputs[0])"]


def test_legacy_input_name(parse: Parse) -> None:
    flow = parse(HEAD + "inputs:\n  - name: n\n    type: INT\ntasks:\n" + log("a"))
    assert flow.inputs[0].id == "n"


def test_validate_flow_without_source(parse: Parse) -> None:
    flow = parse(HEAD + "tasks:\n" + log("a") + log("b"))
    assert validate_flow(flow) == []
    flow.tasks[1].id = "a"
    assert validate_flow(flow) == [
        Finding(("tasks", 1, "id"), "duplicate task id 'a' (first at tasks[0])")
    ]
