"""Kestra's Pebble templating: ``{{ outputs['task-id'].value | upper }}``, ``{% if %}``...

Our own small engine, compiled once per template string and cached. It is:

- strict: an unknown variable, key or index is an `ExpressionError` naming it, except on
  the left of ``??``/``???``, before ``is defined``, and before ``| default(...)``;
- never recursive: a value from the context is data, printed as is even if it holds
  ``{{ }}`` (the engine's ``render()`` function renders on purpose);
- sandboxed: templates read keys of maps and items of lists, call the filters and the
  functions registered here or passed in by the engine, and nothing else.

Functions that need I/O (``secret``, ``kv``, ``read``, ``render``, ``errorLogs``,
``currentEachOutput``...) are passed by the engine as ``functions`` at each render.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from headway.errors import ExpressionError
from headway.expressions.errors import UndefinedError
from headway.expressions.nodes import Expr
from headway.expressions.parser import parse_expression, parse_template
from headway.expressions.scope import Functions, Scope
from headway.expressions.statements import Template, evaluate_in
from headway.expressions.values import to_text, truthy

__all__ = [
    "ExpressionError",
    "Functions",
    "Template",
    "UndefinedError",
    "compile_template",
    "evaluate",
    "is_template",
    "render",
    "render_typed",
    "render_value",
    "to_text",
    "truthy",
]


def is_template(text: str) -> bool:
    """Whether a string has an expression or a tag to render."""
    return "{{" in text or "{%" in text


@lru_cache(maxsize=4096)
def compile_template(template: str) -> Template:
    """The compiled template; a syntax error is an ExpressionError naming line and column."""
    return parse_template(template)


@lru_cache(maxsize=4096)
def _compile_expression(expression: str) -> Expr:
    return parse_expression(expression)


def render(template: str, context: Mapping[str, Any], functions: Functions | None = None) -> str:
    """The template rendered to text; maps and lists print as JSON, null as nothing."""
    if "{" not in template:
        return template
    return compile_template(template).render(context, functions)


def render_typed(
    template: str, context: Mapping[str, Any], functions: Functions | None = None
) -> Any:
    """The native value (map, list, number, boolean, null) of a template that is exactly one
    ``{{ expr }}`` (whitespace around it allowed), else the rendered text."""
    if not is_template(template):
        return template
    return compile_template(template).render_typed(context, functions)


def render_value(value: Any, context: Mapping[str, Any], functions: Functions | None = None) -> Any:
    """Every string inside maps and lists (keys too) rendered; other values kept as they are."""
    if isinstance(value, str):
        return render(value, context, functions) if is_template(value) else value
    if isinstance(value, Mapping):
        return {
            render_value(k, context, functions): render_value(v, context, functions)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [render_value(item, context, functions) for item in value]
    return value


def evaluate(
    expression: str, context: Mapping[str, Any], functions: Functions | None = None
) -> Any:
    """The value of a bare expression, without braces: ``inputs.x > 3``."""
    return evaluate_in(_compile_expression(expression), Scope(context, functions), expression)
