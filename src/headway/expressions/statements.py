"""Template nodes: text, ``{{ }}`` and the tags ``if``, ``for``, ``set`` and ``filter``.

Each one writes to an output list. An error from a tag's own expression is re-raised
naming the tag's source, so the message says which ``{{ }}`` failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headway.expressions.errors import ExpressionError, locate
from headway.expressions.nodes import Expr
from headway.expressions.scope import Functions, Scope
from headway.expressions.values import to_text, truthy

BODY_VARIABLE = "\0body"


def evaluate_in(expr: Expr, scope: Scope, source: str) -> Any:
    """Evaluate a tag's expression; a failure names the tag."""
    try:
        return expr.evaluate(scope)
    except ExpressionError as error:
        raise locate(error, source) from error
    except RecursionError:
        raise ExpressionError(f"the expression nests too deeply in '{source}'") from None


class Statement:
    __slots__ = ()

    def render(self, scope: Scope, out: list[str]) -> None:
        raise NotImplementedError


Body = tuple[Statement, ...]


def render_body(body: Body, scope: Scope, out: list[str]) -> None:
    for statement in body:
        statement.render(scope, out)


class Text(Statement):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, scope: Scope, out: list[str]) -> None:
        out.append(self.text)


class Print(Statement):
    """``{{ expr }}``: the value as text; its own text is never rendered again."""

    __slots__ = ("expr", "source")

    def __init__(self, expr: Expr, source: str) -> None:
        self.expr = expr
        self.source = source

    def render(self, scope: Scope, out: list[str]) -> None:
        out.append(to_text(evaluate_in(self.expr, scope, self.source)))


class If(Statement):
    """``{% if %}`` ... ``{% elseif %}`` ... ``{% else %}`` ... ``{% endif %}``."""

    __slots__ = ("branches", "otherwise")

    def __init__(self, branches: tuple[tuple[Expr, str, Body], ...], otherwise: Body) -> None:
        self.branches = branches
        self.otherwise = otherwise

    def render(self, scope: Scope, out: list[str]) -> None:
        for condition, source, body in self.branches:
            if truthy(evaluate_in(condition, scope, source)):
                render_body(body, scope, out)
                return
        render_body(self.otherwise, scope, out)


class For(Statement):
    """``{% for x in list %}``, ``{% for k, v in map %}``, with ``{% else %}`` and ``loop``.

    ``loop.index`` counts from 0 as in Pebble; ``loop.revindex`` counts down to 0.
    A single variable over a map gets entries with ``key`` and ``value``.
    """

    __slots__ = ("body", "iterable", "names", "otherwise", "source")

    def __init__(
        self, names: tuple[str, ...], iterable: Expr, source: str, body: Body, otherwise: Body
    ) -> None:
        self.names = names
        self.iterable = iterable
        self.source = source
        self.body = body
        self.otherwise = otherwise

    def _items(self, value: Any) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, Mapping):
            if len(self.names) == 2:
                return list(value.items())
            return [{"key": k, "value": v} for k, v in value.items()]
        if isinstance(value, list | tuple | set | frozenset):
            if len(self.names) == 2:
                raise ExpressionError(
                    f"two loop variables need a map to iterate, not a list, in '{self.source}'"
                )
            return list(value)
        raise ExpressionError(f"cannot iterate over {type(value).__name__} in '{self.source}'")

    def render(self, scope: Scope, out: list[str]) -> None:
        items = self._items(evaluate_in(self.iterable, scope, self.source))
        if not items:
            render_body(self.otherwise, scope, out)
            return
        frame: dict[str, Any] = {}
        scope.frames.append(frame)
        try:
            length = len(items)
            for index, item in enumerate(items):
                if len(self.names) == 2:
                    frame[self.names[0]], frame[self.names[1]] = item
                else:
                    frame[self.names[0]] = item
                frame["loop"] = {
                    "index": index,
                    "revindex": length - index - 1,
                    "first": index == 0,
                    "last": index == length - 1,
                    "length": length,
                }
                render_body(self.body, scope, out)
        finally:
            scope.frames.pop()


class Set(Statement):
    """``{% set name = expr %}``: a local variable, never written to the caller's context."""

    __slots__ = ("expr", "name", "source")

    def __init__(self, name: str, expr: Expr, source: str) -> None:
        self.name = name
        self.expr = expr
        self.source = source

    def render(self, scope: Scope, out: list[str]) -> None:
        scope.assign(self.name, evaluate_in(self.expr, scope, self.source))


class FilterBlock(Statement):
    """``{% filter upper | trim %}`` ... ``{% endfilter %}``: filters applied to the body."""

    __slots__ = ("body", "chain", "source")

    def __init__(self, chain: Expr, source: str, body: Body) -> None:
        self.chain = chain
        self.source = source
        self.body = body

    def render(self, scope: Scope, out: list[str]) -> None:
        inner: list[str] = []
        render_body(self.body, scope, inner)
        scope.frames.append({BODY_VARIABLE: "".join(inner)})
        try:
            out.append(to_text(evaluate_in(self.chain, scope, self.source)))
        finally:
            scope.frames.pop()


class Template:
    """A compiled template: render it as many times as needed, with any context."""

    __slots__ = ("body", "single", "source")

    def __init__(self, source: str, body: Body) -> None:
        self.source = source
        self.body = body
        prints = [s for s in body if isinstance(s, Print)]
        rest = [s for s in body if not isinstance(s, Print)]
        only_blank = all(isinstance(s, Text) and not s.text.strip() for s in rest)
        self.single: Print | None = prints[0] if len(prints) == 1 and only_blank else None

    def render(self, context: Mapping[str, Any], functions: Functions | None = None) -> str:
        out: list[str] = []
        scope = Scope(context, functions)
        try:
            render_body(self.body, scope, out)
        except RecursionError:
            raise ExpressionError("the template nests too deeply to render") from None
        return "".join(out)

    def render_typed(self, context: Mapping[str, Any], functions: Functions | None = None) -> Any:
        """The native value when the template is one ``{{ expr }}``, else the rendered text."""
        if self.single is None:
            return self.render(context, functions)
        return evaluate_in(self.single.expr, Scope(context, functions), self.single.source)

    def __repr__(self) -> str:
        return f"Template({self.source!r})"
