"""Every filter, with Kestra's and Pebble's semantics."""

from __future__ import annotations

from typing import Any

import pytest

from headway.errors import ExpressionError
from headway.expressions import evaluate, render

CONTEXT: dict[str, Any] = {
    "s": "Hello World",
    "items": [3, 1, 2],
    "words": ["b", "a", "c"],
    "m": {"a": 1, "b": [1, 2]},
    "nothing": None,
    "json_text": '{"a": {"b": [1, 2]}, "c": "x"}',
    "records": [{"id": 1, "ok": True}, {"id": 2, "ok": False}],
    "multiline": "line1\nline2",
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # strings
        ("s | upper", "HELLO WORLD"),
        ("s | lower", "hello world"),
        ("'hello world' | capitalize", "Hello world"),
        ("'hello big world' | title", "Hello Big World"),
        ("'  pad  ' | trim", "pad"),
        ("s | abbreviate(8)", "Hello..."),
        ("s | abbreviate(20)", "Hello World"),
        ("s | replace({'World': 'There', 'Hello': 'Hi'})", "Hi There"),
        ("s | replace('o', '0')", "Hell0 W0rld"),
        ("'a1b22' | replace({'\\\\d+': '#'}, regexp=true)", "a#b#"),
        ("'2024-01' | replace({'(\\\\d+)-(\\\\d+)': '$2/$1'}, regexp=true)", "01/2024"),
        ("m | replace({'1': 'one'})", {"a": "one", "b": ["one", "2"]}),
        ("'a,b,,c,,' | split(',')", ["a", "b", "", "c"]),
        ("'a,b,c' | split(',', 2)", ["a", "b,c"]),
        ("'a.b.c' | split('\\\\.')", ["a", "b", "c"]),
        ("'' | split(',')", [""]),
        ("'k=v=w' | substringBefore('=')", "k"),
        ("'k=v=w' | substringAfter('=')", "v=w"),
        ("'k=v=w' | substringBeforeLast('=')", "k=v"),
        ("'k=v=w' | substringAfterLast('=')", "w"),
        ("'kvw' | substringBefore('=')", "kvw"),
        ("'kvw' | substringAfter('=')", ""),
        ("'kvw' | substringBeforeLast('=')", "kvw"),
        ("'kvw' | substringAfterLast('=')", ""),
        ("s | startsWith('Hell')", True),
        ("s | endsWith('Hell')", False),
        ("multiline | indent(2)", "line1\n  line2"),
        ("multiline | nindent(2)", "\n  line1\n  line2"),
        ("multiline | indent(1, '>')", "line1\n>line2"),
        ("\"it's\" | escapeChar('single')", "it\\'s"),
        ("'say \"x\"' | escapeChar('double')", 'say \\"x\\"'),
        ("\"it's\" | escapeChar('shell')", "it'\\''s"),
        ("'Héllo, World!' | slugify", "hello-world"),
        ("12 | string", "12"),
        ("m | string", '{"a":1,"b":[1,2]}'),
        # encodings and hashes
        ("'a b&c=d/é~' | urlencode", "a+b%26c%3Dd%2F%C3%A9%7E"),
        ("'a+b%26c' | urldecode", "a b&c"),
        ("'hello' | base64encode", "aGVsbG8="),
        ("'aGVsbG8=' | base64decode", "hello"),
        ("'abc' | md5", "900150983cd24fb0d6963f7d28e17f72"),
        ("'abc' | sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("'abc' | sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("'abc' | sha512 | length", 128),
        # numbers
        ("-3 | abs", 3),
        ("'42' | number", 42),
        ("'4.5' | number", 4.5),
        ("'0x1F' | number", 31),
        ("'7' | number('DOUBLE')", 7.0),
        ("'7' | number('INT')", 7),
        ("3.14159 | numberFormat('#.##')", "3.14"),
        ("1234567.891 | numberFormat('#,##0.00')", "1,234,567.89"),
        ("0.5 | numberFormat('#.##')", ".5"),
        ("0.5 | numberFormat('0.00')", "0.50"),
        ("2.5 | numberFormat('#')", "2"),
        ("7 | numberformat('000')", "007"),
        ("-1.5 | numberFormat('0.0')", "-1.5"),
        # lists and maps
        ("items | length", 3),
        ("s | length", 11),
        ("m | length", 2),
        ("nothing | length", 0),
        ("items | join", "312"),
        ("items | join(', ')", "3, 1, 2"),
        ("items | first", 3),
        ("items | last", 2),
        ("s | first", "H"),
        ("[] | first", None),
        ("m | keys", ["a", "b"]),
        ("m | values", [1, [1, 2]]),
        ("items | slice(1, 3)", [1, 2]),
        ("s | slice(0, 5)", "Hello"),
        ("items | sort", [1, 2, 3]),
        ("words | rsort", ["c", "b", "a"]),
        ("items | reverse", [2, 1, 3]),
        ("'abc' | reverse", "cba"),
        ("items | merge([4])", [3, 1, 2, 4]),
        ("m | merge({'c': 3})", {"a": 1, "b": [1, 2], "c": 3}),
        ("[1, 2, 3, 4, 5] | chunk(2)", [[1, 2], [3, 4], [5]]),
        ("[1, 2, 1, 3, 2] | distinct", [1, 2, 3]),
        ("[1, 1] | uniq", [1]),
        ("nothing | default('d')", "d"),
        # JSON, YAML, jq
        ("m | toJson", '{"a":1,"b":[1,2]}'),
        ("m | json", '{"a":1,"b":[1,2]}'),
        ("'x' | toJson", '"x"'),
        ("nothing | toJson", "null"),
        ("json_text | fromJson", {"a": {"b": [1, 2]}, "c": "x"}),
        ("(json_text | fromJson).a.b[1]", 2),
        ("m | yaml", "a: 1\nb:\n- 1\n- 2\n"),
        ("json_text | jq('.a.b')", [[1, 2]]),
        ("json_text | jq('.a.b[]')", [1, 2]),
        ("json_text | jq('.c') | first", "x"),
        ("records | jq('.[] | select(.ok) | .id')", [1]),
        ("m | jq('.missing')", [None]),
        ("records | jq('map(.id) | add') | first", 3),
    ],
)
def test_filter(expression: str, expected: Any) -> None:
    assert evaluate(expression, CONTEXT) == expected


