"""Item files: one item per line, as Kestra's FilterItems and DeduplicateItems read them.

Kestra writes such files in Amazon Ion's text format (``{id:1,name:"Ada"}``), one value a
line. Headway reads JSON lines (``{"id": 1, "name": "Ada"}``) and the common subset of Ion
text: structs, lists and s-expressions, strings (``"..."`` and ``'''...'''``), symbols
(bare or ``'quoted'``), integers (``_`` separators, ``0x``), decimals and floats (``1.5``,
``1d2``, ``1e2``), ``true``/``false``, ``null`` and typed nulls (``null.int``),
timestamps (kept as text, ``2024-01-31T10:00:00Z``), blobs and clobs (kept as text), and
annotations (``a::``, dropped). Items are written back exactly as read.
"""

from __future__ import annotations

import json
import re
from typing import Any


class ItemFormatError(ValueError):
    """A line that is neither JSON nor Ion text."""


def parse_item(line: str) -> Any:
    """The value of one line of an item file."""
    try:
        return json.loads(line)
    except ValueError:
        pass
    parser = _IonParser(line)
    value = parser.value()
    parser.skip_space()
    if parser.pos != len(line):
        raise ItemFormatError(f"unexpected text at column {parser.pos + 1}")
    return value


_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_NUMBER = re.compile(
    r"[-+]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|(?:\d[\d_]*)(?:\.[\d_]*)?(?:[eEdD][-+]?\d+)?)"
    r"(?![\w$])"
)
_TIMESTAMP = re.compile(
    r"\d{4}(?:T|-\d{2}(?:T|-\d{2}(?:T(?:\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[-+]\d{2}:\d{2}))?)?))(?![\w$])"
)
_SYMBOL = re.compile(r"[A-Za-z_$][\w$]*")
_NULL = re.compile(r"null(?:\.[a-z]+)?(?![\w$])")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    '"': '"',
    "'": "'",
    "/": "/",
    "\\": "\\",
    "?": "?",
}


class _IonParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ItemFormatError:
        return ItemFormatError(f"{what} at column {self.pos + 1}")

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        if match:
            self.pos = match.end()

    def peek(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def expect(self, token: str) -> None:
        self.skip_space()
        if not self.peek(token):
            raise self.fail(f"expected '{token}'")
        self.pos += len(token)

    def value(self) -> Any:
        self.skip_space()
        while True:  # annotations: sym::value
            start = self.pos
            name = self.symbol_or_none()
            self.skip_space()
            if name is not None and self.peek("::"):
                self.pos += 2
                self.skip_space()
                continue
            self.pos = start
            break
        if self.peek("{{"):
            end = self.text.find("}}", self.pos)
            if end < 0:
                raise self.fail("unterminated blob")
            raw = self.text[self.pos + 2 : end].strip()
            self.pos = end + 2
            return raw[1:-1] if raw.startswith('"') and raw.endswith('"') else raw
        if self.peek("{"):
            return self.struct()
        if self.peek("["):
            return self.sequence("[", "]", ",")
        if self.peek("("):
            return self.sequence("(", ")", None)
        if self.peek("'''"):
            return self.long_string()
        if self.peek('"'):
            return self.string('"')
        if self.peek("'"):
            return self.string("'")
        match = _TIMESTAMP.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return match.group()
        match = _NUMBER.match(self.text, self.pos)
        if match and match.group():
            self.pos = match.end()
            return _number(match.group())
        for word, val in (("+inf", float("inf")), ("-inf", float("-inf"))):
            if self.peek(word):
                self.pos += len(word)
                return val
        match = _NULL.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return None
        name = self.symbol_or_none()
        if name is None:
            raise self.fail("expected a value")
        return {"true": True, "false": False, "nan": float("nan")}.get(name, name)

    def symbol_or_none(self) -> str | None:
        if self.peek("'") and not self.peek("'''"):
            return self.string("'")
        match = _SYMBOL.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def struct(self) -> dict[str, Any]:
        self.expect("{")
        out: dict[str, Any] = {}
        while True:
            self.skip_space()
            if self.peek("}"):
                self.pos += 1
                return out
            if self.peek('"'):
                key = self.string('"')
            elif self.peek("'''"):
                key = self.long_string()
            else:
                name = self.symbol_or_none()
                if name is None:
                    raise self.fail("expected a field name")
                key = name
            self.expect(":")
            out[key] = self.value()
            self.skip_space()
            if self.peek(","):
                self.pos += 1
            elif not self.peek("}"):
                raise self.fail("expected ',' or '}'")

    def sequence(self, open_: str, close: str, comma: str | None) -> list[Any]:
        self.expect(open_)
        out: list[Any] = []
        while True:
            self.skip_space()
            if self.peek(close):
                self.pos += 1
                return out
            out.append(self.value())
            self.skip_space()
            if comma is not None:
                if self.peek(comma):
                    self.pos += 1
                elif not self.peek(close):
                    raise self.fail(f"expected '{comma}' or '{close}'")

    def string(self, quote: str) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == quote:
                self.pos += 1
                return "".join(out)
            if c == "\\":
                out.append(self.escape())
                continue
            out.append(c)
            self.pos += 1
        raise self.fail("unterminated string")

    def long_string(self) -> str:
        parts: list[str] = []
        while self.peek("'''"):
            self.pos += 3
            while not self.peek("'''"):
                if self.pos >= len(self.text):
                    raise self.fail("unterminated string")
                if self.text[self.pos] == "\\":
                    parts.append(self.escape())
                else:
                    parts.append(self.text[self.pos])
                    self.pos += 1
            self.pos += 3
            self.skip_space()
        return "".join(parts)

    def escape(self) -> str:
        kind = self.text[self.pos + 1 : self.pos + 2]
        if kind in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = self.text[self.pos + 2 : self.pos + 2 + width]
            try:
                char = chr(int(digits, 16))
            except ValueError:
                raise self.fail("invalid escape") from None
            self.pos += 2 + width
            return char
        if kind not in _ESCAPES:
            raise self.fail("invalid escape")
        self.pos += 2
        return _ESCAPES[kind]


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    lower = clean.lower()
    if "0x" in lower:
        return int(clean, 16)
    if "0b" in lower:
        return int(clean, 2)
    if any(c in lower for c in ".ed"):
        return float(lower.replace("d", "e"))
    return int(clean)
