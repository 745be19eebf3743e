"""Resolving a trigger's or a condition's ``type`` (a short name or one of Kestra's class
names) to its model, with a clear error for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationInfo
from pydantic_core import PydanticCustomError

M = TypeVar("M", bound=BaseModel)


class TypeTable(Generic[M]):
    """Names (short and Kestra's) -> model, for one family (triggers, conditions)."""

    def __init__(self, family: str, models: Iterable[type[M]]) -> None:
        self.family = family
        self.models = list(models)
        self.by_name: dict[str, type[M]] = {}
        for model in self.models:
            for name in names_of(model):
                self.by_name[name] = model

    def resolve(self, name: str) -> type[M] | None:
        return self.by_name.get(name)

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.by_name), n=2, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        short = ", ".join(sorted(getattr(m, "type_name", "") for m in self.models))
        return f"unknown {self.family} type '{name}'{hint} (known: {short})"

    def validate(self, value: Any, info: ValidationInfo, what: str) -> M:
        if isinstance(value, tuple(self.models)):
            return value  # type: ignore[return-value]
        if not isinstance(value, dict):
            raise PydanticCustomError(
                f"{self.family}_type", "expected {what} (a mapping with a type)", {"what": what}
            )
        name = value.get("type")
        if not isinstance(name, str):
            raise PydanticCustomError(
                f"{self.family}_type", "{what} needs a 'type'", {"what": what.capitalize()}
            )
        model = self.resolve(name)
        if model is None:
            raise PydanticCustomError(
                f"unknown_{self.family}_type", "{message}", {"message": self.unknown_message(name)}
            )
        return model.model_validate(value, context=info.context)

    def json_schema(self, what: str) -> dict[str, Any]:
        """A permissive schema: a mapping whose ``type`` is one of the known names."""
        return {
            "type": "object",
            "description": f"{what}: its `type` names one of the {self.family} types",
            "properties": {"type": {"type": "string", "enum": sorted(self.by_name)}},
            "required": ["type"],
        }


def names_of(model: type[BaseModel]) -> list[str]:
    short = getattr(model, "type_name", "")
    aliases: tuple[str, ...] = getattr(model, "aliases", ())
    return list(dict.fromkeys([short, *aliases]))
