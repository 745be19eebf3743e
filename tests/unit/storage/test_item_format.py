"""Item files: JSON lines and Ion text, and the sizes and globs of the storage tasks."""

from __future__ import annotations

import math

import pytest

from headway.errors import TaskFailure
from headway.plugins.storage.files import extension_of, parse_size
from headway.plugins.storage.item_format import ItemFormatError, parse_item
from headway.plugins.storage.namespace import matching


def test_json_lines() -> None:
    assert parse_item('{"id": 1, "tags": ["a"], "ok": true, "none": null}') == {
        "id": 1,
        "tags": ["a"],
        "ok": True,
        "none": None,
    }


def test_ion_structs_as_kestra_writes_them() -> None:
    line = '{id:1,name:"Ada \\"L\\"",amount:12.5,when:2024-01-31T10:00:00Z,vip:true,n:null}'
    assert parse_item(line) == {
        "id": 1,
        "name": 'Ada "L"',
        "amount": 12.5,
        "when": "2024-01-31T10:00:00Z",
        "vip": True,
        "n": None,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("{'quoted key': sym, \"s\": 'q'}", {"quoted key": "sym", "s": "q"}),
        ("[1, 2, (a b)]", [1, 2, ["a", "b"]]),
        ("{a: ann::3}", {"a": 3}),
        ("'''long ''' '''string'''", "long string"),
        ("1_000", 1000),
        ("0x1F", 31),
        ("1d2", 100.0),
        ("-1.5e1", -15.0),
        ("null.int", None),
        ("2024-01-31", "2024-01-31"),
        ("{b: {{ aGVsbG8= }}}", {"b": "aGVsbG8="}),
        ('{u: "caf\\u00e9"}', {"u": "café"}),
        ("{a: 1, /* note */ b: 2} // end", {"a": 1, "b": 2}),
    ],
)
def test_ion_values(text: str, value: object) -> None:
    assert parse_item(text) == value


def test_special_floats() -> None:
    assert parse_item("+inf") == math.inf
    assert math.isnan(parse_item("nan"))


@pytest.mark.parametrize("text", ["{a:", "{a 1}", '"open', "{a: 1} trailing", "[1 2]", "@"])
def test_bad_lines_are_refused_with_their_column(text: str) -> None:
    with pytest.raises(ItemFormatError, match="at column"):
        parse_item(text)


@pytest.mark.parametrize(
    ("value", "size"),
    [("10MB", 10 << 20), ("200KB", 200 << 10), ("1024", 1024), (" 2 gb ", 2 << 30), (7, 7)],
)
def test_sizes(value: str | int, size: int) -> None:
    assert parse_size(value, "bytes") == size


@pytest.mark.parametrize("value", ["ten", "10XB", "0", -1])
def test_bad_sizes(value: str | int) -> None:
    with pytest.raises(TaskFailure, match="property 'bytes'"):
        parse_size(value, "bytes")


def test_extensions() -> None:
    assert extension_of("kestra:///a/f/executions/e/tasks/t/r/rows.csv") == ".csv"
    assert extension_of("kestra:///a/f/executions/e/tasks/t/r/rows") == ".tmp"


def test_namespace_globs() -> None:
    paths = ["README.md", "scripts/a.py", "scripts/lib/b.py", "data/x.csv"]
    assert matching(paths, ["scripts/*"]) == ["scripts/a.py"]
    assert matching(paths, ["/scripts/**"]) == ["scripts/a.py", "scripts/lib/b.py"]
    assert matching(paths, ["**.py", "*.md"]) == ["README.md", "scripts/a.py", "scripts/lib/b.py"]
