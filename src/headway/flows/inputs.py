"""Flow inputs: the 18 types (:mod:`headway.flows.input_types`) and resolving the values given
for an execution against them: conversion to typed values, validators, defaults, ``required``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headway.errors import InputInvalidError
from headway.flows.graph import dependency_order
from headway.flows.input_types import (
    INPUT_TYPE_NAMES,
    INPUT_TYPES,
    ArrayInput,
    BooleanInput,
    DateInput,
    DateTimeInput,
    DependsOn,
    DurationInput,
    EmailInput,
    EnumInput,
    FileInput,
    FloatInput,
    Input,
    InputBase,
    IntInput,
    JsonInput,
    MultiselectInput,
    SecretInput,
    SelectInput,
    StringInput,
    TimeInput,
    UriInput,
    ValueOption,
    YamlInput,
)
from headway.flows.tasks import is_template
from headway.flows.values import InputValueError, convert_value, serialize_value

__all__ = [
    "INPUT_TYPES",
    "INPUT_TYPE_NAMES",
    "ArrayInput",
    "BooleanInput",
    "DateInput",
    "DateTimeInput",
    "DependsOn",
    "DurationInput",
    "EmailInput",
    "EnumInput",
    "FileInput",
    "FloatInput",
    "Input",
    "InputBase",
    "InputValueError",
    "IntInput",
    "JsonInput",
    "MultiselectInput",
    "Render",
    "SecretInput",
    "SelectInput",
    "StringInput",
    "TimeInput",
    "UriInput",
    "ValueOption",
    "YamlInput",
    "convert_value",
    "resolve_inputs",
    "serialize_inputs",
    "unknown_inputs",
]

# Renders an expression (a default, a dependsOn condition) against the inputs resolved so far.
Render = Callable[[str, Mapping[str, Any]], Any]


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``: a dotted input id nests, as in Kestra."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = out
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.setdefault(last, value)
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "null", "none")
    return bool(value)


def resolve_inputs(
    inputs: Sequence[InputBase], given: Mapping[str, Any], *, render: Render | None = None
) -> dict[str, Any]:
    """Check and convert given values (strings from the CLI, JSON from the API) against the
    flow's inputs; apply defaults; raise InputInvalidError naming the input and the rule.

    Given ids that are not inputs are ignored (see :func:`unknown_inputs`). Dotted ids nest
    (``a.b`` -> ``{"a": {"b": ...}}``). With ``render``, defaults that are expressions are
    rendered, and an input whose ``dependsOn.condition`` is false is left out (null).
    """
    by_id = {inp.id: inp for inp in inputs}
    order = dependency_order(
        {i.id: list(i.depends_on.inputs) if i.depends_on else [] for i in inputs}
    )
    flat: dict[str, Any] = {}
    for input_id in order:
        inp = by_id[input_id]
        condition = inp.depends_on.condition if inp.depends_on else None
        if condition and render is not None and not _truthy(render(condition, _nest(flat))):
            flat[inp.id] = None
            continue
        value, from_default = given.get(inp.id), False
        if value is None:
            value, from_default = inp.default_value(), True
            if is_template(value):
                if render is None:
                    raise InputInvalidError(inp.id, "its default is an expression; give a value")
                value = render(value, _nest(flat))
        if value is None:
            if inp.required:
                raise InputInvalidError(inp.id, "is required")
            flat[inp.id] = None
            continue
        try:
            flat[inp.id] = inp.parse(value)
        except InputValueError as exc:
            raise InputInvalidError(
                inp.id, f"default {exc.reason}" if from_default else exc.reason
            ) from None
    return _nest({inp.id: flat[inp.id] for inp in inputs})


def unknown_inputs(inputs: Sequence[InputBase], given: Mapping[str, Any]) -> list[str]:
    """The given ids that name no input of the flow (Kestra ignores them; callers may warn)."""
    known = {inp.id for inp in inputs}
    return sorted(key for key in given if key not in known)


def serialize_inputs(values: Mapping[str, Any]) -> dict[str, Any]:
    """Typed input values as JSON, the way Kestra's API shows them (instants ``...Z``,
    durations ``PT..``, dates and times ISO-8601)."""
    return {str(k): serialize_value(v) for k, v in values.items()}
