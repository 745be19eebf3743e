"""Strict variables, the sandbox, and no recursive rendering of data."""

from __future__ import annotations

from typing import Any

import pytest

from headway.errors import ExpressionError
from headway.expressions import UndefinedError, render, render_typed

CONTEXT: dict[str, Any] = {
    "inputs": {"name": "Ada", "age": 36},
    "outputs": {"my-task": {"value": "{{ inputs.name }}"}},
    "trigger": {"body": {"text": "{% for x in [1] %}boom{% endfor %}"}},
    "items": ["a", "b"],
    "nothing": None,
    "m": {"a": 1},
}


class Opaque:
    secret = "hidden"

    def __str__(self) -> str:
        return "opaque"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ foo.bar }}", "Unable to find 'foo' used in '{{ foo.bar }}'"),
        ("{{ inputs.nme }}", "Unable to find 'inputs.nme' used in '{{ inputs.nme }}'"),
        ("{{ inputs.nme }}", "(available: age, name)"),
        ("{{ inputs['nme'] }}", "Unable to find 'inputs['nme']'"),
        ("{{ outputs['other-task'].value }}", "Unable to find 'outputs['other-task']'"),
        ("{{ outputs['my-task'].vale }}", "Unable to find 'outputs['my-task'].vale'"),
        ("{{ items[5] }}", "index 5 is out of range for a list of 2"),
        ("{{ items.first }}", "a list has no attribute 'first'"),
        ("{{ nothing.x }}", "the value it is read from is null"),
        ("{{ inputs.name.first }}", "a string has no attribute 'first'"),
        ("{{ 'x' ~ missing }}", "Unable to find 'missing' used in '{{ 'x' ~ missing }}'"),
        ("{% if missing %}x{% endif %}", "used in '{% if missing %}'"),
        ("{% for x in missing %}{% endfor %}", "used in '{% for x in missing %}'"),
        ("{% set y = missing %}", "used in '{% set y = missing %}'"),
        ("{{ missing | upper }}", "Unable to find 'missing'"),
        ("{{ missing is null }}", "Unable to find 'missing'"),
        ("{{ m.a.b.c }}", "Unable to find 'm.a.b'"),
    ],
)
def test_undefined_names_are_errors_that_name_them(template: str, message: str) -> None:
    with pytest.raises(UndefinedError) as caught:
        render(template, CONTEXT)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ missing ?? 'fallback' }}", "fallback"),
        ("{{ missing.deep.path ?? 'fallback' }}", "fallback"),
        ("{{ outputs['nope'].value ?? 'fallback' }}", "fallback"),
        ("{{ missing is defined }}", "false"),
        ("{{ missing.deep is not defined }}", "true"),
        ("{{ missing | default('d') }}", "d"),
        ("{{ missing.deep.path | default('d') }}", "d"),
        ("{{ inputs.missing | upper | default('d') }}", "d"),
        ("{{ nothing | default('d') }}", "d"),
        ("{{ '' | default('d') }}", "d"),
        ("{{ [] | default('d') }}", "d"),
        ("{{ inputs.name | default('d') }}", "Ada"),
        ("{{ 0 | default('d') }}", "0"),
        ("{{ missing | default(default='named') }}", "named"),
        ("{% if missing is defined %}yes{% else %}no{% endif %}", "no"),
        ("[{{ nothing }}]", "[]"),
    ],
)
def test_undefined_is_allowed_where_pebble_allows_it(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_undefined_errors_are_expression_errors() -> None:
    assert issubclass(UndefinedError, ExpressionError)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ m.__dict__ }}",
        "{{ m.keys }}",
        "{{ m.items }}",
        "{{ m.get }}",
        "{{ items.append }}",
        "{{ items.__len__ }}",
        "{{ obj.secret }}",
        "{{ obj.__str__ }}",
        "{{ obj['secret'] }}",
        "{{ inputs.name.upper }}",
        "{{ render.__globals__ }}",
    ],
)
def test_sandbox_refuses_python_attributes(template: str) -> None:
    with pytest.raises(ExpressionError):
        render(template, {**CONTEXT, "obj": Opaque()})


@pytest.mark.parametrize(
    "template",
    [
        "{{ m.keys() }}",
        "{{ ''.join(items) }}",
        "{{ items.pop() }}",
        "{{ (m)() }}",
        "{{ __import__('os') }}",
        "{{ eval('1') }}",
        "{{ getattr(m, 'keys') }}",
    ],
)
def test_sandbox_refuses_calls_other_than_registered_functions(template: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render(template, CONTEXT)
    assert "Traceback" not in str(caught.value)


def test_callables_in_the_context_are_data_not_functions() -> None:
    calls: list[str] = []
    context = {"f": lambda: calls.append("called")}
    with pytest.raises(ExpressionError, match="Unknown function 'f'"):
        render("{{ f() }}", context)
    assert calls == []


def test_dict_keys_named_like_methods_are_plain_data() -> None:
    assert render("{{ m.keys }}", {"m": {"keys": "a key named keys"}}) == "a key named keys"


def test_values_are_never_rendered_again() -> None:
    assert render("{{ outputs['my-task'].value }}", CONTEXT) == "{{ inputs.name }}"
    assert render("{{ trigger.body.text }}", CONTEXT) == "{% for x in [1] %}boom{% endfor %}"
    assert render_typed("{{ outputs['my-task'] }}", CONTEXT) == {"value": "{{ inputs.name }}"}
    assert render("{{ trigger.body }}", CONTEXT) == (
        '{"text":"{% for x in [1] %}boom{% endfor %}"}'
    )


def test_the_render_function_renders_on_purpose() -> None:
    def render_function(value: str) -> str:
        return render(value, CONTEXT)

    functions = {"render": render_function}
    assert render("{{ render(outputs['my-task'].value) }}", CONTEXT, functions) == "Ada"


def test_the_context_is_never_modified() -> None:
    context: dict[str, Any] = {"x": 1}
    render("{% set x = 2 %}{% set y = 3 %}{{ x }}", context)
    assert context == {"x": 1}


def test_errors_of_filters_and_functions_are_wrapped() -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("engine exploded")

    with pytest.raises(ExpressionError) as caught:
        render("{{ kv('k') }}", {}, {"kv": broken})
    assert str(caught.value) == "function 'kv' failed: engine exploded in '{{ kv('k') }}'"
    with pytest.raises(ExpressionError, match="filter 'jq'"):
        render("{{ m | jq('.a[') }}", CONTEXT)
    with pytest.raises(ExpressionError, match="filter 'fromJson'"):
        render("{{ 'not json' | fromJson }}", CONTEXT)
