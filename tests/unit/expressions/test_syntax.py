"""Text, comments, whitespace control, raw blocks, literals and syntax errors."""

from __future__ import annotations

import pytest

from headway.errors import ExpressionError
from headway.expressions import compile_template, render

CONTEXT = {"name": "World", "items": [1, 2], "empty": ""}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("", ""),
        ("Hello {{ name }}!", "Hello World!"),
        ("{{name}}", "World"),
        ("a {# a comment #}b", "a b"),
        ("a {# {{ not rendered }} #}b", "a b"),
        ("{ single braces } and {name}", "{ single braces } and {name}"),
        ('{service="{{ name }}"} |= "error"', '{service="World"} |= "error"'),
        ("a  {{- name }}", "aWorld"),
        ("{{ name -}}  \n b", "Worldb"),
        ("a \n {{- name -}} \n b", "aWorldb"),
        ("a \n {%- if true -%} \n x \n {%- endif -%} \n b", "axb"),
        ("a {#- comment -#} b", "ab"),
        ("{% raw %}{{ name }} {% if %}{% endraw %}", "{{ name }} {% if %}"),
        ("{% verbatim %}{{ name }}{% endverbatim %}", "{{ name }}"),
        ("x {%- raw -%} {{ y }} {%- endraw -%} z", "x{{ y }}z"),
        ("{{ {'a': {'b': 1}} }}", '{"a":{"b":1}}'),
        ("{{ {'a': 1}}}", '{"a":1}'),
        ("{{ '}}' }}", "}}"),
        ("line1\n{{ name }}\nline3", "line1\nWorld\nline3"),
    ],
)
def test_text_and_delimiters(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'single' }}", "single"),
        ('{{ "double" }}', "double"),
        ("{{ 'it\\'s' }}", "it's"),
        ('{{ "say \\"hi\\"" }}', 'say "hi"'),
        ("{{ 'a\\nb' }}", "a\nb"),
        ("{{ 'a\\tb' }}", "a\tb"),
        ("{{ 'back\\\\slash' }}", "back\\slash"),
        ("{{ '\\u00e9' }}", "é"),
        ("{{ '\\d+' }}", "\\d+"),
        ("{{ 42 }}", "42"),
        ("{{ 1.5 }}", "1.5"),
        ("{{ 2.0 }}", "2.0"),
        ("{{ true }} {{ false }} {{ TRUE }}", "true false true"),
        ("[{{ null }}][{{ none }}]", "[][]"),
        ("{{ [1, 'a', true, null] }}", '[1,"a",true,null]'),
        ("{{ [] }}{{ {} }}", "[]{}"),
        ("{{ {'k': 'v', 'n': 2} }}", '{"k":"v","n":2}'),
        ("{{ 1..4 }}", "[1,2,3,4]"),
        ("{{ 'a'..'c' }}", '["a","b","c"]'),
        ("{{ items.0 }}", "1"),
        ("{{ [[1, 2], [3]][0][1] }}", "2"),
    ],
)
def test_literals(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ name ", "line 1, column 1: the tag is never closed: expected '}}'"),
        ("{{ }}", "expected an expression but found '}}'"),
        ("{{ foo(1, }}", "line 1, column 11: expected an expression but found '}}'"),
        ("{{ (1 + 2 }}", "expected ')' but found '}}'"),
        ("{{ [1, 2 }}", "expected ',' but found '}}'"),
        ("{{ 'abc }}", "the string is never closed"),
        ("{{ a b }}", "expected '}}' but found 'b'"),
        ("{{ a | nosuchfilter }}", "unknown filter 'nosuchfilter'"),
        ("{{ a is nosuchtest }}", "unknown test 'nosuchtest'"),
        ("{{ a.b() }}", "only functions can be called"),
        ("{{ a. }}", "expected an attribute name after '.'"),
        ("{{ a @ b }}", "unexpected character '@'"),
        ("{{ f(x=1, 2) }}", "positional arguments must come before named ones"),
        ("{% if true %}x", "expected '{% endif %}' to close this tag"),
        ("{% for x in y %}x", "expected '{% endfor %}' to close this tag"),
        ("{% endif %}", "unknown tag 'endif'"),
        ("{% macro m() %}{% endmacro %}", "unknown tag 'macro'"),
        ("{% set true = 1 %}", "'true' cannot be a variable name"),
        ("{% for x on y %}{% endfor %}", "expected 'in' but found 'on'"),
        ("{# never closed", "the comment is never closed"),
        ("{% raw %} no end", "expected '{% endraw %}'"),
        ("{{ x | default }}", "the 'default' filter needs a value"),
        ("line one\n  {{ 1 + }}", "line 2, column 10"),
    ],
)
def test_syntax_errors_name_position_and_expectation(template: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_template(template)
    assert message in str(caught.value)
    assert "Invalid template at line" in str(caught.value)


def test_compile_is_cached() -> None:
    assert compile_template("{{ x }} cached") is compile_template("{{ x }} cached")


@pytest.mark.parametrize(
    "template",
    [
        "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
        "{% if true %}" * 1500 + "{% endif %}" * 1500,
        "{{ " + "9" * 5000 + " }}",
    ],
)
def test_pathological_templates_fail_cleanly(template: str) -> None:
    with pytest.raises(ExpressionError):
        compile_template(template)
