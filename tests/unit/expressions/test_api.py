"""The public API: render, render_typed, render_value, evaluate, truthy, functions."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import yaml

from headway.errors import ExpressionError
from headway.expressions import (
    compile_template,
    evaluate,
    is_template,
    render,
    render_typed,
    render_value,
    truthy,
)

CONTEXT: dict[str, Any] = {
    "inputs": {"n": 3, "name": "Ada", "prompts": ["a cat", "a dog"], "ratio": 0.25},
    "outputs": {
        "my-task": {"value": "done"},
        "ai-analysis": {"choices": [{"message": {"content": "Severity: critical, act now"}}]},
        "query-errors": {"results": ["error one", "error two"]},
        "data": {"rows": [{"id": 1}], "count": 1},
    },
    "execution": {"id": "abc", "startDate": "2024-01-02T03:04:05.123Z"},
    "taskrun": {"value": "item-1"},
}

# The seed flows embed these in YAML double-quoted strings or block scalars, so the
# template text holds a backslash and an 'n' inside the Pebble string literal.
SEED_FLOW_EXPRESSIONS = [
    ("{{ outputs['ai-analysis'].choices[0].message.content contains 'critical' }}", "true"),
    ("{{ outputs['query-errors'].results | join('\\n') }}", "error one\nerror two"),
    ("{{ inputs.prompts | length }}", "2"),
    ("{{ execution.startDate | date('yyyy-MM-dd') }}", "2024-01-02"),
    ("{{ execution.startDate | dateAdd(-1, 'HOURS') }}", "2024-01-02T02:04:05.123000Z"),
    ("{{ outputs['my-task'].value }}", "done"),
    ("{{ taskrun.value }}", "item-1"),
]


@pytest.mark.parametrize(("template", "expected"), SEED_FLOW_EXPRESSIONS)
def test_seed_flow_expressions(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_seed_flow_expression_loaded_from_yaml() -> None:
    document = yaml.safe_load(
        "content: |\n  Errors:\n  {{ outputs['query-errors'].results | join('\\n') }}\n"
    )
    assert render(document["content"], CONTEXT) == "Errors:\nerror one\nerror two\n"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ inputs }}", CONTEXT["inputs"]),
        ("  {{ outputs.data }}\n", CONTEXT["outputs"]["data"]),
        ("{{ inputs.prompts }}", ["a cat", "a dog"]),
        ("{{ inputs.n }}", 3),
        ("{{ inputs.n * 2 }}", 6),
        ("{{ inputs.ratio }}", 0.25),
        ("{{ inputs.n > 2 }}", True),
        ("{{ inputs.missing ?? null }}", None),
        ("{{ inputs.name }}", "Ada"),
        ("{{ [1, {'a': 2}] }}", [1, {"a": 2}]),
        ("{{ '{\"k\": 1}' | fromJson }}", {"k": 1}),
        ("{{- inputs.n -}}", 3),
        ("n={{ inputs.n }}", "n=3"),
        ("{{ inputs.n }}{{ inputs.n }}", "33"),
        ("{% if true %}{{ inputs.n }}{% endif %}", "3"),
        ("no template", "no template"),
    ],
)
def test_render_typed(template: str, expected: Any) -> None:
    result = render_typed(template, CONTEXT)
    assert result == expected
    assert type(result) is type(expected)


def test_render_value_renders_nested_strings_and_keys() -> None:
    value = {
        "url": "https://x/{{ execution.id }}",
        "{{ inputs.name }}": ["{{ inputs.n }}", 4, None, True, {"deep": "{{ taskrun.value }}"}],
        "plain": "no braces { here }",
        "number": 1.5,
    }
    assert render_value(value, CONTEXT) == {
        "url": "https://x/abc",
        "Ada": ["3", 4, None, True, {"deep": "item-1"}],
        "plain": "no braces { here }",
        "number": 1.5,
    }


def test_render_value_returns_plain_strings_unchanged_without_parsing() -> None:
    text = "a {{ broken"[:2] + " plain"
    assert render_value(text, {}) is text
    assert render("{ not a tag }", {}) == "{ not a tag }"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-7, "-7"),
        (1.5, "1.5"),
        (2.0, "2.0"),
        (0.1, "0.1"),
        (1e7, "1.0E7"),
        (1.5e-5, "1.5E-5"),
        (123456789.0, "1.23456789E8"),
        ("text", "text"),
        ({"a": [1, None, True], "b": "é"}, '{"a":[1,null,true],"b":"é"}'),
        ([], "[]"),
        (("t", 1), '["t",1]'),
    ],
)
def test_output_of_values(value: Any, expected: str) -> None:
    assert render("{{ v }}", {"v": value}) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (None, False),
        ("true", True),
        ("True", True),
        ("false", False),
        ("FALSE", False),
        (" false ", False),
        ("", False),
        ("0", False),
        ("-0", False),
        ("yes", True),
        ("anything", True),
        (0, False),
        (1, True),
        (0.0, False),
        ([], False),
        ([0], True),
        ({}, False),
        ({"a": 1}, True),
    ],
)
def test_truthy(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


def test_truthy_of_rendered_conditions() -> None:
    condition = "{{ outputs['ai-analysis'].choices[0].message.content contains 'critical' }}"
    assert truthy(render(condition, CONTEXT)) is True
    assert truthy(render("{{ inputs.n > 5 }}", CONTEXT)) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ x }}", True),
        ("{% if x %}{% endif %}", True),
        ("plain", False),
        ("{ x }", False),
        ("{# comment #}", False),
    ],
)
def test_is_template(text: str, expected: bool) -> None:
    assert is_template(text) is expected


def test_evaluate_bare_expressions() -> None:
    assert evaluate("inputs.n > 2", CONTEXT) is True
    assert evaluate("outputs['my-task'].value ~ '!'", CONTEXT) == "done!"
    with pytest.raises(ExpressionError) as caught:
        evaluate("inputs.x", CONTEXT)
    assert "Unable to find 'inputs.x' used in 'inputs.x'" in str(caught.value)
    with pytest.raises(ExpressionError, match="expected the end but found '2'"):
        evaluate("1 2", CONTEXT)


def test_engine_functions_get_positional_and_named_arguments() -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def kv(*args: Any, **kwargs: Any) -> str:
        calls.append((args, kwargs))
        return "stored"

    functions = {"kv": kv, "secret": lambda name: f"<{name}>"}
    template = "{{ kv('key', namespace='ns', errorOnMissing=false) }} {{ secret('TOKEN') }}"
    assert render(template, CONTEXT, functions) == "stored <TOKEN>"
    assert calls == [(("key",), {"namespace": "ns", "errorOnMissing": False})]


def test_engine_functions_take_precedence_over_built_ins() -> None:
    assert render("{{ now() }}", {}, {"now": lambda: "frozen"}) == "frozen"


def test_unknown_function_names_the_available_ones() -> None:
    with pytest.raises(ExpressionError) as caught:
        render("{{ secret('X') }}", {})
    message = str(caught.value)
    assert "Unknown function 'secret'" in message
    assert "now" in message
    assert "in '{{ secret('X') }}'" in message


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("range(1, 3)", [1, 2, 3]),
        ("range(0, 10, 5)", [0, 5, 10]),
        ("range(3, 1, -1)", [3, 2, 1]),
        ("max(1, 5, 3)", 5),
        ("min([4, 2, 8])", 2),
        ("fromJson('[1, 2]')", [1, 2]),
        ("json('{\"a\": true}')", {"a": True}),
        ("fromJson(null)", None),
        ("yaml('a: 1')", {"a": 1}),
        ("randomInt(5, 6)", 5),
        ("uuid() | length", 36),
    ],
)
def test_built_in_functions(expression: str, expected: Any) -> None:
    assert evaluate(expression, {}) == expected


def test_uuid_is_random() -> None:
    first, second = evaluate("uuid()", {}), evaluate("uuid()", {})
    assert first != second
    assert uuid.UUID(first).version == 4


def test_cached_render_is_fast() -> None:
    template = "{{ outputs['my-task'].value }}"
    compiled = compile_template(template)
    runs = 2000
    start = time.perf_counter()
    for _ in range(runs):
        render(template, CONTEXT)
    per_render = (time.perf_counter() - start) / runs
    assert compile_template(template) is compiled
    assert per_render < 50e-6  # a few microseconds on a laptop; generous for slow CI
