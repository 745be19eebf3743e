from __future__ import annotations

import asyncio

import pytest

from headway.plugins.scripts.protocol import parse_line
from headway.runners.base import FileNameError, checked_file_name
from headway.runners.lines import read_lines


async def lines_of(data: bytes, limit: int = 8) -> list[str]:
    stream = asyncio.StreamReader()
    stream.feed_data(data)
    stream.feed_eof()
    out: list[str] = []
    await read_lines(stream, out.append, limit=limit)
    return out


async def test_lines_without_a_final_newline_and_crlf() -> None:
    assert await lines_of(b"a\r\nb\n\nc") == ["a", "b", "", "c"]


async def test_a_long_line_is_cut_with_a_note() -> None:
    assert await lines_of(b"0123456789abc\nnext\n0123456789") == [
        "01234567",
        "[line truncated: 5 more bytes dropped]",
        "next",
        "01234567",
        "[line truncated: 2 more bytes dropped]",
    ]


def test_protocol_ignores_plain_and_malformed_lines() -> None:
    assert parse_line("hello") is None
    assert parse_line("::[1]::") is None
    assert parse_line("::{oops}::") is None
    message = parse_line(' ::{"outputs": {"a": 1}, "logs": {"level": "nope", "message": 2}}:: ')
    assert message is not None
    assert message.outputs == {"a": 1}
    assert message.logs == [("INFO", "2")]


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../../x", ".", "", "a\\..\\b"])
def test_file_names_that_escape(name: str) -> None:
    with pytest.raises(FileNameError):
        checked_file_name(name)


def test_nested_file_names_are_fine() -> None:
    assert str(checked_file_name("dir/sub/file.txt")) == "dir/sub/file.txt"
