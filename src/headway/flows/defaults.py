"""``pluginDefaults`` (and the legacy ``taskDefaults``): values given once for every plugin of a
type, applied to the flow's data before it is validated, as Kestra does.

A default's ``type`` matches a plugin when it names the same task type (by any of its names) or
is a prefix of one of the plugin's names (``io.kestra.plugin.scripts`` matches every script
task). Defaults fill keys the plugin does not set (maps merge key by key, lists gain the items
they lack); ``forced: true`` defaults override what the plugin sets. Where several defaults
match, the first listed wins. Defaults reach nested tasks, triggers and task runners alike.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from headway.flows.introspect import allows_extra, model_keys
from headway.flows.tasks import TaskTypes
from headway.flows.validation import Finding

DEFAULTS_KEYS = ("pluginDefaults", "taskDefaults")
# Parts of a flow that hold no plugins (an input's ``type: STRING`` is not a plugin type).
_NOT_PLUGINS = {*DEFAULTS_KEYS, "inputs", "outputs", "labels", "variables"}


@dataclass(frozen=True)
class _Default:
    type: str
    values: dict[str, Any]
    forced: bool


def merge(base: Any, over: Any) -> Any:
    """``over`` wins; maps merge key by key; a list gains the items of ``over`` it lacks."""
    if over is None:
        return base
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out[key], value) if key in out else value
        return out
    if isinstance(base, list) and isinstance(over, list):
        return [*base, *(item for item in over if item not in base)]
    return over


class _Matcher:
    def __init__(self, task_types: TaskTypes) -> None:
        self.task_types = task_types

    def names(self, type_name: str) -> list[str]:
        cls = self.task_types.resolve(type_name)
        return [type_name] if cls is None else [type_name, cls.type_name, *cls.aliases]

    def matches(self, default_type: str, type_name: str) -> bool:
        cls = self.task_types.resolve(default_type)
        if cls is not None and cls is self.task_types.resolve(type_name):
            return True
        return any(name.startswith(default_type) for name in self.names(type_name))


def _collect(data: dict[str, Any], task_types: TaskTypes) -> tuple[list[_Default], list[Finding]]:
    """The well-formed defaults of the flow (malformed ones are the model's to report), with
    the keys a known task type does not have reported and left out."""
    out: list[_Default] = []
    findings: list[Finding] = []
    for section in DEFAULTS_KEYS:
        entries = data.get(section)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            type_name, values = entry.get("type"), entry.get("values")
            if not isinstance(type_name, str) or not isinstance(values, dict):
                continue
            cls = task_types.resolve(type_name)
            if cls is not None and not allows_extra(cls):
                allowed = model_keys(cls)
                for key in [k for k in values if k not in allowed]:
                    findings.append(
                        Finding(
                            (section, i, "values", key),
                            f"unknown key '{key}' for task type '{cls.type_name}' "
                            f"(expected one of: {', '.join(allowed)})",
                            key=True,
                        )
                    )
                values = {k: v for k, v in values.items() if k in allowed}
            out.append(_Default(type_name, values, entry.get("forced") is True))
    return out, findings


def apply_plugin_defaults(
    data: dict[str, Any], task_types: TaskTypes
) -> tuple[dict[str, Any], list[Finding]]:
    """The flow's data with its plugin defaults applied (``data`` is left unchanged)."""
    defaults, findings = _collect(data, task_types)
    if not defaults:
        return data, findings
    matcher = _Matcher(task_types)

    def apply(plugin: dict[str, Any], forced: bool) -> dict[str, Any]:
        type_name = plugin.get("type")
        if not isinstance(type_name, str):
            return plugin
        matching = [
            d for d in defaults if d.forced is forced and matcher.matches(d.type, type_name)
        ]
        if forced:
            for default in reversed(matching):
                plugin = merge(plugin, copy.deepcopy(default.values))
        else:
            for default in matching:
                plugin = merge(copy.deepcopy(default.values), plugin)
        return plugin

    def walk(value: Any, forced: bool) -> Any:
        if isinstance(value, list):
            return [walk(item, forced) for item in value]
        if isinstance(value, dict):
            return apply({k: walk(v, forced) for k, v in value.items()}, forced)
        return value

    out = dict(data)
    for forced in (False, True):
        for key, value in out.items():
            if key not in _NOT_PLUGINS:
                out[key] = walk(value, forced)
    return out, findings
