"""The 18 input types: given values converted and validated, defaults, required, JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from headway.errors import InputInvalidError
from headway.flows.inputs import (
    INPUT_TYPE_NAMES,
    Input,
    InputBase,
    convert_value,
    resolve_inputs,
    serialize_inputs,
    unknown_inputs,
)
from headway.flows.values import InputValueError

_ADAPTER: TypeAdapter[InputBase] = TypeAdapter(Input)


def make(type_name: str, **keys: Any) -> InputBase:
    return _ADAPTER.validate_python({"id": "x", "type": type_name, **keys})


def parse(type_name: str, value: Any, **keys: Any) -> Any:
    return resolve_inputs([make(type_name, **keys)], {"x": value})["x"]


def reason(type_name: str, value: Any, **keys: Any) -> str:
    with pytest.raises(InputInvalidError) as info:
        parse(type_name, value, **keys)
    assert info.value.input_id == "x"
    return info.value.reason


def test_there_are_eighteen_types_and_an_alias() -> None:
    assert len(INPUT_TYPE_NAMES) == 19
    assert "BOOL" in INPUT_TYPE_NAMES


GOOD = [
    ("STRING", "hello", "hello"),
    ("STRING", 42, "42"),
    ("INT", "42", 42),
    ("INT", " -7 ", -7),
    ("INT", 5, 5),
    ("INT", 5.0, 5),
    ("FLOAT", "3.14", 3.14),
    ("FLOAT", 2, 2.0),
    ("FLOAT", "1e3", 1000.0),
    ("BOOLEAN", "true", True),
    ("BOOLEAN", "False", False),
    ("BOOL", False, False),
    ("DATETIME", "2024-01-31T10:00:00Z", datetime(2024, 1, 31, 10, tzinfo=UTC)),
    ("DATETIME", "2024-01-31T12:00:00+02:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
    ("DATETIME", "2024-01-31T10:00:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
    ("DATETIME", "2024-01-31T10:00:00.250Z", datetime(2024, 1, 31, 10, 0, 0, 250000, UTC)),
    ("DATE", "2024-01-31", date(2024, 1, 31)),
    ("TIME", "10:15:30", time(10, 15, 30)),
    ("TIME", "10:15", time(10, 15)),
    ("DURATION", "PT1H30M", timedelta(hours=1, minutes=30)),
    ("DURATION", "P1D", timedelta(days=1)),
    ("JSON", '{"a": [1, 2]}', {"a": [1, 2]}),
    ("JSON", {"a": 1}, {"a": 1}),
    ("JSON", "[1]", [1]),
    ("YAML", "a: 1\nb: [x]\n", {"a": 1, "b": ["x"]}),
    ("URI", "https://example.com/a?b=c", "https://example.com/a?b=c"),
    ("URI", "http://localhost:8080", "http://localhost:8080"),
    ("URI", "kestra:///ns/file.csv", "kestra:///ns/file.csv"),
    ("EMAIL", "ops@example.com", "ops@example.com"),
    ("FILE", "/tmp/data.csv", "/tmp/data.csv"),
    ("FILE", "kestra:///company/team/data.csv", "kestra:///company/team/data.csv"),
    ("SECRET", "s3cr3t", "s3cr3t"),
]


@pytest.mark.parametrize(("type_name", "given", "expected"), GOOD)
def test_good_values(type_name: str, given: Any, expected: Any) -> None:
    assert parse(type_name, given) == expected


def test_datetimes_are_aware_and_in_utc() -> None:
    value = parse("DATETIME", "2024-06-01T08:00:00+02:00")
    assert value.tzinfo is UTC
    assert value.hour == 6


BAD = [
    ("INT", "4.5", "'4.5' is not an INT (a whole number, e.g. 42)"),
    ("INT", "abc", "'abc' is not an INT (a whole number, e.g. 42)"),
    ("INT", True, "true is not an INT (a whole number, e.g. 42)"),
    ("FLOAT", "nan", "'nan' is not a FLOAT (a number, e.g. 3.14)"),
    ("FLOAT", "1,5", "'1,5' is not a FLOAT (a number, e.g. 3.14)"),
    ("BOOLEAN", "yes", "'yes' is not a BOOLEAN (true or false)"),
    ("BOOLEAN", 1, "1 is not a BOOLEAN (true or false)"),
    (
        "DATETIME",
        "2024-13-01",
        "'2024-13-01' is not a DATETIME (ISO-8601, e.g. 2024-01-31T10:00:00Z)",
    ),
    (
        "DATETIME",
        "2024-01-31",
        "'2024-01-31' is not a DATETIME (ISO-8601, e.g. 2024-01-31T10:00:00Z)",
    ),
    ("DATE", "31/01/2024", "'31/01/2024' is not a DATE (ISO-8601, e.g. 2024-01-31)"),
    ("TIME", "25:00", "'25:00' is not a TIME (ISO-8601 without offset, e.g. 10:15:30)"),
    (
        "TIME",
        "10:00:00+02:00",
        "'10:00:00+02:00' is not a TIME (ISO-8601 without offset, e.g. 10:15:30)",
    ),
    ("DURATION", "5 minutes", "'5 minutes' is not a DURATION (ISO-8601, e.g. PT30S, PT1H, P1D)"),
    ("JSON", "{a", "'{a' is not valid JSON: Expecting property name enclosed in double quotes"),
    ("YAML", "a: [", "'a: [' is not valid YAML"),
    ("URI", "not a uri", "'not a uri' is not a URI (e.g. https://example.com/path)"),
    ("EMAIL", "ops-at-example.com", "'ops-at-example.com' is not an EMAIL (e.g. name@example.com)"),
    ("FILE", "", "'' is not a FILE (a path or a kestra:/// URI)"),
    ("STRING", ["a"], "expected text, got a list"),
    ("SECRET", {"a": 1}, "expected text for a SECRET"),
]


@pytest.mark.parametrize(("type_name", "given", "expected"), BAD)
def test_bad_values(type_name: str, given: Any, expected: str) -> None:
    assert reason(type_name, given).startswith(expected)


def test_error_names_the_input() -> None:
    with pytest.raises(InputInvalidError) as info:
        resolve_inputs([make("INT", min=18)], {"x": "12"})
    assert str(info.value) == "input 'x': must be >= 18, got 12"


def test_string_validator_is_a_full_match() -> None:
    assert parse("STRING", "student42", validator=r"student\d*") == "student42"
    assert reason("STRING", "student42x", validator=r"student\d*") == (
        r"must match the pattern student\d*, got 'student42x'"
    )


def test_secret_values_are_never_shown() -> None:
    assert reason("SECRET", "hunter2", validator="[a-z]+") == "must match the pattern [a-z]+"


@pytest.mark.parametrize(
    ("type_name", "bounds", "good", "low", "high", "message"),
    [
        ("INT", {"min": 18, "max": 64}, "42", "12", "70", "must be >= 18, got 12"),
        ("FLOAT", {"min": 0.2, "max": 5.3}, "1", "0.1", "6", "must be >= 0.2, got 0.1"),
        (
            "DURATION",
            {"min": "PT5M", "max": "PT1H"},
            "PT10M",
            "PT1M",
            "PT2H",
            "must be at least PT5M, got PT1M",
        ),
        (
            "DATE",
            {"after": "2024-04-10", "before": "2024-04-15"},
            "2024-04-12",
            "2024-04-01",
            "2024-05-01",
            "must be after 2024-04-10, got 2024-04-01",
        ),
        (
            "TIME",
            {"after": "11:01:01", "before": "11:04:01"},
            "11:02:00",
            "10:00:00",
            "12:00:00",
            "must be after 11:01:01, got 10:00:00",
        ),
        (
            "DATETIME",
            {"after": "2024-04-10T14:19:00Z", "before": "2024-04-15T14:19:00Z"},
            "2024-04-13T14:17:00Z",
            "2024-04-01T00:00:00Z",
            "2024-05-01T00:00:00Z",
            "must be after 2024-04-10T14:19:00Z, got 2024-04-01T00:00:00Z",
        ),
    ],
)
def test_range_validators(
    type_name: str, bounds: dict[str, Any], good: str, low: str, high: str, message: str
) -> None:
    parse(type_name, good, **bounds)
    assert reason(type_name, low, **bounds) == message
    assert reason(type_name, high, **bounds).startswith("must be")


def test_bounds_are_inclusive() -> None:
    assert parse("INT", "18", min=18, max=18) == 18
    assert parse("DATE", "2024-04-10", after="2024-04-10") == date(2024, 4, 10)


def test_array_items_are_converted() -> None:
    assert parse("ARRAY", "[1, 2]", itemType="INT") == [1, 2]
    assert parse("ARRAY", ["1", "2"], itemType="INT") == [1, 2]
    assert parse("ARRAY", '["a", "b"]', itemType="STRING") == ["a", "b"]
    assert parse("ARRAY", '["PT1M"]', itemType="DURATION") == [timedelta(minutes=1)]
    assert reason("ARRAY", "[1, 'x']", itemType="INT").startswith(""""[1, 'x']" is not an ARRAY""")
    assert reason("ARRAY", '[1, "x"]', itemType="INT") == (
        "item [1]: 'x' is not an INT (a whole number, e.g. 42)"
    )
    assert reason("ARRAY", "a,b", itemType="STRING") == (
        """'a,b' is not an ARRAY (a JSON list, e.g. ["a", "b"])"""
    )


def test_select() -> None:
    assert parse("SELECT", "prod", values=["dev", "prod"]) == "prod"
    assert reason("SELECT", "test", values=["dev", "prod"]) == (
        "must be one of 'dev', 'prod', got 'test'"
    )
    assert parse("SELECT", "test", values=["dev"], allowCustomValue=True) == "test"
    assert parse("SELECT", "test", values=["dev"], allowInput=True) == "test"
    labelled = [{"label": "Production", "value": "prod"}, "dev"]
    assert parse("SELECT", "prod", values=labelled) == "prod"
    assert parse("SELECT", "anything", expression="{{ kv('envs') }}") == "anything"


def test_select_auto_select_first() -> None:
    inp = make("SELECT", values=["dev", "prod"], autoSelectFirst=True)
    assert resolve_inputs([inp], {}) == {"x": "dev"}


def test_multiselect() -> None:
    assert parse("MULTISELECT", '["a", "b"]', values=["a", "b", "c"]) == ["a", "b"]
    assert parse("MULTISELECT", ["c"], options=["a", "c"]) == ["c"]
    assert reason("MULTISELECT", ["a", "z"], values=["a", "b"]) == (
        "must be one of 'a', 'b', got 'z'"
    )
    assert parse("MULTISELECT", ["z"], values=["a"], allowCustomValue=True) == ["z"]
    assert parse("MULTISELECT", ["1", "2"], values=["1", "2"], itemType="INT") == [1, 2]
    assert reason("MULTISELECT", "a", values=["a"]).startswith("'a' is not a MULTISELECT")


def test_enum() -> None:
    assert parse("ENUM", "VALUE_1", values=["VALUE_1", "VALUE_2"]) == "VALUE_1"
    assert reason("ENUM", "value_1", values=["VALUE_1"]) == (
        "must be one of 'VALUE_1', got 'value_1'"
    )


def test_file_extensions() -> None:
    assert parse("FILE", "/tmp/a.CSV", acceptedExtensions=[".csv"]) == "/tmp/a.CSV"
    assert reason("FILE", "/tmp/a.pdf", acceptedExtensions=[".csv", ".txt"]) == (
        "must be a file ending with .csv, .txt, got '/tmp/a.pdf'"
    )


def test_defaults_and_required() -> None:
    inputs = [
        _ADAPTER.validate_python(spec)
        for spec in (
            {"id": "n", "type": "INT", "defaults": 100},
            {"id": "s", "type": "STRING", "required": False},
            {"id": "d", "type": "DATE", "defaults": "2024-01-31"},
            {"id": "b", "type": "BOOLEAN", "defaults": True, "required": False},
        )
    ]
    assert resolve_inputs(inputs, {}) == {
        "n": 100,
        "s": None,
        "d": date(2024, 1, 31),
        "b": True,
    }
    assert resolve_inputs(inputs, {"n": "7", "s": "x", "b": "false"})["n"] == 7
    with pytest.raises(InputInvalidError, match=r"^input 'x': is required$"):
        resolve_inputs([make("STRING")], {})
    with pytest.raises(InputInvalidError, match=r"^input 'x': is required$"):
        resolve_inputs([make("STRING")], {"x": None})


def test_a_bad_default_is_named_as_such() -> None:
    with pytest.raises(InputInvalidError) as info:
        resolve_inputs([make("INT", defaults="abc")], {})
    assert info.value.reason.startswith("default 'abc' is not an INT")


def test_dotted_ids_nest() -> None:
    inputs = [
        _ADAPTER.validate_python({"id": "nested.string", "type": "STRING"}),
        _ADAPTER.validate_python({"id": "nested.int", "type": "INT"}),
    ]
    assert resolve_inputs(inputs, {"nested.string": "a", "nested.int": "1"}) == {
        "nested": {"string": "a", "int": 1}
    }


def test_unknown_inputs_are_ignored_and_listed() -> None:
    inputs = [make("STRING")]
    assert resolve_inputs(inputs, {"x": "a", "y": "b"}) == {"x": "a"}
    assert unknown_inputs(inputs, {"x": "a", "zz": 1, "y": "b"}) == ["y", "zz"]


def test_expressions_in_defaults_and_conditions_need_a_renderer() -> None:
    env = _ADAPTER.validate_python({"id": "env", "type": "STRING", "defaults": "dev"})
    region = _ADAPTER.validate_python(
        {
            "id": "region",
            "type": "STRING",
            "dependsOn": {"inputs": ["env"], "condition": "{{ inputs.env == 'prod' }}"},
        }
    )
    when = _ADAPTER.validate_python({"id": "when", "type": "DATETIME", "defaults": "{{ now() }}"})

    def render(template: str, inputs: Mapping[str, Any]) -> Any:
        if "now()" in template:
            return "2024-01-31T10:00:00Z"
        return str(inputs["env"] == "prod").lower()

    assert resolve_inputs([region, env, when], {}, render=render) == {
        "region": None,
        "env": "dev",
        "when": datetime(2024, 1, 31, 10, tzinfo=UTC),
    }
    with pytest.raises(InputInvalidError, match="is required"):
        resolve_inputs([region, env], {"env": "prod"}, render=render)
    with pytest.raises(InputInvalidError, match="default is an expression"):
        resolve_inputs([when], {})


def test_serialize_inputs_as_kestra_shows_them() -> None:
    values = {
        "when": datetime(2024, 1, 31, 10, tzinfo=UTC),
        "precise": datetime(2024, 1, 31, 10, 0, 0, 250000, UTC),
        "day": date(2024, 1, 31),
        "at": time(10, 15),
        "wait": timedelta(minutes=90),
        "nested": {"list": [timedelta(seconds=1.5)]},
        "n": 1,
    }
    assert serialize_inputs(values) == {
        "when": "2024-01-31T10:00:00Z",
        "precise": "2024-01-31T10:00:00.250000Z",
        "day": "2024-01-31",
        "at": "10:15:00",
        "wait": "PT1H30M",
        "nested": {"list": ["PT1.5S"]},
        "n": 1,
    }


def test_convert_value_for_outputs() -> None:
    assert convert_value("INT", "3") == 3
    assert convert_value("ARRAY", "[1]") == [1]
    with pytest.raises(InputValueError, match="unknown type 'NOPE'"):
        convert_value("NOPE", 1)
