"""Turns tokens into nodes, with Pebble's operator precedence (precedence climbing).

Binding from loosest to tightest: ``? :``, ``or`` (10), ``and`` (15), ``is``/``contains``/
``in`` (20), comparisons (30), ``+ -`` (40), ``* / %`` (60), ``|`` filters (100), ``~``
(110), ``..``/``??``/``???`` (120), unary ``not``/``-``/``+`` (500), then ``.``/``[]``/calls.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from headway.expressions import values
from headway.expressions.errors import ExpressionError, syntax_error
from headway.expressions.filters import FILTERS
from headway.expressions.lexer import (
    BLOCK_CLOSE,
    BLOCK_OPEN,
    EOF,
    FLOAT,
    INT,
    NAME,
    OP,
    PRINT_CLOSE,
    PRINT_OPEN,
    STRING,
    TEXT,
    Token,
    tokenize,
    tokenize_expression,
)
from headway.expressions.nodes import (
    And,
    Arguments,
    Binary,
    Call,
    Coalesce,
    Default,
    Defined,
    Expr,
    Filter,
    GetAttr,
    GetItem,
    ListExpr,
    Literal,
    MapExpr,
    Name,
    NamedArguments,
    Or,
    Ternary,
    Test,
    Unary,
)
from headway.expressions.predicates import TESTS
from headway.expressions.statements import (
    BODY_VARIABLE,
    Body,
    FilterBlock,
    For,
    If,
    Print,
    Set,
    Statement,
    Template,
    Text,
)

PRECEDENCE: dict[str, int] = {
    "or": 10,
    "and": 15,
    "is": 20,
    "contains": 20,
    "in": 20,
    "not in": 20,
    "==": 30,
    "equals": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
UNARY_PRECEDENCE = 500
_WORD_OPERATORS = frozenset({"or", "and", "is", "contains", "in", "equals"})
_LITERALS: dict[str, Any] = {
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "null": None,
    "NULL": None,
    "none": None,
    "NONE": None,
}
_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": values.equals,
    "equals": values.equals,
    "!=": lambda a, b: not values.equals(a, b),
    "<": partial(values.compare, "<"),
    ">": partial(values.compare, ">"),
    "<=": partial(values.compare, "<="),
    ">=": partial(values.compare, ">="),
    "+": values.add,
    "-": values.subtract,
    "*": values.multiply,
    "/": values.divide,
    "%": values.modulo,
    "~": values.concatenate,
    "..": values.inclusive_range,
    "contains": values.contains,
    "in": lambda a, b: values.contains(b, a),
    "not in": lambda a, b: not values.contains(b, a),
}
_TAGS = "if, for, set, filter, raw, verbatim"
_LABELS = {PRINT_CLOSE: "'}}'", BLOCK_CLOSE: "'%}'", NAME: "a name", EOF: "the end"}


def parse_template(source: str) -> Template:
    parser = Parser(source, tokenize(source))
    try:
        body, _, _ = parser.parse_body((), None)
    except RecursionError:
        raise parser.error("the template nests too deeply") from None
    return Template(source, body)


def parse_expression(source: str) -> Expr:
    parser = Parser(source, tokenize_expression(source))
    try:
        expr = parser.expression()
    except RecursionError:
        raise parser.error("the expression nests too deeply") from None
    parser.expect(EOF)
    return expr


class Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0

    # Tokens ---------------------------------------------------------------------------------

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self) -> Token:
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != EOF:
            self.index += 1
        return token

    def at(self, symbol: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == OP and token.value == symbol

    def error(self, message: str, token: Token | None = None) -> ExpressionError:
        return syntax_error(self.source, (token or self.current).start, message)

    def expected(self, what: str) -> ExpressionError:
        return self.error(f"expected {what} but found {describe(self.current)}")

    def expect(self, kind: str) -> Token:
        if self.current.kind != kind:
            raise self.expected(_LABELS.get(kind, kind))
        return self.advance()

    def expect_op(self, symbol: str) -> Token:
        if not self.at(symbol):
            raise self.expected(f"'{symbol}'")
        return self.advance()

    def expect_word(self, word: str) -> Token:
        if self.current.kind != NAME or self.current.value != word:
            raise self.expected(f"'{word}'")
        return self.advance()

    def new_variable(self) -> str:
        token = self.expect(NAME)
        if token.value in _LITERALS or token.value in _WORD_OPERATORS or token.value == "not":
            raise self.error(f"'{token.value}' cannot be a variable name", token)
        return token.value

    # Template -------------------------------------------------------------------------------

    def parse_body(
        self, stops: tuple[str, ...], opened: Token | None
    ) -> tuple[Body, str | None, Token | None]:
        """Statements up to one of the ``stops`` tags (whose name is consumed) or the end."""
        nodes: list[Statement] = []
        while True:
            token = self.current
            if token.kind == TEXT:
                nodes.append(Text(self.advance().value))
            elif token.kind == PRINT_OPEN:
                self.advance()
                expr = self.expression()
                close = self.expect(PRINT_CLOSE)
                nodes.append(Print(expr, self.source[token.start : close.end]))
            elif token.kind == BLOCK_OPEN:
                self.advance()
                name = self.expect(NAME)
                if name.value in stops:
                    return tuple(nodes), name.value, token
                nodes.append(self.tag(token, name))
            else:
                if stops:
                    end = stops[-1]
                    raise self.error(f"expected '{{% {end} %}}' to close this tag", opened)
                return tuple(nodes), None, None

    def tag(self, opened: Token, name: Token) -> Statement:
        if name.value == "if":
            return self.if_tag(opened)
        if name.value == "for":
            return self.for_tag(opened)
        if name.value == "set":
            variable = self.new_variable()
            self.expect_op("=")
            expr = self.expression()
            return Set(variable, expr, self.tag_source(opened))
        if name.value == "filter":
            return self.filter_tag(opened)
        raise self.error(f"unknown tag '{name.value}' (supported: {_TAGS})", name)

    def tag_source(self, opened: Token) -> str:
        close = self.expect(BLOCK_CLOSE)
        return self.source[opened.start : close.end]

    def if_tag(self, opened: Token) -> If:
        branches: list[tuple[Expr, str, Body]] = []
        condition = self.expression()
        source = self.tag_source(opened)
        while True:
            body, stop, stop_tag = self.parse_body(("elseif", "elif", "else", "endif"), opened)
            branches.append((condition, source, body))
            if stop in ("elseif", "elif"):
                assert stop_tag is not None
                condition = self.expression()
                source = self.tag_source(stop_tag)
                continue
            otherwise: Body = ()
            if stop == "else":
                self.expect(BLOCK_CLOSE)
                otherwise, _, _ = self.parse_body(("endif",), opened)
            self.expect(BLOCK_CLOSE)
            return If(tuple(branches), otherwise)

    def for_tag(self, opened: Token) -> For:
        names = [self.new_variable()]
        if self.at(","):
            self.advance()
            names.append(self.new_variable())
        self.expect_word("in")
        iterable = self.expression()
        source = self.tag_source(opened)
        body, stop, _ = self.parse_body(("else", "endfor"), opened)
        otherwise: Body = ()
        if stop == "else":
            self.expect(BLOCK_CLOSE)
            otherwise, _, _ = self.parse_body(("endfor",), opened)
        self.expect(BLOCK_CLOSE)
        return For(tuple(names), iterable, source, body, otherwise)

    def filter_tag(self, opened: Token) -> FilterBlock:
        chain: Expr = self.filter(Name(BODY_VARIABLE))
        while self.at("|"):
            self.advance()
            chain = self.filter(chain)
        source = self.tag_source(opened)
        body, _, _ = self.parse_body(("endfilter",), opened)
        self.expect(BLOCK_CLOSE)
        return FilterBlock(chain, source, body)

    # Expressions ----------------------------------------------------------------------------

    def binary_operator(self) -> tuple[str, int] | None:
        token = self.current
        if token.kind == OP:
            return (token.value, 1) if token.value in PRECEDENCE else None
        if token.kind != NAME:
            return None
        if token.value in _WORD_OPERATORS:
            return token.value, 1
        following = self.peek()
        if token.value == "not" and following.kind == NAME and following.value == "in":
            return "not in", 2
        return None

    def expression(self, min_precedence: int = 0) -> Expr:
        token = self.current
        expr: Expr
        unary = token.value in ("-", "+") if token.kind == OP else token.value == "not"
        if unary and token.kind in (OP, NAME):
            self.advance()
            expr = self.unary(token.value, self.expression(UNARY_PRECEDENCE))
        else:
            expr = self.primary()
        while (found := self.binary_operator()) is not None:
            symbol, width = found
            precedence = PRECEDENCE[symbol]
            if precedence < min_precedence:
                break
            for _ in range(width):
                self.advance()
            if symbol == "|":
                expr = self.filter(expr)
            elif symbol == "is":
                expr = self.test(expr)
            else:
                expr = self.binary(symbol, expr, self.expression(precedence + 1))
        if min_precedence == 0 and self.at("?"):
            self.advance()
            then = self.expression()
            self.expect_op(":")
            expr = Ternary(expr, then, self.expression())
        return expr

    @staticmethod
    def unary(symbol: str, operand: Expr) -> Expr:
        if symbol == "not":
            return Unary("not", lambda v: not values.truthy(v), operand)
        if symbol == "+":
            return Unary("+", lambda v: v if values.is_number(v) else values.negate(v), operand)
        if isinstance(operand, Literal) and values.is_number(operand.value):
            return Literal(-operand.value)
        return Unary("-", values.negate, operand)

    @staticmethod
    def binary(symbol: str, left: Expr, right: Expr) -> Expr:
        if symbol == "or":
            return Or(left, right)
        if symbol == "and":
            return And(left, right)
        if symbol in ("??", "???"):
            return Coalesce(left, right, keep_null=symbol == "???")
        return Binary(symbol, _OPERATIONS[symbol], left, right)

    def arguments(self) -> tuple[Arguments, NamedArguments]:
        self.expect_op("(")
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        while not self.at(")"):
            if args or kwargs:
                self.expect_op(",")
            following = self.peek()
            if self.current.kind == NAME and following.kind == OP and following.value == "=":
                name = self.advance().value
                self.advance()
                kwargs.append((name, self.expression()))
            elif kwargs:
                raise self.error("positional arguments must come before named ones")
            else:
                args.append(self.expression())
        self.expect_op(")")
        return tuple(args), tuple(kwargs)

    def filter(self, operand: Expr) -> Expr:
        name = self.expect(NAME)
        args, kwargs = self.arguments() if self.at("(") else ((), ())
        if name.value == "default":
            fallback = args[0] if args else dict(kwargs).get("default")
            if fallback is None:
                raise self.error("the 'default' filter needs a value: default('...')", name)
            return Default(operand, fallback)
        function = FILTERS.get(name.value)
        if function is None:
            raise self.error(f"unknown filter '{name.value}'", name)
        return Filter(operand, name.value, function, args, kwargs)

    def test(self, operand: Expr) -> Expr:
        negate = self.current.kind == NAME and self.current.value == "not"
        if negate:
            self.advance()
        name = self.expect(NAME)
        args, kwargs = self.arguments() if self.at("(") else ((), ())
        if name.value == "defined":
            return Defined(operand, negate)
        function = TESTS.get(name.value)
        if function is None:
            known = ", ".join(["defined", *TESTS])
            raise self.error(f"unknown test '{name.value}' (known: {known})", name)
        return Test(operand, name.value, function, args, kwargs, negate)

    def primary(self) -> Expr:
        token = self.current
        node: Expr
        if token.kind == STRING:
            node = Literal(self.advance().value)
        elif token.kind == INT:
            if len(token.value) > 1000:
                raise self.error("this number is too long")
            node = Literal(int(self.advance().value))
        elif token.kind == FLOAT:
            node = Literal(float(self.advance().value))
        elif token.kind == NAME and token.value in _LITERALS:
            self.advance()
            node = Literal(_LITERALS[token.value])
        elif token.kind == NAME and token.value not in _WORD_OPERATORS:
            self.advance()
            if self.at("("):
                args, kwargs = self.arguments()
                node = Call(token.value, args, kwargs)
            else:
                node = Name(token.value)
        elif self.at("("):
            self.advance()
            node = self.expression()
            self.expect_op(")")
        elif self.at("["):
            node = self.list_literal()
        elif self.at("{"):
            node = self.map_literal()
        else:
            raise self.expected("an expression")
        return self.postfix(node, token.start)

    def postfix(self, node: Expr, start: int) -> Expr:
        while True:
            if self.at("."):
                self.advance()
                key = self.current
                if key.kind not in (NAME, INT):
                    raise self.expected("an attribute name after '.'")
                self.advance()
                path = self.source[start : key.end]
                node = GetAttr(node, int(key.value) if key.kind == INT else key.value, path)
            elif self.at("["):
                self.advance()
                index = self.expression()
                close = self.expect_op("]")
                node = GetItem(node, index, self.source[start : close.end])
            elif self.at("("):
                raise self.error("only functions can be called: methods of values are not")
            else:
                return node

    def list_literal(self) -> Expr:
        self.expect_op("[")
        items: list[Expr] = []
        while not self.at("]"):
            if items:
                self.expect_op(",")
            items.append(self.expression())
        self.expect_op("]")
        return ListExpr(tuple(items))

    def map_literal(self) -> Expr:
        self.expect_op("{")
        pairs: list[tuple[Expr, Expr]] = []
        while not self.at("}"):
            if pairs:
                self.expect_op(",")
            key = self.expression()
            self.expect_op(":")
            pairs.append((key, self.expression()))
        self.expect_op("}")
        return MapExpr(tuple(pairs))


def describe(token: Token) -> str:
    if token.kind == EOF:
        return "the end"
    if token.kind == STRING:
        return f"the string '{token.value}'"
    if token.kind == TEXT:
        return "text"
    return f"'{token.value}'"
