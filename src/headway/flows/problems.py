"""Pydantic's validation errors as problems a person can act on: each at the line and column of
the key or value at fault, saying what was expected and what was found."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from headway.errors import Location, Problem
from headway.flows.introspect import allows_extra, model_at, model_keys
from headway.flows.source import SourceMap
from headway.flows.tasks import TaskTypes
from headway.flows.values import show

Path = tuple[str | int, ...]

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "timedelta_type": "an ISO-8601 duration (e.g. PT30S)",
    "timedelta_parsing": "an ISO-8601 duration (e.g. PT30S)",
    "datetime_type": "an ISO-8601 date-time",
    "datetime_parsing": "an ISO-8601 date-time",
    "datetime_from_date_parsing": "an ISO-8601 date-time",
    "date_type": "an ISO-8601 date",
    "date_parsing": "an ISO-8601 date",
    "date_from_datetime_parsing": "an ISO-8601 date",
    "time_type": "an ISO-8601 time",
    "time_parsing": "an ISO-8601 time",
    "none_required": "nothing (null)",
}
_BOUNDS = {
    "greater_than_equal": (">=", "ge"),
    "greater_than": (">", "gt"),
    "less_than_equal": ("<=", "le"),
    "less_than": ("<", "lt"),
}
_ID_RULES = {
    "id": "an id is letters, digits, '_' and '-', starting with a letter or digit",
    "namespace": "a namespace is lowercase letters, digits, '.', '_' and '-'",
}


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _clean_path(loc: tuple[str | int, ...], data: Any, error_type: str) -> Path:
    """The path in the data of an error's ``loc``, without the names pydantic gives union
    members (``function-after[...]``, an input's tag)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if _has(node, part):
            node = node[part]
        elif error_type == "missing" and i == len(loc) - 1 and isinstance(node, dict):
            node = None
        else:
            continue
        path.append(part)
    return tuple(path)


def _node(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


class _Humanizer:
    def __init__(
        self, data: Any, smap: SourceMap, task_types: TaskTypes, root: type[BaseModel]
    ) -> None:
        self.data = data
        self.smap = smap
        self.task_types = task_types
        self.root = root

    def task_suffix(self, parent: Path) -> str:
        node = _node(self.data, parent)
        type_name = node.get("type") if isinstance(node, dict) else None
        if isinstance(type_name, str) and self.task_types.resolve(type_name) is not None:
            return f" for task type '{type_name}'"
        return ""

    def allowed(self, parent: Path) -> list[str]:
        model = model_at(self.root, self.data, parent, self.task_types)
        if model is None or allows_extra(model):
            return []
        return model_keys(model)

    def problem(self, err: ErrorDetails) -> Problem:
        kind = err["type"]
        path = _clean_path(tuple(err["loc"]), self.data, kind)
        message, at_key = self.message(err, kind, path)
        if kind in ("unknown_task_type", "union_tag_invalid") and isinstance(
            _node(self.data, path), dict
        ):
            path = (*path, "type")
        loc = self.smap.locate(path, key=at_key)
        if kind == "missing":  # point at the mapping that lacks the key
            parent = self.smap.locate(path[:-1])
            loc = Location(path, loc.file, parent.line, parent.column)
        elif path and not self.smap.has(path) and self.smap.has(path[:-1]):
            message += " (set by pluginDefaults)"
        return Problem(message, loc)

    def message(self, err: ErrorDetails, kind: str, path: Path) -> tuple[str, bool]:
        ctx: dict[str, Any] = dict(err.get("ctx") or {})
        given = err.get("input")
        last = path[-1] if path else ""
        if kind == "missing":
            return f"missing required key '{last}'{self.task_suffix(path[:-1])}", False
        if kind == "extra_forbidden":
            return self.unknown_key(str(last), path[:-1]), True
        if kind == "literal_error":
            expected = str(ctx.get("expected", "")).replace(" or ", ", ")
            return f"expected one of {expected}, got {show(given)}", False
        if kind == "union_tag_invalid":
            tag, expected = str(ctx.get("tag")), str(ctx.get("expected_tags"))
            return self.unknown_input_type(tag, expected), False
        if kind == "union_tag_not_found":
            return "an input needs a 'type'", False
        if kind in ("value_error", "assertion_error"):
            return str(ctx.get("error", err["msg"])), False
        if kind == "string_pattern_mismatch":
            rule = _ID_RULES.get(str(last), f"expected text matching {ctx.get('pattern')}")
            return f"invalid {last or 'value'} {show(given)}: {rule}", False
        if kind == "too_short" and path == ("tasks",):
            return "a flow needs at least one task", False
        if kind in _BOUNDS:
            word, key = _BOUNDS[kind]
            return f"must be {word} {ctx.get(key)}, got {show(given)}", False
        if kind in ("too_short", "too_long"):
            word, key = (
                ("at least", "min_length") if kind == "too_short" else ("at most", "max_length")
            )
            count = ctx.get(key)
            items = "item" if count == 1 else "items"
            return f"expected {word} {count} {items}, got {ctx.get('actual_length')}", False
        if kind == "not_expression":
            return f"expected an expression, got {show(given)}", False
        if kind == "union_expected":
            return f"expected {ctx['expected']}, got {show(given)}", False
        if kind in _EXPECTED:
            return f"expected {_EXPECTED[kind]}, got {show(given)}", False
        if given is None or isinstance(given, dict | list):
            return err["msg"], False
        return f"{err['msg']}, got {show(given)}", False

    def unknown_key(self, key: str, parent: Path) -> str:
        allowed = self.allowed(parent)
        text = f"unknown key '{key}'{self.task_suffix(parent)}"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
        if close:
            text += f"; did you mean '{close[0]}'?"
        if allowed:
            text += f" (expected one of: {', '.join(allowed)})"
        return text

    def unknown_input_type(self, tag: str, expected: str) -> str:
        names = [t.strip(" '") for t in expected.split(",")]
        close = [n for n in names if n.lower() == tag.lower()] or difflib.get_close_matches(
            tag.upper(), names, n=1
        )
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown input type '{tag}'{hint} (expected one of {', '.join(names)})"


def _merge_union_branches(errors: list[ErrorDetails], data: Any) -> list[ErrorDetails]:
    """A value that fits no member of a union fails once per member (``Dynamic[T]``: as a T
    and as an expression). Report it once, saying what each member expected."""
    by_path: dict[Path, list[ErrorDetails]] = {}
    for err in errors:
        by_path.setdefault(_clean_path(tuple(err["loc"]), data, err["type"]), []).append(err)
    out: list[ErrorDetails] = []
    for group in by_path.values():
        kept = [e for e in group if e["type"] != "not_expression"] or group
        if len(kept) > 1 and all(e["type"] in _EXPECTED for e in kept):
            expected = " or ".join(dict.fromkeys(_EXPECTED[e["type"]] for e in kept))
            kept = [{**kept[0], "type": "union_expected", "ctx": {"expected": expected}}]
        out.extend(kept)
    return out


def validation_problems(
    exc: ValidationError,
    data: Any,
    smap: SourceMap,
    task_types: TaskTypes,
    root: type[BaseModel],
) -> list[Problem]:
    """The problems of ``exc``, raised when validating ``data`` (read with ``smap``)."""
    humanizer = _Humanizer(data, smap, task_types, root)
    return [humanizer.problem(err) for err in _merge_union_branches(exc.errors(), data)]
