"""Glob patterns of ``outputFiles``, with the semantics of Java's ``glob:`` matcher (which
Kestra uses): ``*`` and ``?`` stay inside one path segment, ``**`` crosses segments, ``[abc]``
is a class, ``{a,b}`` alternatives. A pattern is matched against a file's path relative to
the working directory, with ``/`` separators."""

from __future__ import annotations

import re
from functools import lru_cache

from headway.runners.base import FileNameError


def checked_pattern(pattern: str) -> str:
    """``pattern``, if it cannot reach outside the working directory."""
    parts = pattern.split("/")
    if not pattern or pattern.startswith("/") or "\\" in pattern or "\0" in pattern:
        raise FileNameError(f"output file '{pattern}' must be a relative path in the working dir")
    if ".." in parts:
        raise FileNameError(f"output file '{pattern}' escapes the working directory")
    return pattern


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n, in_group = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "{" and not in_group:
            out.append("(?:")
            in_group = True
        elif c == "}" and in_group:
            out.append(")")
            in_group = False
        elif c == "," and in_group:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if in_group:
        out.append(")")
    return re.compile("".join(out))


def matches(pattern: str, relative: str) -> bool:
    """Whether the relative path ``relative`` matches ``pattern``."""
    return glob_regex(pattern).fullmatch(relative) is not None
