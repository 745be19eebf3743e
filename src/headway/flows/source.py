"""YAML text to plain data, remembering where every key and value came from.

The data is what a YAML 1.2 reader sees (Kestra reads flows with Jackson, which neither turns
``yes`` into a boolean nor ``2024-01-31`` into a date): ``true``/``false`` are booleans, ``~`` and
``null`` are null, decimal and ``0x`` numbers are numbers, everything else is a string. A
:class:`SourceMap` maps each path (``("tasks", 2, "retry", "type")``) to its line and column.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from headway.errors import Location, Problem

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL}


class _CoreResolver(BaseResolver):
    """YAML 1.2 core schema: no ``yes``/``on`` booleans, no timestamps, no sexagesimal ints."""


_CoreResolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_CoreResolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+)$"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


class _PureComposer(Reader, Scanner, Parser, Composer, _CoreResolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _CoreResolver.__init__(self)


_FAST: type[Any] = _PureComposer
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CComposer(CParser, _CoreResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _CoreResolver.__init__(self)

    _FAST = _CComposer


@dataclass
class SourceMap:
    """Where each path of the data is in the source (1-based line and column)."""

    file: str | None = None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def has(self, path: Path) -> bool:
        return path in self.values

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """The position of ``path`` (its key if ``key``), else of its nearest known parent."""
        probe = path
        while True:
            pos = (self.keys.get(probe) if key else None) or self.values.get(probe)
            if pos is not None or not probe:
                break
            probe = probe[:-1]
            key = False
        line, column = pos if pos is not None else (None, None)
        return Location(path=path, file=self.file, line=line, column=column)


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self, smap: SourceMap) -> None:
        self.smap = smap
        self.problems: list[Problem] = []
        self._active: set[int] = set()

    def problem(self, node: Node, path: Path, message: str) -> None:
        line, column = _mark(node)
        self.problems.append(Problem(message, Location(path, self.smap.file, line, column)))

    def build(self, node: Node, path: Path) -> Any:
        self.smap.values[path] = _mark(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self._active:
            self.problem(node, path, "recursive alias: a value cannot contain itself")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self.mapping(node, path)
        finally:
            self._active.discard(id(node))

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be a plain value, not a list or mapping")
                continue
            key = key_node.value
            child = (*path, key)
            if key in out:
                first = self.smap.keys[child][0]
                self.problem(key_node, child, f"duplicate key '{key}' (first set at line {first})")
                continue
            self.smap.keys[child] = _mark(key_node)
            out[key] = self.build(value_node, child)
        return out

    def scalar(self, node: ScalarNode, path: Path) -> Any:
        text: str = node.value
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self.problem(node, path, f"unsupported YAML tag '{tag}'")
            return text
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text.lower() == "true"
        try:
            if tag == _INT:
                if text.startswith(("0x", "0o")):
                    return int(text[2:], 16 if text[1] == "x" else 8)
                return int(text)
            lowered = text.lower()
            if lowered.endswith(".nan"):
                return math.nan
            if lowered.endswith(".inf"):
                return -math.inf if text.startswith("-") else math.inf
            return float(text)
        except ValueError:
            self.problem(node, path, f"'{text}' is not a valid {tag.rsplit(':', 1)[-1]}")
            return text


_TOKENS = {
    "<block mapping start>": "the start of a mapping",
    "<block sequence start>": "the start of a list",
    "<block entry>": "a list item '-'",
    "<scalar>": "a value",
    "?": "a new key",
}


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem or "\t" in problem:
        return "a tab character cannot indent YAML; use spaces"
    found = re.match(r"expected <block end>, but found '?(.*?)'?$", problem)
    if found:
        token = found.group(1)
        entry = "list" if "sequence" in token or token == "-" else "mapping"
        what = _TOKENS.get(token, repr(token))
        return f"bad indentation of a {entry} entry (expected <block end>, but found {what})"
    if problem.startswith("mapping values are not allowed"):
        return (
            "bad indentation of a mapping entry, or a value containing ': ' that needs quotes "
            "(mapping values are not allowed here)"
        )
    if exc.context and exc.context_mark is not None:
        return f"{problem} ({exc.context} at line {exc.context_mark.line + 1})"
    return problem


def _syntax_problem(exc: yaml.YAMLError, file: str | None) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return Problem(_syntax_message(exc), Location((), file, mark.line + 1, mark.column + 1))
    return Problem(f"invalid YAML: {exc}", Location((), file))


def _compose(source: str, file: str | None) -> tuple[Node | None, list[Problem]]:
    try:
        return _FAST(source).get_single_node(), []
    except yaml.YAMLError:
        pass
    # Errors are rare: parse again with the pure-Python parser, whose messages are clearer.
    try:
        return _PureComposer(source).get_single_node(), []
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(exc, file)]


def load_yaml(source: str, *, file: str | None = None) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML document: its data, its source map, and any problems found."""
    smap = SourceMap(file=file)
    try:
        node, problems = _compose(source, file)
        if problems:
            return None, smap, problems
        if node is None:
            return None, smap, []
        builder = _Builder(smap)
        data = builder.build(node, ())
    except RecursionError:
        return None, smap, [Problem("the YAML nests too deeply", Location((), file))]
    return data, smap, builder.problems