@pytest.mark.parametrize(
    "filter_call",
    [
        "upper",
        "lower",
        "trim",
        "join(',')",
        "split(',')",
        "first",
        "last",
        "keys",
        "values",
        "sort",
        "reverse",
        "jq('.')",
        "date('yyyy')",
        "dateAdd(1, 'DAYS')",
        "timestamp",
        "urlencode",
        "sha256",
        "fromJson",
        "replace('a', 'b')",
        "abbreviate(3)",
        "number",
        "numberFormat('#')",
    ],
)
def test_null_passes_through(filter_call: str) -> None:
    assert evaluate(f"nothing | {filter_call}", CONTEXT) is None


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("m | jq('.a[')", "filter 'jq': invalid jq expression '.a['"),
        ("'{bad' | jq('.')", "filter 'jq'"),
        ("'x' | fromJson", "filter 'fromJson': invalid JSON"),
        ("'abc' | number", "filter 'number': 'abc' is not a number"),
        ("s | keys", "filter 'keys': 'keys' needs a map, not a string"),
        ("s | sort", "'sort' needs a list"),
        ("items | chunk(0)", "the chunk size must be an integer >= 1"),
        ("s | escapeChar('weird')", "the type must be 'single', 'double' or 'shell'"),
        ("s | replace(1)", "expected a map of replacements or two strings"),
        ("s | upper(1, 2)", "filter 'upper' failed"),
        ("s | abs", "'abs' needs a number"),
        ("m | first", "'first' needs a list or a string"),
        ("m | merge('x')", "cannot merge a string into a map"),
        ("s | indent(-1)", "filter 'indent'"),
    ],
)
def test_filter_errors_name_the_filter(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, CONTEXT)
    assert message in str(caught.value)


def test_filters_chain_and_render() -> None:
    template = "{{ words | sort | join('-') | upper }}"
    assert render(template, CONTEXT) == "A-B-C"
