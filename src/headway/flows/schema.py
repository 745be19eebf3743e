"""A JSON Schema (draft 2020-12) of the whole flow language, for editors (yaml-language-server)
and API clients: the flow, its inputs, and every registered task type, generated from the
same models that validate flows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from headway.flows.model import Flow
from headway.flows.tasks import TaskBase, TaskTypes

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
TASK_DEF = "Task"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _def_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _retarget(node: Any, old: str, new: str) -> Any:
    """Point every ``$ref`` to ``old`` at ``new``."""
    if isinstance(node, dict):
        if node.get("$ref") == f"#/$defs/{old}":
            return {**node, "$ref": f"#/$defs/{new}"}
        return {k: _retarget(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_retarget(v, old, new) for v in node]
    return node


def flow_json_schema(task_types: TaskTypes) -> dict[str, Any]:
    """The JSON Schema of a flow whose tasks are the registered ``task_types``. A task is a
    ``oneOf`` of the task types, each told apart by the names its ``type`` may take."""
    task_classes = sorted(task_types.types().items())
    mode: JsonSchemaMode = "validation"
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Flow, mode), (TaskBase, mode)]
    models += [(cls, mode) for _, cls in task_classes]
    keys, top = models_json_schema(models, by_alias=True, ref_template="#/$defs/{model}")
    defs: dict[str, Any] = dict(top.get("$defs", {}))

    base_name = _def_name(keys[(TaskBase, mode)]["$ref"])
    variants: list[dict[str, str]] = []
    for canonical, cls in task_classes:
        name = _def_name(keys[(cls, mode)]["$ref"])
        names = list(dict.fromkeys((canonical, cls.type_name, *cls.aliases)))
        definition = dict(defs[name])
        properties = dict(definition.get("properties", {}))
        properties["type"] = {"type": "string", "enum": names, "title": "Type"}
        definition["properties"] = properties
        definition.setdefault("title", canonical)
        defs[name] = definition
        variants.append(_ref(name))
    base = defs.pop(base_name)
    defs[TASK_DEF] = (
        {
            "title": "Task",
            "description": "A task: its `type` names one of the registered task types.",
            "oneOf": variants,
        }
        if variants
        else base
    )
    defs = _retarget(defs, base_name, TASK_DEF)

    flow_name = _def_name(keys[(Flow, mode)]["$ref"])
    root = dict(defs.pop(flow_name))
    return {
        "$schema": SCHEMA_DIALECT,
        **root,
        "$defs": defs,
    }
