"""What the models of the language accept, found from their fields: the keys of a model, and
which model validates the value at a path of a flow's data (for error messages)."""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

from headway.flows.tasks import TaskBase, TaskTypes

Path = tuple[str | int, ...]


def field_keys(info: FieldInfo, name: str) -> list[str]:
    """The YAML keys a field accepts (its alias and any validation alias choices)."""
    keys: list[str] = []
    if isinstance(info.validation_alias, AliasChoices):
        keys.extend(c for c in info.validation_alias.choices if isinstance(c, str))
    elif isinstance(info.validation_alias, str):
        keys.append(info.validation_alias)
    keys.append(info.alias or name)
    return list(dict.fromkeys(keys))


def model_keys(cls: type[BaseModel]) -> list[str]:
    """Every key ``cls`` accepts; for a task type, its own keys before the common ones."""
    own = [n for n in cls.model_fields if not issubclass(cls, TaskBase) or n not in _COMMON]
    common = [n for n in cls.model_fields if n not in own]
    out: list[str] = []
    for name in (*own, *common):
        out.extend(field_keys(cls.model_fields[name], name))
    return list(dict.fromkeys(out))


def allows_extra(cls: type[BaseModel]) -> bool:
    return cls.model_config.get("extra") == "allow"


def find_field(cls: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in cls.model_fields.items():
        if key in field_keys(info, name):
            return info
    return None


_COMMON = set(TaskBase.model_fields)


def _is_task_annotation(metadata: tuple[Any, ...]) -> bool:
    return any(
        getattr(getattr(m, "func", None), "__name__", "") == "_validate_task" for m in metadata
    )


def _narrow(annotation: Any, data: Any, task_types: TaskTypes | None) -> Any:
    """Strip Annotated/Optional and pick the union member that validates ``data``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *metadata = get_args(annotation)
            if _is_task_annotation(tuple(metadata)):
                type_name = data.get("type") if isinstance(data, dict) else None
                if task_types is None or not isinstance(type_name, str):
                    return None
                return task_types.resolve(type_name)
            annotation = base
            continue
        if origin is Union or isinstance(annotation, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            models = [m for m in members if _model_class(m) is not None]
            chosen = _by_discriminator(models, data) or (models[0] if models else None)
            if chosen is None:
                return members[0] if len(members) == 1 else None
            annotation = chosen
            continue
        return annotation


def _model_class(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _by_discriminator(models: list[Any], data: Any) -> Any:
    """The model whose ``type`` literal matches ``data['type']`` (inputs' tagged union)."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    for model in models:
        info = model.model_fields.get("type")
        if info is not None and data["type"] in get_args(info.annotation):
            return model
    return None


def model_at(
    root: type[BaseModel], data: Any, path: Path, task_types: TaskTypes | None
) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` of ``data``, if any."""
    annotation: Any = root
    node = data
    for part in path:
        annotation = _narrow(annotation, node, task_types)
        model = _model_class(annotation)
        if model is not None:
            if not isinstance(part, str):
                return None
            info = find_field(model, part)
            if info is None:
                return None
            annotation = info.annotation
            for meta in info.metadata:  # Annotated metadata moved into the FieldInfo
                annotation = Annotated[annotation, meta]
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return None
        node = node.get(part) if isinstance(node, dict) else _index(node, part)
    return _model_class(_narrow(annotation, node, task_types))


def _index(node: Any, part: str | int) -> Any:
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None
