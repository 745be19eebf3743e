"""Every example flow validates, and runs here to the end it documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.flows.loader import parse_flow
from headway.plugins.registry import default_registry
from headway.state import State
from headway.testing import run_flow

EXAMPLES = Path(__file__).parents[2] / "examples"
ENDS = {
    "hello": State.SUCCESS,
    "fanout": State.SUCCESS,
    "approval": State.PAUSED,
    "disk-report": State.SUCCESS,
}


def test_every_example_is_covered() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.yaml")) == sorted(ENDS)


@pytest.mark.parametrize("name", sorted(ENDS))
async def test_example_runs(name: str) -> None:
    source = (EXAMPLES / f"{name}.yaml").read_text()
    parse_flow(source, file=f"{name}.yaml", task_types=default_registry())
    result = await run_flow(source)
    assert result.state is ENDS[name], result.messages()


async def test_fanout_processes_every_item() -> None:
    result = await run_flow((EXAMPLES / "fanout.yaml").read_text())
    assert sorted(tr.value or "" for tr in result.task_runs("process")) == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert any("alpha became ALPHA" in m for m in result.messages())
