"""Reading YAML: YAML 1.2 scalars, positions of keys and values, syntax errors."""

from __future__ import annotations

import math

from headway.flows.source import load_yaml


def test_scalars_follow_yaml_1_2_core_schema() -> None:
    source = (
        "a: yes\nb: 2024-01-31\nc: 0x1F\nd: 012\ne: 1.5\nf: ~\ng: 10:15:30\n"
        "h: [1, true, 'true', 1e3, .inf, null, '']\n"
    )
    data, _, problems = load_yaml(source)
    assert problems == []
    assert data["a"] == "yes"
    assert data["b"] == "2024-01-31"
    assert data["c"] == 31
    assert data["d"] == "012"
    assert data["e"] == 1.5
    assert data["f"] is None
    assert data["g"] == "10:15:30"
    assert data["h"][:4] == [1, True, "true", 1000.0]
    assert math.isinf(data["h"][4])
    assert data["h"][5:] == [None, ""]


def test_positions_of_keys_and_values() -> None:
    source = "id: hello\ntasks:\n  - id: a\n    type: log\n"
    _, smap, _ = load_yaml(source, file="f.yaml")
    assert smap.values[("id",)] == (1, 5)
    assert smap.keys[("tasks",)] == (2, 1)
    assert smap.values[("tasks", 0)] == (3, 5)
    assert smap.values[("tasks", 0, "type")] == (4, 11)
    where = smap.locate(("tasks", 0, "type"), key=True)
    assert (where.file, where.line, where.column) == ("f.yaml", 4, 5)


def test_locate_falls_back_to_the_nearest_parent() -> None:
    _, smap, _ = load_yaml("tasks:\n  - id: a\n")
    where = smap.locate(("tasks", 0, "message"))
    assert (where.line, where.column) == (2, 5)
    assert where.path == ("tasks", 0, "message")


def test_aliases_are_expanded() -> None:
    data, _, problems = load_yaml("base: &b {level: INFO}\nother: *b\n")
    assert problems == []
    assert data["other"] == {"level": "INFO"}


def test_bad_indentation_is_reported_at_its_line() -> None:
    source = "id: a\nnamespace: b\ntasks:\n  - id: x\n    type: log\n   message: hi\n"
    data, _, problems = load_yaml(source, file="flow.yaml")
    assert data is None
    (problem,) = problems
    assert str(problem).startswith("flow.yaml:6:4: bad indentation of a mapping entry")
    assert "expected <block end>" in problem.message


def test_unquoted_colon_in_a_value_is_explained() -> None:
    _, _, problems = load_yaml("tasks:\n  - id: x\n     type: log\n")
    (problem,) = problems
    assert (problem.location.line, problem.location.column) == (3, 10)
    assert "mapping values are not allowed here" in problem.message


def test_tabs_are_reported() -> None:
    _, _, problems = load_yaml("id: a\ntasks:\n\t- id: x\n", file="flow.yaml")
    (problem,) = problems
    assert str(problem) == "flow.yaml:3:1: a tab character cannot indent YAML; use spaces"


def test_unclosed_quote_names_where_it_started() -> None:
    _, _, problems = load_yaml("id: 'abc\n")
    (problem,) = problems
    assert "found unexpected end of stream" in problem.message
    assert "at line 1" in problem.message


def test_duplicate_keys_are_reported_and_the_first_kept() -> None:
    data, _, problems = load_yaml("id: a\nnamespace: b\nid: c\n", file="flow.yaml")
    assert data == {"id": "a", "namespace": "b"}
    (problem,) = problems
    assert str(problem) == "flow.yaml:3:1: duplicate key 'id' (first set at line 1) (at id)"


def test_unsupported_tags_and_recursive_aliases() -> None:
    _, _, problems = load_yaml("a: !!binary aGk=\nb: &x [*x]\n")
    messages = [p.message for p in problems]
    assert "unsupported YAML tag 'tag:yaml.org,2002:binary'" in messages
    assert "recursive alias: a value cannot contain itself" in messages


def test_empty_document() -> None:
    data, _, problems = load_yaml("")
    assert data is None
    assert problems == []
