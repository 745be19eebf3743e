"""The JSON Schema of the language, for editors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from headway.flows.schema import flow_json_schema
from headway.plugins.registry import Registry

from .conftest import Log


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_schema_is_json_and_every_reference_resolves(registry: Registry) -> None:
    schema = json.loads(json.dumps(flow_json_schema(registry)))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert {"id", "namespace", "tasks", "inputs", "pluginDefaults"} <= set(schema["properties"])
    assert set(schema["required"]) == {"id", "namespace", "tasks"}
    for ref in refs(schema):
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in schema["$defs"], ref


def test_every_task_type_appears_with_all_its_names(registry: Registry) -> None:
    schema = flow_json_schema(registry)
    variants = [ref["$ref"].removeprefix("#/$defs/") for ref in schema["$defs"]["Task"]["oneOf"]]
    assert len(variants) == len(registry.types())
    names = set()
    for name in variants:
        definition = schema["$defs"][name]
        names.update(definition["properties"]["type"]["enum"])
    assert set(registry.names()) == names
    log = schema["$defs"]["Log"]
    assert log["properties"]["type"]["enum"] == [
        "log",
        "io.kestra.plugin.core.log.Log",
        "io.kestra.core.tasks.log.Log",
    ]
    assert log["additionalProperties"] is False
    assert "message" in log["required"]


def test_nested_task_lists_refer_to_the_task_union(registry: Registry) -> None:
    schema = flow_json_schema(registry)
    assert schema["properties"]["tasks"]["items"] == {"$ref": "#/$defs/Task"}
    assert schema["$defs"]["Sequential"]["properties"]["tasks"]["items"] == {"$ref": "#/$defs/Task"}
    cases = schema["$defs"]["Switch"]["properties"]["cases"]
    assert cases["additionalProperties"]["items"] == {"$ref": "#/$defs/Task"}
    assert "TaskBase" not in schema["$defs"]


def test_inputs_are_a_union_tagged_by_type(registry: Registry) -> None:
    schema = flow_json_schema(registry)
    items = schema["properties"]["inputs"]["items"]
    assert len(items["oneOf"]) == 18
    assert items["discriminator"]["propertyName"] == "type"
    assert set(items["discriminator"]["mapping"]) >= {"STRING", "BOOL", "MULTISELECT"}
    array = schema["$defs"]["ArrayInput"]
    assert "itemType" in array["required"]


def test_labels_may_be_a_map_or_a_list(registry: Registry) -> None:
    labels = flow_json_schema(registry)["properties"]["labels"]
    assert [option["type"] for option in labels["anyOf"]] == ["object", "array"]


def test_schema_with_one_type() -> None:
    schema = flow_json_schema(Registry([Log]))
    assert schema["$defs"]["Task"]["oneOf"] == [{"$ref": "#/$defs/Log"}]


def test_schema_without_types() -> None:
    schema = flow_json_schema(Registry())
    assert schema["$defs"]["Task"]["properties"]["type"] == {"title": "Type", "type": "string"}
