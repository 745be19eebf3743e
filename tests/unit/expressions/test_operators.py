"""Operators, precedence, tests (``is``), ``??``, ternary and ``contains``."""

from __future__ import annotations

from typing import Any

import pytest

from headway.errors import ExpressionError
from headway.expressions import evaluate, render

CONTEXT: dict[str, Any] = {
    "n": 7,
    "f": 2.5,
    "s": "hello world",
    "items": [1, 2, 3],
    "words": ["a", "b"],
    "m": {"k": "v", "nested": {"deep": 1}, "nothing": None},
    "nothing": None,
    "flag": True,
    "off": False,
    "zero": 0,
    "text_false": "false",
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # arithmetic, Java semantics
        ("1 + 2", 3),
        ("n - 10", -3),
        ("3 * 4", 12),
        ("7 / 2", 3),
        ("-7 / 2", -3),
        ("7.0 / 2", 3.5),
        ("7 / 2.0", 3.5),
        ("7 % 3", 1),
        ("-7 % 2", -1),
        ("7.5 % 2", 1.5),
        ("f * 2", 5.0),
        ("-n", -7),
        ("+n", 7),
        ("- -n", 7),
        ("[1] + [2]", [1, 2]),
        ("'a' + 'b'", "ab"),
        # concatenation
        ("'a' ~ 'b'", "ab"),
        ("'n=' ~ n", "n=7"),
        ("'x' ~ nothing ~ 'y'", "xy"),
        ("'l=' ~ items", "l=[1,2,3]"),
        ("'b=' ~ flag", "b=true"),
        # comparisons
        ("n == 7", True),
        ("n equals 7", True),
        ("n == 7.0", True),
        ("n != 7", False),
        ("'a' == 'a'", True),
        ("1 == true", False),
        ("nothing == null", True),
        ("items == [1, 2, 3]", True),
        ("n > 3", True),
        ("n < 3", False),
        ("n >= 7", True),
        ("n <= 6", False),
        ("'abc' < 'abd'", True),
        # logic (results are booleans)
        ("true and false", False),
        ("true or false", True),
        ("not true", False),
        ("not nothing", True),
        ("not text_false", True),
        ("flag and n", True),
        ("zero or off", False),
        ("nothing and undefined_is_not_evaluated", False),
        ("flag or undefined_is_not_evaluated", True),
        # contains / in
        ("s contains 'world'", True),
        ("s contains 'mars'", False),
        ("items contains 2", True),
        ("items contains 2.0", True),
        ("items contains 9", False),
        ("items contains [1, 3]", True),
        ("items contains [1, 9]", False),
        ("m contains 'k'", True),
        ("m contains 'v'", False),
        ("nothing contains 'x'", False),
        ("2 in items", True),
        ("'z' in words", False),
        ("'z' not in words", True),
        ("'ell' in s", True),
        # ternary
        ("flag ? 'yes' : 'no'", "yes"),
        ("off ? 'yes' : 'no'", "no"),
        ("n > 5 ? n * 2 : 0", 14),
        ("off ? 1 : flag ? 2 : 3", 2),
        ("nothing ? 1 : 2", 2),
        # null coalescing
        ("nothing ?? 'd'", "d"),
        ("undefined ?? 'd'", "d"),
        ("undefined.a.b.c ?? 'd'", "d"),
        ("m.nested.deep ?? 'd'", 1),
        ("m.nested.missing.deeper ?? 'd'", "d"),
        ("m.nothing.deeper ?? 'd'", "d"),
        ("items[10] ?? 'd'", "d"),
        ("s.length ?? 'd'", "d"),
        ("zero ?? 'd'", 0),
        ("off ?? 'd'", False),
        ("undefined ?? nothing ?? 'last'", "last"),
        ("m.nothing ??? 'd'", None),
        ("undefined ??? 'd'", "d"),
        # tests
        ("nothing is null", True),
        ("n is not null", True),
        ("n is defined", True),
        ("undefined is defined", False),
        ("undefined.a.b is defined", False),
        ("undefined is not defined", True),
        ("m.k is defined", True),
        ("m.missing is not defined", True),
        ("nothing is defined", False),
        ("'' is empty", True),
        ("'  ' is empty", True),
        ("[] is empty", True),
        ("{} is empty", True),
        ("nothing is empty", True),
        ("items is not empty", True),
        ("n is odd", True),
        ("n is even", False),
        ("4 is even", True),
        ("items is iterable", True),
        ("s is iterable", False),
        ("m is map", True),
        ("items is map", False),
        ("'{\"a\": 1}' is json", True),
        ("'not json' is json", False),
    ],
)
def test_operator(expression: str, expected: Any) -> None:
    result = evaluate(expression, CONTEXT)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 2 - 3", 5),
        ("2 * 3 % 4", 2),
        ("1 + 2 == 3", True),
        ("1 == 1 and 2 == 3", False),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not false and false", False),
        ("not (false and false)", True),
        ("-2 * 3", -6),
        ("'a' ~ (1 + 2)", "a3"),
        ("'ab' | upper ~ 'c'", "ABc"),
        ("'a' ~ 'b' | upper", "AB"),
        ("'a' ~ ('b' | upper)", "aB"),
        ("undefined ?? 'x' | upper", "X"),
        ("undefined ?? 'a' ~ 'b'", "ab"),
        ("items | length > 2", True),
        ("items | length + 1", 4),
        ("1 + items | length", 4),
        ("s contains 'o' == true", False),
        ("n > 1 ? 'big' : 'small' ~ '!'", "big"),
        ("1..3 | length", 3),
        ("2 + 3 > 4 and 'x' in words or 1 == 1", True),
    ],
)
def test_precedence_follows_pebble(expression: str, expected: Any) -> None:
    assert evaluate(expression, CONTEXT) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", "division by zero"),
        ("1 % 0", "division by zero"),
        ("'a' - 1", "cannot apply '-' to a string and a number"),
        ("{} * 2", "cannot apply '*' to a map and a number"),
        ("'a' < 1", "cannot compare a string with a number using '<'"),
        ("nothing > 1", "cannot compare null with a number"),
        ("-'a'", "cannot negate a string"),
        ("5 contains 1", "'contains' needs a string, a list or a map"),
        ("s is even", "'is even' needs a number"),
        ("1..'z'", "a range needs integers"),
        ("'a' ~ 1 + 2", "cannot apply '+' to a string and a number"),
    ],
)
def test_operator_errors_are_expression_errors(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, CONTEXT)
    assert message in str(caught.value)
    assert expression in str(caught.value)


def test_operators_inside_templates_render_as_text() -> None:
    assert render("{{ n > 3 }} {{ n / 2 }} {{ f * 2 }}", CONTEXT) == "true 3 5.0"
