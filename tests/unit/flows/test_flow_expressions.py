"""Expressions are parsed when a flow is validated: a syntax error names its place."""

from __future__ import annotations

from .conftest import Parse, Problems

FLOW = """\
id: hello
namespace: company.team
description: "{{ not an expression, never rendered"
tasks:
  - id: a
    type: log
    message: "hello {{ inputs.name | upper( }}"
  - id: b
    type: log
    message: "{% if true %}open"
outputs:
  - id: o
    type: STRING
    value: "{{ outputs.a.value + }}"
"""


def test_every_bad_expression_is_reported_at_its_line(problems: Problems) -> None:
    found = [str(p) for p in problems(FLOW)]
    assert len(found) == 3, found
    assert found[0].startswith("flow.yaml:7:14: invalid expression:")
    assert "expected an expression but found '}}'" in found[0]
    assert found[1].startswith("flow.yaml:10:14: invalid expression:")
    assert found[2].startswith("flow.yaml:14:12: invalid expression:")
    assert all("description" not in p for p in found)


def test_good_expressions_and_raw_blocks_pass(parse: Parse) -> None:
    flow = parse(
        "id: ok\nnamespace: company.team\ntasks:\n"
        "  - id: a\n    type: log\n"
        "    message: \"{{ outputs['x-y'].value ?? 'none' }} {% raw %}{{ kept }}{% endraw %}\"\n"
    )
    assert flow.tasks[0].id == "a"
