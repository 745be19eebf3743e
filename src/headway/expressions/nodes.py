"""Expression nodes: the compiled form of what is inside ``{{ }}`` and tags, and how it evaluates.

Each node is a small immutable object with ``evaluate(scope)``. Only three places turn an
undefined name into a value instead of an error: ``??``/``???``, ``is defined`` and the
``default`` filter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headway.expressions.errors import ExpressionError, UndefinedError
from headway.expressions.functions import BUILTIN_FUNCTIONS
from headway.expressions.predicates import is_empty
from headway.expressions.scope import Scope
from headway.expressions.values import get_item, truthy

Operator = Callable[[Any, Any], Any]
Arguments = tuple["Expr", ...]
NamedArguments = tuple[tuple[str, "Expr"], ...]


class Expr:
    __slots__ = ()

    def evaluate(self, scope: Scope) -> Any:
        raise NotImplementedError


class Literal(Expr):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def evaluate(self, scope: Scope) -> Any:
        return self.value


class Name(Expr):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def evaluate(self, scope: Scope) -> Any:
        return scope.lookup(self.name)


class GetAttr(Expr):
    """``a.b``: the key ``b`` of the map ``a`` (or item ``b`` of a list); ``path`` names it."""

    __slots__ = ("key", "path", "target")

    def __init__(self, target: Expr, key: str | int, path: str) -> None:
        self.target = target
        self.key = key
        self.path = path

    def evaluate(self, scope: Scope) -> Any:
        return get_item(self.target.evaluate(scope), self.key, self.path)


class GetItem(Expr):
    """``a['task-id']``, ``a[0]``, ``a[-1]``, ``a[name]``."""

    __slots__ = ("key", "path", "target")

    def __init__(self, target: Expr, key: Expr, path: str) -> None:
        self.target = target
        self.key = key
        self.path = path

    def evaluate(self, scope: Scope) -> Any:
        container = self.target.evaluate(scope)
        return get_item(container, self.key.evaluate(scope), self.path)


class ListExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: Arguments) -> None:
        self.items = items

    def evaluate(self, scope: Scope) -> Any:
        return [item.evaluate(scope) for item in self.items]


class MapExpr(Expr):
    __slots__ = ("pairs",)

    def __init__(self, pairs: tuple[tuple[Expr, Expr], ...]) -> None:
        self.pairs = pairs

    def evaluate(self, scope: Scope) -> Any:
        result: dict[Any, Any] = {}
        for key, value in self.pairs:
            name = key.evaluate(scope)
            try:
                result[name] = value.evaluate(scope)
            except TypeError:
                raise ExpressionError(f"a map key cannot be {type(name).__name__}") from None
        return result


class Unary(Expr):
    __slots__ = ("operand", "operator", "symbol")

    def __init__(self, symbol: str, operator: Callable[[Any], Any], operand: Expr) -> None:
        self.symbol = symbol
        self.operator = operator
        self.operand = operand

    def evaluate(self, scope: Scope) -> Any:
        return self.operator(self.operand.evaluate(scope))


class Binary(Expr):
    """An operator that evaluates both sides: arithmetic, comparison, ``~``, ``contains``."""

    __slots__ = ("left", "operator", "right", "symbol")

    def __init__(self, symbol: str, operator: Operator, left: Expr, right: Expr) -> None:
        self.symbol = symbol
        self.operator = operator
        self.left = left
        self.right = right

    def evaluate(self, scope: Scope) -> Any:
        left = self.left.evaluate(scope)
        right = self.right.evaluate(scope)
        try:
            return self.operator(left, right)
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ExpressionError(f"operator '{self.symbol}' failed: {error}") from error


class And(Expr):
    __slots__ = ("left", "right")

    def __init__(self, left: Expr, right: Expr) -> None:
        self.left = left
        self.right = right

    def evaluate(self, scope: Scope) -> Any:
        return truthy(self.left.evaluate(scope)) and truthy(self.right.evaluate(scope))


class Or(Expr):
    __slots__ = ("left", "right")

    def __init__(self, left: Expr, right: Expr) -> None:
        self.left = left
        self.right = right

    def evaluate(self, scope: Scope) -> Any:
        return truthy(self.left.evaluate(scope)) or truthy(self.right.evaluate(scope))


class Coalesce(Expr):
    """``a ?? b``: ``a`` unless it is undefined or null. ``a ??? b``: unless undefined only."""

    __slots__ = ("keep_null", "left", "right")

    def __init__(self, left: Expr, right: Expr, keep_null: bool) -> None:
        self.left = left
        self.right = right
        self.keep_null = keep_null

    def evaluate(self, scope: Scope) -> Any:
        try:
            value = self.left.evaluate(scope)
        except UndefinedError:
            return self.right.evaluate(scope)
        if value is None and not self.keep_null:
            return self.right.evaluate(scope)
        return value


class Ternary(Expr):
    __slots__ = ("condition", "otherwise", "then")

    def __init__(self, condition: Expr, then: Expr, otherwise: Expr) -> None:
        self.condition = condition
        self.then = then
        self.otherwise = otherwise

    def evaluate(self, scope: Scope) -> Any:
        chosen = self.then if truthy(self.condition.evaluate(scope)) else self.otherwise
        return chosen.evaluate(scope)


def _arguments(
    scope: Scope, args: Arguments, kwargs: NamedArguments
) -> tuple[list[Any], dict[str, Any]]:
    return [a.evaluate(scope) for a in args], {k: v.evaluate(scope) for k, v in kwargs}


def invoke(
    label: str, function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
) -> Any:
    """Call a filter, test or function; whatever it raises comes out as an ExpressionError."""
    try:
        return function(*args, **kwargs)
    except UndefinedError:
        raise
    except ExpressionError as error:
        raise ExpressionError(f"{label}: {error.message}") from error
    except Exception as error:
        detail = str(error) or type(error).__name__
        raise ExpressionError(f"{label} failed: {detail}") from error


class Test(Expr):
    """``x is even``, ``x is not empty`` (``defined`` is the `Defined` node)."""

    __slots__ = ("args", "function", "kwargs", "name", "negate", "operand")

    def __init__(
        self,
        operand: Expr,
        name: str,
        function: Callable[..., bool],
        args: Arguments,
        kwargs: NamedArguments,
        negate: bool,
    ) -> None:
        self.operand = operand
        self.name = name
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.negate = negate

    def evaluate(self, scope: Scope) -> Any:
        args, kwargs = _arguments(scope, self.args, self.kwargs)
        args.insert(0, self.operand.evaluate(scope))
        result = bool(invoke(f"test '{self.name}'", self.function, args, kwargs))
        return result is not self.negate


class Defined(Expr):
    """``x is defined``: false when ``x`` (or any step of ``a.b.c``) is missing or null."""

    __slots__ = ("negate", "operand")

    def __init__(self, operand: Expr, negate: bool) -> None:
        self.operand = operand
        self.negate = negate

    def evaluate(self, scope: Scope) -> Any:
        try:
            defined = self.operand.evaluate(scope) is not None
        except UndefinedError:
            defined = False
        return defined is not self.negate


class Filter(Expr):
    """``x | name(args)``: the filter gets ``x`` first, then the arguments."""

    __slots__ = ("args", "function", "kwargs", "name", "operand")

    def __init__(
        self,
        operand: Expr,
        name: str,
        function: Callable[..., Any],
        args: Arguments,
        kwargs: NamedArguments,
    ) -> None:
        self.operand = operand
        self.name = name
        self.function = function
        self.args = args
        self.kwargs = kwargs

    def evaluate(self, scope: Scope) -> Any:
        value = self.operand.evaluate(scope)
        args, kwargs = _arguments(scope, self.args, self.kwargs)
        args.insert(0, value)
        return invoke(f"filter '{self.name}'", self.function, args, kwargs)


class Default(Expr):
    """``x | default(y)``: ``y`` when ``x`` is undefined, null, blank or an empty list/map."""

    __slots__ = ("fallback", "operand")

    def __init__(self, operand: Expr, fallback: Expr) -> None:
        self.operand = operand
        self.fallback = fallback

    def evaluate(self, scope: Scope) -> Any:
        try:
            value = self.operand.evaluate(scope)
        except UndefinedError:
            return self.fallback.evaluate(scope)
        return self.fallback.evaluate(scope) if is_empty(value) else value


class Call(Expr):
    """``name(args)``: a function the engine provides for this render, else a built-in one."""

    __slots__ = ("args", "kwargs", "name")

    def __init__(self, name: str, args: Arguments, kwargs: NamedArguments) -> None:
        self.name = name
        self.args = args
        self.kwargs = kwargs

    def evaluate(self, scope: Scope) -> Any:
        function = scope.functions.get(self.name) or BUILTIN_FUNCTIONS.get(self.name)
        if function is None:
            known = sorted({*BUILTIN_FUNCTIONS, *scope.functions})
            raise ExpressionError(f"Unknown function '{self.name}' (available: {', '.join(known)})")
        args, kwargs = _arguments(scope, self.args, self.kwargs)
        return invoke(f"function '{self.name}'", function, args, kwargs)
