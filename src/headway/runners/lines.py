"""Split a byte stream into text lines, bounded in size."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# A line longer than this is cut, with a note; the rest of it is dropped.
MAX_LINE_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


def _text(data: bytes) -> str:
    """A line as text: bytes that are not UTF-8 and NUL (which no database's text takes) are
    replaced by U+FFFD."""
    return data.rstrip(b"\r").decode("utf-8", errors="replace").replace("\0", "\ufffd")


async def read_lines(
    stream: asyncio.StreamReader,
    emit: Callable[[str], None],
    *,
    limit: int = MAX_LINE_BYTES,
) -> None:
    """Call ``emit`` with each line of ``stream`` until its end. Bytes that are not UTF-8 are
    replaced; a line over ``limit`` bytes is emitted cut to ``limit`` with a note."""
    buffer = bytearray()
    dropping = 0  # bytes of the current over-long line dropped so far
    while chunk := await stream.read(_CHUNK):
        buffer += chunk
        while (end := buffer.find(b"\n")) >= 0:
            if dropping:
                _note(emit, dropping + end)
                dropping = 0
            elif end > limit:
                emit(_text(bytes(buffer[:limit])))
                _note(emit, end - limit)
            else:
                emit(_text(bytes(buffer[:end])))
            del buffer[: end + 1]
        if dropping:
            dropping += len(buffer)
            buffer.clear()
        elif len(buffer) > limit:
            emit(_text(bytes(buffer[:limit])))
            dropping = len(buffer) - limit
            buffer.clear()
    if dropping:
        _note(emit, dropping)
    elif buffer:
        emit(_text(bytes(buffer)))


def _note(emit: Callable[[str], None], dropped: int) -> None:
    emit(f"[line truncated: {dropped} more bytes dropped]")
