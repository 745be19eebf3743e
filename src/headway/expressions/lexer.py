"""Splits a template into text and the tokens of its ``{{ }}``, ``{% %}`` tags.

Comments (``{# #}``) and ``{% raw %}``/``{% verbatim %}`` blocks are handled here, and so
is whitespace control (``{{-``, ``-}}``, ``{%-``, ``-%}``): the text beside a dash loses
its whitespace, newlines included.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from headway.expressions.errors import syntax_error

TEXT = "text"
PRINT_OPEN = "{{"
PRINT_CLOSE = "}}"
BLOCK_OPEN = "{%"
BLOCK_CLOSE = "%}"
NAME = "name"
INT = "int"
FLOAT = "float"
STRING = "string"
OP = "op"
EOF = "end of template"


class Token(NamedTuple):
    kind: str
    value: str
    start: int
    end: int


_OPENER = re.compile(r"\{\{|\{%|\{#")
_RAW_OPEN = re.compile(r"\{%(-?)\s*(raw|verbatim)\s*(-?)%\}")
_RAW_CLOSE = {
    "raw": re.compile(r"\{%(-?)\s*endraw\s*(-?)%\}"),
    "verbatim": re.compile(r"\{%(-?)\s*endverbatim\s*(-?)%\}"),
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_INTEGER = re.compile(r"[0-9]+")
_OPERATORS = ("???", "??", "..", "==", "!=", "<=", ">=")
_SINGLE = frozenset("+-*/%|~?:=<>()[]{},.")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "/": "/",
}


def tokenize(source: str) -> list[Token]:
    """The tokens of a whole template, ending with an EOF token."""
    tokens: list[Token] = []
    pos = 0
    strip_next = False
    size = len(source)
    while pos <= size:
        match = _OPENER.search(source, pos)
        text_end = match.start() if match else size
        text = source[pos:text_end]
        if strip_next:
            text = text.lstrip()
        if match is None:
            if text:
                tokens.append(Token(TEXT, text, pos, size))
            break
        opener = match.group()
        trim = source.startswith("-", match.end())
        if trim:
            text = text.rstrip()
        if text:
            tokens.append(Token(TEXT, text, pos, text_end))
        if opener == "{#":
            pos, strip_next = _skip_comment(source, match.start())
            continue
        raw = _RAW_OPEN.match(source, match.start()) if opener == "{%" else None
        if raw is not None:
            pos, strip_next = _raw_block(source, raw, tokens)
            continue
        kind = PRINT_OPEN if opener == "{{" else BLOCK_OPEN
        body = match.end() + (1 if trim else 0)
        tokens.append(Token(kind, opener, match.start(), body))
        closer = PRINT_CLOSE if kind == PRINT_OPEN else BLOCK_CLOSE
        pos, strip_next = lex_expression(source, body, tokens, closer, match.start())
    tokens.append(Token(EOF, "", size, size))
    return tokens


def tokenize_expression(source: str) -> list[Token]:
    """The tokens of a bare expression (no braces), ending with an EOF token."""
    tokens: list[Token] = []
    lex_expression(source, 0, tokens, None, 0)
    tokens.append(Token(EOF, "", len(source), len(source)))
    return tokens


def _skip_comment(source: str, start: int) -> tuple[int, bool]:
    end = source.find("#}", start + 2)
    if end == -1:
        raise syntax_error(source, start, "the comment is never closed: expected '#}'")
    return end + 2, end > start + 2 and source[end - 1] == "-"


def _raw_block(source: str, opening: re.Match[str], tokens: list[Token]) -> tuple[int, bool]:
    closing = _RAW_CLOSE[opening.group(2)].search(source, opening.end())
    if closing is None:
        tag = opening.group(2)
        raise syntax_error(source, opening.start(), f"expected '{{% end{tag} %}}'")
    text = source[opening.end() : closing.start()]
    if opening.group(3):
        text = text.lstrip()
    if closing.group(1):
        text = text.rstrip()
    if text:
        tokens.append(Token(TEXT, text, opening.end(), closing.start()))
    return closing.end(), bool(closing.group(2))


def lex_expression(
    source: str, pos: int, tokens: list[Token], closer: str | None, opened_at: int
) -> tuple[int, bool]:
    """Tokens of the expression at ``pos`` up to ``closer`` (or the end when None).

    Returns the position after the closer and whether it asked to trim the text after it.
    """
    size = len(source)
    depth = 0
    while True:
        while pos < size and source[pos].isspace():
            pos += 1
        if pos >= size:
            if closer is None:
                return pos, False
            raise syntax_error(source, opened_at, f"the tag is never closed: expected '{closer}'")
        if closer is not None and depth == 0:
            if source.startswith(closer, pos):
                tokens.append(Token(closer, closer, pos, pos + 2))
                return pos + 2, False
            if source.startswith("-" + closer, pos):
                tokens.append(Token(closer, closer, pos, pos + 3))
                return pos + 3, True
        char = source[pos]
        if char in "'\"":
            pos = _lex_string(source, pos, tokens)
        elif char.isdigit():
            after_dot = bool(tokens) and tokens[-1].kind == OP and tokens[-1].value == "."
            match = (_INTEGER if after_dot else _NUMBER).match(source, pos)
            assert match is not None
            kind = FLOAT if match.group().count(".") else INT
            tokens.append(Token(kind, match.group(), pos, match.end()))
            pos = match.end()
        elif char.isalpha() or char == "_":
            match = _NAME.match(source, pos)
            if match is None:  # a non-ASCII letter
                raise syntax_error(source, pos, f"unexpected character {char!r}")
            tokens.append(Token(NAME, match.group(), pos, match.end()))
            pos = match.end()
        else:
            symbol = next((op for op in _OPERATORS if source.startswith(op, pos)), None)
            if symbol is None and char in _SINGLE:
                symbol = char
            if symbol is None:
                raise syntax_error(source, pos, f"unexpected character {char!r}")
            if symbol == "{":
                depth += 1
            elif symbol == "}":
                depth = max(depth - 1, 0)
            tokens.append(Token(OP, symbol, pos, pos + len(symbol)))
            pos += len(symbol)


def _lex_string(source: str, start: int, tokens: list[Token]) -> int:
    quote = source[start]
    parts: list[str] = []
    pos = start + 1
    size = len(source)
    while pos < size:
        char = source[pos]
        if char == quote:
            tokens.append(Token(STRING, "".join(parts), start, pos + 1))
            return pos + 1
        if char == "\\" and pos + 1 < size:
            escaped = source[pos + 1]
            if escaped == "u" and _is_hex(source[pos + 2 : pos + 6]):
                parts.append(chr(int(source[pos + 2 : pos + 6], 16)))
                pos += 6
                continue
            parts.append(_ESCAPES.get(escaped, "\\" + escaped))
            pos += 2
            continue
        parts.append(char)
        pos += 1
    raise syntax_error(source, start, f"the string is never closed: expected {quote}")


def _is_hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)
