"""The tags: if / elseif / else, for (with loop and else), set, filter."""

from __future__ import annotations

from typing import Any

import pytest

from headway.errors import ExpressionError
from headway.expressions import render

CONTEXT: dict[str, Any] = {
    "n": 5,
    "items": ["a", "b", "c"],
    "empty": [],
    "nothing": None,
    "m": {"x": 1, "y": 2},
    "flag": "false",
    "rows": [{"name": "r1", "tags": ["t1", "t2"]}, {"name": "r2", "tags": []}],
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% if n > 3 %}big{% endif %}", "big"),
        ("{% if n > 9 %}big{% endif %}", ""),
        ("{% if n > 9 %}big{% else %}small{% endif %}", "small"),
        ("{% if n > 9 %}a{% elseif n > 4 %}b{% else %}c{% endif %}", "b"),
        ("{% if n > 9 %}a{% elseif n > 7 %}b{% else %}c{% endif %}", "c"),
        ("{% if n > 9 %}a{% elif n == 5 %}b{% endif %}", "b"),
        ("{% if flag %}yes{% else %}no{% endif %}", "no"),
        ("{% if nothing %}yes{% else %}no{% endif %}", "no"),
        ("{% if empty %}yes{% else %}no{% endif %}", "no"),
        ("{% if items %}yes{% else %}no{% endif %}", "yes"),
        ("{% if n is odd and items contains 'b' %}yes{% endif %}", "yes"),
        ("{% if true %}{% if false %}x{% else %}nested{% endif %}{% endif %}", "nested"),
    ],
)
def test_if(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% for i in items %}{{ i }}{% endfor %}", "abc"),
        ("{% for i in items %}{{ loop.index }}{% endfor %}", "012"),
        ("{% for i in items %}{{ loop.revindex }}{% endfor %}", "210"),
        ("{% for i in items %}{{ loop.length }}{% endfor %}", "333"),
        (
            "{% for i in items %}{{ loop.first }},{{ loop.last }};{% endfor %}",
            "true,false;false,false;false,true;",
        ),
        ("{% for i in items %}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}", "a, b, c"),
        ("{% for i in empty %}x{% else %}none{% endfor %}", "none"),
        ("{% for i in nothing %}x{% else %}none{% endfor %}", "none"),
        ("{% for k, v in m %}{{ k }}={{ v }};{% endfor %}", "x=1;y=2;"),
        ("{% for e in m %}{{ e.key }}:{{ e.value }} {% endfor %}", "x:1 y:2 "),
        ("{% for i in 1..3 %}{{ i }}{% endfor %}", "123"),
        ("{% for i in range(0, 4, 2) %}{{ i }}{% endfor %}", "024"),
        (
            "{% for r in rows %}{{ r.name }}[{% for t in r.tags %}{{ t }}{% else %}-{% endfor %}]"
            "{% endfor %}",
            "r1[t1t2]r2[-]",
        ),
        (
            "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{% endfor %}"
            "{{ loop.index }}|{% endfor %}",
            "010|011|",
        ),
        ("{% for i in items %}{% endfor %}{{ i ?? 'out of scope' }}", "out of scope"),
        (
            "{% set total = 0 %}{% for i in [1, 2, 3] %}{% set total = total + i %}{% endfor %}"
            "{{ total }}",
            "0",
        ),
    ],
)
def test_for(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% set x = 3 %}{{ x * 2 }}", "6"),
        ("{% set x = n %}{% set x = x + 1 %}{{ x }}", "6"),
        ("{% set name = 'shadow' %}{{ name }}", "shadow"),
        ("{% set l = items | join('-') %}{{ l }}", "a-b-c"),
        ("{% set d = {'k': [1, 2]} %}{{ d.k[1] }}", "2"),
        ("{% set n = 1 %}{{ n }}", "1"),
    ],
)
def test_set(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% filter upper %}hello {{ items[0] }}{% endfilter %}", "HELLO A"),
        ("{% filter trim | upper %}  spaced  {% endfilter %}", "SPACED"),
        ("{% filter replace({'a': 'o'}) %}banana{% endfilter %}", "bonono"),
    ],
)
def test_filter_tag(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


def test_whitespace_control_in_loops_gives_clean_lines() -> None:
    template = "items:\n{% for i in items -%}\n  - {{ i }}\n{% endfor -%}\ndone"
    assert render(template, CONTEXT) == "items:\n- a\n- b\n- c\ndone"
    template = "items:\n{%- for i in items %}\n  - {{ i }}\n{%- endfor %}\ndone"
    assert render(template, CONTEXT) == "items:\n  - a\n  - b\n  - c\ndone"


def test_iterating_over_a_string_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="cannot iterate over str"):
        render("{% for c in 'abc' %}{% endfor %}", CONTEXT)


def test_two_loop_variables_need_a_map() -> None:
    with pytest.raises(ExpressionError, match="two loop variables need a map"):
        render("{% for a, b in items %}{% endfor %}", CONTEXT)
