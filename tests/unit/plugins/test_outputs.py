from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from headway.plugins.core.debug import Return
from headway.plugins.core.outputs import OutputValues

if TYPE_CHECKING:
    from conftest import FakeRunContext, TaskFactory


async def test_return_outputs_its_format(ctx: FakeRunContext, make: TaskFactory) -> None:
    assert await make(Return, format="my value").run(ctx) == {"value": "my value"}
    assert ctx.logs == [("DEBUG", "my value")]


async def test_return_without_format_outputs_null(ctx: FakeRunContext, make: TaskFactory) -> None:
    assert await make(Return).run(ctx) == {"value": None}


async def test_output_values_outputs_its_map(ctx: FakeRunContext, make: TaskFactory) -> None:
    values = {"text": "a", "number": 42, "list": [1, "b"], "nested": {"k": "v"}}
    assert await make(OutputValues, values=values).run(ctx) == {"values": values}


async def test_output_values_without_values_outputs_an_empty_map(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    assert await make(OutputValues).run(ctx) == {"values": {}}


async def test_output_values_accepts_an_expression_rendering_to_json(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    assert make(OutputValues, values="{{ outputs.api.body }}").values == "{{ outputs.api.body }}"
    task = make(OutputValues, values='{"a": 1}')  # as validated again after rendering
    assert await task.run(ctx) == {"values": {"a": 1}}


def test_output_values_rejects_a_list(make: TaskFactory) -> None:
    with pytest.raises(ValidationError, match="values"):
        make(OutputValues, values=[1, 2])
