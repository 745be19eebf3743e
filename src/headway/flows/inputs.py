"""Flow inputs: the 18 types, their validators, and resolving given values against them.

(Placeholder API; the full implementation replaces this module.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headway.errors import InputInvalidError
from headway.flows.tasks import Model


class Input(Model):
    id: str
    type: str = "STRING"
    required: bool = True
    defaults: Any = None
    description: str | None = None


def resolve_inputs(inputs: list[Input], given: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert given values (strings from the CLI, JSON from the API) against the
    flow's inputs; apply defaults; raise InputInvalidError naming the input and the rule."""
    out: dict[str, Any] = {}
    for inp in inputs:
        if inp.id in given:
            out[inp.id] = given[inp.id]
        elif inp.defaults is not None:
            out[inp.id] = inp.defaults
        elif inp.required:
            raise InputInvalidError(inp.id, "is required")
        else:
            out[inp.id] = None
    return out
