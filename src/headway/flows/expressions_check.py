"""Expressions in a flow are parsed when the flow is validated, so a syntax error is
reported at its line and column before anything runs (they are rendered at run time)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from headway.errors import ExpressionError
from headway.expressions import compile_template, is_template
from headway.flows.validation import Finding, Path

# Free text that is never rendered.
_NOT_RENDERED = frozenset({"description"})


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in _NOT_RENDERED:
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def check_expressions(data: Mapping[str, Any]) -> list[Finding]:
    """A Finding for every string of the flow whose expression does not parse."""
    out: list[Finding] = []
    for path, text in _strings(data, ()):
        if not is_template(text):
            continue
        try:
            compile_template(text)
        except ExpressionError as exc:
            out.append(Finding(path, f"invalid expression: {exc.message}"))
    return out
