"""Discovers task types through the ``headway.plugins`` entry-point group.

Each entry point names a sequence of task classes. Built-ins register the same way as
third-party packages, so adding a plugin never edits the engine.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points

from headway.errors import HeadwayError
from headway.flows.tasks import TaskBase, TaskTypes

ENTRY_POINT_GROUP = "headway.plugins"


class PluginError(HeadwayError):
    """A plugin could not be registered."""


class Registry(TaskTypes):
    """Task types by canonical name and by every alias."""

    def __init__(self, classes: Iterable[type[TaskBase]] = ()) -> None:
        self._canonical: dict[str, type[TaskBase]] = {}
        self._by_name: dict[str, type[TaskBase]] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[TaskBase]) -> None:
        if not cls.type_name:
            raise PluginError(f"{cls.__qualname__} has no type_name")
        for name in (cls.type_name, *cls.aliases):
            other = self._by_name.get(name)
            if other is not None and other is not cls:
                raise PluginError(
                    f"task type '{name}' is registered by both {other.__qualname__} "
                    f"and {cls.__qualname__}"
                )
            self._by_name[name] = cls
        self._canonical[cls.type_name] = cls

    def resolve(self, type_name: str) -> type[TaskBase] | None:
        return self._by_name.get(type_name)

    def types(self) -> dict[str, type[TaskBase]]:
        return dict(self._canonical)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def unknown_message(self, type_name: str) -> str:
        close = difflib.get_close_matches(type_name, self._by_name, n=3, cutoff=0.6)
        if not close and "." in type_name:
            last = type_name.rsplit(".", 1)[-1].lower()
            close = [n for n in self._by_name if n.rsplit(".", 1)[-1].lower() == last][:3]
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown task type '{type_name}'{hint}"


@cache
def default_registry() -> Registry:
    """Every task type of the installed packages (built-ins included)."""
    registry = Registry()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            classes = ep.load()
        except ImportError as exc:
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to import: {exc}") from exc
        for cls in classes:
            registry.register(cls)
    return registry
